//! Scheduling over JSON: the calendar range, CSV bulk import (and its template), repeating
//! series, per-account time slots and "add to queue". Thin wrappers over
//! `covalynce::schedule`; every id is looked up within the caller's own data, so another
//! user's ids are simply not found (404).

use crate::error::{ApiError, ApiJson, Me};
use app::state::AppState;
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Json;
use axum::Router;
use covalynce::schedule::{Import, QueueItem, Scheduler, SeriesInput};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Largest CSV accepted: 1,000 long LinkedIn posts fit with room to spare.
pub const BULK_MAX_BYTES: usize = 4 * 1024 * 1024;

/// The core scheduler over the app's shared handles (cheap: pools are reference-counted).
pub fn scheduler(st: &AppState) -> Scheduler {
    Scheduler::new(st.auth.db().clone(), st.connections.clone(), st.publisher.clone())
}

/// The bulk route takes the file plus multipart framing; axum's default (2 MB) is too small.
pub fn bulk_body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(BULK_MAX_BYTES + 64 * 1024)
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!("The file is larger than {} MB. Split it into smaller files.", BULK_MAX_BYTES / (1024 * 1024)),
    )
}

#[derive(Deserialize)]
pub struct RangeQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// `GET /api/calendar?from=YYYY-MM-DD&to=YYYY-MM-DD`: the posts on those local days (both
/// included) with their local date and time in the profile's zone.
pub async fn calendar(State(st): State<AppState>, Me(uid): Me, Query(q): Query<RangeQuery>) -> Result<Response, ApiError> {
    let (Some(from), Some(to)) = (q.from.filter(|s| !s.is_empty()), q.to.filter(|s| !s.is_empty())) else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_range",
            "Give the days to show: ?from=2026-11-01&to=2026-11-30 (local dates, both included).",
        ));
    };
    let cal = scheduler(&st).calendar(&uid, &from, &to).await?;
    Ok(Json(cal).into_response())
}

/// Reads the CSV out of whichever shape the client sent: multipart (a file field, or a text
/// field named `csv`), JSON `{"csv": "…"}`, or the raw body (`text/csv`).
async fn csv_body(st: &AppState, req: Request) -> Result<Vec<u8>, ApiError> {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let multipart_err = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_upload", "The upload was cut off or malformed. Try again.")
        }
    };
    if ct.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, st).await.map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_upload", "The upload was malformed. Send the CSV in a field named \"file\".")
        })?;
        while let Some(field) = mp.next_field().await.map_err(multipart_err)? {
            if field.file_name().is_some() || matches!(field.name(), Some("file" | "csv")) {
                return Ok(field.bytes().await.map_err(multipart_err)?.to_vec());
            }
        }
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_file", "Choose a CSV file to import (a field named \"file\")."));
    }
    if ct.starts_with("application/json") {
        let ApiJson(v): ApiJson<Value> = ApiJson::from_request(req, st).await?;
        return v["csv"]
            .as_str()
            .map(|s| s.as_bytes().to_vec())
            .ok_or_else(|| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_file", "Send {\"csv\": \"date,time,accounts,text\\n…\"}."));
    }
    let bytes = axum::body::to_bytes(req.into_body(), BULK_MAX_BYTES).await.map_err(|_| too_large())?;
    Ok(bytes.to_vec())
}

/// `POST /api/schedule/bulk`: every row is checked first. All valid → 201 with the posts
/// (one batch); anything wrong → 422 listing every problem by row and column, nothing stored.
pub async fn bulk(State(st): State<AppState>, Me(uid): Me, req: Request) -> Result<Response, ApiError> {
    let bytes = csv_body(&st, req).await?;
    let s = scheduler(&st);
    match s.import_csv(&uid, &bytes).await? {
        Import::Imported(posts) => {
            let batch = posts.first().map(|p| p.batch_id.clone()).unwrap_or_default();
            // The earliest post's local day, so a calendar can jump to where they landed.
            let tz = s.timezone(&uid).await;
            let first = posts.iter().map(|p| p.scheduled_at).min().and_then(|ms| covalynce::utc_ms_to_local(&tz, ms));
            let first_date = first.map(|t| t.format("%Y-%m-%d").to_string());
            let body = json!({"imported": posts.len(), "batch_id": batch, "first_date": first_date, "posts": posts});
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        Import::Refused(problems) => {
            let rows = {
                let mut r: Vec<usize> = problems.iter().map(|e| e.row).collect();
                r.dedup();
                r.len()
            };
            let total = problems.total();
            let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
            let message = if problems.more == 0 {
                format!(
                    "Nothing was imported: {} in {}. Fix them and upload the file again.",
                    plural(total, "problem"),
                    plural(rows, "row")
                )
            } else {
                format!(
                    "Nothing was imported: {} problems. The first {} are listed ({} more not shown); fix them and upload the file again.",
                    total,
                    problems.listed.len(),
                    problems.more
                )
            };
            let body = json!({"error": "invalid_rows", "message": message, "errors": problems.listed, "more_errors": problems.more});
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response())
        }
    }
}

