//! Analytics over JSON and CSV (seed 004 §5 `GET /api/dashboard/stats`, seed 003 §5
//! `/api/v1/analytics/*`). Every period endpoint takes `range=7d|30d|90d` or `from`/`to`
//! (YYYY-MM-DD in the profile's time zone, inclusive) and `platform`; the tables behind the
//! dashboard's charts also come as CSV (`?format=csv` or `…/export.csv`). Numbers a platform
//! does not report are `null` (empty in CSV), never 0.

use crate::error::{ApiError, Me};
use app::state::AppState;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use axum::Router;
use covalynce::analytics::{RangeParams, Stats, StatsQuery};
use serde::Deserialize;
use serde_json::json;

/// The query string of every period endpoint.
#[derive(Deserialize, Default)]
pub struct Params {
    #[serde(default)]
    range: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    platform: Option<String>,
    /// `json` (default) or `csv`.
    #[serde(default)]
    format: Option<String>,
}

impl Params {
    fn range(&self) -> RangeParams {
        RangeParams { range: self.range.clone(), from: self.from.clone(), to: self.to.clone(), platform: self.platform.clone() }
    }

    fn csv(&self) -> Result<bool, ApiError> {
        match self.format.as_deref().map(str::trim).unwrap_or("") {
            "" | "json" => Ok(false),
            "csv" => Ok(true),
            other => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_format",
                format!("format \"{other}\" is not offered: use json or csv."),
            )),
        }
    }
}

/// The caller and whether they asked for CSV (`?format=csv`, or a path ending in
/// `/export.csv`: the same handler serves both), with the rest of the query string.
pub struct Format {
    uid: String,
    csv: bool,
    params: Params,
}

impl FromRequestParts<AppState> for Format {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let Me(uid) = Me::from_request_parts(parts, st).await?;
        let Query(params) = Query::<Params>::from_request_parts(parts, st)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
        let csv = parts.uri.path().ends_with("/export.csv") || params.csv()?;
        Ok(Format { uid, csv, params })
    }
}

/// The caller, the period they asked for resolved in their own time zone, and whether they
/// asked for CSV: what every period endpoint starts from.
pub struct Period {
    uid: String,
    q: StatsQuery,
    csv: bool,
}

impl FromRequestParts<AppState> for Period {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let Format { uid, csv, params } = Format::from_request_parts(parts, st).await?;
        let tz = st.publisher.timezone(&uid).await;
        let q = StatsQuery::parse(&params.range(), tz)?;
        Ok(Period { uid, q, csv })
    }
}

/// A download: `Content-Disposition` names the table and the period.
fn csv(name: &str, body: String) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"covalynce-{name}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    r
}

fn period(s: &Stats) -> String {
    let platform = s.range.platform.as_deref().map(|p| format!("-{p}")).unwrap_or_default();
    format!("{}-to-{}{platform}", s.range.from, s.range.to)
}

/// `GET /api/dashboard/stats` (seed 004 §5): totals with their change against the previous
/// period, followers, engagement rate, the per-platform breakdown and the top 5 posts.
pub async fn dashboard_stats(State(st): State<AppState>, Period { uid, q, .. }: Period) -> Result<Response, ApiError> {
    let s = st.analytics.stats(&uid, &q).await?;
    let o = &s.overview;
    Ok(Json(json!({
        "totalViews": o.views.current,
        "totalLikes": o.likes.current,
        "totalComments": o.comments.current,
        "totalShares": o.shares.current,
        "totalFollowers": o.followers.current,
        "engagementRate": o.engagement_rate.current,
        "postsPublished": o.posts.current,
        "changes": {
            "views": o.views.change_pct,
            "likes": o.likes.change_pct,
            "comments": o.comments.change_pct,
            "shares": o.shares.change_pct,
            "followers": o.followers.change_pct,
            "postsPublished": o.posts.change_pct,
            "engagementRatePts": o.engagement_rate.change_pts,
        },
        "previous": {
            "totalViews": o.views.previous,
            "totalLikes": o.likes.previous,
            "totalComments": o.comments.previous,
            "totalShares": o.shares.previous,
            "totalFollowers": o.followers.previous,
            "engagementRate": o.engagement_rate.previous,
            "postsPublished": o.posts.previous,
        },
        "platformBreakdown": s.platforms,
        "topPosts": s.top_posts,
        "range": s.range,
        "hasConnections": s.has_connections,
        "hasPosts": s.has_posts,
        "unavailable": s.unavailable,
    }))
    .into_response())
}

