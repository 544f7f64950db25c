-- Rate-limit cooldowns (issue 12): a 429 holds back one account's posts (or, where the
-- platform counts per app, every post to that platform) until the platform's reset time, in
-- every process, because the dispatcher's claim reads this table. `scope` is a connection id
-- or `app:<platform>`; `until_ms` is by the database's clock.
create table rate_cooldowns (
    scope text primary key,
    until_ms bigint not null
);
