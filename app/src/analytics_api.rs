//! Server functions for the dashboard and the per-post analytics page: thin wrappers over
//! `covalynce::analytics`, the same core calls the JSON API makes. Dates, labels and
//! relative times are computed here (the browser build has no clock of its own).

use crate::errors::AppError;
use covalynce::analytics::{PostAnalytics, Stats};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A platform the person can filter by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformOption {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub stats: Stats,
    /// Platforms with a connected account, in catalogue order.
    pub platforms: Vec<PlatformOption>,
    /// "Last 30 days" or "1 Nov – 24 Nov 2026".
    pub range_label: String,
    /// "2 Oct – 31 Oct".
    pub previous_label: String,
    /// `from=…&to=…[&platform=…]` for CSV links and the chart's metric tabs.
    pub query: String,
}

#[cfg(feature = "ssr")]
mod ssr {
    use chrono::NaiveDate;

    fn date(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    /// "1 Nov – 24 Nov 2026" (the year once when both ends share it).
    pub fn span(from: &str, to: &str) -> String {
        match (date(from), date(to)) {
            (Some(f), Some(t)) if f == t => t.format("%-d %b %Y").to_string(),
            (Some(f), Some(t)) if f.format("%Y").to_string() == t.format("%Y").to_string() => {
                format!("{} – {}", f.format("%-d %b"), t.format("%-d %b %Y"))
            }
            (Some(f), Some(t)) => format!("{} – {}", f.format("%-d %b %Y"), t.format("%-d %b %Y")),
            _ => format!("{from} – {to}"),
        }
    }
}

#[server(prefix = "/sfn", endpoint = "dashboard_data", input = server_fn::codec::GetUrl)]
pub async fn dashboard_data(
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
    platform: Option<String>,
) -> Result<DashboardView, AppError> {
    use self::ssr::*;
    use crate::api::ssr::require_user;
    use covalynce::analytics::{RangeParams, StatsQuery};
    let (st, me) = require_user()?;
    let tz = st.publisher.timezone(&me.sub).await;
    let q = StatsQuery::parse(&RangeParams { range, from, to, platform }, tz)?;
    let stats = st.analytics.stats(&me.sub, &q).await?;
    let connected = st.connections.list(&me.sub).await?;
    let platforms = covalynce::PlatformId::ALL
        .into_iter()
        .filter(|p| connected.iter().any(|c| c.platform == *p))
        .map(|p| PlatformOption { id: p.as_str().into(), name: p.display_name().into() })
        .collect();
    let r = &stats.range;
    let range_label = match r.key.as_str() {
        "custom" => span(&r.from, &r.to),
        _ => format!("Last {} days", r.days),
    };
    let mut query = format!("from={}&to={}", r.from, r.to);
    if let Some(p) = &r.platform {
        query += &format!("&platform={p}");
    }
    Ok(DashboardView { previous_label: span(&r.previous_from, &r.previous_to), range_label, query, platforms, stats })
}

#[server(prefix = "/sfn", endpoint = "load_post_analytics", input = server_fn::codec::GetUrl)]
pub async fn load_post_analytics(id: String) -> Result<PostAnalytics, AppError> {
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let tz = st.publisher.timezone(&me.sub).await;
    st.analytics.post(&me.sub, &id, &tz, false).await.map_err(AppError::from)
}

/// "Refresh now": pulls the numbers of the post and its sibling publications at once.
#[server(prefix = "/sfn", endpoint = "refresh_post_metrics")]
pub async fn refresh_post_metrics(csrf: String, id: String) -> Result<PostAnalytics, AppError> {
    // Checked by the request middleware before any server function runs.
    let _ = csrf;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let tz = st.publisher.timezone(&me.sub).await;
    st.analytics.refresh_with_siblings(&me.sub, &id, &tz).await.map_err(AppError::from)
}
