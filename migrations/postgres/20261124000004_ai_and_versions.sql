-- Bring-your-own-key AI settings, one row per user. Keys are sealed with the instance's
-- AES-256-GCM key (src/crypto.rs); the hint ("sk-…abcd") is all the browser ever sees.
create table ai_settings (
    user_id text primary key references users (id) on delete cascade,
    openai_key text,
    openai_key_hint text,
    base_url text not null default 'https://api.openai.com/v1',
    model text not null default 'gpt-4o-mini',
    gemini_key text,
    gemini_key_hint text,
    updated_at bigint not null
);

-- Draft version history: a snapshot of title, idea, variants (JSON) and image after a save.
-- Autosaves within a few minutes of each other fold into one version (src/drafts.rs).
create table draft_versions (
    id text primary key,
    draft_id text not null references drafts (id) on delete cascade,
    kind text not null,
    title text not null,
    idea text not null,
    variants text not null,
    image_url text,
    created_at bigint not null
);
create index draft_versions_draft on draft_versions (draft_id, created_at);
