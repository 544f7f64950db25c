//! Anonymous visitors see the same sign-in pages except for their CSRF token, so those pages
//! are rendered once (with a placeholder token) and then served from memory with the
//! visitor's token put in. Cheap insurance against a flood of page loads, and what makes
//! `/login` fast (see the benchmark in the README).

use app::state::{AppState, RequestCtx};
use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Never a real token: random tokens are URL-safe base64 of 32 bytes (43 characters).
const PLACEHOLDER: &str = "__COVALYNCE_CSRF_PLACEHOLDER__";
/// Query strings are part of the key (`/login?next=…`); bound what strangers can fill.
const MAX_ENTRIES: usize = 128;
const MAX_PAGE: usize = 512 * 1024;

/// Public pages whose HTML depends on nothing but the CSRF token for a signed-out visitor
/// without a flash message.
pub fn cacheable(path: &str) -> bool {
    matches!(path, "/login" | "/signup" | "/forgot")
}

fn html(body: &str, csrf: &str) -> Response {
    let mut r = (StatusCode::OK, body.replace(PLACEHOLDER, csrf)).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub async fn serve(st: &AppState, mut req: Request<Body>, next: Next, ctx: RequestCtx) -> Response {
    let key = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let cached = st.page_cache.read().ok().and_then(|c| c.get(&key).cloned());
    if let Some(page) = cached {
        return html(&page, &ctx.csrf);
    }
    let csrf = ctx.csrf.clone();
    req.extensions_mut().insert(RequestCtx { csrf: PLACEHOLDER.into(), ..ctx });
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_PAGE).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    let page: Arc<str> = String::from_utf8_lossy(&bytes).into();
    // Only pages that carry the placeholder and set no cookies of their own are reusable.
    if page.contains(PLACEHOLDER) && !parts.headers.contains_key(header::SET_COOKIE) {
        if let Ok(mut c) = st.page_cache.write() {
            if c.len() < MAX_ENTRIES {
                c.insert(key, page.clone());
            }
        }
        return html(&page, &csrf);
    }
    Response::from_parts(parts, Body::from(page.replace(PLACEHOLDER, &csrf)))
}
