//! Outbound webhooks (JSON): register URLs, send a test, read the delivery log. The signing
//! secret comes back once, in the answer to the POST that created the endpoint.

use crate::error::{ApiError, ApiJson, Me};
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing;
use axum::Json;
use axum::Router;
use covalynce::domain::WebhookEvent;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// `GET /api/webhooks` → `{webhooks: [...], events: [...]}` (the events one can subscribe to).
pub async fn list(State(st): State<AppState>, Me(uid): Me) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"webhooks": st.webhooks.list(&uid).await?, "events": WebhookEvent::ALL})))
}

#[derive(Deserialize)]
pub struct CreateBody {
    url: String,
    events: Vec<String>,
}

/// `POST /api/webhooks {url, events}` → 201 with the endpoint and its `secret` (only now).
pub async fn create(
    State(st): State<AppState>,
    Me(uid): Me,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (ep, secret) = st.webhooks.create(&uid, &b.url, &b.events).await?;
    let mut out = json!(ep);
    out["secret"] = json!(secret);
    Ok((StatusCode::CREATED, Json(out)))
}

pub async fn delete(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    st.webhooks.delete(&uid, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/webhooks/{id}/test`: sends a `ping` now and answers with the delivery as
/// recorded (`status` delivered or failed, `last_status_code`, `last_error`).
pub async fn test(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<Json<impl Serialize>, ApiError> {
    app::webhooks_api::limit_test(&st, &uid, &id).await?;
    Ok(Json(st.webhooks.ping(&uid, &id).await?))
}

#[derive(Deserialize)]
pub struct LogQuery {
    limit: Option<i64>,
}

/// `GET /api/webhooks/deliveries?limit=50` → `{deliveries: [...]}`, newest first.
pub async fn deliveries(State(st): State<AppState>, Me(uid): Me, Query(q): Query<LogQuery>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"deliveries": st.webhooks.deliveries(&uid, q.limit.unwrap_or(50)).await?})))
}

/// This module's routes; `lib.rs` merges every module's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/webhooks", routing::get(list).post(create))
        .route("/api/webhooks/deliveries", routing::get(deliveries))
        .route("/api/webhooks/{id}", routing::delete(delete))
        .route("/api/webhooks/{id}/test", routing::post(test))
}
