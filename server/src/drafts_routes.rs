//! Seed 002's drafts API and the templates API (JSON). The views will use server functions
//! over the same core code.

use crate::error::{ApiError, ApiJson, Me};
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing;
use axum::Json;
use axum::Router;
use covalynce::drafts::{DraftInput, SaveKind, TemplateInput};
use covalynce::PlatformId;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn list(State(st): State<AppState>, Me(uid): Me, Query(q): Query<ListQuery>) -> Result<Json<Value>, ApiError> {
    let status = q.status.filter(|s| !s.is_empty() && s != "all");
    let drafts = st.drafts.list(&uid, status.as_deref(), q.limit.unwrap_or(50), q.offset.unwrap_or(0)).await?;
    Ok(Json(json!({"drafts": drafts})))
}

pub async fn create(
    State(st): State<AppState>,
    Me(uid): Me,
    ApiJson(b): ApiJson<DraftInput>,
) -> Result<(StatusCode, Json<impl Serialize>), ApiError> {
    let d = st.drafts.create(&uid, b).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

pub async fn get(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<Json<impl Serialize>, ApiError> {
    Ok(Json(st.drafts.get(&uid, &id).await?))
}

#[derive(Deserialize)]
pub struct SaveQuery {
    /// The editor's debounced saves: folded into one version per few minutes.
    #[serde(default)]
    autosave: bool,
}

pub async fn update(
    State(st): State<AppState>,
    Me(uid): Me,
    Path(id): Path<String>,
    Query(q): Query<SaveQuery>,
    ApiJson(b): ApiJson<DraftInput>,
) -> Result<Json<impl Serialize>, ApiError> {
    let kind = if q.autosave { SaveKind::Autosave } else { SaveKind::Save };
    Ok(Json(st.drafts.save(&uid, &id, b, kind).await?))
}

pub async fn versions(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"versions": st.drafts.versions(&uid, &id).await?})))
}

pub async fn restore(
    State(st): State<AppState>,
    Me(uid): Me,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<impl Serialize>, ApiError> {
    Ok(Json(st.drafts.restore(&uid, &id, &version).await?))
}

pub async fn delete(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    st.drafts.delete(&uid, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn templates(State(st): State<AppState>, Me(uid): Me) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"templates": st.drafts.templates(&uid).await?, "placeholders": covalynce::PLACEHOLDERS})))
}

pub async fn create_template(
    State(st): State<AppState>,
    Me(uid): Me,
    ApiJson(b): ApiJson<TemplateInput>,
) -> Result<(StatusCode, Json<impl Serialize>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.drafts.create_template(&uid, b).await?)))
}

pub async fn get_template(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<Json<impl Serialize>, ApiError> {
    Ok(Json(st.drafts.template(&uid, &id).await?))
}

pub async fn update_template(
    State(st): State<AppState>,
    Me(uid): Me,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TemplateInput>,
) -> Result<Json<impl Serialize>, ApiError> {
    Ok(Json(st.drafts.update_template(&uid, &id, b).await?))
}

pub async fn delete_template(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    st.drafts.delete_template(&uid, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct UseBody {
    idea: String,
    #[serde(default)]
    platforms: Vec<String>,
}

/// `POST /api/templates/{id}/use` → one variant per platform, rendered from the idea.
pub async fn use_template(
    State(st): State<AppState>,
    Me(uid): Me,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UseBody>,
) -> Result<Json<Value>, ApiError> {
    let mut platforms = vec![];
    for p in &b.platforms {
        platforms.push(PlatformId::parse(p).map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, &e.code, e.message))?);
    }
    let variants = st.drafts.use_template(&uid, &id, &b.idea, &platforms).await?;
    let checks: serde_json::Map<String, Value> = variants
        .iter()
        .filter_map(|(p, body)| PlatformId::parse(p).ok().map(|pid| (p.clone(), json!(covalynce::domain::check_length(pid, body)))))
        .collect();
    Ok(Json(json!({"template_id": id, "variants": variants, "lengths": checks})))
}

/// This module's routes; `lib.rs` merges every module's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/drafts", routing::get(list).post(create))
        .route("/api/drafts/{id}", routing::get(get).patch(update).delete(delete))
        .route("/api/drafts/{id}/versions", routing::get(versions))
        .route("/api/drafts/{id}/versions/{version}/restore", routing::post(restore))
        .route("/api/templates", routing::get(templates).post(create_template))
        .route("/api/templates/{id}", routing::get(get_template).patch(update_template).delete(delete_template))
        .route("/api/templates/{id}/use", routing::post(use_template))
}
