//! Every rate limit in one place: fixed-window counters in the `rate_limits` table (so all
//! replicas share them), Argon2 concurrency, and the per-address sign-in lockout.
//!
//! A counter is incremented *before* the work it guards and the new count is read back in the
//! same statement, so parallel requests cannot all pass a check that none has recorded yet.

use super::{Auth, AuthError, Limited};
use crate::db::now_ms;
use sqlx::Row;
use std::time::Duration;

/// At most `max` hits per `window` for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window: Duration,
}

impl Limit {
    pub const fn per_hour(max: i64) -> Self {
        Self { max, window: Duration::from_secs(3600) }
    }

    pub const fn per_minute(max: i64) -> Self {
        Self { max, window: Duration::from_secs(60) }
    }
}

/// The limits on actions that cost us work or send something to a third party.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Accounts created from one IP / for one e-mail address (every valid attempt counts).
    pub signup_per_ip: Limit,
    pub signup_per_email: Limit,
    /// Reset-link requests for one address (whether or not it has an account) / from one IP.
    pub forgot_per_email: Limit,
    pub forgot_per_ip: Limit,
    /// Webhook "send test" pings by one user / to one target URL (across users).
    pub webhook_test_per_user: Limit,
    pub webhook_test_per_target: Limit,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            signup_per_ip: Limit::per_hour(5),
            signup_per_email: Limit::per_hour(5),
            forgot_per_email: Limit::per_hour(5),
            forgot_per_ip: Limit::per_hour(20),
            webhook_test_per_user: Limit::per_minute(10),
            webhook_test_per_target: Limit::per_minute(20),
        }
    }
}

/// The lockout length after `failures` consecutive failures, in SQL (so claiming an attempt
/// and locking are one statement): `min(base << min(failures - threshold, 16), max)`.
/// `$2` threshold, `$4` base ms, `$5` max ms.
fn lock_wait_sql(failures: &str) -> String {
    let exp = format!("cast(case when {failures} - $2 > 16 then 16 else {failures} - $2 end as integer)");
    format!("case when ($4 << {exp}) > $5 then $5 else ($4 << {exp}) end")
}

/// One claimed sign-in attempt on an address.
pub(super) struct Attempt {
    /// Set when this attempt reached the threshold: the address is already locked until then.
    locked_until: Option<i64>,
}

impl Attempt {
    /// The answer when the password turns out wrong.
    pub(super) fn failed(&self) -> AuthError {
        match self.locked_until {
            Some(until) => AuthError::Locked { retry_after_secs: secs_until(until) },
            None => AuthError::InvalidCredentials,
        }
    }
}

fn secs_until(t: i64) -> u64 {
    ((t - now_ms()).max(1) as u64).div_ceil(1000)
}

fn bucket(rule: &str, key: &str) -> String {
    // Keys come from clients (addresses, IPs): bound what they can store.
    format!("{rule}:{}", key.chars().take(320).collect::<String>())
}

impl Auth {
    /// Counts one hit for `rule:key`; `Some(seconds)` when that was over the limit (the
    /// seconds until the window ends).
    pub(super) async fn hit(&self, rule: &str, key: &str, limit: Limit) -> Result<Option<u64>, AuthError> {
        let now = now_ms();
        let window = limit.window.as_millis() as i64;
        let row = sqlx::query(
            "insert into rate_limits (bucket, window_start, hits) values ($1, $2, 1)
             on conflict (bucket) do update set
               hits = case when rate_limits.window_start <= $3 then 1 else rate_limits.hits + 1 end,
               window_start = case when rate_limits.window_start <= $3 then $2 else rate_limits.window_start end
             returning window_start, hits",
        )
        .bind(bucket(rule, key))
        .bind(now)
        .bind(now - window)
        .fetch_one(self.db.pool())
        .await?;
        let (start, hits): (i64, i64) = (row.get("window_start"), row.get("hits"));
        Ok((hits > limit.max).then(|| secs_until(start + window)))
    }

