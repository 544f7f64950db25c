//! The durable queue and its dispatcher.
//!
//! - Claim: one statement moves due `pending` rows to `publishing` under this worker's lease
//!   (PostgreSQL adds `FOR UPDATE SKIP LOCKED`, so several processes never claim the same row;
//!   SQLite has a single writer).
//! - Send: `sending_at` is committed, compare-and-swap on the lease, right before the request
//!   leaves. From then on the post is never sent again automatically.
//! - Outcome: posted; retried with backoff and jitter only when the platform certainly did
//!   not take it (connection refused, 5xx, 429 — honouring Retry-After); a 401 refreshes the
//!   token once and sends again (a 401 means it was not accepted); unconfirmed when the
//!   answer was lost; failed otherwise, with the platform's words and what to do.
//! - Lease: a heartbeat keeps it from the claim on (also while the post waits for a
//!   platform slot); a worker that finds it lost (it was paused past it and another process
//!   took over) stops the send.
//! - Recovery: a lease that runs out (the worker died) puts unsent rows back to `pending`
//!   and turns sent ones into `unconfirmed`. On platforms with idempotency keys a sent post
//!   is asked again, but only after `send_horizon` more, when a request the old holder may
//!   still have had in flight is surely over: Mastodon does not de-duplicate two requests
//!   with the same key that run at the same time.
//! - Rate limits: a 429 holds back that account's posts (or the app's, where the platform
//!   counts per app) until the platform's reset, in every process: the claim skips posts
//!   under a cooldown stored in `rate_cooldowns`.
//! - Settling: unconfirmed posts are looked for among the account's recent posts on the
//!   platform (`reconcile.rs`).
//! - Shutdown (`stop`): no new claims; claimed posts not yet sent go back at once without
//!   counting an attempt; requests in flight finish within the grace period.
//! - Timing: the loop sleeps until the next due post (at most `poll`), and scheduling in
//!   this process wakes it at once, so posts go out within a second of their time. Behind a
//!   backlog it claims once a quarter of the slots are free, not once per finished post.
//! - Writes: the claim, `sending_at`, the attempts log and the outcome go through one write
//!   group (`writes.rs`): on SQLite, posts writing at the same moment share a transaction.

use super::lease::cooldown_scope;
use super::send::Outcome;
use super::writes::{Write, Written};
use super::{Post, PublishError, Publisher};
use crate::db::now_ms;
use crate::domain::{PlatformId, WebhookEvent};
use serde::Serialize;
use sqlx::{FromRow, Row};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify, Semaphore};

#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// How long a claim is valid without a heartbeat; a dead worker's posts come back after it.
    pub lease: Duration,
    /// Longest sleep between looks at the queue (other processes' posts, retries).
    pub poll: Duration,
    /// Attempts before a retryable failure becomes final.
    pub max_attempts: i64,
    /// First retry delay; doubles each attempt (± 20 % jitter), capped at 15 minutes.
    pub backoff_base: Duration,
    /// Posts in flight in this process, all platforms together.
    pub max_in_flight: usize,
    /// Posts in flight per platform in this process.
    pub per_platform: usize,
    /// No loop tick for this long = the dispatcher is stalled (`/health` answers 503).
    pub stall_after: Duration,
    /// How long a request to a platform may still be running after its sender's lease ran
    /// out (the platform request timeout): a sent post is not asked again before that.
    pub send_horizon: Duration,
    /// On shutdown, how long requests already sent may take to finish and be recorded.
    pub shutdown_grace: Duration,
    /// How long after a post became unconfirmed the queue looks for it among the account's
    /// recent posts (see `reconcile.rs`), so a platform's lists have caught up.
    pub reconcile_delay: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(250),
            max_attempts: 6,
            backoff_base: Duration::from_secs(10),
            max_in_flight: 64,
            per_platform: 16,
            stall_after: Duration::from_secs(10),
            send_horizon: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(20),
            reconcile_delay: Duration::from_secs(60),
        }
    }
}

/// Process-local dispatcher state.
pub(super) struct Shared {
    pub wake: Notify,
    pub(super) worker_id: String,
    pub(super) last_tick: AtomicI64,
    pub(super) in_flight: AtomicUsize,
    /// Cooldown scope → no requests before this time: what this process learnt from a 429
    /// (the claim reads every process's from the database).
    pub(super) cooldown: Mutex<HashMap<String, i64>>,
    pub(super) per_platform: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Set by `stop`: claim nothing more, send nothing not yet sent.
    pub(super) stopping: watch::Sender<bool>,
    pub(super) stopped: AtomicBool,
    /// A pass of `reconcile_unconfirmed` is running in this process.
    pub(super) reconciling: AtomicBool,
}

