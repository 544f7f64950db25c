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

/// The period asked for and the one it is compared with, as local dates (both inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    pub fn days(&self) -> u64 {
        (self.to - self.from).num_days().max(0) as u64 + 1
    }

    /// The period of equal length that ends the day before this one starts.
    pub fn previous(&self) -> DateRange {
        let to = self.from - Days::new(1);
        DateRange { from: to - Days::new(self.days() - 1), to }
    }

    /// Every date in the period.
    pub fn dates(&self) -> Vec<NaiveDate> {
        self.from.iter_days().take(self.days() as usize).collect()
    }
}

/// Range and filter as a query string carries them; empty values mean "not given" (a GET
/// form submits `from=` when the box is empty).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RangeParams {
    /// `7d`, `30d`, `90d` (also `7`, `30`, `90`) or `custom`; default `30d`.
    #[serde(default)]
    pub range: Option<String>,
    /// YYYY-MM-DD in the profile's time zone, inclusive.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// A platform id (`twitter` is X); empty or `all` = every platform.
    #[serde(default)]
    pub platform: Option<String>,
}

/// What `RangeParams` resolved to.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub range: DateRange,
    /// `7d` | `30d` | `90d` | `custom`.
    pub key: String,
    pub platform: Option<PlatformId>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, DomainError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| DomainError::new("invalid_date", format!("{field} \"{raw}\" is not a date. Use YYYY-MM-DD, e.g. 2026-11-01.")))
}

impl RangeParams {
    /// `today` is the person's local date. Explicit dates win over a shortcut; a missing
    /// end is today, a missing start is 30 days before the end.
    pub fn resolve(&self, today: NaiveDate) -> Result<Resolved, DomainError> {
        let platform = match given(&self.platform).filter(|p| !p.eq_ignore_ascii_case("all")) {
            Some(p) => Some(PlatformId::parse(p)?),
            None => None,
        };
        let (from, to) = (given(&self.from), given(&self.to));
        if from.is_some() || to.is_some() {
            let to = to.map(|t| parse_date("to", t)).transpose()?.unwrap_or(today);
            let from = match from {
                Some(f) => parse_date("from", f)?,
                None => to - Days::new(29),
            };
            if from > to {
                return Err(DomainError::new("invalid_range", "The start date is after the end date. Swap them, or pick a shortcut."));
            }
            let range = DateRange { from, to };
            if range.days() > MAX_RANGE_DAYS {
                return Err(DomainError::new(
                    "range_too_long",
                    format!("Pick at most {MAX_RANGE_DAYS} days at a time (this range has {}).", range.days()),
                ));
            }
            // A custom range that happens to match a shortcut is that shortcut (the picker shows it selected).
            let key = RANGES
                .iter()
                .find(|(_, n)| to == today && range.days() == *n)
                .map(|(k, _)| k.to_string())
                .unwrap_or_else(|| "custom".into());
            return Ok(Resolved { range, key, platform });
        }
        // "custom" without dates (the picker's choice before any date is typed) is the default.
        let key = match given(&self.range).map(str::to_ascii_lowercase) {
            None => "30d".to_string(),
            Some(k) if k == "custom" => "30d".to_string(),
            Some(k) if k.ends_with('d') => k,
            Some(k) => format!("{k}d"),
        };
        let Some((_, days)) = RANGES.iter().find(|(k, _)| *k == key) else {
            return Err(DomainError::new("invalid_range", "range must be 7d, 30d or 90d, or give from and to as YYYY-MM-DD."));
        };
        Ok(Resolved { range: DateRange { from: today - Days::new(days - 1), to: today }, key, platform })
    }
}

/// Period totals with their changes: the overview cards.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub views: Change,
    pub impressions: Change,
    pub likes: Change,
    pub comments: Change,
    pub shares: Change,
    pub saves: Change,
    /// Followers of the connected accounts at the end of each period, where platforms report them.
    pub followers: Change,
    pub engagement_rate: RateChange,
    /// Posts published within each period.
    pub posts: Change,
}