/// `GET /api/schedule/bulk/template.csv`: header and two example rows for this person.
pub async fn template(State(st): State<AppState>, Me(uid): Me) -> Result<Response, ApiError> {
    let body = scheduler(&st).template_csv(&uid).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"covalynce-schedule.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// `POST /api/schedule/recurring`: `{connection_ids, text | variants | draft_id, start:
/// "2026-12-01T09:00", fold?, freq: daily|weekly|monthly, interval?, until? | count?}`.
pub async fn create_series(
    State(st): State<AppState>,
    Me(uid): Me,
    ApiJson(mut input): ApiJson<SeriesInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if let Some(id) = input.draft_id.clone().filter(|d| !d.is_empty()) {
        input.fill_from(st.drafts.get(&uid, &id).await?);
    }
    let (series, posts) = scheduler(&st).create_series(&uid, input).await?;
    Ok((StatusCode::CREATED, Json(json!({"series": series, "posts": posts}))))
}

pub async fn list_series(State(st): State<AppState>, Me(uid): Me) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"series": scheduler(&st).list_series(&uid).await?})))
}

/// `DELETE /api/schedule/recurring/{id}`: the series stops and its pending posts are cancelled.
pub async fn cancel_series(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let (series, n) = scheduler(&st).cancel_series(&uid, &id).await?;
    Ok(Json(json!({"series": series, "cancelled": n})))
}

#[derive(Deserialize)]
pub struct SlotsQuery {
    #[serde(default)]
    connection_id: Option<String>,
}

pub async fn list_slots(State(st): State<AppState>, Me(uid): Me, Query(q): Query<SlotsQuery>) -> Result<Json<Value>, ApiError> {
    let slots = scheduler(&st).slots(&uid, q.connection_id.as_deref().filter(|c| !c.is_empty())).await?;
    Ok(Json(json!({"slots": slots})))
}

#[derive(Deserialize)]
pub struct SlotBody {
    #[serde(default)]
    connection_id: String,
    /// 0 (Monday) … 6 (Sunday), or a day name.
    #[serde(default)]
    weekday: Value,
    /// `HH:MM` in the profile's zone.
    #[serde(default, alias = "local_time")]
    time: String,
}

/// `POST /api/slots`: `{connection_id, weekday, time}` → 201 with the slot; 409 if it exists.
pub async fn create_slot(
    State(st): State<AppState>,
    Me(uid): Me,
    ApiJson(b): ApiJson<SlotBody>,
) -> Result<(StatusCode, Json<impl Serialize>), ApiError> {
    let weekday = match &b.weekday {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let slot = scheduler(&st).add_slot(&uid, &b.connection_id, &weekday, &b.time).await?;
    Ok((StatusCode::CREATED, Json(slot)))
}

pub async fn delete_slot(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    scheduler(&st).delete_slot(&uid, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/queue/add`: `{connection_id, text, image_url?, title?, draft_id?}` → 201 with
/// the post at the account's next free slot, and that slot's local date and time.
pub async fn add_to_queue(
    State(st): State<AppState>,
    Me(uid): Me,
    ApiJson(item): ApiJson<QueueItem>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let s = scheduler(&st);
    let post = s.add_to_queue(&uid, item).await?;
    let local = covalynce::utc_ms_to_local(&s.timezone(&uid).await, post.scheduled_at);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "post": post,
            "local_date": local.map(|t| t.format("%Y-%m-%d").to_string()),
            "local_time": local.map(|t| t.format("%H:%M").to_string()),
        })),
    ))
}

/// This module's routes; `lib.rs` merges every module's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/calendar", get(calendar))
        .route("/api/schedule/bulk", post(bulk).layer(bulk_body_limit()))
        .route("/api/schedule/bulk/template.csv", get(template))
        .route("/api/schedule/recurring", get(list_series).post(create_series))
        .route("/api/schedule/recurring/{id}", delete(cancel_series))
        .route("/api/slots", get(list_slots).post(create_slot))
        .route("/api/slots/{id}", delete(delete_slot))
        .route("/api/queue/add", post(add_to_queue))
}
