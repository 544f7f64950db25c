//! Anonymous visitors see the same sign-in pages except for their CSRF token, so those pages
//! are rendered once (with a placeholder token) and then served from memory with the
//! visitor's token put in. Cheap insurance against a flood of page loads, and what makes
//! `/login` fast (see the benchmark in the README).
//!
//! The placeholder is a random secret of this process and never leaves it (every copy is
//! replaced before a page goes out), so query text like `/login?next=<placeholder>`, which
//! the page echoes, cannot make us paste a visitor's token somewhere an attacker chose.

use app::state::{AppState, CachedPage, RequestCtx};
use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, OnceLock};

/// Unguessable and never sent (see the module comment); not a token shape either.
fn placeholder() -> &'static str {
    static P: OnceLock<String> = OnceLock::new();
    P.get_or_init(|| format!("__csrf_{}__", covalynce::crypto::random_token()))
}
/// Query strings are part of the key (`/login?next=…`); bound what strangers can fill.
const MAX_ENTRIES: usize = 128;
const MAX_PAGE: usize = 512 * 1024;

/// Public pages whose HTML depends on nothing but the CSRF token for a signed-out visitor
/// without a flash message.
pub fn cacheable(path: &str) -> bool {
    matches!(path, "/login" | "/signup" | "/forgot")
}

/// A cached page for one visitor: their CSRF token, and a fresh script nonce in both the page
/// and its policy (a nonce reused across responses would be one an attacker can learn). Query
/// text is escaped in attributes, so `nonce="…"` with quotes only occurs where Leptos put it.
fn html(page: &CachedPage, csrf: &str) -> Response {
    let nonce = covalynce::crypto::random_token();
    let body = page.html.replace(placeholder(), csrf).replace(&format!("nonce=\"{}\"", page.nonce), &format!("nonce=\"{nonce}\""));
    let mut r = (StatusCode::OK, body).into_response();
    if let Ok(v) = HeaderValue::from_str(&app::state::content_security_policy(&nonce)) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
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
    req.extensions_mut().insert(RequestCtx { csrf: placeholder().into(), ..ctx });
    let resp = next.run(req).await;
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_PAGE).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let nonce = app::state::nonce_in_page(&text);
    // Only pages that carry the placeholder and a nonce, and set no cookies of their own, are reusable.
    let reusable = parts.status == StatusCode::OK && text.contains(placeholder()) && !parts.headers.contains_key(header::SET_COOKIE);
    if let Some(nonce) = nonce.filter(|_| reusable) {
        let page = Arc::new(CachedPage { nonce: nonce.to_string(), html: text });
        if let Ok(mut c) = st.page_cache.write() {
            if c.len() < MAX_ENTRIES {
                c.insert(key, page.clone());
            }
        }
        return html(&page, &csrf);
    }
    // Any other answer (an error page too) still gets the visitor's token, never the secret.
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text.replace(placeholder(), &csrf)))
}
