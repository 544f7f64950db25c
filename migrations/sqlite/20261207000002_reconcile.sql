-- Settling unconfirmed posts (issue 12): when the queue next looks for an unconfirmed post
-- in the account's recent posts on the platform (null = nothing to look for).
alter table posts add column reconcile_after bigint;
create index posts_reconcile on posts (reconcile_after) where reconcile_after is not null;
