//! Rate-limit holds shared by every process through the database. A platform's "wait N
//! seconds" (a 429 with Retry-After) holds back a scope until then: one account's posts, an
//! app's (where the platform counts per app), or a platform's analytics pulls. Times are by
//! the database's clock, so a replica whose clock is off neither waits too little nor too long.

use crate::db::Db;
use sqlx::Row;
use std::collections::HashMap;

/// The scope of a platform's analytics pulls.
pub fn analytics_scope(platform: &str) -> String {
    format!("analytics:{platform}")
}

#[derive(Clone)]
pub struct Cooldowns {
    db: Db,
}

impl Cooldowns {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Holds `scope` back for `wait_ms` from now and returns until when; a longer hold that is
    /// already there wins.
    pub async fn hold(&self, scope: &str, wait_ms: i64) -> Result<i64, sqlx::Error> {
        let until = self.db.now().await + wait_ms;
        sqlx::query(
            "insert into rate_cooldowns (scope, until_ms) values ($1, $2)
             on conflict (scope) do update set until_ms = case when excluded.until_ms > rate_cooldowns.until_ms
                                                              then excluded.until_ms else rate_cooldowns.until_ms end",
        )
        .bind(scope)
        .bind(until)
        .execute(self.db.pool())
        .await?;
        Ok(until)
    }

    /// The holds in force now among the scopes that start with `prefix` → until when.
    pub async fn active(&self, prefix: &str) -> Result<HashMap<String, i64>, sqlx::Error> {
        let rows = sqlx::query("select scope, until_ms from rate_cooldowns where until_ms > $1 and substr(scope, 1, $2) = $3")
            .bind(self.db.now().await)
            .bind(prefix.len() as i32)
            .bind(prefix)
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows.iter().map(|r| (r.get("scope"), r.get("until_ms"))).collect())
    }

    /// Forgets holds that have ended.
    pub async fn prune(&self) -> Result<u64, sqlx::Error> {
        let r = sqlx::query("delete from rate_cooldowns where until_ms < $1").bind(self.db.now().await).execute(self.db.pool()).await?;
        Ok(r.rows_affected())
    }
}
