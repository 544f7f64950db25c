//! Images for drafts over HTTP: upload (multipart), metadata, delete, generation (Gemini on
//! the user's key, else the offline text card) and the public `/media/{id}` bytes.

use crate::error::{ApiError, ApiJson, Me};
use app::state::AppState;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing;
use axum::Json;
use axum::Router;
use covalynce::media::{GenerateRequest, Image, MediaError};

/// Room for the multipart boundaries, headers and the `draft_id` field around the file.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// Axum refuses bodies over 2 MB by default; this route takes the configured limit plus the
/// multipart framing, so a slightly-too-big file still reaches our own, clearer 413.
pub fn upload_body_limit(st: &AppState) -> DefaultBodyLimit {
    DefaultBodyLimit::max(usize::try_from(st.media.max_upload_bytes().saturating_add(MULTIPART_OVERHEAD)).unwrap_or(usize::MAX))
}

/// The user's Gemini key (sealed in their AI settings), if they saved one.
async fn gemini_key(st: &AppState, uid: &str) -> Result<Option<String>, ApiError> {
    Ok(st.ai.gemini_key(uid).await?)
}

fn multipart_error(e: &MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        MediaError::TooLarge { size: None, limit }.into()
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_upload", "The upload was cut off or malformed. Try again.")
    }
}

/// Reads the file field, counting past the limit without keeping the extra bytes, so the
/// 413 can say how big the file was.
async fn read_file(mut field: Field<'_>, limit: u64) -> Result<Vec<u8>, ApiError> {
    let mut buf = Vec::new();
    let mut size: u64 = 0;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                size += chunk.len() as u64;
                if size <= limit {
                    buf.extend_from_slice(&chunk);
                }
            }
            Ok(None) => break,
            Err(e) => return Err(multipart_error(&e, limit)),
        }
    }
    if size > limit {
        return Err(MediaError::TooLarge { size: Some(size), limit }.into());
    }
    Ok(buf)
}

/// `POST /api/images`: multipart with the image in `file` and optionally `draft_id` (the
/// caller's draft, whose image becomes this one). 201 with the image.
pub async fn upload(
    State(st): State<AppState>,
    Me(uid): Me,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Image>), ApiError> {
    let limit = st.media.max_upload_bytes();
    let mut mp = mp.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "multipart_expected",
            "Send the image as multipart/form-data with the file in a field named \"file\".",
        )
    })?;
    let (mut file, mut draft_id) = (None, None);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(&e, limit)),
        };
        match field.name() {
            Some("file") => file = Some(read_file(field, limit).await?),
            Some("draft_id") => {
                let v = field.text().await.map_err(|e| multipart_error(&e, limit))?;
                draft_id = Some(v.trim().to_string()).filter(|v| !v.is_empty());
            }
            // Unknown fields are drained and ignored.
            _ => {}
        }
    }
    let file = file.ok_or_else(|| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_file", "Choose an image to upload."))?;
    let img = st.media.upload(&uid, file, draft_id.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(img)))
}

pub async fn get(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<Json<Image>, ApiError> {
    Ok(Json(st.media.get(&uid, &id).await?))
}

pub async fn delete(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    st.media.delete(&uid, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /image/generate` `{prompt, platform?, draft_id?, mode?: "auto"|"text_card"}`: Gemini
/// with the user's key, else (or with `text_card`) the offline card. 201 with the image.
pub async fn generate(
    State(st): State<AppState>,
    Me(uid): Me,
    ApiJson(b): ApiJson<GenerateRequest>,
) -> Result<(StatusCode, Json<Image>), ApiError> {
    // The stored key is only needed (and only unsealed) when Gemini may be asked.
    let key = if b.mode.as_deref() == Some("text_card") { None } else { gemini_key(&st, &uid).await? };
    let img = st.media.generate(&uid, &b, key.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(img)))
}

/// `GET /media/{id}`: public by unguessable id, cached forever (an id's bytes never change).
pub async fn serve(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    bytes_response(&st, &id, false).await
}

/// `GET /media/{id}/thumb`.
pub async fn serve_thumb(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    bytes_response(&st, &id, true).await
}

/// `GET /media/{id}/for/{platform}`: the image as that network takes it, for networks that
/// download media themselves (a PNG becomes a JPEG for Instagram). Public like the original.
pub async fn serve_for(State(st): State<AppState>, Path((id, platform)): Path<(String, String)>) -> Response {
    let Ok(p) = covalynce::PlatformId::parse(&platform) else {
        return ApiError::from(covalynce::media::MediaError::NotFound("That image")).into_response();
    };
    match st.media.open_for(&id, p).await {
        Ok((bytes, content_type)) => media_response(bytes.into(), content_type),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn bytes_response(st: &AppState, id: &str, thumb: bool) -> Response {
    match st.media.open(id, thumb).await {
        Ok((bytes, content_type)) => media_response(bytes, content_type),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn media_response(bytes: axum::body::Bytes, content_type: &'static str) -> Response {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Belt and braces: even if a browser were talked into rendering it, it runs nothing.
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    (StatusCode::OK, h, bytes).into_response()
}

/// This module's routes; `lib.rs` merges every module's.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/images", routing::post(upload).layer(upload_body_limit(state)))
        .route("/api/images/{id}", routing::get(get).delete(delete))
        .route("/image/generate", routing::post(generate))
        .route("/media/{id}", routing::get(serve))
        .route("/media/{id}/thumb", routing::get(serve_thumb))
        .route("/media/{id}/for/{platform}", routing::get(serve_for))
}
