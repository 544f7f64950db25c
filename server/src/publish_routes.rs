//! Publishing and scheduling over JSON (seed 002/004 endpoints). Times come in as RFC 3339
//! with an offset, UTC milliseconds, or a local time in the person's profile time zone.

use crate::error::{ApiError, ApiJson, Me};
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing;
use axum::Json;
use axum::Router;
use covalynce::publish::{Post, PostQuery, PublishRequest};
use covalynce::{DomainError, PlatformId};
use serde::Deserialize;
use serde_json::{json, Value};

fn unprocessable(e: DomainError) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, &e.code, e.message)
}

/// When to publish: absent = now.
#[derive(Deserialize, Default)]
pub struct When {
    /// RFC 3339 with an offset (`2026-12-01T09:00:00+01:00`) or UTC milliseconds.
    #[serde(default)]
    scheduled_at: Option<Value>,
    /// `2026-12-01T09:00` in the profile's time zone.
    #[serde(default)]
    local_time: Option<String>,
    /// For a local time the clocks pass twice: `earlier` or `later`.
    #[serde(default)]
    fold: Option<String>,
}

impl When {
    async fn resolve(&self, st: &AppState, uid: &str) -> Result<Option<i64>, ApiError> {
        if let Some(local) = self.local_time.as_deref().filter(|s| !s.trim().is_empty()) {
            return Ok(Some(st.publisher.local_to_utc(uid, local, self.fold.as_deref().unwrap_or("")).await?));
        }
        match &self.scheduled_at {
            None | Some(Value::Null) => Ok(None),
            // Only a whole number of milliseconds: a float or an out-of-range integer must never
            // fall through to "now". Out-of-window times are refused by the publisher.
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                unprocessable(DomainError::new(
                    "invalid_time",
                    "scheduled_at must be a whole number of UTC milliseconds (like 1764579600000) or an RFC 3339 time.",
                ))
            }),
            Some(Value::String(s)) if s.trim().is_empty() || s == "now" => Ok(None),
            Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s.trim()).map(|t| Some(t.timestamp_millis())).map_err(|_| {
                unprocessable(DomainError::new(
                    "invalid_time",
                    "scheduled_at must be an RFC 3339 time with an offset (2026-12-01T09:00:00+01:00), or use local_time.",
                ))
            }),
            Some(_) => Err(unprocessable(DomainError::new("invalid_time", "scheduled_at must be a string or a number of milliseconds."))),
        }
    }
}

/// `PublishRequest` (accounts, texts, image, title, per-network choices) with the draft it
/// starts from and when it goes out.
#[derive(Deserialize)]
pub struct PublishBody {
    #[serde(default)]
    draft_id: Option<String>,
    #[serde(flatten)]
    request: PublishRequest,
    #[serde(flatten)]
    when: When,
}

async fn publish_inner(st: &AppState, uid: &str, b: PublishBody) -> Result<(StatusCode, Json<Value>), ApiError> {
    let draft = match &b.draft_id {
        Some(id) => Some(st.drafts.get(uid, id).await?),
        None => None,
    };
    let req = PublishRequest { scheduled_at: b.when.resolve(st, uid).await?, ..b.request };
    let posts = st.publisher.publish(uid, draft.as_ref(), req).await?;
    let batch = posts.first().map(|p| p.batch_id.clone()).unwrap_or_default();
    Ok((StatusCode::CREATED, Json(json!({"batch_id": batch, "posts": posts}))))
}

/// `POST /api/posts/publish`: one publication per chosen account, now or at a time.
pub async fn publish(
    State(st): State<AppState>,
    Me(uid): Me,
    ApiJson(b): ApiJson<PublishBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    publish_inner(&st, &uid, b).await
}

#[derive(Deserialize)]
pub struct ContentPublishBody {
    content_id: String,
    /// Platform ids: every connected account of each.
    #[serde(default)]
    platforms: Vec<String>,
    #[serde(default)]
    connection_ids: Vec<String>,
    #[serde(default)]
    schedule_time: Option<Value>,
    #[serde(flatten)]
    options: covalynce::domain::PostOptions,
}