impl Shared {
    pub fn new() -> Self {
        Self {
            wake: Notify::new(),
            worker_id: uuid::Uuid::new_v4().to_string(),
            last_tick: AtomicI64::new(0),
            in_flight: AtomicUsize::new(0),
            cooldown: Mutex::new(HashMap::new()),
            per_platform: Mutex::new(HashMap::new()),
            stopping: watch::Sender::new(false),
            stopped: AtomicBool::new(false),
            reconciling: AtomicBool::new(false),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// UTC ms of the dispatcher's last loop; 0 = never ran in this process.
    pub last_tick: i64,
    /// Pending posts more than a few seconds past their time (any process's).
    pub overdue: i64,
    pub in_flight: usize,
    pub healthy: bool,
}

/// How many times a write after the send is tried (100 ms doubling to 5 s: about 11 s of
/// pauses in all, well inside the lease the heartbeat keeps).
const PERSIST_TRIES: u32 = 8;

/// Posts this late count as overdue in the health report.
const OVERDUE_AFTER_MS: i64 = 10_000;

impl Publisher {
    /// Claims up to `limit` due posts for this worker (with the dispatcher's other writes, so
    /// on SQLite it never waits behind them for the lock).
    pub async fn claim(&self, limit: usize) -> Result<Vec<Post>, PublishError> {
        Ok(match self.writes.run(Write::Claim { limit }).await? {
            Written::Claimed(posts) => posts,
            _ => vec![],
        })
    }

    /// Leases that ran out: never-sent posts go back to the queue, sent ones become
    /// unconfirmed. Returns (requeued, unconfirmed).
    pub async fn recover_expired(&self) -> Result<(u64, u64), PublishError> {
        let now = self.db.now().await;
        let requeued = sqlx::query(
            "update posts set status = 'pending', run_at = $1, lease_owner = null, lease_until = null, updated_at = $1
             where status = 'publishing' and lease_until < $1 and sending_at is null",
        )
        .bind(now)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        // Sent posts on a platform with idempotency keys are asked again with the same key,
        // once a request the old holder may have had in flight is surely over.
        let idempotent: Vec<String> = PlatformId::ALL
            .into_iter()
            .filter(|p| crate::platforms::publish_is_idempotent(*p))
            .map(|p| format!("'{}'", p.as_str()))
            .chain(["''".to_string()])
            .collect::<Vec<_>>();
        let idempotent = idempotent.join(", ");
        sqlx::query(&format!(
            "update posts set status = 'pending', run_at = $1, sending_at = null, lease_owner = null, lease_until = null, updated_at = $1
             where status = 'publishing' and lease_until < $2 and sending_at is not null and platform in ({idempotent})"
        ))
        .bind(now)
        .bind(now - self.cfg.send_horizon.as_millis() as i64)
        .execute(self.db.pool())
        .await?;
        // The lease owner stays set: if that worker is merely slow, it may still record the
        // real outcome (see `record`).
        let lost = sqlx::query(&format!(
            "update posts set status = 'unconfirmed', error_code = 'unknown', updated_at = $1, reconcile_after = $2,
                    error_message = 'The worker sending this post stopped before it heard back from the platform.',
                    guidance = 'It may have been published. Check the account before retrying.'
             where status = 'publishing' and lease_until < $1 and sending_at is not null and platform not in ({idempotent})
             returning *"
        ))
        .bind(now)
        .bind(now + self.cfg.reconcile_delay.as_millis() as i64)
        .fetch_all(self.db.pool())
        .await?;
        for r in &lost {
            let p = Post::from_row(r)?;
            if let Some(d) = &p.draft_id {
                self.refresh_draft_status(d).await?;
            }
            self.emit(&p.user_id, WebhookEvent::PostUnconfirmed, &p).await;
        }
        Ok((requeued, lost.len() as u64))
    }

    pub async fn health(&self) -> Result<Health, PublishError> {
        let overdue: i64 = sqlx::query("select count(*) as n from posts where status = 'pending' and run_at < $1")
            .bind(self.db.now().await - OVERDUE_AFTER_MS)
            .fetch_one(self.db.pool())
            .await?
            .get("n");
        let last_tick = self.state.last_tick.load(Ordering::Relaxed);
        // A stalled loop is unhealthy whatever the queue holds.
        let healthy = last_tick > 0 && now_ms() - last_tick < self.cfg.stall_after.as_millis() as i64;
        Ok(Health { last_tick, overdue, in_flight: self.state.in_flight.load(Ordering::Relaxed), healthy })
    }

    /// Runs the dispatcher until the process ends.
    pub fn spawn_dispatcher(&self) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move { me.run().await })
    }

