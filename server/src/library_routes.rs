//! `GET /api/content/library` (seed 004 §Content Library): one page of the caller's drafts
//! with filters and search, as JSON. The Library page uses a server function over the same
//! core call.

use crate::error::{ApiError, Me};
use app::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Json;
use axum::Router;
use covalynce::drafts::DraftError;
use covalynce::library::{LibraryPage, LibraryParams};

/// `?status=&q=&page=&per_page=&platform=`; every value is optional and checked by the core
/// (a bad one is a 422 that says what to send instead).
pub async fn page(State(st): State<AppState>, Me(uid): Me, Query(params): Query<LibraryParams>) -> Result<Json<LibraryPage>, ApiError> {
    let q = params.parse().map_err(DraftError::from)?;
    Ok(Json(st.library.page(&uid, &q).await?))
}

/// This module's routes; `lib.rs` merges every module's.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/content/library", get(page))
}
