//! The server half of analytics: the sync job (claim with a lease, pull, store, schedule)
//! and the queries behind the dashboard.

use super::*;
use crate::connections::{ConnectError, Connections};
use crate::db::{now_ms, opt, Backend, Db};
use crate::domain::{local_to_utc_lenient, platform_info, utc_ms_to_local, Failure, Kind, Timezone};
use crate::platforms::{ErrorClass, Metrics, PlatformError};
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

internal_error!(AnalyticsError);

impl Failure for AnalyticsError {
    fn kind(&self) -> Kind {
        match self {
            Self::NotFound(_) => Kind::NotFound,
            Self::Invalid(_) => Kind::Invalid,
            Self::Conflict { .. } => Kind::Conflict,
            Self::RateLimited { .. } => Kind::RateLimited,
            Self::Unavailable(_) => Kind::Unavailable,
            Self::Platform(_) => Kind::Upstream,
            Self::Internal(_) => Kind::Internal,
        }
    }
    fn cause(&self) -> Option<&dyn std::fmt::Debug> {
        self.internal_cause()
    }
    fn code(&self) -> &str {
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
    fn retry_after(&self) -> Option<u64> {
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
    /// The platform does not share these numbers with this app or grant (a missing read
    /// permission): nothing to store, the account stays healthy.
    Unavailable(String),
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
}

fn not_found() -> AnalyticsError {
    AnalyticsError::NotFound("That post was not found.".into())
}

mod queries;
mod rollup;
mod sync;

#[cfg(test)]
use queries::{day_index_sql, split_days};

#[cfg(test)]
mod tests;
