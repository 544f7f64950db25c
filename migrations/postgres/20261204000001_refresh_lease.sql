-- Token refresh (issue 12): when each connection's tokens are due for renewal (a fraction of
-- their real lifetime, so never more than once per lifetime), and a lease so only one process
-- at a time refreshes a connection (rotating refresh tokens are single-use: a second
-- concurrent refresh would be refused and read as a disconnection).
alter table social_accounts add column token_refresh_at bigint;
alter table social_accounts add column refresh_lease_until bigint;
alter table social_accounts add column refresh_lease_owner text;
-- Existing connections keep the old rule: two hours before expiry.
update social_accounts set token_refresh_at = token_expires_at - 7200000 where token_expires_at is not null;
