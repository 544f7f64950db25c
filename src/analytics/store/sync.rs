//! The sync job: claim due posts with a lease, pull their numbers, store the snapshot and
//! the hourly gains, and schedule the next pull with backoff.

use super::rollup::{add_gains, Key};
use super::*;
use crate::jobs::{analytics_scope, Cooldowns};

/// How long a metric the platform does not share with us waits before we ask again.
const UNAVAILABLE_RECHECK_MS: i64 = 7 * 24 * 3_600_000;

impl Analytics {
    /// Runs the sync worker until the process ends.
    pub fn spawn_worker(&self) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut housekeeping_at = 0i64;
            loop {
                let now = now_ms();
                me.state.last_tick.store(now, Ordering::Relaxed);
                if now - housekeeping_at > HOUR_MS {
                    housekeeping_at = now;
                    if let Err(e) = me.housekeeping().await {
                        tracing::error!(error = %e, "analytics housekeeping failed");
                    }
                }
                let more = match me.sync_due().await {
                    Ok(r) => {
                        if r.pulled + r.followers > 0 {
                            tracing::debug!(?r, "analytics sync round");
                        }
                        r.more
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "analytics sync round failed");
                        false
                    }
                };
                if !more {
                    let _ = tokio::time::timeout(me.cfg.poll, me.state.wake.notified()).await;
                }
            }
        })
    }

    /// One round: every configured platform not cooling down pulls its due posts (platforms
    /// side by side, each platform's posts one after another), then follower counts.
    pub async fn sync_due(&self) -> Result<SyncReport, AnalyticsError> {
        let cooling = self.cooldowns().await?;
        let mut set = tokio::task::JoinSet::new();
        for p in self.connections.platforms().configured() {
            if cooling.contains_key(p.as_str()) {
                continue;
            }
            let me = self.clone();
            set.spawn(async move { me.sync_platform(p.as_str()).await });
        }
        let mut report = SyncReport::default();
        while let Some(r) = set.join_next().await {
            match r {
                Ok(Ok(r)) => report.merge(r),
                Ok(Err(e)) => tracing::error!(error = %e, "analytics sync failed for a platform"),
                Err(e) => tracing::error!(error = %e, "analytics sync task panicked"),
            }
        }
        report.followers = self.sync_followers().await?;
        Ok(report)
    }

    pub(super) async fn sync_platform(&self, platform: &str) -> Result<SyncReport, AnalyticsError> {
        let batch = self.cfg.batch_per_platform.max(1);
        let jobs = self.claim(platform, batch).await?;
        let mut report = SyncReport { more: jobs.len() == batch, ..Default::default() };
        let mut jobs = jobs.into_iter();
        while let Some(job) = jobs.next() {
            let pull = self.pull(&job).await;
            self.finish(&job, &pull).await?;
            report.pulled += 1;
            match pull {
                Pull::Stored => report.stored += 1,
                Pull::Empty | Pull::Unavailable(_) => {}
                Pull::Cooldown { .. } => {
                    report.failed += 1;
                    // The rest of this batch waits with the platform (cooldown() already moved
                    // their next pull): hand the claims back untouched.
                    for j in jobs.by_ref() {
                        self.release(&j).await?;
                        report.deferred += 1;
                    }
                    report.more = false;
                }
                _ => report.failed += 1,
            }
        }
        Ok(report)
    }

    /// Claims up to `limit` due posts of `platform` whose account is healthy. PostgreSQL
    /// skips rows another process is claiming at the same moment; SQLite has one writer.
    pub(super) async fn claim(&self, platform: &str, limit: usize) -> Result<Vec<Job>, sqlx::Error> {
        let now = now_ms();
        let lock = self.db.skip_locked();
        let sql = format!(
            "update post_metrics set lease_owner = $1, lease_until = $2
             where post_id in (
                select m.post_id from post_metrics m
                where m.platform = $3 and m.next_sync_at <= $4 and (m.lease_until is null or m.lease_until < $4)
                  and exists (select 1 from social_accounts a where a.id = m.connection_id and a.status = 'healthy')
                order by m.next_sync_at limit $5 {lock})
             returning {JOB_COLS}"
        );
        let rows = sqlx::query(&sql)
            .bind(&self.state.worker_id)
            .bind(now + self.cfg.lease.as_millis() as i64)
            .bind(platform)
            .bind(now)
            .bind(limit as i64)
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows.iter().map(Job::from_row).collect())
    }

    /// Gives a claim back without pulling.
    pub(super) async fn release(&self, job: &Job) -> Result<(), sqlx::Error> {
        sqlx::query("update post_metrics set lease_owner = null, lease_until = null where post_id = $1 and lease_owner = $2")
            .bind(&job.post_id)
            .bind(&self.state.worker_id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Platforms cooling down after a 429 → until when.
    pub(super) async fn cooldowns(&self) -> Result<HashMap<String, i64>, sqlx::Error> {
        let prefix = analytics_scope("");
        let held = Cooldowns::new(self.db.clone()).active(&prefix).await?;
        Ok(held.into_iter().map(|(scope, until)| (scope[prefix.len()..].to_string(), until)).collect())
    }

    /// A 429: no pulls to `platform` for `wait_secs`, from any process; returns until when.
    /// Due posts move to then so nobody claims them just to hand them back.
    pub(super) async fn cool_down(&self, platform: &str, wait_secs: u64) -> Result<i64, sqlx::Error> {
        let until = Cooldowns::new(self.db.clone()).hold(&analytics_scope(platform), (wait_secs.max(1) as i64) * 1000).await?;
        sqlx::query("update post_metrics set next_sync_at = $1 where platform = $2 and next_sync_at < $1")
            .bind(until)
            .bind(platform)
            .execute(self.db.pool())
            .await?;
        Ok(until)
    }

    /// Asks the platform for one post's numbers and stores them.
    #[tracing::instrument(name = "metrics_pull", skip_all, fields(post = %job.post_id, platform = %job.platform))]
    pub(super) async fn pull(&self, job: &Job) -> Pull {
        let name = name_of(&job.platform);
        let Some(conn_id) = job.connection_id.clone() else {
            return Pull::Gone(format!("The {name} account of this post was disconnected."));
        };
        let (conn, grant) = match self.connections.grant(&job.user_id, &conn_id).await {
            Ok((c, g, _)) => (c, g),
            Err(ConnectError::NotFound) => return Pull::Gone(format!("The {name} account of this post was disconnected.")),
            Err(e) => return Pull::Retry { class: "unknown", message: e.to_string() },
        };
        if conn.needs_reconnect() {
            return Pull::Reconnect(format!("Reconnect your {name} account in Sources to get this post's numbers again."));
        }
        let Some(adapter) = self.connections.platforms().get(conn.platform) else {
            return Pull::Refused(format!("{name} is not set up on this server."));
        };
        let account = conn.profile();
        let mut result = adapter.metrics(&grant, &account, &job.external_id).await;
        if matches!(&result, Err(e) if e.class == ErrorClass::RefreshNeeded) {
            // Expired token: refresh once (a refused refresh marks the account), then ask again.
            match self.connections.refresh(&job.user_id, &conn_id).await {
                Ok(_) => match self.connections.grant(&job.user_id, &conn_id).await {
                    Ok((_, g, _)) => result = adapter.metrics(&g, &account, &job.external_id).await,
                    Err(_) => return Pull::Gone(format!("The {name} account of this post was disconnected.")),
                },
                Err(ConnectError::Platform(p)) if matches!(p.class, ErrorClass::RetryLater { .. } | ErrorClass::Unknown) => {
                    return self.classify(job, &conn_id, p).await
                }
                Err(e) => return Pull::Reconnect(format!("{name} refused to renew access ({e}). Reconnect the account in Sources.")),
            }
        }
        match result {
            Ok(m) => {
                let t = totals_of(&m);
                if t.is_empty() {
                    return Pull::Empty;
                }
                match self.record(&job.post_id, now_ms(), &t).await {
                    Ok(()) => Pull::Stored,
                    Err(e) => {
                        tracing::error!(post = %job.post_id, error = %e, "storing a metrics snapshot failed");
                        Pull::Retry { class: "unknown", message: "The numbers could not be stored; trying again soon.".into() }
                    }
                }
            }
            Err(e) => self.classify(job, &conn_id, e).await,
        }
    }

    pub(super) async fn classify(&self, job: &Job, conn_id: &str, e: PlatformError) -> Pull {
        let name = name_of(&job.platform);
        match e.class {
            ErrorClass::RetryLater { retry_after_secs: Some(s) } => {
                let until = match self.cool_down(&job.platform, s).await {
                    Ok(until) => until,
                    Err(err) => {
                        tracing::error!(error = %err, "recording a platform cooldown failed");
                        now_ms() + (s.max(1) as i64) * 1000
                    }
                };
                Pull::Cooldown { until, message: format!("{name} asked us to wait {s} s before asking again ({}).", e.message) }
            }
            ErrorClass::RetryLater { retry_after_secs: None } => Pull::Retry { class: "retry_later", message: e.message },
            ErrorClass::Unknown => Pull::Retry { class: "unknown", message: e.message },
            ErrorClass::RefreshNeeded | ErrorClass::Disconnected => {
                if let Err(err) = self.connections.mark_reconnect_needed(conn_id, &e.message).await {
                    tracing::error!(error = %err, "marking an account reconnect-needed failed");
                }
                Pull::Reconnect(format!("{name} no longer lets us read this account ({}). Reconnect it in Sources.", e.message))
            }
            ErrorClass::Rejected => Pull::Refused(e.message),
            ErrorClass::MissingPermission => Pull::Unavailable(e.message),
        }
    }

    /// Records how a pull went and when the next one is due; only while this worker still
    /// holds the claim.
    pub(super) async fn finish(&self, job: &Job, pull: &Pull) -> Result<(), sqlx::Error> {
        let now = now_ms();
        let age = now - job.published_at;
        let normal = self.cfg.interval_ms(age).map(|i| now + i);
        let (next, attempts, error, class, synced): (Option<i64>, i64, Option<&str>, Option<&str>, Option<i64>) = match pull {
            Pull::Stored | Pull::Empty => (normal, 0, None, None, Some(now)),
            Pull::Cooldown { until, message } => (Some(*until), job.attempts, Some(message), Some("retry_later"), None),
            Pull::Retry { class, message } => {
                let n = job.attempts + 1;
                (normal.map(|_| now + self.cfg.retry_ms(n, age)), n, Some(message), Some(class), None)
            }
            // Stays due: the claim skips accounts that need reconnecting, so it resumes the
            // moment the account is healthy again.
            Pull::Reconnect(message) => (Some(now), job.attempts + 1, Some(message), Some("disconnected"), None),
            Pull::Refused(message) => {
                let n = job.attempts + 1;
                (if n >= self.cfg.max_failures { None } else { normal }, n, Some(message), Some("rejected"), None)
            }
            Pull::Gone(message) => (None, job.attempts, Some(message), Some("disconnected"), None),
            // Asked again weekly: the admin may enable the permission, the person reconnect.
            Pull::Unavailable(message) => {
                (normal.map(|n| n.max(now + UNAVAILABLE_RECHECK_MS)), job.attempts, Some(message), Some("missing_permission"), None)
            }
        };
        sqlx::query(
            "update post_metrics set next_sync_at = $1, attempts = $2, last_error = $3, error_class = $4,
                    last_synced_at = coalesce($5, last_synced_at), lease_owner = null, lease_until = null
             where post_id = $6 and lease_owner = $7",
        )
        .bind(next)
        .bind(attempts)
        .bind(error)
        .bind(class)
        .bind(synced)
        .bind(&job.post_id)
        .bind(&self.state.worker_id)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Stores one pull of one post taken at `taken_at` (UTC ms, not before its previous
    /// pull): the snapshot, the post's latest numbers, and its gains in that hour.
    pub async fn record(&self, post_id: &str, taken_at: i64, now: &Totals) -> Result<(), AnalyticsError> {
        let mut tx = self.db.pool().begin().await?;
        // Writing first serialises pulls of the same post (PostgreSQL locks the row, SQLite
        // takes its one write lock), so two pulls cannot both count the same gain. The
        // metric columns are untouched here, so RETURNING gives them as they were.
        let row = sqlx::query(
            "update post_metrics set snapshots = snapshots + 1 where post_id = $1
             returning user_id, platform, last_synced_at, views, impressions, likes, comments, shares, saves",
        )
        .bind(post_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AnalyticsError::NotFound("That post is not published, so it has no numbers yet.".into()))?;
        if opt::<i64>(&row, "last_synced_at").is_some_and(|last| taken_at < last) {
            return Err(AnalyticsError::Conflict {
                code: "out_of_order",
                message: "A snapshot must not be older than the post's last pull.".into(),
            });
        }
        let (user_id, platform): (String, String) = (row.get("user_id"), row.get("platform"));
        let last = row_totals(&row);
        let gains = last.gains_to(now);
        let latest = last.updated_by(now);
        let inserted = sqlx::query(
            "insert into metric_snapshots (post_id, taken_at, user_id, platform, views, impressions, likes, comments, shares, saves)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (post_id, taken_at) do nothing",
        )
        .bind(post_id)
        .bind(taken_at)
        .bind(&user_id)
        .bind(&platform)
        .bind(now.views)
        .bind(now.impressions)
        .bind(now.likes)
        .bind(now.comments)
        .bind(now.shares)
        .bind(now.saves)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // The same millisecond again: already counted.
            tx.rollback().await?;
            return Ok(());
        }
        sqlx::query(
            "update post_metrics set views = $1, impressions = $2, likes = $3, comments = $4, shares = $5, saves = $6,
                    engagement = $7, last_synced_at = $8 where post_id = $9",
        )
        .bind(latest.views)
        .bind(latest.impressions)
        .bind(latest.likes)
        .bind(latest.comments)
        .bind(latest.shares)
        .bind(latest.saves)
        .bind(latest.engagement())
        .bind(taken_at)
        .bind(post_id)
        .execute(&mut *tx)
        .await?;
        let (hour, rated) = (hour_of(taken_at), gains.rated_engagement());
        add_gains(&mut tx, "metric_hourly", &[Key::Text(&user_id), Key::Int(hour), Key::Text(&platform)], &gains, rated).await?;
        add_gains(&mut tx, "metric_hourly_all", &[Key::Text(&user_id), Key::Int(hour)], &gains, rated).await?;
        add_gains(&mut tx, "metric_daily", &[Key::Text(&user_id), Key::Int(hour.div_euclid(24)), Key::Text(&platform)], &gains, rated)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Follower counts of healthy accounts not asked within `followers_every`.
    pub(super) async fn sync_followers(&self) -> Result<usize, AnalyticsError> {
        let now = now_ms();
        let every = self.cfg.followers_every.as_millis() as i64;
        let rows = sqlx::query(
            "select a.id, a.user_id, a.platform from social_accounts a where a.status = 'healthy'
               and not exists (select 1 from follower_snapshots f where f.connection_id = a.id and f.taken_at > $1)
             order by a.id limit 200",
        )
        .bind(now - every)
        .fetch_all(self.db.pool())
        .await?;
        let cooling = self.cooldowns().await?;
        let mut stored = 0;
        for r in rows {
            let (id, user, platform): (String, String, String) = (r.get("id"), r.get("user_id"), r.get("platform"));
            {
                let mut tried = self.state.followers_tried.lock().unwrap_or_else(|e| e.into_inner());
                if tried.get(&id).is_some_and(|t| now - t < every) {
                    continue;
                }
                tried.insert(id.clone(), now);
            }
            if cooling.contains_key(&platform) {
                continue;
            }
            if self.pull_followers(&user, &id).await? {
                stored += 1;
            }
        }
        Ok(stored)
    }

    /// Asks for one account's follower count and stores it; false when the platform has
    /// none to give (or could not answer now).
    pub(super) async fn pull_followers(&self, user: &str, conn_id: &str) -> Result<bool, AnalyticsError> {
        let Ok((conn, grant, _)) = self.connections.grant(user, conn_id).await else { return Ok(false) };
        let Some(adapter) = self.connections.platforms().get(conn.platform) else { return Ok(false) };
        let account = conn.profile();
        match adapter.followers(&grant, &account).await {
            Ok(Some(n)) => {
                sqlx::query(
                    "insert into follower_snapshots (connection_id, taken_at, user_id, platform, followers) values ($1, $2, $3, $4, $5)
                     on conflict (connection_id, taken_at) do nothing",
                )
                .bind(conn_id)
                .bind(now_ms())
                .bind(user)
                .bind(conn.platform.as_str())
                .bind(n)
                .execute(self.db.pool())
                .await?;
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(e) => {
                if let ErrorClass::RetryLater { retry_after_secs: Some(s) } = e.class {
                    self.cool_down(conn.platform.as_str(), s).await?;
                }
                // Token trouble is the post pulls' and the refresh job's business.
                tracing::debug!(connection = %conn_id, error = %e, "follower count unavailable");
                Ok(false)
            }
        }
    }

    /// After a "refresh now": the account's follower count too, unless it is fresh.
    pub(super) async fn refresh_followers(&self, user: &str, conn_id: &str) -> Result<(), AnalyticsError> {
        let fresh = sqlx::query("select taken_at from follower_snapshots where connection_id = $1 and taken_at > $2 limit 1")
            .bind(conn_id)
            .bind(now_ms() - self.cfg.followers_every.as_millis() as i64)
            .fetch_optional(self.db.pool())
            .await?
            .is_some();
        if !fresh {
            self.state.followers_tried.lock().unwrap_or_else(|e| e.into_inner()).insert(conn_id.to_string(), now_ms());
            self.pull_followers(user, conn_id).await?;
        }
        Ok(())
    }

    /// "Refresh now" on a post's page: the post and its sibling publications, side by side.
    /// The post's own failure is the answer; a sibling's shows on its card (`last_error`).
    pub async fn refresh_with_siblings(&self, user_id: &str, post_id: &str, tz: &Timezone) -> Result<PostAnalytics, AnalyticsError> {
        let current = self.post(user_id, post_id, tz, false).await?;
        let mut set = tokio::task::JoinSet::new();
        for p in current.platforms.iter().filter(|p| p.status == crate::domain::PostStatus::Posted && p.post_id != post_id) {
            let (me, user, id, tz) = (self.clone(), user_id.to_string(), p.post_id.clone(), tz.clone());
            set.spawn(async move { me.refresh_now(&user, &id, &tz).await.map(|_| ()) });
        }
        let own = self.refresh_now(user_id, post_id, tz).await;
        while let Some(r) = set.join_next().await {
            if let Ok(Err(e)) = r {
                tracing::debug!(error = %e, "refreshing a sibling publication failed");
            }
        }
        own?;
        self.post(user_id, post_id, tz, false).await
    }

    /// Hourly: posts whose account was removed stop being due (the claim would skip them
    /// every round otherwise).
    pub(super) async fn housekeeping(&self) -> Result<(), sqlx::Error> {
        sqlx::query(
            "update post_metrics set next_sync_at = null, error_class = 'disconnected', last_error = 'The account of this post was disconnected.'
             where connection_id is null and next_sync_at is not null",
        )
        .execute(self.db.pool())
        .await?;
        Cooldowns::new(self.db.clone()).prune().await?;
        Ok(())
    }

    /// "Refresh now" for one post: pulls its numbers at once (or, when a worker is pulling
    /// them right now, waits for that) and returns the post's analytics.
    pub async fn refresh_now(&self, user_id: &str, post_id: &str, tz: &Timezone) -> Result<PostAnalytics, AnalyticsError> {
        let row = sqlx::query("select p.status, p.platform, m.post_id as tracked from posts p left join post_metrics m on m.post_id = p.id where p.id = $1 and p.user_id = $2")
            .bind(post_id)
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(not_found)?;
        let platform: String = row.get("platform");
        let name = name_of(&platform);
        if opt::<String>(&row, "tracked").is_none() {
            let status: String = row.get("status");
            return Err(AnalyticsError::Conflict {
                code: "not_published",
                message: format!("This post is {status}, not published, so {name} has no numbers for it yet."),
            });
        }
        if let Some(until) = self.cooldowns().await?.get(&platform) {
            let secs = ((until - now_ms()) / 1000).max(1) as u64;
            return Err(AnalyticsError::RateLimited {
                retry_after: secs,
                message: format!("{name} asked us to slow down. Try again in {secs} s."),
            });
        }
        let now = now_ms();
        let claimed = sqlx::query(&format!(
            "update post_metrics set lease_owner = $1, lease_until = $2 where post_id = $3 and (lease_until is null or lease_until < $4) returning {JOB_COLS}"
        ))
        .bind(&self.state.worker_id)
        .bind(now + self.cfg.lease.as_millis() as i64)
        .bind(post_id)
        .bind(now)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(job) = claimed.as_ref().map(Job::from_row) else {
            // A worker is pulling it right now: its numbers are as fresh as ours would be.
            for _ in 0..50 {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                let busy =
                    sqlx::query("select lease_until from post_metrics where post_id = $1").bind(post_id).fetch_one(self.db.pool()).await?;
                if opt::<i64>(&busy, "lease_until").is_none_or(|t| t < now_ms()) {
                    break;
                }
            }
            return self.post(user_id, post_id, tz, false).await;
        };
        let pull = self.pull(&job).await;
        self.finish(&job, &pull).await?;
        if let (Pull::Stored | Pull::Empty, Some(conn)) = (&pull, &job.connection_id) {
            self.refresh_followers(user_id, conn).await?;
        }
        match pull {
            // The post's page says which numbers are unavailable and why (its last error).
            Pull::Stored | Pull::Empty | Pull::Unavailable(_) => self.post(user_id, post_id, tz, false).await,
            Pull::Cooldown { until, message } => {
                Err(AnalyticsError::RateLimited { retry_after: ((until - now_ms()) / 1000).max(1) as u64, message })
            }
            Pull::Retry { message, .. } => {
                Err(AnalyticsError::Unavailable(format!("{name} did not answer ({message}). Try again in a minute.")))
            }
            Pull::Reconnect(message) => Err(AnalyticsError::Conflict { code: "reconnect_needed", message }),
            Pull::Refused(message) => Err(AnalyticsError::Platform(format!("{name} refused: {message}"))),
            Pull::Gone(message) => Err(AnalyticsError::Conflict { code: "disconnected", message }),
        }
    }
}
