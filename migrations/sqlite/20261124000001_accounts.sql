-- Accounts and sessions. Times are UTC unix milliseconds; flags are 0/1 integers so the same
-- statements run on SQLite and PostgreSQL (see src/db.rs).
create table users (
    id text primary key,
    -- null for an OAuth account whose provider gave no e-mail
    email text,
    email_verified integer not null default 0,
    -- null for accounts that only sign in with a provider
    password_hash text,
    name text not null,
    timezone text not null default 'UTC',
    avatar_url text,
    -- consecutive failed password sign-ins; drives the lockout backoff
    failed_logins integer not null default 0,
    locked_until integer,
    created_at integer not null,
    updated_at integer not null,
    constraint users_email_key unique (email)
);

-- A provider identity (Google `sub`, GitHub id, ...) linked to a user.
create table identities (
    provider text not null,
    subject text not null,
    user_id text not null references users (id) on delete cascade,
    email text,
    created_at integer not null,
    constraint identities_pkey primary key (provider, subject)
);
create index identities_user on identities (user_id);

-- A session is one signed-in device: the family of its rotating refresh tokens.
create table sessions (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    user_agent text,
    ip text,
    created_at integer not null,
    last_seen_at integer not null,
    expires_at integer not null,
    revoked_at integer,
    -- why it ended: logout, logout_all, reuse_detected, password_reset
    revoked_reason text
);
create index sessions_user on sessions (user_id);

create table refresh_tokens (
    token_hash text primary key,
    session_id text not null references sessions (id) on delete cascade,
    created_at integer not null,
    used_at integer
);
create index refresh_tokens_session on refresh_tokens (session_id);

create table password_resets (
    token_hash text primary key,
    user_id text not null references users (id) on delete cascade,
    created_at integer not null,
    expires_at integer not null,
    used_at integer
);

-- Failed sign-ins per client IP in a sliding window, shared by every server replica.
create table login_throttle (
    ip text primary key,
    window_start integer not null,
    failures integer not null
);

-- Dev e-mail outbox used when no SMTP server is configured (`covalynce outbox`).
create table outbox (
    id text primary key,
    recipient text not null,
    subject text not null,
    body text not null,
    created_at integer not null
);
create index outbox_recipient on outbox (recipient, created_at);