/// One platform's part of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformRow {
    pub platform: String,
    pub name: String,
    pub brand_color: String,
    pub posts: i64,
    pub views: Option<i64>,
    pub impressions: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    pub saves: Option<i64>,
    pub followers: Option<i64>,
    pub engagement_rate: Option<f64>,
}

/// A post among the period's best (lifetime numbers of posts published in the period).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopPost {
    pub id: String,
    pub platform: String,
    pub platform_name: String,
    pub account_name: String,
    pub text: String,
    pub url: Option<String>,
    pub published_at: i64,
    /// "24 Nov 14:30" in the person's zone.
    pub published_local: String,
    pub views: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    pub engagement: i64,
    pub engagement_rate: Option<f64>,
}

/// One day of the engagement-over-time chart: what the posts gained that day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayPoint {
    /// YYYY-MM-DD, local.
    pub date: String,
    /// "24 Nov".
    pub label: String,
    pub views: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    pub engagement_rate: Option<f64>,
}

impl DayPoint {
    /// Likes + comments + shares that day (`None` when none of them was reported).
    pub fn engagement(&self) -> Option<i64> {
        add(add(self.likes, self.comments), self.shares)
    }
}

/// The period itself, for labels and links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RangeInfo {
    pub from: String,
    pub to: String,
    pub previous_from: String,
    pub previous_to: String,
    pub days: u64,
    /// `7d` | `30d` | `90d` | `custom`.
    pub key: String,
    pub timezone: String,
    pub platform: Option<String>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub range: RangeInfo,
    pub overview: Overview,
    pub platforms: Vec<PlatformRow>,
    pub top_posts: Vec<TopPost>,
    pub series: Vec<DayPoint>,
    /// Any connected account at all (the empty state's first question).
    pub has_connections: bool,
    /// Any post ever published (its second).
    pub has_posts: bool,
}

/// One pull of one post, as charted on its page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotPoint {
    pub taken_at: i64,
    /// "24 Nov 14:30", local.
    pub label: String,
    #[serde(flatten)]
    pub metrics: Totals,
}

/// One publication (one platform) of a post, with its numbers over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostSeries {
    pub post_id: String,
    pub platform: String,
    pub platform_name: String,
    pub brand_color: String,
    pub account_name: String,
    pub status: String,
    pub url: Option<String>,
    pub published_local: Option<String>,
    pub latest: Totals,
    pub engagement_rate: Option<f64>,
    pub last_synced_local: Option<String>,
    pub next_sync_local: Option<String>,
    pub last_error: Option<String>,
    /// Every pull, oldest first (at most `SERIES_POINTS_MAX` on the page; the CSV has all).
    pub snapshots: Vec<SnapshotPoint>,
    pub snapshot_count: i64,
}

/// A post and its sibling publications (the same draft sent to several platforms at once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostAnalytics {
    pub post_id: String,
    pub text: String,
    pub timezone: String,
    pub platforms: Vec<PostSeries>,
}

/// Chart points a post page draws per platform; older pulls are thinned out evenly.
pub const SERIES_POINTS_MAX: usize = 200;

/// Keeps at most `max` points, always the first and the last, evenly spread.
pub fn thin<T: Clone>(points: &[T], max: usize) -> Vec<T> {
    if points.len() <= max || max < 2 {
        return points.to_vec();
    }
    let last = points.len() - 1;
    (0..max).map(|i| points[i * last / (max - 1)].clone()).collect()
}

