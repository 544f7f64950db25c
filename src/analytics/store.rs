//! The server half of analytics: the sync job (claim with a lease, pull, store, schedule)
//! and the queries behind the dashboard.

use super::*;
use crate::connections::{ConnectError, Connections};
use crate::db::{now_ms, opt, Backend, Db};
use crate::domain::{local_to_utc_lenient, platform_info, utc_ms_to_local, Timezone};
use crate::platforms::{AccountProfile, ErrorClass, Metrics, PlatformError};
use chrono::NaiveTime;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// 404: no such post for this user (another user's id included).
    #[error("{0}")]
    NotFound(String),
    /// 422: a bad date, range or platform.
    #[error("{0}")]
    Invalid(#[from] DomainError),
    /// 409: the post or its account is not in a state where this can work.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 429: the platform asked us to wait.
    #[error("{message}")]
    RateLimited { retry_after: u64, message: String },
    /// 503: the platform did not answer; trying again shortly may work.
    #[error("{0}")]
    Unavailable(String),
    /// 502: the platform refused (the post was deleted there, …).
    #[error("{0}")]
    Platform(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AnalyticsError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl AnalyticsError {
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound(_) => 404,
            Self::Invalid(_) => 422,
            Self::Conflict { .. } => 409,
            Self::RateLimited { .. } => 429,
            Self::Unavailable(_) => 503,
            Self::Platform(_) => 502,
            Self::Internal(_) => 500,
        }
    }
    pub fn code(&self) -> &str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::Invalid(e) => &e.code,
            Self::Conflict { code, .. } => code,
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "platform_unavailable",
            Self::Platform(_) => "platform_refused",
            Self::Internal(_) => "internal",
        }
    }
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

/// A resolved request: the period, the platform filter and the person's time zone.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    pub range: DateRange,
    pub key: String,
    pub platform: Option<PlatformId>,
    pub tz: Timezone,
}

impl StatsQuery {
    pub fn new(r: Resolved, tz: Timezone) -> Self {
        Self { range: r.range, key: r.key, platform: r.platform, tz }
    }

    /// `params` against today in `tz`.
    pub fn parse(params: &RangeParams, tz: Timezone) -> Result<Self, AnalyticsError> {
        Ok(Self::new(params.resolve(today(&tz))?, tz))
    }

    fn platform_arg(&self) -> &'static str {
        self.platform.map(PlatformId::as_str).unwrap_or("")
    }
}

/// The person's local date now.
pub fn today(tz: &Timezone) -> NaiveDate {
    chrono::Utc::now().with_timezone(&tz.tz()).date_naive()
}

/// What one round of the sync job did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Posts asked about.
    pub pulled: usize,
    /// Snapshots stored.
    pub stored: usize,
    /// Claimed, but handed back because their platform asked us to wait.
    pub deferred: usize,
    /// Pulls that failed (retried later, or waiting for a reconnect).
    pub failed: usize,
    /// Follower counts stored.
    pub followers: usize,
    /// A platform gave a full batch: more may be due right now.
    pub more: bool,
}

impl SyncReport {
    fn merge(&mut self, o: SyncReport) {
        self.pulled += o.pulled;
        self.stored += o.stored;
        self.deferred += o.deferred;
        self.failed += o.failed;
        self.followers += o.followers;
        self.more |= o.more;
    }
}

/// Process-local state of the sync worker.
struct Shared {
    worker_id: String,
    wake: Notify,
    last_tick: AtomicI64,
    /// Connection → when its follower count was last asked for (also when the platform has
    /// none to give, so it is not asked every round).
    followers_tried: Mutex<HashMap<String, i64>>,
}

#[derive(Clone)]
pub struct Analytics {
    db: Db,
    connections: Connections,
    cfg: SyncConfig,
    state: Arc<Shared>,
}

/// A claimed post.
#[derive(Debug, Clone)]
struct Job {
    post_id: String,
    user_id: String,
    platform: String,
    connection_id: Option<String>,
    external_id: String,
    published_at: i64,
    attempts: i64,
}

const JOB_COLS: &str = "post_id, user_id, platform, connection_id, external_id, published_at, attempts";

impl Job {
    fn from_row(r: &AnyRow) -> Self {
        Self {
            post_id: r.get("post_id"),
            user_id: r.get("user_id"),
            platform: r.get("platform"),
            connection_id: opt(r, "connection_id"),
            external_id: r.get("external_id"),
            published_at: r.get("published_at"),
            attempts: r.get("attempts"),
        }
    }
}

/// How one pull went.
#[derive(Debug)]
enum Pull {
    Stored,
    /// The platform answered but reported no number at all.
    Empty,
    /// 429: nothing to this platform before `until`.
    Cooldown {
        until: i64,
        message: String,
    },
    /// Not taken by the platform this time (5xx, no answer): try again after a backoff.
    Retry {
        class: &'static str,
        message: String,
    },
    /// Access is gone: the account needs reconnecting; its posts wait until it is.
    Reconnect(String),
    /// The platform refused (deleted post, missing permission): counts towards giving up.
    Refused(String),
    /// The account was removed: nothing more to pull, ever.
    Gone(String),
}

