-- Analytics (src/analytics.rs): the engagement sync schedule, snapshots of every pull, the
-- hourly gains the dashboard sums, and follower counts. Metric columns are NULL where the
-- platform does not report that metric: missing stays missing, it is never zero.

-- One row per published post: when to pull its numbers next (and who is pulling them now),
-- and the latest numbers known. A trigger adds the row when a post turns `posted`, so the
-- publisher never has to remember it. `external_id` and `platform` are copied because they
-- never change once posted, and the claim then needs no join.
create table post_metrics (
    post_id text primary key references posts (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    platform text not null,
    connection_id text references social_accounts (id) on delete set null,
    external_id text not null,
    published_at bigint not null,
    -- null = no more automatic pulls (old post, account gone, or it kept failing)
    next_sync_at bigint,
    lease_owner text,
    lease_until bigint,
    last_synced_at bigint,
    last_error text,
    -- refresh_needed | retry_later | rejected | disconnected | unknown (platforms::ErrorClass)
    error_class text,
    -- consecutive failed pulls; reset by a good one
    attempts bigint not null default 0,
    snapshots bigint not null default 0,
    views bigint,
    impressions bigint,
    likes bigint,
    comments bigint,
    shares bigint,
    saves bigint,
    -- likes + comments + shares (missing counted as 0): the top-posts order
    engagement bigint not null default 0,
    created_at bigint not null
);
-- The claim: due rows of one platform, oldest first.
create index post_metrics_due on post_metrics (platform, next_sync_at) where next_sync_at is not null;
-- Top posts and post counts of a period (covering, so counting reads the index only).
create index post_metrics_user_published on post_metrics (user_id, published_at, platform);
create index post_metrics_connection on post_metrics (connection_id);

-- What one pull returned. Keyed by post and time, so a post's history is one range read.
create table metric_snapshots (
    post_id text not null references posts (id) on delete cascade,
    taken_at bigint not null,
    user_id text not null,
    platform text not null,
    views bigint,
    impressions bigint,
    likes bigint,
    comments bigint,
    shares bigint,
    saves bigint,
    constraint metric_snapshots_pkey primary key (post_id, taken_at)
);
create index metric_snapshots_user_time on metric_snapshots (user_id, taken_at);

-- What the user's posts gained per platform and UTC hour (each pull adds its gains over the
-- post's previous numbers). The dashboard sums these instead of a million snapshots; hours
-- rather than days because "a day" depends on the person's time zone, which can change.
create table metric_hourly (
    user_id text not null references users (id) on delete cascade,
    -- hours since the Unix epoch, UTC
    hour bigint not null,
    platform text not null,
    views bigint,
    impressions bigint,
    likes bigint,
    comments bigint,
    shares bigint,
    saves bigint,
    -- likes + comments gained in pulls that also reported views: the engagement rate's
    -- numerator, so platforms without views do not inflate it
    rated_engagement bigint,
    constraint metric_hourly_pkey primary key (user_id, hour, platform)
);

-- Follower counts per connected account, where the platform reports them.
create table follower_snapshots (
    connection_id text not null references social_accounts (id) on delete cascade,
    taken_at bigint not null,
    user_id text not null references users (id) on delete cascade,
    platform text not null,
    followers bigint not null,
    constraint follower_snapshots_pkey primary key (connection_id, taken_at)
);

-- A platform that answered 429: no pulls to it before `until_at` (shared by every process).
create table analytics_cooldowns (
    platform text primary key,
    until_at bigint not null
);

-- Posts become tracked when they are posted (by the publisher's update, or inserted as posted).
create function posts_track_metrics() returns trigger language plpgsql as $$
begin
    if new.status = 'posted' and new.external_id is not null then
        insert into post_metrics (post_id, user_id, platform, connection_id, external_id, published_at, next_sync_at, created_at)
        values (new.id, new.user_id, new.platform, new.connection_id, new.external_id,
                coalesce(new.published_at, new.updated_at), coalesce(new.published_at, new.updated_at), new.updated_at)
        on conflict (post_id) do nothing;
    end if;
    return null;
end;
$$;

create trigger posts_track_metrics after insert or update of status on posts
for each row execute function posts_track_metrics();

-- Posts published before this migration.
insert into post_metrics (post_id, user_id, platform, connection_id, external_id, published_at, next_sync_at, created_at)
select id, user_id, platform, connection_id, external_id, coalesce(published_at, updated_at), coalesce(published_at, updated_at), updated_at
from posts where status = 'posted' and external_id is not null
on conflict (post_id) do nothing;
