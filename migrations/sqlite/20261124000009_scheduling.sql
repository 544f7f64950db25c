-- Scheduling (src/schedule.rs): repeating series and per-account time slots. Local times are
-- kept as the person typed them ("09:00" in their zone); every post they create stores UTC.

-- A repeating series. Its occurrences are ordinary rows in `posts` with `recurrence_id` set;
-- cancelling the series cancels those still pending.
create table recurrences (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    -- daily | weekly | monthly
    freq text not null,
    -- "interval" and "count" are reserved words in PostgreSQL
    every_n bigint not null,
    -- last local date with an occurrence (YYYY-MM-DD, inclusive), or null when `occurrences` is set
    until_date text,
    occurrences bigint,
    -- first occurrence, local wall clock "YYYY-MM-DDTHH:MM" in `timezone` (the zone at creation)
    start_local text not null,
    timezone text not null,
    -- JSON array of social_accounts ids
    connection_ids text not null,
    body text not null,
    -- active | cancelled
    status text not null default 'active',
    created_at bigint not null,
    updated_at bigint not null
);
create index recurrences_user on recurrences (user_id, created_at);
-- cancelling a series finds its posts
create index posts_recurrence on posts (recurrence_id);

-- "Add to queue" picks the next of these after now that no pending post of the account holds.
create table time_slots (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    connection_id text not null references social_accounts (id) on delete cascade,
    -- 0 = Monday … 6 = Sunday
    weekday bigint not null,
    -- "HH:MM" in the owner's zone
    local_time text not null,
    created_at bigint not null,
    constraint time_slots_unique unique (connection_id, weekday, local_time)
);
create index time_slots_user on time_slots (user_id, connection_id);
