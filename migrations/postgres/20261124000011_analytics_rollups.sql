-- Long dashboard ranges summed tens of thousands of hourly rows. Two more roll-ups of the same
-- gains keep every range a short read: per UTC day (a period's whole days; only its partial
-- edge days still come from metric_hourly, so local-time periods stay exact) and per hour over
-- all platforms (the chart when no platform is picked). Post counts per hour/day move into the
-- roll-ups too, so counting a period's posts no longer scans post_metrics.

alter table metric_hourly add column posts bigint not null default 0;
-- A platform's own chart reads its hours directly.
create index metric_hourly_platform on metric_hourly (user_id, platform, hour);

create table metric_hourly_all (
    user_id text not null references users (id) on delete cascade,
    hour bigint not null,
    views bigint,
    impressions bigint,
    likes bigint,
    comments bigint,
    shares bigint,
    saves bigint,
    rated_engagement bigint,
    constraint metric_hourly_all_pkey primary key (user_id, hour)
);

create table metric_daily (
    user_id text not null references users (id) on delete cascade,
    -- days since the Unix epoch, UTC
    day bigint not null,
    platform text not null,
    views bigint,
    impressions bigint,
    likes bigint,
    comments bigint,
    shares bigint,
    saves bigint,
    rated_engagement bigint,
    -- posts published that day
    posts bigint not null default 0,
    constraint metric_daily_pkey primary key (user_id, day, platform)
);

-- Top posts of a period: covering, so choosing the five reads the index only.
drop index post_metrics_user_published;
create index post_metrics_user_published on post_metrics (user_id, published_at, platform, engagement, views, post_id);
-- The same five over a long period: walked in engagement order, the first posts inside the
-- period are the answer.
create index post_metrics_user_top on post_metrics (user_id, engagement desc, (coalesce(views, 0)) desc, published_at desc, platform, post_id);

-- Posts become tracked when they are posted, and are counted once in the roll-ups of the hour
-- and day they went out.
create or replace function posts_track_metrics() returns trigger language plpgsql as $$
begin
    if new.status = 'posted' and new.external_id is not null then
        insert into post_metrics (post_id, user_id, platform, connection_id, external_id, published_at, next_sync_at, created_at)
        values (new.id, new.user_id, new.platform, new.connection_id, new.external_id,
                coalesce(new.published_at, new.updated_at), coalesce(new.published_at, new.updated_at), new.updated_at)
        on conflict (post_id) do nothing;
        -- Only when the row above was new.
        if found then
            insert into metric_hourly (user_id, hour, platform, posts)
            values (new.user_id, coalesce(new.published_at, new.updated_at) / 3600000, new.platform, 1)
            on conflict (user_id, hour, platform) do update set posts = metric_hourly.posts + 1;
            insert into metric_daily (user_id, day, platform, posts)
            values (new.user_id, coalesce(new.published_at, new.updated_at) / 86400000, new.platform, 1)
            on conflict (user_id, day, platform) do update set posts = metric_daily.posts + 1;
        end if;
    end if;
    return null;
end;
$$;

-- What was tracked before this migration.
insert into metric_hourly (user_id, hour, platform, posts)
select user_id, published_at / 3600000, platform, count(*) from post_metrics group by 1, 2, 3
on conflict (user_id, hour, platform) do update set posts = excluded.posts;
insert into metric_hourly_all (user_id, hour, views, impressions, likes, comments, shares, saves, rated_engagement)
select user_id, hour, sum(views), sum(impressions), sum(likes), sum(comments), sum(shares), sum(saves), sum(rated_engagement)
from metric_hourly group by user_id, hour;
insert into metric_daily (user_id, day, platform, views, impressions, likes, comments, shares, saves, rated_engagement, posts)
select user_id, hour / 24, platform, sum(views), sum(impressions), sum(likes), sum(comments), sum(shares), sum(saves),
       sum(rated_engagement), sum(posts)
from metric_hourly group by user_id, hour / 24, platform;
