-- The attempts log (issue 12): one row per request sent for a post (and a marker when the
-- person retries it), so the end state and its message say what happened on every attempt,
-- and an uncertain attempt (no answer) is never turned into "failed" later.
create table publish_attempts (
    post_id text not null,
    seq bigint not null,
    attempt bigint not null,
    at bigint not null,
    outcome text not null,
    message text not null,
    http_status bigint,
    primary key (post_id, seq)
);
