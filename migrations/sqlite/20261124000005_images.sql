-- Images: uploads and generated pictures. The bytes (and a thumbnail) live in the object
-- store under the image's id (src/media/); this row says whose they are and what they are.
-- A draft shows an image through its image_url (/media/{id}); draft_id only remembers the
-- draft it was made for.
create table images (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    draft_id text references drafts (id) on delete set null,
    content_type text not null,
    bytes integer not null,
    width integer not null,
    height integer not null,
    generated integer not null default 0,
    -- 'upload' | 'gemini' | 'text_card'
    source text not null,
    created_at integer not null,
    constraint images_source_check check (source in ('upload', 'gemini', 'text_card'))
);
create index images_user_created on images (user_id, created_at);
