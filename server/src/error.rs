//! JSON errors for API clients: `{ "error": code, "message": human text }` with a 4xx/5xx
//! status, plus `Retry-After` on 429. Internal details are logged, never sent.

use app::errors::AppError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use covalynce::auth::AuthError;
use covalynce::Failure;
use serde::de::DeserializeOwned;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.into(), message: message.into(), retry_after: None }
    }
}

/// Any core error, through the same conversion the server functions use (`AppError::of`).
impl<E: Failure> From<E> for ApiError {
    fn from(e: E) -> Self {
        let a = AppError::of(&e);
        Self {
            status: StatusCode::from_u16(app::errors::status(a.kind)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: a.code,
            message: a.message,
            retry_after: e.retry_after(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(serde_json::json!({ "error": self.code, "message": self.message }))).into_response();
        if let Some(s) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

/// The signed-in caller's user id, or 401: the one rule every JSON endpoint uses.
pub fn user_id(rc: &app::state::RequestCtx) -> Result<String, ApiError> {
    rc.user.as_ref().map(|u| u.sub.clone()).ok_or_else(|| AuthError::Unauthenticated.into())
}

/// The signed-in caller's user id as an extractor (`Me(uid): Me`), or 401: for handlers
/// that need nothing else from the request context.
pub struct Me(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Me {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, ApiError> {
        let rc = parts.extensions.get::<app::state::RequestCtx>().ok_or_else(|| ApiError::from(AuthError::Unauthenticated))?;
        user_id(rc).map(Me)
    }
}

/// A platform named in the path (`twitter` is X), or 404.
pub fn platform_param(raw: &str) -> Result<covalynce::PlatformId, ApiError> {
    covalynce::PlatformId::parse(raw).map_err(|e| ApiError::new(StatusCode::NOT_FOUND, &e.code, e.message))
}

/// axum's default body limit, which every JSON route keeps.
pub const JSON_LIMIT: usize = 2 * 1024 * 1024;

/// 413 for a body over `limit` bytes.
pub fn body_too_large(limit: usize) -> ApiError {
    let size = if limit >= 1024 * 1024 { format!("{} MB", limit / (1024 * 1024)) } else { format!("{} KB", limit / 1024) };
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", format!("The request body is larger than {size}. Send less at once."))
}

/// `axum::Json`, but every malformed body becomes our JSON error (never axum's plain text):
/// wrong content type 415, over the limit 413, not UTF-8 or not JSON 400, wrong shape 422.
pub struct ApiJson<T>(pub T);

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json.",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                body_too_large(JSON_LIMIT)
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "The request body could not be read. Send it again.")
            }
        })?;
        // JSON is UTF-8 (RFC 8259); serde skips unknown fields without checking them, so check
        // the whole body here rather than let invalid bytes through as "nothing to change".
        if std::str::from_utf8(&bytes).is_err() {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", "The body is not valid UTF-8 JSON."));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rej) => Err(match rej {
                JsonRejection::JsonDataError(e) => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    format!("The JSON body is missing a field or has a wrong type: {}", e.body_text()),
                ),
                _ => ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", "The body is not valid JSON."),
            }),
        }
    }
}
