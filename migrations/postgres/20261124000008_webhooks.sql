-- Outbound webhooks (src/webhooks.rs). An endpoint is a URL a user registered for some
-- events; its signing secret is sealed with the instance key (src/crypto.rs) and shown to
-- the person once, at creation.
create table webhook_endpoints (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    url text not null,
    secret text not null,
    -- JSON array of event names, e.g. ["post.published","post.failed"]
    events text not null,
    active bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create index webhook_endpoints_user on webhook_endpoints (user_id, created_at);

-- One row per delivery: the durable queue and the delivery log at once. `payload` is the
-- exact body sent (and signed) on every attempt, so a retry is byte-identical.
-- status: pending | delivered | failed. A worker claims a due row by setting `lease_until`;
-- a worker that dies mid-delivery leaves a lease that expires, and the row is due again.
create table webhook_retries (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    endpoint_id text not null references webhook_endpoints (id) on delete cascade,
    event text not null,
    payload text not null,
    retry_count bigint not null default 0,
    status text not null default 'pending',
    next_retry_at bigint not null,
    lease_until bigint,
    last_status_code bigint,
    last_error text,
    created_at bigint not null,
    updated_at bigint not null,
    delivered_at bigint
);
-- the worker's due scan
create index webhook_retries_due on webhook_retries (status, next_retry_at);
-- the delivery log in Settings
create index webhook_retries_user on webhook_retries (user_id, created_at);