fn name_of(platform: &str) -> &'static str {
    PlatformId::parse(platform).map(|p| p.display_name()).unwrap_or("The platform")
}

fn totals_of(m: &Metrics) -> Totals {
    Totals { views: m.views, impressions: m.impressions, likes: m.likes, comments: m.comments, shares: m.shares, saves: m.saves }
}

fn row_totals(r: &AnyRow) -> Totals {
    Totals {
        views: opt(r, "views"),
        impressions: opt(r, "impressions"),
        likes: opt(r, "likes"),
        comments: opt(r, "comments"),
        shares: opt(r, "shares"),
        saves: opt(r, "saves"),
    }
}

/// (likes + comments) / views × 100 from running sums (the numerator already counts only
/// pulls that reported views).
fn rate(rated_engagement: Option<i64>, views: Option<i64>) -> Option<f64> {
    engagement_rate(rated_engagement, None, views)
}

fn local(tz: &Timezone, ms: i64) -> String {
    utc_ms_to_local(tz, ms).map(|t| t.format("%-d %b %Y %H:%M").to_string()).unwrap_or_default()
}

fn excerpt(title: Option<String>, body: &str) -> String {
    let src = title.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| body.to_string());
    let flat = src.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 120 {
        format!("{}…", flat.chars().take(119).collect::<String>().trim_end())
    } else {
        flat
    }
}

/// The period in UTC milliseconds and hours, and each local day's first hour.
struct Bounds {
    from_ms: i64,
    to_ms: i64,
    from_h: i64,
    to_h: i64,
    prev_from_h: i64,
    dates: Vec<NaiveDate>,
    day_start_h: Vec<i64>,
}

impl Bounds {
    fn new(q: &StatsQuery) -> Self {
        let midnight = |d: NaiveDate| local_to_utc_lenient(&q.tz, d.and_time(NaiveTime::MIN));
        let dates = q.range.dates();
        let (from_ms, to_ms, prev_from_ms) =
            (midnight(q.range.from), midnight(q.range.to + Days::new(1)), midnight(q.range.previous().from));
        // Zones with half-hour offsets share their boundary hour with the day before (the
        // gains are kept per UTC hour); whole-hour zones are exact.
        let day_start_h = dates.iter().map(|d| hour_of(midnight(*d))).collect();
        Self { from_ms, to_ms, from_h: hour_of(from_ms), to_h: hour_of(to_ms), prev_from_h: hour_of(prev_from_ms), dates, day_start_h }
    }
}

/// Per-platform period sums from `metric_hourly`.
#[derive(Default, Clone, Copy)]
struct Sums {
    t: Totals,
    rated: Option<i64>,
    /// Posts published (the per-platform rollups count them; the all-platform one does not).
    posts: i64,
}

impl Sums {
    fn from_row(r: &AnyRow) -> Self {
        Self { t: row_totals(r), rated: opt(r, "rated"), posts: opt(r, "posts").unwrap_or(0) }
    }
    fn plus(&self, o: &Sums) -> Sums {
        Sums { t: self.t.plus(&o.t), rated: add(self.rated, o.rated), posts: self.posts + o.posts }
    }
}

/// A key column's value in a rollup row.
enum Key<'a> {
    Text(&'a str),
    Int(i64),
}

const GAIN_COLS: [&str; 7] = ["views", "impressions", "likes", "comments", "shares", "saves", "rated_engagement"];

/// The key columns of each rollup table, in the order `Key`s are given.
fn rollup_keys(table: &str) -> &'static [&'static str] {
    match table {
        "metric_hourly_all" => &["user_id", "hour"],
        "metric_daily" => &["user_id", "day", "platform"],
        _ => &["user_id", "hour", "platform"],
    }
}

fn bind_keys<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    keys: &'q [Key<'q>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for k in keys {
        q = match k {
            Key::Text(t) => q.bind(*t),
            Key::Int(i) => q.bind(*i),
        };
    }
    q
}