/// `GET /api/v1/analytics/overview`: every total with current, previous and change.
pub async fn overview(State(st): State<AppState>, Period { uid, q, csv: as_csv }: Period) -> Result<Response, ApiError> {
    let s = st.analytics.stats(&uid, &q).await?;
    if as_csv {
        return Ok(csv(&format!("overview-{}", period(&s)), s.overview_csv()));
    }
    Ok(Json(json!({"range": s.range, "overview": s.overview, "hasConnections": s.has_connections, "hasPosts": s.has_posts}))
        .into_response())
}

/// `GET /api/v1/analytics/engagement`: engagement rate and the per-platform breakdown.
pub async fn engagement(State(st): State<AppState>, Period { uid, q, csv: as_csv }: Period) -> Result<Response, ApiError> {
    let s = st.analytics.stats(&uid, &q).await?;
    if as_csv {
        return Ok(csv(&format!("platforms-{}", period(&s)), s.platforms_csv()));
    }
    Ok(Json(
        json!({"range": s.range, "engagementRate": s.overview.engagement_rate, "platforms": s.platforms, "unavailable": s.unavailable}),
    )
    .into_response())
}

/// `GET /api/v1/analytics/trends`: what the posts gained each day of the period.
pub async fn trends(State(st): State<AppState>, Period { uid, q, csv: as_csv }: Period) -> Result<Response, ApiError> {
    if as_csv {
        let s = st.analytics.stats(&uid, &q).await?;
        return Ok(csv(&format!("trends-{}", period(&s)), s.series_csv()));
    }
    let days = st.analytics.series(&uid, &q).await?;
    let range = json!({"from": q.range.from, "to": q.range.to, "timezone": q.tz.as_str()});
    Ok(Json(json!({"range": range, "days": days})).into_response())
}

/// `GET /api/v1/analytics/top-posts`: the five posts published in the period that people
/// engaged with most.
pub async fn top_posts(State(st): State<AppState>, Period { uid, q, csv: as_csv }: Period) -> Result<Response, ApiError> {
    if as_csv {
        let s = st.analytics.stats(&uid, &q).await?;
        return Ok(csv(&format!("top-posts-{}", period(&s)), s.top_posts_csv()));
    }
    let posts = st.analytics.top_posts(&uid, &q).await?;
    let range = json!({"from": q.range.from, "to": q.range.to, "timezone": q.tz.as_str()});
    Ok(Json(json!({"range": range, "posts": posts})).into_response())
}

/// `GET /api/v1/analytics/content/{id}`: one post (and its sibling publications) with every
/// pull over time.
pub async fn content(
    State(st): State<AppState>,
    Format { uid, csv: full, .. }: Format,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let tz = st.publisher.timezone(&uid).await;
    let a = st.analytics.post(&uid, &id, &tz, full).await?;
    if full {
        return Ok(csv(&format!("post-{id}"), a.csv()));
    }
    Ok(Json(a).into_response())
}

/// `POST /api/v1/analytics/content/{id}/refresh`: pull this post's numbers now.
pub async fn refresh(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<Response, ApiError> {
    let tz = st.publisher.timezone(&uid).await;
    Ok(Json(st.analytics.refresh_now(&uid, &id, &tz).await?).into_response())
}

/// This module's routes; `lib.rs` merges every module's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/dashboard/stats", get(dashboard_stats))
        .route("/api/v1/analytics/overview", get(overview))
        .route("/api/v1/analytics/overview/export.csv", get(overview))
        .route("/api/v1/analytics/engagement", get(engagement))
        .route("/api/v1/analytics/engagement/export.csv", get(engagement))
        .route("/api/v1/analytics/trends", get(trends))
        .route("/api/v1/analytics/trends/export.csv", get(trends))
        .route("/api/v1/analytics/top-posts", get(top_posts))
        .route("/api/v1/analytics/top-posts/export.csv", get(top_posts))
        .route("/api/v1/analytics/content/{id}", get(content))
        .route("/api/v1/analytics/content/{id}/export.csv", get(content))
        .route("/api/v1/analytics/content/{id}/refresh", post(refresh))
}