/// "12,345", or "—" when the platform does not report it.
pub fn format_count(n: Option<i64>) -> String {
    let Some(n) = n else { return "—".into() };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// "12.3K", "4.5M" for tight spaces (axis labels); exact below 10,000.
pub fn format_compact(n: i64) -> String {
    let a = n.unsigned_abs() as f64;
    let sign = if n < 0 { "-" } else { "" };
    let (v, unit) = match a {
        a if a >= 1e9 => (a / 1e9, "B"),
        a if a >= 1e6 => (a / 1e6, "M"),
        a if a >= 1e4 => (a / 1e3, "K"),
        _ => return format_count(Some(n)),
    };
    let s = if v >= 100.0 { format!("{v:.0}") } else { format!("{v:.1}").trim_end_matches(".0").to_string() };
    format!("{sign}{s}{unit}")
}

/// "10.8%" or "—".
pub fn format_rate(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into())
}

/// The change badge: (text, direction) with direction `up`, `down` or `flat`; `None` when
/// there is nothing to compare with.
pub fn format_change(pct: Option<f64>) -> Option<(String, &'static str)> {
    let p = pct?;
    Some(if p > 0.0 {
        (format!("▲ {}%", trim_num(p)), "up")
    } else if p < 0.0 {
        (format!("▼ {}%", trim_num(-p)), "down")
    } else {
        ("0%".into(), "flat")
    })
}

/// Same for a rate's change in percentage points.
pub fn format_change_pts(pts: Option<f64>) -> Option<(String, &'static str)> {
    let p = pts?;
    Some(if p > 0.0 {
        (format!("▲ {} pts", trim_num(p)), "up")
    } else if p < 0.0 {
        (format!("▼ {} pts", trim_num(-p)), "down")
    } else {
        ("0 pts".into(), "flat")
    })
}

fn trim_num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}").trim_end_matches(".0").to_string()
    }
}

/// A CSV file: header plus rows, RFC 4180 quoting. Text cells that a spreadsheet would run
/// as a formula (`=`, `+`, `-`, `@` first) get a leading apostrophe; numbers never do.
pub struct Csv {
    out: String,
}

/// One cell.
pub enum Cell<'a> {
    Text(&'a str),
    Num(Option<i64>),
    Rate(Option<f64>),
}

impl Csv {
    pub fn new(header: &[&str]) -> Self {
        let mut c = Self { out: String::new() };
        c.row(&header.iter().map(|h| Cell::Text(h)).collect::<Vec<_>>());
        c
    }

