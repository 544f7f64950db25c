//! Analytics (seed 004 §1, §5 and its Analytics Flow; seed 003 §5, §18; seed 000 §Post
//! Analytics): the engagement sync job and the numbers the dashboard shows.
//!
//! - Sync: every published post has a row in `post_metrics` (a database trigger adds it when
//!   the post turns `posted`) with the time of its next pull. Workers claim due rows per
//!   platform under a lease (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite has one writer),
//!   pull the numbers through the platform adapter and store a snapshot. Young posts are
//!   pulled more often than old ones (`SyncConfig`). A 429 defers every pull of that platform
//!   until its Retry-After, for every process (the cooldown lives in the database); an
//!   expired token is refreshed once; a revoked one marks the account "reconnect needed" and
//!   its posts wait until it is reconnected.
//! - Storage: a snapshot keeps what the platform reported, NULL where it reports nothing.
//!   Each pull also adds its gains over the post's previous numbers to `metric_hourly` (per
//!   user, platform and UTC hour), so the dashboard sums a few thousand rows however many
//!   posts and snapshots there are.
//! - Stats: a period's totals are what the posts gained within it, so a period compares with
//!   the one before it; engagement rate = (likes + comments) / views × 100, counting only
//!   pulls that reported views; days are the person's own (their profile time zone).
//!
//! The types, the formulas, date ranges and CSV compile everywhere (the browser renders the
//! same numbers); `Analytics` itself needs the `server` feature.

use crate::domain::{DomainError, PlatformId};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// The date-range shortcuts the dashboard offers.
pub const RANGES: [(&str, u64); 3] = [("7d", 7), ("30d", 30), ("90d", 90)];
/// Longest period one request may cover.
pub const MAX_RANGE_DAYS: u64 = 366;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// A post's numbers (or what it gained). `None` = not reported, never zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub views: Option<i64>,
    pub impressions: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    pub saves: Option<i64>,
}

/// Sum of two maybe-reported numbers: missing only when both are missing.
pub fn add(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (None, None) => None,
        (x, y) => Some(x.unwrap_or(0).saturating_add(y.unwrap_or(0))),
    }
}

impl Totals {
    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(Option::is_none)
    }

    fn fields(&self) -> [Option<i64>; 6] {
        [self.views, self.impressions, self.likes, self.comments, self.shares, self.saves]
    }

    fn from_fields(f: [Option<i64>; 6]) -> Self {
        Self { views: f[0], impressions: f[1], likes: f[2], comments: f[3], shares: f[4], saves: f[5] }
    }

    /// What `now` adds to these (the last known numbers): each metric's change, or its whole
    /// value the first time it is known; `None` where `now` did not report it.
    pub fn gains_to(&self, now: &Totals) -> Totals {
        let (last, new) = (self.fields(), now.fields());
        Totals::from_fields(std::array::from_fn(|i| new[i].map(|n| n - last[i].unwrap_or(0))))
    }

    /// The latest known numbers after `now`: what it reported, else what was known before.
    pub fn updated_by(&self, now: &Totals) -> Totals {
        let (last, new) = (self.fields(), now.fields());
        Totals::from_fields(std::array::from_fn(|i| new[i].or(last[i])))
    }

    pub fn plus(&self, other: &Totals) -> Totals {
        let (a, b) = (self.fields(), other.fields());
        Totals::from_fields(std::array::from_fn(|i| add(a[i], b[i])))
    }

    /// Likes + comments + shares, missing counted as 0 (the top-posts order).
    pub fn engagement(&self) -> i64 {
        self.likes.unwrap_or(0) + self.comments.unwrap_or(0) + self.shares.unwrap_or(0)
    }

    /// The engagement-rate numerator a pull contributes: likes + comments, but only when the
    /// same pull reported views (a platform without views must not inflate the rate).
    pub fn rated_engagement(&self) -> Option<i64> {
        self.views.map(|_| self.likes.unwrap_or(0) + self.comments.unwrap_or(0))
    }
}

