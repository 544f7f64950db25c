//! Instagram in the sandbox: not written yet (no routes).

use super::Sandbox;
use axum::Router;

pub fn routes() -> Router<Sandbox> {
    Router::new()
}