/// Adds one pull's gains to a rollup row; a metric missing on both sides stays missing.
async fn add_gains(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    keys: &[Key<'_>],
    g: &Totals,
    rated: Option<i64>,
) -> Result<(), sqlx::Error> {
    let key_cols = rollup_keys(table);
    let cols: Vec<&str> = key_cols.iter().copied().chain(GAIN_COLS).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
    let sets: Vec<String> = GAIN_COLS
        .iter()
        .map(|c| format!("{c} = case when excluded.{c} is null then {table}.{c} else coalesce({table}.{c}, 0) + excluded.{c} end"))
        .collect();
    let sql = format!(
        "insert into {table} ({}) values ({}) on conflict ({}) do update set {}",
        cols.join(", "),
        marks.join(", "),
        key_cols.join(", "),
        sets.join(", ")
    );
    bind_keys(sqlx::query(&sql), keys)
        .bind(g.views)
        .bind(g.impressions)
        .bind(g.likes)
        .bind(g.comments)
        .bind(g.shares)
        .bind(g.saves)
        .bind(rated)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Rows of one rollup table for `rebuild`, 400 per statement.
async fn insert_rollup(tx: &mut sqlx::Transaction<'_, sqlx::Any>, table: &str, rows: &[(Vec<Key<'_>>, Sums)]) -> Result<(), sqlx::Error> {
    let key_cols = rollup_keys(table);
    let counted = table != "metric_hourly_all";
    let cols: Vec<&str> = key_cols.iter().copied().chain(GAIN_COLS).chain(counted.then_some("posts")).collect();
    let width = cols.len();
    for chunk in rows.chunks(400) {
        let marks: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", (1..=width).map(|j| format!("${}", i * width + j)).collect::<Vec<_>>().join(", ")))
            .collect();
        let sql = format!("insert into {table} ({}) values {}", cols.join(", "), marks.join(", "));
        let mut q = sqlx::query(&sql);
        for (keys, s) in chunk {
            q = bind_keys(q, keys)
                .bind(s.t.views)
                .bind(s.t.impressions)
                .bind(s.t.likes)
                .bind(s.t.comments)
                .bind(s.t.shares)
                .bind(s.t.saves)
                .bind(s.rated);
            if counted {
                q = q.bind(s.posts);
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// SQL mapping `hour` to the index of its day, given each day's first hour and the end of the
/// last: a run of 24-hour days is one arithmetic step; a day the clocks change in (23 or 25
/// hours) is a case of its own. The numbers are ours, never input.
fn day_index_sql(starts: &[i64], end: i64) -> String {
    let stop = |k: usize| starts.get(k + 1).copied().unwrap_or(end);
    let mut cases = vec![];
    let mut i = 0;
    while i < starts.len() {
        if stop(i) - starts[i] == 24 {
            let mut j = i;
            while j + 1 < starts.len() && stop(j + 1) - starts[j + 1] == 24 {
                j += 1;
            }
            cases.push(format!("when hour < {} then {i} + (hour - {}) / 24", stop(j), starts[i]));
            i = j + 1;
        } else {
            cases.push(format!("when hour < {} then {i}", stop(i)));
            i += 1;
        }
    }
    format!("case {} end", cases.join(" "))
}

/// A half-open range `[start, end)` of hours or days.
type Span = (i64, i64);

/// `[a, b)` in hours as whole UTC days plus the hours outside them.
fn split_days(a: i64, b: i64) -> (Option<Span>, Vec<Span>) {
    let (d0, d1) = ((a + 23).div_euclid(24), b.div_euclid(24));
    if d0 < d1 {
        (Some((d0, d1)), [(a, d0 * 24), (d1 * 24, b)].into_iter().filter(|(x, y)| x < y).collect())
    } else {
        (None, [(a, b)].into_iter().filter(|(x, y)| x < y).collect())
    }
}

const SUMS: &str = "cast(sum(views) as bigint) as views, cast(sum(impressions) as bigint) as impressions, \
    cast(sum(likes) as bigint) as likes, cast(sum(comments) as bigint) as comments, cast(sum(shares) as bigint) as shares, \
    cast(sum(saves) as bigint) as saves, cast(sum(rated_engagement) as bigint) as rated, cast(sum(posts) as bigint) as posts";

impl Analytics {
    pub fn new(db: Db, connections: Connections, cfg: SyncConfig) -> Self {
        let state = Shared {
            worker_id: uuid::Uuid::new_v4().to_string(),
            wake: Notify::new(),
            last_tick: AtomicI64::new(0),
            followers_tried: Mutex::new(HashMap::new()),
        };
        Self { db, connections, cfg, state: Arc::new(state) }
    }

    pub fn config(&self) -> &SyncConfig {
        &self.cfg
    }

    /// UTC ms of the worker's last round in this process; 0 = it never ran here.
    pub fn last_tick(&self) -> i64 {
        self.state.last_tick.load(Ordering::Relaxed)
    }

    /// Makes this process's worker look for due posts now.
    pub fn wake(&self) {
        self.state.wake.notify_one();
    }

    // ---- the sync job -------------------------------------------------------------------

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

    async fn sync_platform(&self, platform: &str) -> Result<SyncReport, AnalyticsError> {
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
                Pull::Empty => {}
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
    async fn claim(&self, platform: &str, limit: usize) -> Result<Vec<Job>, sqlx::Error> {
        let now = now_ms();
        let lock = if self.db.backend() == Backend::Postgres { "for update skip locked" } else { "" };
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
    async fn release(&self, job: &Job) -> Result<(), sqlx::Error> {
        sqlx::query("update post_metrics set lease_owner = null, lease_until = null where post_id = $1 and lease_owner = $2")
            .bind(&job.post_id)
            .bind(&self.state.worker_id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Platforms cooling down after a 429 → until when.
    async fn cooldowns(&self) -> Result<HashMap<String, i64>, sqlx::Error> {
        let rows = sqlx::query("select platform, until_at from analytics_cooldowns where until_at > $1")
            .bind(now_ms())
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows.iter().map(|r| (r.get("platform"), r.get("until_at"))).collect())
    }

    /// A 429: no pulls to `platform` before `until`, from any process. Due posts move to
    /// `until` so nobody claims them just to hand them back.
    async fn cool_down(&self, platform: &str, until: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "insert into analytics_cooldowns (platform, until_at) values ($1, $2)
             on conflict (platform) do update set until_at = case when excluded.until_at > analytics_cooldowns.until_at
                 then excluded.until_at else analytics_cooldowns.until_at end",
        )
        .bind(platform)
        .bind(until)
        .execute(self.db.pool())
        .await?;
        sqlx::query("update post_metrics set next_sync_at = $1 where platform = $2 and next_sync_at < $1")
            .bind(until)
            .bind(platform)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Asks the platform for one post's numbers and stores them.
    async fn pull(&self, job: &Job) -> Pull {
        let name = name_of(&job.platform);
        let Some(conn_id) = job.connection_id.clone() else {
            return Pull::Gone(format!("The {name} account of this post was disconnected."));
        };
        let (conn, grant) = match self.connections.grant(&job.user_id, &conn_id).await {
            Ok((c, g, _)) => (c, g),
            Err(ConnectError::NotFound) => return Pull::Gone(format!("The {name} account of this post was disconnected.")),
            Err(e) => return Pull::Retry { class: "unknown", message: e.to_string() },
        };
        if conn.status == "reconnect_needed" {
            return Pull::Reconnect(format!("Reconnect your {name} account in Sources to get this post's numbers again."));
        }
        let Some(adapter) = self.connections.platforms().get(conn.platform) else {
            return Pull::Refused(format!("{name} is not set up on this server."));
        };
        let account = AccountProfile {
            external_id: conn.external_id.clone(),
            username: conn.username.clone(),
            display_name: conn.display_name.clone(),
            avatar_url: conn.avatar_url.clone(),
        };
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

    async fn classify(&self, job: &Job, conn_id: &str, e: PlatformError) -> Pull {
        let name = name_of(&job.platform);
        match e.class {
            ErrorClass::RetryLater { retry_after_secs: Some(s) } => {
                let until = now_ms() + (s.max(1) as i64) * 1000;
                if let Err(err) = self.cool_down(&job.platform, until).await {
                    tracing::error!(error = %err, "recording a platform cooldown failed");
                }
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
        }
    }

    /// Records how a pull went and when the next one is due; only while this worker still
    /// holds the claim.
    async fn finish(&self, job: &Job, pull: &Pull) -> Result<(), sqlx::Error> {
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
    async fn sync_followers(&self) -> Result<usize, AnalyticsError> {
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
    async fn pull_followers(&self, user: &str, conn_id: &str) -> Result<bool, AnalyticsError> {
        let Ok((conn, grant, _)) = self.connections.grant(user, conn_id).await else { return Ok(false) };
        let Some(adapter) = self.connections.platforms().get(conn.platform) else { return Ok(false) };
        let account = AccountProfile {
            external_id: conn.external_id.clone(),
            username: conn.username.clone(),
            display_name: conn.display_name.clone(),
            avatar_url: conn.avatar_url.clone(),
        };
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
                    self.cool_down(conn.platform.as_str(), now_ms() + (s.max(1) as i64) * 1000).await?;
                }
                // Token trouble is the post pulls' and the refresh job's business.
                tracing::debug!(connection = %conn_id, error = %e, "follower count unavailable");
                Ok(false)
            }
        }
    }

    /// After a "refresh now": the account's follower count too, unless it is fresh.
    async fn refresh_followers(&self, user: &str, conn_id: &str) -> Result<(), AnalyticsError> {
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
        for p in current.platforms.iter().filter(|p| p.status == "posted" && p.post_id != post_id) {
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
    async fn housekeeping(&self) -> Result<(), sqlx::Error> {
        sqlx::query(
            "update post_metrics set next_sync_at = null, error_class = 'disconnected', last_error = 'The account of this post was disconnected.'
             where connection_id is null and next_sync_at is not null",
        )
        .execute(self.db.pool())
        .await?;
        sqlx::query("delete from analytics_cooldowns where until_at < $1").bind(now_ms()).execute(self.db.pool()).await?;
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
            Pull::Stored | Pull::Empty => self.post(user_id, post_id, tz, false).await,
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

    // ---- what the dashboard shows ---------------------------------------------------------

    /// Everything the dashboard shows, its five queries run side by side.
    pub async fn stats(&self, user_id: &str, q: &StatsQuery) -> Result<Stats, AnalyticsError> {
        let b = Bounds::new(q);
        let ((overview, platforms, has_connections), series, top_posts, has_posts) = tokio::try_join!(
            self.breakdown(user_id, q, &b),
            self.series_in(user_id, q, &b),
            self.top_in(user_id, q, &b),
            self.has_posts(user_id)
        )?;
        Ok(Stats { range: range_info(q), overview, platforms, top_posts, series, has_connections, has_posts })
    }

    /// The overview cards and the per-platform table.
    pub async fn overview(&self, user_id: &str, q: &StatsQuery) -> Result<(Overview, Vec<PlatformRow>), AnalyticsError> {
        let (o, p, _) = self.breakdown(user_id, q, &Bounds::new(q)).await?;
        Ok((o, p))
    }

    /// The engagement-over-time chart.
    pub async fn series(&self, user_id: &str, q: &StatsQuery) -> Result<Vec<DayPoint>, AnalyticsError> {
        self.series_in(user_id, q, &Bounds::new(q)).await
    }

    /// The period's five best posts.
    pub async fn top_posts(&self, user_id: &str, q: &StatsQuery) -> Result<Vec<TopPost>, AnalyticsError> {
        self.top_in(user_id, q, &Bounds::new(q)).await
    }

    async fn breakdown(&self, user_id: &str, q: &StatsQuery, b: &Bounds) -> Result<(Overview, Vec<PlatformRow>, bool), AnalyticsError> {
        let pf = q.platform_arg();
        // Whole UTC days from the daily rollup, the partial days at the edges from the hourly
        // one. The bounds are hours we computed, never input, so they are written inline.
        let cols = "platform, views, impressions, likes, comments, shares, saves, rated_engagement, posts";
        let filter = if pf.is_empty() { "" } else { " and platform = $2" };
        let mut parts = vec![];
        for (lo, hi) in [(b.prev_from_h, b.from_h), (b.from_h, b.to_h)] {
            let (days, hours) = split_days(lo, hi);
            if let Some((d0, d1)) = days {
                parts.push(format!(
                    "select {cols}, case when day * 24 >= {f} then 1 else 0 end as cur from metric_daily \
                     where user_id = $1 and day >= {d0} and day < {d1}{filter}",
                    f = b.from_h
                ));
            }
            for (h0, h1) in hours {
                parts.push(format!(
                    "select {cols}, case when hour >= {f} then 1 else 0 end as cur from metric_hourly \
                     where user_id = $1 and hour >= {h0} and hour < {h1}{filter}",
                    f = b.from_h
                ));
            }
        }
        if parts.is_empty() {
            parts.push(format!("select {cols}, 0 as cur from metric_daily where 1 = 0"));
        }
        let gains_sql = format!("select platform, cur, {SUMS} from ({}) t group by platform, cur", parts.join(" union all "));
        let mut gains = sqlx::query(&gains_sql).bind(user_id);
        if !pf.is_empty() {
            gains = gains.bind(pf);
        }
        let gains = gains.fetch_all(self.db.pool());
        // Each account's latest count before the end of each period.
        let followers = sqlx::query(
            "select a.platform,
                (select f.followers from follower_snapshots f where f.connection_id = a.id and f.taken_at < $2 order by f.taken_at desc limit 1) as cur,
                (select f.followers from follower_snapshots f where f.connection_id = a.id and f.taken_at < $3 order by f.taken_at desc limit 1) as prev
             from social_accounts a where a.user_id = $1",
        )
        .bind(user_id)
        .bind(b.to_ms)
        .bind(b.from_ms)
        .fetch_all(self.db.pool());
        let (gains, followers) = tokio::try_join!(gains, followers)?;

        // platform → (current, previous)
        let mut sums: BTreeMap<String, (Sums, Sums)> = BTreeMap::new();
        for r in &gains {
            let e = sums.entry(r.get("platform")).or_default();
            let s = Sums::from_row(r);
            if r.get::<i64, _>("cur") == 1 {
                e.0 = s;
            } else {
                e.1 = s;
            }
        }
        let has_connections = !followers.is_empty();
        let mut fol: HashMap<String, (Option<i64>, Option<i64>)> = HashMap::new();
        for r in followers.iter().filter(|r| pf.is_empty() || r.get::<String, _>("platform") == pf) {
            let e = fol.entry(r.get("platform")).or_default();
            e.0 = add(e.0, opt(r, "cur"));
            e.1 = add(e.1, opt(r, "prev"));
        }

        let mut names: Vec<String> = sums.keys().chain(fol.keys()).cloned().collect();
        names.sort();
        names.dedup();
        let (mut cur, mut prev) = (Sums::default(), Sums::default());
        let (mut posts_cur, mut posts_prev) = (0i64, 0i64);
        let (mut fol_cur, mut fol_prev) = (None, None);
        let mut rows = vec![];
        for p in names {
            let Ok(id) = PlatformId::parse(&p) else { continue };
            let (c, pr) = sums.get(&p).copied().unwrap_or_default();
            let (n, n_prev) = (c.posts, pr.posts);
            let (f, f_prev) = fol.get(&p).copied().unwrap_or_default();
            cur = cur.plus(&c);
            prev = prev.plus(&pr);
            posts_cur += n;
            posts_prev += n_prev;
            fol_cur = add(fol_cur, f);
            fol_prev = add(fol_prev, f_prev);
            let info = platform_info(id);
            rows.push(PlatformRow {
                platform: p.clone(),
                name: info.display_name.to_string(),
                brand_color: info.brand_color.to_string(),
                posts: n,
                views: c.t.views,
                impressions: c.t.impressions,
                likes: c.t.likes,
                comments: c.t.comments,
                shares: c.t.shares,
                saves: c.t.saves,
                followers: f,
                engagement_rate: rate(c.rated, c.t.views),
            });
        }
        // Busiest first: what people engage with most leads the table.
        rows.sort_by(|a, b| {
            let key =
                |r: &PlatformRow| (r.likes.unwrap_or(0) + r.comments.unwrap_or(0) + r.shares.unwrap_or(0), r.views.unwrap_or(0), r.posts);
            key(b).cmp(&key(a)).then_with(|| a.name.cmp(&b.name))
        });
        let ch = |a: Option<i64>, b: Option<i64>| Change::new(a, b);
        let overview = Overview {
            views: ch(cur.t.views, prev.t.views),
            impressions: ch(cur.t.impressions, prev.t.impressions),
            likes: ch(cur.t.likes, prev.t.likes),
            comments: ch(cur.t.comments, prev.t.comments),
            shares: ch(cur.t.shares, prev.t.shares),
            saves: ch(cur.t.saves, prev.t.saves),
            followers: ch(fol_cur, fol_prev),
            engagement_rate: RateChange::new(rate(cur.rated, cur.t.views), rate(prev.rated, prev.t.views)),
            posts: ch(Some(posts_cur), Some(posts_prev)),
        };
        Ok((overview, rows, has_connections))
    }

    async fn series_in(&self, user_id: &str, q: &StatsQuery, b: &Bounds) -> Result<Vec<DayPoint>, AnalyticsError> {
        // Summed into the profile's days by the database, so a year is 365 rows rather than
        // 8,760: one range read of the hourly rows, each hour mapped to its day by arithmetic
        // (a join against the days' bounds made both planners compare every pair).
        if b.dates.is_empty() {
            return Ok(vec![]);
        }
        let (table, filter) = match q.platform {
            None => ("metric_hourly_all", ""),
            Some(_) => ("metric_hourly", " and platform = $2"),
        };
        let sql = format!(
            "select cast({} as bigint) as i, cast(sum(views) as bigint) as views, cast(sum(impressions) as bigint) as impressions, \
                    cast(sum(likes) as bigint) as likes, cast(sum(comments) as bigint) as comments, \
                    cast(sum(shares) as bigint) as shares, cast(sum(saves) as bigint) as saves, \
                    cast(sum(rated_engagement) as bigint) as rated \
             from {table} where user_id = $1 and hour >= {} and hour < {}{filter} group by 1",
            day_index_sql(&b.day_start_h, b.to_h),
            b.from_h,
            b.to_h
        );
        // One-off text (the day bounds are in it): not worth a slot in the statement cache.
        let mut query = sqlx::query(&sql).persistent(false).bind(user_id);
        if let Some(p) = q.platform {
            query = query.bind(p.as_str());
        }
        let mut days = vec![Sums::default(); b.dates.len()];
        for r in query.fetch_all(self.db.pool()).await? {
            if let Some(day) = usize::try_from(r.get::<i64, _>("i")).ok().and_then(|i| days.get_mut(i)) {
                *day = Sums::from_row(&r);
            }
        }
        Ok(b.dates
            .iter()
            .zip(days)
            .map(|(d, s)| DayPoint {
                date: d.format("%Y-%m-%d").to_string(),
                label: d.format("%-d %b").to_string(),
                views: s.t.views,
                likes: s.t.likes,
                comments: s.t.comments,
                shares: s.t.shares,
                engagement_rate: rate(s.rated, s.t.views),
            })
            .collect())
    }

    async fn top_in(&self, user_id: &str, q: &StatsQuery, b: &Bounds) -> Result<Vec<TopPost>, AnalyticsError> {
        // The five are picked from a covering index alone; only they are joined back. Over a
        // long period most posts qualify, so walking the index in engagement order finds five
        // at once; over a short one, reading the period's posts and sorting them is cheaper.
        // PostgreSQL's planner makes that choice itself; SQLite's is told (measured: a year
        // 14 → 2 ms, a day 1 → 11 ms the other way round).
        let long = b.to_ms - b.from_ms >= 28 * 86_400_000;
        let hint = if long && self.db.backend() == Backend::Sqlite { "indexed by post_metrics_user_top" } else { "" };
        let rows = sqlx::query(&format!(
            "select m.post_id, m.platform, m.views, m.likes, m.comments, m.shares, m.engagement, m.published_at,
                    p.account_name, p.title, p.body, p.external_url
             from (select post_id from post_metrics {hint}
                   where user_id = $1 and published_at >= $2 and published_at < $3 and ($4 = '' or platform = $4)
                   order by engagement desc, coalesce(views, 0) desc, published_at desc limit 5) t
             join post_metrics m on m.post_id = t.post_id
             join posts p on p.id = t.post_id
             order by m.engagement desc, coalesce(m.views, 0) desc, m.published_at desc"
        ))
        .bind(user_id)
        .bind(b.from_ms)
        .bind(b.to_ms)
        .bind(q.platform_arg())
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let platform: String = r.get("platform");
                let t = row_totals(r);
                let published_at: i64 = r.get("published_at");
                TopPost {
                    id: r.get("post_id"),
                    platform_name: name_of(&platform).to_string(),
                    platform,
                    account_name: r.get("account_name"),
                    text: excerpt(opt(r, "title"), &r.get::<String, _>("body")),
                    url: opt(r, "external_url"),
                    published_at,
                    published_local: local(&q.tz, published_at),
                    views: t.views,
                    likes: t.likes,
                    comments: t.comments,
                    shares: t.shares,
                    engagement: r.get("engagement"),
                    engagement_rate: engagement_rate(t.likes, t.comments, t.views),
                }
            })
            .collect())
    }

    async fn has_posts(&self, user_id: &str) -> Result<bool, AnalyticsError> {
        Ok(sqlx::query("select post_id from post_metrics where user_id = $1 limit 1")
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?
            .is_some())
    }

    /// One post with its sibling publications (same draft, sent together) and every pull.
    /// `full` keeps every snapshot (CSV); otherwise they are thinned for the chart.
    pub async fn post(&self, user_id: &str, post_id: &str, tz: &Timezone, full: bool) -> Result<PostAnalytics, AnalyticsError> {
        let head = sqlx::query("select batch_id, draft_id, title, body from posts where id = $1 and user_id = $2")
            .bind(post_id)
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(not_found)?;
        let draft: Option<String> = opt(&head, "draft_id");
        let cols = "p.id, p.platform, p.account_name, p.status, p.external_url, p.published_at,
                    m.views, m.impressions, m.likes, m.comments, m.shares, m.saves, m.last_synced_at, m.next_sync_at, m.last_error, m.snapshots";
        // Siblings: sent in the same batch from the same draft, or (no draft) with the same
        // text. A bulk upload shares a batch too, but not its texts.
        let (same, value) = match &draft {
            Some(d) => ("p.draft_id = $3", d.clone()),
            None => ("p.draft_id is null and p.body = $3", head.get::<String, _>("body")),
        };
        let rows = sqlx::query(&format!(
            "select {cols} from posts p left join post_metrics m on m.post_id = p.id
             where p.user_id = $1 and p.batch_id = $2 and {same} order by p.platform, p.account_name limit 20"
        ))
        .bind(user_id)
        .bind(head.get::<String, _>("batch_id"))
        .bind(value)
        .fetch_all(self.db.pool())
        .await?;
        let mut platforms = vec![];
        for r in &rows {
            let id: String = r.get("id");
            let platform: String = r.get("platform");
            let latest = row_totals(r);
            let snaps = sqlx::query(
                "select taken_at, views, impressions, likes, comments, shares, saves from metric_snapshots where post_id = $1 order by taken_at",
            )
            .bind(&id)
            .fetch_all(self.db.pool())
            .await?;
            let points: Vec<SnapshotPoint> = snaps
                .iter()
                .map(|s| {
                    let taken_at: i64 = s.get("taken_at");
                    SnapshotPoint { taken_at, label: local(tz, taken_at), metrics: row_totals(s) }
                })
                .collect();
            let info = PlatformId::parse(&platform).map(platform_info).ok();
            platforms.push(PostSeries {
                platform_name: name_of(&platform).to_string(),
                brand_color: info.map(|i| i.brand_color.to_string()).unwrap_or_else(|| "#6366F1".into()),
                account_name: r.get("account_name"),
                status: r.get("status"),
                url: opt(r, "external_url"),
                published_local: opt::<i64>(r, "published_at").map(|t| local(tz, t)),
                engagement_rate: engagement_rate(latest.likes, latest.comments, latest.views),
                latest,
                last_synced_local: opt::<i64>(r, "last_synced_at").map(|t| local(tz, t)),
                next_sync_local: opt::<i64>(r, "next_sync_at").map(|t| local(tz, t.max(now_ms()))),
                last_error: opt(r, "last_error"),
                snapshot_count: points.len() as i64,
                snapshots: if full { points } else { thin(&points, SERIES_POINTS_MAX) },
                platform,
                post_id: id,
            });
        }
        // The post asked for leads.
        platforms.sort_by_key(|p| p.post_id != post_id);
        Ok(PostAnalytics {
            post_id: post_id.to_string(),
            text: excerpt(opt(&head, "title"), &head.get::<String, _>("body")),
            timezone: tz.as_str().to_string(),
            platforms,
        })
    }

    /// Recomputes a user's derived numbers from their snapshots: each post's latest numbers
    /// and the hourly gains. The sync keeps both current by itself; this is for bulk imports
    /// (the benchmark seeds snapshots directly) and to check the running totals.
    pub async fn rebuild(&self, user_id: &str) -> Result<(), AnalyticsError> {
        let tracked = sqlx::query("select post_id, platform, published_at from post_metrics where user_id = $1 order by post_id")
            .bind(user_id)
            .fetch_all(self.db.pool())
            .await?;
        let posts: Vec<String> = tracked.iter().map(|r| r.get("post_id")).collect();
        // The three rollups: (hour, platform), hour, (day, platform) → gains.
        let mut hourly: BTreeMap<(i64, String), Sums> = BTreeMap::new();
        let mut hourly_all: BTreeMap<i64, Sums> = BTreeMap::new();
        let mut daily: BTreeMap<(i64, String), Sums> = BTreeMap::new();
        for r in &tracked {
            let (hour, platform): (i64, String) = (hour_of(r.get("published_at")), r.get("platform"));
            hourly.entry((hour, platform.clone())).or_default().posts += 1;
            daily.entry((hour.div_euclid(24), platform)).or_default().posts += 1;
        }
        let mut latest_rows: Vec<(String, Totals, i64, Option<i64>)> = Vec::with_capacity(posts.len());
        for chunk in posts.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "select post_id, taken_at, platform, views, impressions, likes, comments, shares, saves
                 from metric_snapshots where post_id in ({}) order by post_id, taken_at",
                marks.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            let rows = query.fetch_all(self.db.pool()).await?;
            let mut current: Option<(String, Totals, i64, i64)> = None;
            for r in &rows {
                let id: String = r.get("post_id");
                let taken_at: i64 = r.get("taken_at");
                let now = row_totals(r);
                if current.as_ref().is_none_or(|c| c.0 != id) {
                    if let Some((pid, t, n, last)) = current.take() {
                        latest_rows.push((pid, t, n, Some(last)));
                    }
                    current = Some((id.clone(), Totals::default(), 0, taken_at));
                }
                let c = current.as_mut().expect("set above");
                let gains = c.1.gains_to(&now);
                c.1 = c.1.updated_by(&now);
                c.2 += 1;
                c.3 = taken_at;
                let (hour, platform): (i64, String) = (hour_of(taken_at), r.get("platform"));
                let g = Sums { t: gains, rated: gains.rated_engagement(), posts: 0 };
                for e in [
                    hourly.entry((hour, platform.clone())).or_default(),
                    hourly_all.entry(hour).or_default(),
                    daily.entry((hour.div_euclid(24), platform)).or_default(),
                ] {
                    *e = e.plus(&g);
                }
            }
            if let Some((pid, t, n, last)) = current.take() {
                latest_rows.push((pid, t, n, Some(last)));
            }
        }
        let mut tx = self.db.pool().begin().await?;
        for chunk in latest_rows.chunks(400) {
            let marks: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 10;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8,
                        b + 9,
                        b + 10
                    )
                })
                .collect();
            let sql = format!(
                "with v (post_id, views, impressions, likes, comments, shares, saves, engagement, snapshots, last_synced_at) as (values {})
                 update post_metrics set views = v.views, impressions = v.impressions, likes = v.likes, comments = v.comments,
                        shares = v.shares, saves = v.saves, engagement = v.engagement, snapshots = v.snapshots, last_synced_at = v.last_synced_at
                 from v where post_metrics.post_id = v.post_id",
                marks.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (id, t, n, last) in chunk {
                query = query
                    .bind(id)
                    .bind(t.views)
                    .bind(t.impressions)
                    .bind(t.likes)
                    .bind(t.comments)
                    .bind(t.shares)
                    .bind(t.saves)
                    .bind(t.engagement())
                    .bind(*n)
                    .bind(*last);
            }
            query.execute(&mut *tx).await?;
        }
        for table in ["metric_hourly", "metric_hourly_all", "metric_daily"] {
            sqlx::query(&format!("delete from {table} where user_id = $1")).bind(user_id).execute(&mut *tx).await?;
        }
        let rows: Vec<(Vec<Key>, Sums)> =
            hourly.iter().map(|((h, p), s)| (vec![Key::Text(user_id), Key::Int(*h), Key::Text(p)], *s)).collect();
        insert_rollup(&mut tx, "metric_hourly", &rows).await?;
        let rows: Vec<(Vec<Key>, Sums)> = hourly_all.iter().map(|(h, s)| (vec![Key::Text(user_id), Key::Int(*h)], *s)).collect();
        insert_rollup(&mut tx, "metric_hourly_all", &rows).await?;
        let rows: Vec<(Vec<Key>, Sums)> =
            daily.iter().map(|((d, p), s)| (vec![Key::Text(user_id), Key::Int(*d), Key::Text(p)], *s)).collect();
        insert_rollup(&mut tx, "metric_daily", &rows).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn not_found() -> AnalyticsError {
    AnalyticsError::NotFound("That post was not found.".into())
}

fn range_info(q: &StatsQuery) -> RangeInfo {
    let prev = q.range.previous();
    let f = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    RangeInfo {
        from: f(q.range.from),
        to: f(q.range.to),
        previous_from: f(prev.from),
        previous_to: f(prev.to),
        days: q.range.days(),
        key: q.key.clone(),
        timezone: q.tz.as_str().to_string(),
        platform: q.platform.map(|p| p.as_str().to_string()),
    }
}

#[cfg(test)]
mod tests;
