-- A posted post starts being measured in Rust, in the transaction that marks it posted
-- (`analytics::track_posted`); the triggers that did it are gone.
drop trigger if exists posts_track_metrics_on_update;
drop trigger if exists posts_track_metrics_on_insert;
