-- Connected social accounts. Tokens live only inside `grant_enc` (AES-256-GCM sealed JSON).
create table social_accounts (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    platform text not null,
    external_id text not null,
    username text not null,
    display_name text not null,
    avatar_url text,
    grant_enc text not null,
    -- copy of the access-token expiry, so the refresh job can find due rows without decrypting
    token_expires_at bigint,
    -- space-separated scopes the platform granted
    scopes text not null,
    -- what the person consented to, and when
    consent_at bigint not null,
    consent_scopes text not null,
    -- healthy | reconnect_needed
    status text not null default 'healthy',
    last_error text,
    last_used_at bigint,
    last_refreshed_at bigint,
    created_at bigint not null,
    updated_at bigint not null,
    -- one connection per platform account per user; reconnecting updates it
    constraint social_accounts_unique unique (user_id, platform, external_id)
);
create index social_accounts_user on social_accounts (user_id, platform);
create index social_accounts_expiry on social_accounts (token_expires_at);

-- A connect flow between the redirect to the platform and its callback (single use).
create table connect_states (
    state text primary key,
    user_id text not null references users (id) on delete cascade,
    platform text not null,
    code_verifier text not null,
    -- sealed: may hold a per-instance client secret (Mastodon)
    pending_enc text not null,
    consent_scopes text not null,
    created_at bigint not null
);