    /// Takes back one hit (the guarded action turned out fine, e.g. a correct sign-in).
    pub(super) async fn unhit(&self, rule: &str, key: &str) -> Result<(), AuthError> {
        sqlx::query("update rate_limits set hits = hits - 1 where bucket = $1 and hits > 0")
            .bind(bucket(rule, key))
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Applies several limits to one action; the first one over wins.
    pub(super) async fn limit_all(&self, what: Limited, checks: &[(&str, &str, Limit)]) -> Result<(), AuthError> {
        for (rule, key, limit) in checks {
            if let Some(retry_after_secs) = self.hit(rule, key, *limit).await? {
                return Err(AuthError::RateLimited { what, retry_after_secs });
            }
        }
        Ok(())
    }

    /// Webhook "send test": per user and per target URL, so neither one account nor many
    /// accounts together can aim a stream of pings at one receiver.
    pub async fn limit_webhook_test(&self, user_id: &str, target_url: &str) -> Result<(), AuthError> {
        let l = &self.policy.limits;
        let target = url::Url::parse(target_url).map(|u| u.to_string()).unwrap_or_else(|_| target_url.to_string());
        self.limit_all(
            Limited::WebhookTest,
            &[("webhook_test_user", user_id, l.webhook_test_per_user), ("webhook_test_target", &target, l.webhook_test_per_target)],
        )
        .await
    }

    /// Claims one sign-in attempt on `email` (as typed, normalised; the account need not
    /// exist, so a lockout tells nothing about which addresses have accounts). The count goes
    /// up and, at the threshold, the lock is set in the same statement, so of any number of
    /// parallel guesses only `lockout_threshold` are ever checked. A locked address is refused
    /// without counting.
    pub(super) async fn claim_attempt(&self, email: &str) -> Result<Attempt, AuthError> {
        let p = &self.policy;
        let now = now_ms();
        let sql = format!(
            "insert into login_attempts (email, failures, locked_until, updated_at)
             values ($1, 1, case when 1 >= $2 then $3 + {first} else null end, $3)
             on conflict (email) do update set
               failures = login_attempts.failures + 1,
               locked_until = case when login_attempts.failures + 1 >= $2 then $3 + {next} else null end,
               updated_at = $3
             where login_attempts.locked_until is null or login_attempts.locked_until <= $3
             returning locked_until",
            first = lock_wait_sql("1"),
            next = lock_wait_sql("login_attempts.failures + 1"),
        );
        let row = sqlx::query(&sql)
            .bind(email)
            .bind(p.lockout_threshold)
            .bind(now)
            .bind(p.lockout_base.as_millis() as i64)
            .bind(p.lockout_max.as_millis() as i64)
            .fetch_optional(self.db.pool())
            .await?;
        match row {
            Some(r) => Ok(Attempt { locked_until: crate::db::opt(&r, "locked_until") }),
            None => {
                let until: Option<i64> = sqlx::query("select locked_until from login_attempts where email = $1")
                    .bind(email)
                    .fetch_optional(self.db.pool())
                    .await?
                    .and_then(|r| crate::db::opt(&r, "locked_until"));
                Err(AuthError::Locked { retry_after_secs: secs_until(until.unwrap_or(now)) })
            }
        }
    }

    /// A correct password ends the run of failures (and any lock it just set).
    pub(super) async fn clear_attempts(&self, email: &str) -> Result<(), AuthError> {
        sqlx::query("delete from login_attempts where email = $1").bind(email).execute(self.db.pool()).await?;
        Ok(())
    }

    /// Runs Argon2 (`work`) on a blocking thread once one of the process's permits is free.
    /// The permit moves into the thread, so a cancelled request still frees it only when the
    /// hash is done: memory stays bounded by `hash_concurrency` × Argon2's 19 MiB.
    pub(super) async fn argon2<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AuthError> {
        let permit = tokio::time::timeout(self.policy.hash_queue_wait, self.hashers.clone().acquire_owned())
            .await
            .map_err(|_| AuthError::Busy { retry_after_secs: 2 })?
            .map_err(|e| AuthError::Internal(e.into()))?;
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|e| AuthError::Internal(e.into()))
    }

    /// Drops counters whose windows ended long ago and old unlocked attempt runs.
    pub async fn prune_limits(&self) -> Result<(), AuthError> {
        let day_ago = now_ms() - 86_400_000;
        sqlx::query("delete from rate_limits where window_start < $1").bind(day_ago).execute(self.db.pool()).await?;
        sqlx::query("delete from login_attempts where updated_at < $1 and (locked_until is null or locked_until < $2)")
            .bind(day_ago)
            .bind(now_ms())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }
}
