-- One store of rate-limit holds for every background queue (src/jobs/cooldowns.rs): the
-- analytics pulls' holds move into rate_cooldowns under the scope `analytics:<platform>`.
-- Holds last seconds to minutes, so the old rows are not copied.
drop table analytics_cooldowns;
