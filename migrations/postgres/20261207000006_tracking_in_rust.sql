-- A posted post starts being measured in Rust, in the transaction that marks it posted
-- (`analytics::track_posted`); the trigger that did it is gone.
drop trigger if exists posts_track_metrics on posts;
drop function if exists posts_track_metrics();
