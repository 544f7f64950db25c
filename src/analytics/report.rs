//! What the dashboard and a post's page show: the overview cards, the per-platform table,
//! the best posts, the chart and each publication's history.

use super::*;

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
    /// Numbers a platform does not share with this app or grant, per platform: which
    /// permission would unlock them (e.g. LinkedIn member post statistics).
    #[serde(default)]
    pub unavailable: Vec<Unavailable>,
}

/// Metrics a platform will not give us, and why.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Unavailable {
    pub platform: String,
    pub message: String,
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
    pub status: crate::domain::PostStatus,
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