    pub fn row(&mut self, cells: &[Cell<'_>]) {
        let line: Vec<String> = cells
            .iter()
            .map(|c| match c {
                Cell::Num(n) => n.map(|n| n.to_string()).unwrap_or_default(),
                Cell::Rate(r) => r.map(|r| format!("{r:.2}")).unwrap_or_default(),
                Cell::Text(t) => {
                    let t = if t.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{t}") } else { t.to_string() };
                    if t.contains([',', '"', '\n', '\r']) {
                        format!("\"{}\"", t.replace('"', "\"\""))
                    } else {
                        t
                    }
                }
            })
            .collect();
        self.out.push_str(&line.join(","));
        self.out.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

impl Stats {
    /// The table behind the overview cards.
    pub fn overview_csv(&self) -> String {
        let o = &self.overview;
        let mut c = Csv::new(&["metric", "current", "previous", "change_pct", "from", "to", "previous_from", "previous_to"]);
        let r = &self.range;
        for (name, ch) in [
            ("views", o.views),
            ("impressions", o.impressions),
            ("likes", o.likes),
            ("comments", o.comments),
            ("shares", o.shares),
            ("saves", o.saves),
            ("followers", o.followers),
            ("posts", o.posts),
        ] {
            c.row(&[
                Cell::Text(name),
                Cell::Num(ch.current),
                Cell::Num(ch.previous),
                Cell::Rate(ch.change_pct),
                Cell::Text(&r.from),
                Cell::Text(&r.to),
                Cell::Text(&r.previous_from),
                Cell::Text(&r.previous_to),
            ]);
        }
        let e = o.engagement_rate;
        c.row(&[
            Cell::Text("engagement_rate_pct"),
            Cell::Rate(e.current),
            Cell::Rate(e.previous),
            Cell::Rate(e.change_pts),
            Cell::Text(&r.from),
            Cell::Text(&r.to),
            Cell::Text(&r.previous_from),
            Cell::Text(&r.previous_to),
        ]);
        c.finish()
    }

    /// The per-platform breakdown table.
    pub fn platforms_csv(&self) -> String {
        let mut c = Csv::new(&[
            "platform",
            "posts",
            "views",
            "impressions",
            "likes",
            "comments",
            "shares",
            "saves",
            "followers",
            "engagement_rate_pct",
        ]);
        for p in &self.platforms {
            c.row(&[
                Cell::Text(&p.platform),
                Cell::Num(Some(p.posts)),
                Cell::Num(p.views),
                Cell::Num(p.impressions),
                Cell::Num(p.likes),
                Cell::Num(p.comments),
                Cell::Num(p.shares),
                Cell::Num(p.saves),
                Cell::Num(p.followers),
                Cell::Rate(p.engagement_rate),
            ]);
        }
        c.finish()
    }

    /// The top-posts table.
    pub fn top_posts_csv(&self) -> String {
        let mut c = Csv::new(&[
            "post_id",
            "platform",
            "account",
            "published",
            "text",
            "url",
            "views",
            "likes",
            "comments",
            "shares",
            "engagement",
            "engagement_rate_pct",
        ]);
        for p in &self.top_posts {
            c.row(&[
                Cell::Text(&p.id),
                Cell::Text(&p.platform),
                Cell::Text(&p.account_name),
                Cell::Text(&p.published_local),
                Cell::Text(&p.text),
                Cell::Text(p.url.as_deref().unwrap_or("")),
                Cell::Num(p.views),
                Cell::Num(p.likes),
                Cell::Num(p.comments),
                Cell::Num(p.shares),
                Cell::Num(Some(p.engagement)),
                Cell::Rate(p.engagement_rate),
            ]);
        }
        c.finish()
    }

    /// The engagement-over-time chart, one row per day.
    pub fn series_csv(&self) -> String {
        let mut c = Csv::new(&["date", "views", "likes", "comments", "shares", "engagement_rate_pct"]);
        for d in &self.series {
            c.row(&[
                Cell::Text(&d.date),
                Cell::Num(d.views),
                Cell::Num(d.likes),
                Cell::Num(d.comments),
                Cell::Num(d.shares),
                Cell::Rate(d.engagement_rate),
            ]);
        }
        c.finish()
    }
}

impl PostAnalytics {
    /// Every pull of every platform of the post.
    pub fn csv(&self) -> String {
        let mut c = Csv::new(&["post_id", "platform", "taken_at", "views", "impressions", "likes", "comments", "shares", "saves"]);
        for p in &self.platforms {
            for s in &p.snapshots {
                let when = chrono::DateTime::from_timestamp_millis(s.taken_at).map(|t| t.to_rfc3339()).unwrap_or_default();
                let m = &s.metrics;
                c.row(&[
                    Cell::Text(&p.post_id),
                    Cell::Text(&p.platform),
                    Cell::Text(&when),
                    Cell::Num(m.views),
                    Cell::Num(m.impressions),
                    Cell::Num(m.likes),
                    Cell::Num(m.comments),
                    Cell::Num(m.shares),
                    Cell::Num(m.saves),
                ]);
            }
        }
        c.finish()
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
        let raw = base.saturating_mul(1i64 << (attempt - 1).clamp(0, 20));
        raw.min(self.interval_ms(age_ms).unwrap_or(DAY_MS)).max(base.min(1000))
    }
}

/// Hours since the epoch of a UTC millisecond time (what `metric_hourly` is keyed by).
pub fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS)
}

#[cfg(feature = "server")]
mod store;
#[cfg(feature = "server")]
pub use store::{Analytics, AnalyticsError, StatsQuery, SyncReport};

#[cfg(test)]
mod tests;
