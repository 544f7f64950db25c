-- Drafts: an idea plus one variant per selected platform. Status moves
-- draft → ready → scheduled → published | failed (rules in src/drafts.rs).
create table drafts (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    title text not null,
    idea text not null,
    status text not null default 'draft',
    template_id text,
    image_url text,
    image_generated integer not null default 0,
    created_at integer not null,
    updated_at integer not null
);
create index drafts_user_status on drafts (user_id, status, updated_at);

create table draft_variants (
    draft_id text not null references drafts (id) on delete cascade,
    platform text not null,
    body text not null,
    updated_at integer not null,
    constraint draft_variants_pkey primary key (draft_id, platform)
);

-- Templates: per-platform bodies with {placeholders}. user_id null = a starter template
-- everyone can use (read-only).
create table templates (
    id text primary key,
    user_id text references users (id) on delete cascade,
    name text not null,
    category text not null,
    -- JSON object: platform id → body
    bodies text not null,
    created_at integer not null,
    updated_at integer not null
);
create index templates_user on templates (user_id);

insert into templates (id, user_id, name, category, bodies, created_at, updated_at) values
('starter-announcement', null, 'Announcement', 'news',
 '{"x":"{idea}\n\n{point1}\n\n#announcement","linkedin":"We have news: {idea}\n\nWhat it means for you:\n• {point1}\n• {point2}\n• {point3}\n\nQuestions? Ask in the comments.","bluesky":"{idea} — {point1}","mastodon":"{idea}\n\n{point1}\n{point2}","threads":"{idea}\n\n{point1}","facebook":"{idea}\n\n{point1}\n{point2}\n{point3}"}',
 1795500000000, 1795500000000),
('starter-tips', null, 'Three tips', 'education',
 '{"x":"3 tips on {idea}:\n1. {point1}\n2. {point2}\n3. {point3}","linkedin":"Three things I learned about {idea}:\n\n1. {point1}\n2. {point2}\n3. {point3}\n\nWhich one would you add?","bluesky":"3 tips on {idea}: {point1} / {point2} / {point3}","mastodon":"Three tips on {idea}:\n\n1. {point1}\n2. {point2}\n3. {point3}","threads":"3 tips on {idea} 🧵\n\n1. {point1}\n2. {point2}\n3. {point3}"}',
 1795500000000, 1795500000000),
('starter-question', null, 'Ask your audience', 'engagement',
 '{"x":"Quick question: {idea}? {point1}","linkedin":"I have been thinking about {idea}.\n\n{point1}\n\nWhat is your experience?","bluesky":"{idea}? {point1}","mastodon":"Question for you all: {idea}?\n\n{point1}","threads":"{idea}? {point1}"}',
 1795500000000, 1795500000000);