/// (likes + comments) / views × 100, to two decimals. `None` when views are missing or zero
/// (shown as "—"), or when neither likes nor comments are known.
pub fn engagement_rate(likes: Option<i64>, comments: Option<i64>, views: Option<i64>) -> Option<f64> {
    let views = views.filter(|v| *v > 0)?;
    if likes.is_none() && comments.is_none() {
        return None;
    }
    Some(round2((likes.unwrap_or(0) + comments.unwrap_or(0)) as f64 / views as f64 * 100.0))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Change against the previous period in percent (one decimal). `None` when either side is
/// unknown or the previous one was zero (there is no percentage of nothing).
pub fn change_pct(current: Option<i64>, previous: Option<i64>) -> Option<f64> {
    let (c, p) = (current?, previous?);
    if p == 0 {
        return None;
    }
    Some(((c - p) as f64 / p.abs() as f64 * 1000.0).round() / 10.0)
}

/// A number and how it moved since the previous period of equal length.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub current: Option<i64>,
    pub previous: Option<i64>,
    /// Percent; `None` when it cannot be said (see `change_pct`).
    pub change_pct: Option<f64>,
}

impl Change {
    pub fn new(current: Option<i64>, previous: Option<i64>) -> Self {
        Self { current, previous, change_pct: change_pct(current, previous) }
    }
}

/// A rate and how it moved, in percentage points (a rate's change in percent of itself reads
/// wrong: 2 % → 3 % is "+1 point", not "+50 %").
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateChange {
    pub current: Option<f64>,
    pub previous: Option<f64>,
    pub change_pts: Option<f64>,
}

impl RateChange {
    pub fn new(current: Option<f64>, previous: Option<f64>) -> Self {
        let change_pts = match (current, previous) {
            (Some(c), Some(p)) => Some(round2(c - p)),
            _ => None,
        };
        Self { current, previous, change_pts }
    }
}

/// How often posts are pulled. Age = time since the post was published.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Longest sleep between looks for due posts.
    pub poll: std::time::Duration,
    /// Interval in a post's first day.
    pub young: std::time::Duration,
    /// Interval in its first week.
    pub adult: std::time::Duration,
    /// Interval after that.
    pub old: std::time::Duration,
    /// No automatic pulls after this age ("refresh now" still works).
    pub stop_after: std::time::Duration,
    /// How long a claim holds without finishing (a dead worker's posts come back after it).
    pub lease: std::time::Duration,
    /// Posts claimed per platform per look, pulled one after another (gentle on rate limits).
    pub batch_per_platform: usize,
    /// How often an account's follower count is asked for.
    pub followers_every: std::time::Duration,
    /// First retry after a failed pull (doubles, up to the post's normal interval).
    pub retry_base: std::time::Duration,
    /// Failed pulls in a row (the platform refused) before a post is no longer pulled.
    pub max_failures: i64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        use std::time::Duration;
        Self {
            poll: Duration::from_secs(30),
            young: Duration::from_secs(15 * 60),
            adult: Duration::from_secs(3600),
            old: Duration::from_secs(86_400),
            stop_after: Duration::from_secs(365 * 86_400),
            lease: Duration::from_secs(120),
            batch_per_platform: 25,
            followers_every: Duration::from_secs(3600),
            retry_base: Duration::from_secs(60),
            max_failures: 5,
        }
    }
}

impl SyncConfig {
    /// Milliseconds until the next pull of a post this old; `None` = stop pulling it.
    pub fn interval_ms(&self, age_ms: i64) -> Option<i64> {
        let ms = |d: std::time::Duration| d.as_millis() as i64;
        if age_ms >= ms(self.stop_after) {
            None
        } else if age_ms < DAY_MS {
            Some(ms(self.young))
        } else if age_ms < 7 * DAY_MS {
            Some(ms(self.adult))
        } else {
            Some(ms(self.old))
        }
    }

    /// Wait before retrying after the `attempt`-th failure in a row: base · 2^(n-1), never
    /// longer than the post's normal interval.
    pub fn retry_ms(&self, attempt: i64, age_ms: i64) -> i64 {
        let base = self.retry_base.as_millis() as i64;
        let cap = std::time::Duration::from_millis(self.interval_ms(age_ms).unwrap_or(DAY_MS).max(0) as u64);
        let wait = crate::jobs::backoff(self.retry_base, attempt.clamp(0, 64) as u32, cap, 0.0).as_millis() as i64;
        wait.max(base.min(1000))
    }
}

/// Hours since the epoch of a UTC millisecond time (what `metric_hourly` is keyed by).
pub fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS)
}

mod export;
mod format;
mod period;
mod report;
pub use format::*;
pub use period::*;
pub use report::*;

#[cfg(feature = "server")]
mod store;
#[cfg(feature = "server")]
pub use store::{Analytics, AnalyticsError, StatsQuery, SyncReport};

#[cfg(test)]
mod tests;
