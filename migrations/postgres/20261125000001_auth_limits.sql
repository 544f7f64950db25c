-- Every rate limit (sign-in failures per IP, sign-ups, reset requests, webhook tests): one
-- fixed-window counter per "<rule>:<key>" bucket, shared by every server replica. Replaces
-- login_throttle (src/auth/limits.rs).
create table rate_limits (
    bucket text primary key,
    window_start bigint not null,
    hits bigint not null
);
drop table login_throttle;

-- Consecutive failed password sign-ins per e-mail address as typed (normalised), whether or
-- not an account has it, so a lockout tells nothing about which addresses exist. Replaces
-- users.failed_logins / users.locked_until, which are no longer read.
create table login_attempts (
    email text primary key,
    failures bigint not null,
    locked_until bigint,
    updated_at bigint not null
);
