//! JSON errors for API clients: `{ "error": code, "message": human text }` with a 4xx/5xx
//! status, plus `Retry-After` on 429. Internal details are logged, never sent.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use covalynce::auth::AuthError;
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

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        if let AuthError::Internal(inner) = &e {
            tracing::error!(error = ?inner, "request failed");
        }
        Self {
            status: StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: e.code().to_string(),
            message: e.to_string(),
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

/// A platform named in the path (`twitter` is X), or 404.
pub fn platform_param(raw: &str) -> Result<covalynce::PlatformId, ApiError> {
    covalynce::PlatformId::parse(raw).map_err(|e| ApiError::new(StatusCode::NOT_FOUND, &e.code, e.message))
}

/// `axum::Json`, but a malformed body becomes our JSON error instead of plain text.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rej) => Err(match rej {
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Send the body as JSON with Content-Type: application/json.",
                ),
                JsonRejection::JsonDataError(e) => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    format!("The JSON body is missing a field or has a wrong type: {}", e.body_text()),
                ),
                JsonRejection::JsonSyntaxError(_) => {
                    ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", "The body is not valid JSON.")
                }
                other => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", other.body_text()),
            }),
        }
    }
}
