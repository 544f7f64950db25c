-- Publications: one row per (post, account). The row is also the job: the dispatcher claims
-- due rows with a lease (src/publish/queue.rs). Status:
--   pending → publishing → posted | failed | unconfirmed      (cancelled by the person)
-- `sending_at` is committed just before the request leaves: a worker that dies after it
-- may have published, so its post becomes unconfirmed instead of being sent again.
create table posts (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    batch_id text not null,
    draft_id text references drafts (id) on delete set null,
    connection_id text references social_accounts (id) on delete set null,
    platform text not null,
    account_name text not null,
    body text not null,
    title text,
    image_url text,
    status text not null,
    scheduled_at bigint not null,
    run_at bigint not null,
    attempts bigint not null default 0,
    lease_owner text,
    lease_until bigint,
    sending_at bigint,
    -- which worker process sent it (debugging, and proof that replicas share the queue)
    sent_by text,
    external_id text,
    external_url text,
    error_code text,
    error_message text,
    guidance text,
    recurrence_id text,
    created_at bigint not null,
    updated_at bigint not null,
    published_at bigint
);
create index posts_due on posts (status, run_at);
create index posts_user_time on posts (user_id, scheduled_at);
create index posts_draft on posts (draft_id);
create index posts_batch on posts (batch_id);