    async fn run(self) {
        let slots = Arc::new(Semaphore::new(self.cfg.max_in_flight));
        let mut last_recovery = 0i64;
        let mut backlog = false;
        let mut stopping = self.state.stopping.subscribe();
        loop {
            if *stopping.borrow() {
                return;
            }
            let now = now_ms();
            self.state.last_tick.store(now, Ordering::Relaxed);
            if now - last_recovery > 2_000 {
                last_recovery = now;
                match self.recover_expired().await {
                    Ok((0, 0)) => {}
                    Ok((requeued, unconfirmed)) => tracing::warn!(requeued, unconfirmed, "recovered posts from expired leases"),
                    Err(e) => tracing::error!(error = %e, "lease recovery failed"),
                }
                self.spawn_reconcile();
            }
            let free = slots.available_permits();
            // Behind a backlog, claim when a quarter of the slots are free: one claim for many
            // posts instead of one per finished post (the claimed ones keep the rest busy).
            if backlog && free < (self.cfg.max_in_flight / 4).max(1) {
                let woke = tokio::select! {
                    r = tokio::time::timeout(self.cfg.poll, self.state.wake.notified()) => r.is_ok(),
                    _ = stopping.changed() => true,
                };
                // Nothing finished for a whole poll: claim whatever is free.
                backlog &= woke;
                continue;
            }
            let mut claimed = 0;
            if free > 0 {
                match self.claim(free).await {
                    Ok(posts) => {
                        claimed = posts.len();
                        for p in posts {
                            let Ok(permit) = slots.clone().try_acquire_owned() else { break };
                            let me = self.clone();
                            self.state.in_flight.fetch_add(1, Ordering::Relaxed);
                            tokio::spawn(async move {
                                me.process(p).await;
                                me.state.in_flight.fetch_sub(1, Ordering::Relaxed);
                                drop(permit);
                                // A slot opened: look for more work now.
                                me.state.wake.notify_one();
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "claiming due posts failed"),
                }
            }
            backlog = claimed > 0 && claimed == free;
            if backlog {
                // There may be more due right now.
                tokio::task::yield_now().await;
                continue;
            }
            let sleep = match self.next_due_in().await {
                Some(ms) => Duration::from_millis(ms.clamp(0, self.cfg.poll.as_millis() as i64) as u64),
                None => self.cfg.poll,
            };
            tokio::select! {
                _ = tokio::time::timeout(sleep, self.state.wake.notified()) => {}
                _ = stopping.changed() => {}
            }
        }
    }

    /// Looks for unconfirmed posts on their platforms, off the dispatch loop (platform calls
    /// can be slow) and one pass at a time in this process.
    fn spawn_reconcile(&self) {
        if self.state.reconciling.swap(true, Ordering::SeqCst) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            match me.reconcile_unconfirmed(20).await {
                Ok((0, 0)) => {}
                Ok((found, resent)) => tracing::info!(found, resent, "settled unconfirmed posts with the platforms"),
                Err(e) => tracing::error!(error = %e, "settling unconfirmed posts failed"),
            }
            me.state.reconciling.store(false, Ordering::SeqCst);
        });
    }

    /// Milliseconds until the earliest pending post is due.
    async fn next_due_in(&self) -> Option<i64> {
        let row = sqlx::query("select min(run_at) as t from posts where status = 'pending'").fetch_one(self.db.pool()).await.ok()?;
        let t: Option<i64> = row.try_get("t").ok().flatten();
        let now = self.db.now().await;
        t.map(|t| t - now)
    }

    fn platform_slots(&self, platform: &str) -> Arc<Semaphore> {
        let mut m = self.state.per_platform.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(platform.to_string()).or_insert_with(|| Arc::new(Semaphore::new(self.cfg.per_platform))).clone()
    }

    /// One attempt at one claimed post, start to recorded outcome.
    #[tracing::instrument(name = "publish", skip_all, fields(post = %post.id, platform = %post.platform, attempt = post.attempts))]
    pub async fn process(&self, post: Post) {
        // The lease is kept alive from the claim on, including the wait for a platform slot.
        let (lost_tx, mut lost) = watch::channel(false);
        let heartbeat = self.heartbeat(&post, lost_tx);
        let outcome = tokio::select! {
            o = self.wait_then_attempt(&post) => Some(o),
            // Another worker owns the post now: stop, even mid-request, and record nothing.
            _ = lost.wait_for(|l| *l) => None,
        };
        let stored = match outcome {
            None => {
                tracing::warn!(post = %post.id, "lost the lease on a post; stopped sending it");
                None
            }
            Some(Outcome::Released) => None,
            // The heartbeat runs on while the outcome is written: a write that has to be tried
            // again must not look like a dead worker, whose sent post would turn unconfirmed.
            Some(o) => self
                .persist("recording a publish outcome", &post, Some(&lost), || self.record(&post, &o))
                .await
                .flatten()
                .map(|row| (row, o)),
        };
        heartbeat.abort();
        if let Some((row, o)) = stored {
            self.after_outcome(&row, &o).await;
        }
    }

    /// Runs a database write again when it fails (a dropped connection, a full pool, a
    /// deadlock victim), with growing pauses, for as long as this worker holds the post's
    /// `lease` (if the write needs it): the platform's answer is known only here, so giving up
    /// on the first error would turn a posted post into an unconfirmed one. `None`: it never
    /// succeeded (the lease recovers a post left publishing).
    async fn persist<T, F: std::future::Future<Output = Result<T, PublishError>>>(
        &self,
        what: &str,
        post: &Post,
        lease: Option<&watch::Receiver<bool>>,
        write: impl Fn() -> F,
    ) -> Option<T> {
        for attempt in 1..=PERSIST_TRIES {
            match write().await {
                Ok(v) => return Some(v),
                Err(e) if attempt < PERSIST_TRIES && !lease.is_some_and(|lost| *lost.borrow()) => {
                    tracing::warn!(post = %post.id, error = %e, attempt, "{what} failed; trying again");
                    let pause = crate::jobs::backoff(Duration::from_millis(100), attempt, Duration::from_secs(5), crate::jobs::jitter());
                    tokio::time::sleep(pause).await;
                }
                Err(e) => {
                    tracing::error!(post = %post.id, error = %e, "{what} failed; giving up (the lease recovers a post left publishing)");
                    return None;
                }
            }
        }
        None
    }

    /// Waits for a slot on the post's platform, then sends, unless the process is stopping
    /// or the account is cooling down after a 429 (then the post goes back untouched).
    async fn wait_then_attempt(&self, post: &Post) -> Outcome {
        let slots = self.platform_slots(&post.platform);
        let mut stopping = self.state.stopping.subscribe();
        let permit = tokio::select! {
            p = slots.acquire_owned() => p.ok(),
            _ = stopping.wait_for(|s| *s) => None,
        };
        let cool_until = self.state.cooldown.lock().unwrap_or_else(|e| e.into_inner()).get(&cooldown_scope(post)).copied().unwrap_or(0);
        let now = self.db.now().await;
        if permit.is_none() || self.state.stopped.load(Ordering::SeqCst) || cool_until > now {
            return self.put_back(post, cool_until.max(now)).await;
        }
        self.attempt(post).await
    }

    /// The point of no return, compare-and-swap on our lease: false = another worker owns
    /// the post now (our lease ran out), so we must not send.
    pub(super) async fn mark_sending(&self, post: &Post) -> Result<bool, PublishError> {
        Ok(matches!(self.writes.run(Write::Sending { post_id: post.id.clone() }).await?, Written::Sending(true)))
    }

    /// Stores the outcome if this worker still holds the post; returns the stored row.
    async fn record(&self, post: &Post, outcome: &Outcome) -> Result<Option<Post>, PublishError> {
        if let Outcome::Failed { message, reconnect: true, .. } = outcome {
            if let Some(c) = &post.connection_id {
                let _ = self.connections.mark_reconnect_needed(c, message).await;
            }
        }
        let write = Write::Outcome { post: Box::new(post.clone()), outcome: Box::new(outcome.clone()) };
        Ok(match self.writes.run(write).await? {
            Written::Stored(row) => row.map(|r| *r),
            _ => None,
        })
    }

    /// What follows a stored outcome: the draft's status, and the webhook of a final state
    /// (with the row as stored: it has the outcome).
    async fn after_outcome(&self, stored: &Post, outcome: &Outcome) {
        if let Some(d) = &stored.draft_id {
            // No lease is needed for this one: the post is settled.
            self.persist("updating the draft's status", stored, None, || self.refresh_draft_status(d)).await;
        }
        if !matches!(outcome, Outcome::Retry { .. }) {
            if let Some(event) = stored.status.event() {
                self.emit(&stored.user_id, event, stored).await;
            }
        }
    }
}