/// `POST /api/content/publish` (seed 004): a library item to platforms or accounts.
pub async fn content_publish(
    State(st): State<AppState>,
    Me(uid): Me,
    ApiJson(b): ApiJson<ContentPublishBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let platforms = b.platforms.iter().map(|p| PlatformId::parse(p)).collect::<Result<Vec<_>, _>>().map_err(unprocessable)?;
    let mut connection_ids = b.connection_ids;
    connection_ids.extend(st.connections.accounts_on(&uid, &platforms).await?);
    let body = PublishBody {
        draft_id: Some(b.content_id),
        request: PublishRequest { connection_ids, options: b.options, ..Default::default() },
        when: When { scheduled_at: b.schedule_time, ..Default::default() },
    };
    publish_inner(&st, &uid, body).await
}

pub async fn list(State(st): State<AppState>, Me(uid): Me, Query(q): Query<PostQuery>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"posts": st.publisher.list(&uid, &q).await?})))
}

pub async fn get(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<Json<Post>, ApiError> {
    Ok(Json(st.publisher.get(&uid, &id).await?))
}

/// `PATCH /api/posts/{id}`: a new time for a pending post.
pub async fn reschedule(
    State(st): State<AppState>,
    Me(uid): Me,
    Path(id): Path<String>,
    ApiJson(w): ApiJson<When>,
) -> Result<Json<Post>, ApiError> {
    let at = w.resolve(&st, &uid).await?.ok_or_else(|| unprocessable(DomainError::new("invalid_time", "Give the new time.")))?;
    Ok(Json(st.publisher.reschedule(&uid, &id, at).await?))
}

pub async fn cancel(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<Json<Post>, ApiError> {
    Ok(Json(st.publisher.cancel(&uid, &id).await?))
}

#[derive(Deserialize, Default)]
pub struct RetryBody {
    /// For an unconfirmed post: the person checked and it is not on the platform.
    #[serde(default)]
    confirm_missing: bool,
}

pub async fn retry(
    State(st): State<AppState>,
    Me(uid): Me,
    Path(id): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Post>, ApiError> {
    let body = body.map_err(|_| crate::error::body_too_large(crate::error::JSON_LIMIT))?;
    // The body is optional: an empty one means "retry a failed post".
    let b: RetryBody = if body.iter().all(u8::is_ascii_whitespace) {
        RetryBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|_| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", "Send {\"confirm_missing\": true} or no body."))?
    };
    let confirm = b.confirm_missing;
    Ok(Json(st.publisher.retry(&uid, &id, confirm).await?))
}

/// `GET /analytics/posts` (seed 000): every publication with its platform, post id and status.
pub async fn analytics_posts(State(st): State<AppState>, Me(uid): Me) -> Result<Json<Value>, ApiError> {
    let posts = st.publisher.list(&uid, &PostQuery { limit: Some(10_000), ..Default::default() }).await?;
    let out: Vec<Value> = posts
        .into_iter()
        .map(|p| {
            json!({
                "id": p.id, "platform": p.platform, "post_id": p.external_id, "url": p.external_url,
                "status": p.status.as_str().to_uppercase(), "scheduled_at": p.scheduled_at, "published_at": p.published_at,
                "error": p.error_message,
            })
        })
        .collect();
    Ok(Json(json!({"posts": out})))
}

/// This module's routes; `lib.rs` merges every module's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/posts/publish", routing::post(publish))
        .route("/api/content/publish", routing::post(content_publish))
        .route("/api/posts", routing::get(list))
        .route("/api/posts/{id}", routing::get(get).patch(reschedule).delete(cancel))
        .route("/api/posts/{id}/retry", routing::post(retry))
        .route("/analytics/posts", routing::get(analytics_posts))
}
