//! The life of a claim around the send: the heartbeat that keeps (and checks) the lease,
//! putting an unsent post back, 429 cooldowns shared through the database, and the graceful
//! stop. The dispatcher itself is `queue.rs`.

use super::send::Outcome;
use super::{Post, PublishError, Publisher};
use crate::domain::PlatformId;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::watch;

impl Publisher {
    /// Graceful shutdown: the dispatcher claims nothing more, claimed posts not yet sent go
    /// back to the queue at once (without counting an attempt), and requests already sent
    /// get up to `shutdown_grace` to finish and be recorded. Returns how many were still
    /// running when the grace period ended (their leases recover them).
    pub async fn stop(&self) -> usize {
        let grace = self.cfg.shutdown_grace;
        self.state.stopped.store(true, Ordering::SeqCst);
        self.state.stopping.send_replace(true);
        let end = tokio::time::Instant::now() + grace;
        loop {
            let n = self.state.in_flight.load(Ordering::SeqCst);
            if n == 0 || tokio::time::Instant::now() >= end {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Keeps the lease alive from the claim until the outcome is recorded. Finding it gone
    /// (this process was paused past it and recovery handed the post on) sets `lost`. A post
    /// recovery only marked unconfirmed stays ours: its real answer may still be recorded.
    pub(super) fn heartbeat(&self, post: &Post, lost: watch::Sender<bool>) -> tokio::task::JoinHandle<()> {
        let (db, id, owner, lease) = (self.db.clone(), post.id.clone(), self.state.worker_id.clone(), self.cfg.lease);
        tokio::spawn(async move {
            let mut t = tokio::time::interval(lease / 3);
            t.tick().await;
            loop {
                t.tick().await;
                let r = sqlx::query(
                    "update posts set lease_until = $1 where id = $2 and lease_owner = $3 and status in ('publishing', 'unconfirmed')",
                )
                .bind(db.now().await + lease.as_millis() as i64)
                .bind(&id)
                .bind(&owner)
                .execute(db.pool())
                .await;
                // A database error says nothing about the lease; only "no such row of ours" does.
                if r.is_ok_and(|r| r.rows_affected() == 0) {
                    lost.send_replace(true);
                    return;
                }
            }
        })
    }

    /// `release`, for a send that did not start: if even that fails, the lease running out
    /// puts the post back.
    pub(super) async fn put_back(&self, post: &Post, run_at: i64) -> Outcome {
        if let Err(e) = self.release(post, run_at).await {
            tracing::error!(post = %post.id, error = %e, "putting an unsent post back failed; its lease will");
        }
        Outcome::Released
    }

    /// Back to pending without counting an attempt (a cooldown, not a failure).
    pub(super) async fn release(&self, post: &Post, run_at: i64) -> Result<(), PublishError> {
        sqlx::query(
            "update posts set status = 'pending', run_at = $1, attempts = attempts - 1, lease_owner = null, lease_until = null, updated_at = $2
             where id = $3 and lease_owner = $4 and status = 'publishing' and sending_at is null",
        )
        .bind(run_at)
        .bind(self.db.now().await)
        .bind(&post.id)
        .bind(&self.state.worker_id)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Holds back the post's scope for `wait_ms`, here and (through the claim) everywhere.
    pub(super) async fn cool_down(&self, post: &Post, wait_ms: i64) {
        let scope = cooldown_scope(post);
        let until = match crate::jobs::Cooldowns::new(self.db.clone()).hold(&scope, wait_ms).await {
            Ok(until) => until,
            Err(e) => {
                tracing::error!(error = %e, "storing a rate-limit cooldown failed; only this process honours it");
                self.db.now().await + wait_ms
            }
        };
        self.state.cooldown.lock().unwrap_or_else(|e| e.into_inner()).insert(scope, until);
    }
}

/// What a 429 on this post holds back: its account, or the whole app on platforms that
/// count per app (see `platforms::rate_limit_scope`).
pub(super) fn cooldown_scope(post: &Post) -> String {
    match PlatformId::parse(&post.platform).map(crate::platforms::rate_limit_scope) {
        Ok(crate::platforms::RateScope::App) => format!("app:{}", post.platform),
        _ => post.connection_id.clone().unwrap_or_else(|| format!("app:{}", post.platform)),
    }
}
