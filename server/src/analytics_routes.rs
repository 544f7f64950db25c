//! Analytics over JSON and CSV (seed 004 §5 `GET /api/dashboard/stats`, seed 003 §5
//! `/api/v1/analytics/*`). Every period endpoint takes `range=7d|30d|90d` or `from`/`to`
//! (YYYY-MM-DD in the profile's time zone, inclusive) and `platform`; the tables behind the
//! dashboard's charts also come as CSV (`?format=csv` or `…/export.csv`). Numbers a platform
//! does not report are `null` (empty in CSV), never 0.

use crate::error::{user_id, ApiError, Me};
use app::state::{AppState, RequestCtx};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum::{Extension, Json};
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

/// The caller's id and their request resolved in their own time zone.
async fn resolve(st: &AppState, rc: &RequestCtx, p: &Params) -> Result<(String, StatsQuery), ApiError> {
    let uid = user_id(rc)?;
    let tz = st.publisher.timezone(&uid).await;
    let q = StatsQuery::parse(&p.range(), tz)?;
    Ok((uid, q))
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
pub async fn dashboard_stats(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let (uid, q) = resolve(&st, &rc, &p).await?;
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
pub async fn overview(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let (uid, q) = resolve(&st, &rc, &p).await?;
    let s = st.analytics.stats(&uid, &q).await?;
    if p.csv()? {
        return Ok(csv(&format!("overview-{}", period(&s)), s.overview_csv()));
    }
    Ok(Json(json!({"range": s.range, "overview": s.overview, "hasConnections": s.has_connections, "hasPosts": s.has_posts}))
        .into_response())
}

/// `GET /api/v1/analytics/engagement`: engagement rate and the per-platform breakdown.
pub async fn engagement(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let (uid, q) = resolve(&st, &rc, &p).await?;
    let s = st.analytics.stats(&uid, &q).await?;
    if p.csv()? {
        return Ok(csv(&format!("platforms-{}", period(&s)), s.platforms_csv()));
    }
    Ok(Json(
        json!({"range": s.range, "engagementRate": s.overview.engagement_rate, "platforms": s.platforms, "unavailable": s.unavailable}),
    )
    .into_response())
}

/// `GET /api/v1/analytics/trends`: what the posts gained each day of the period.
pub async fn trends(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let (uid, q) = resolve(&st, &rc, &p).await?;
    if p.csv()? {
        let s = st.analytics.stats(&uid, &q).await?;
        return Ok(csv(&format!("trends-{}", period(&s)), s.series_csv()));
    }
    let days = st.analytics.series(&uid, &q).await?;
    let range = json!({"from": q.range.from, "to": q.range.to, "timezone": q.tz.as_str()});
    Ok(Json(json!({"range": range, "days": days})).into_response())
}

/// `GET /api/v1/analytics/top-posts`: the five posts published in the period that people
/// engaged with most.
pub async fn top_posts(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let (uid, q) = resolve(&st, &rc, &p).await?;
    if p.csv()? {
        let s = st.analytics.stats(&uid, &q).await?;
        return Ok(csv(&format!("top-posts-{}", period(&s)), s.top_posts_csv()));
    }
    let posts = st.analytics.top_posts(&uid, &q).await?;
    let range = json!({"from": q.range.from, "to": q.range.to, "timezone": q.tz.as_str()});
    Ok(Json(json!({"range": range, "posts": posts})).into_response())
}

fn with_csv(mut p: Params) -> Params {
    p.format = Some("csv".into());
    p
}

pub async fn overview_csv(st: State<AppState>, rc: Extension<RequestCtx>, Query(p): Query<Params>) -> Result<Response, ApiError> {
    overview(st, rc, Query(with_csv(p))).await
}
pub async fn engagement_csv(st: State<AppState>, rc: Extension<RequestCtx>, Query(p): Query<Params>) -> Result<Response, ApiError> {
    engagement(st, rc, Query(with_csv(p))).await
}
pub async fn trends_csv(st: State<AppState>, rc: Extension<RequestCtx>, Query(p): Query<Params>) -> Result<Response, ApiError> {
    trends(st, rc, Query(with_csv(p))).await
}
pub async fn top_posts_csv(st: State<AppState>, rc: Extension<RequestCtx>, Query(p): Query<Params>) -> Result<Response, ApiError> {
    top_posts(st, rc, Query(with_csv(p))).await
}

/// `GET /api/v1/analytics/content/{id}`: one post (and its sibling publications) with every
/// pull over time.
pub async fn content(
    State(st): State<AppState>,
    Me(uid): Me,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let tz = st.publisher.timezone(&uid).await;
    let full = p.csv()?;
    let a = st.analytics.post(&uid, &id, &tz, full).await?;
    if full {
        return Ok(csv(&format!("post-{id}"), a.csv()));
    }
    Ok(Json(a).into_response())
}

pub async fn content_csv(st: State<AppState>, me: Me, id: Path<String>, Query(p): Query<Params>) -> Result<Response, ApiError> {
    content(st, me, id, Query(with_csv(p))).await
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
        .route("/api/v1/analytics/overview/export.csv", get(overview_csv))
        .route("/api/v1/analytics/engagement", get(engagement))
        .route("/api/v1/analytics/engagement/export.csv", get(engagement_csv))
        .route("/api/v1/analytics/trends", get(trends))
        .route("/api/v1/analytics/trends/export.csv", get(trends_csv))
        .route("/api/v1/analytics/top-posts", get(top_posts))
        .route("/api/v1/analytics/top-posts/export.csv", get(top_posts_csv))
        .route("/api/v1/analytics/content/{id}", get(content))
        .route("/api/v1/analytics/content/{id}/export.csv", get(content_csv))
        .route("/api/v1/analytics/content/{id}/refresh", post(refresh))
}
