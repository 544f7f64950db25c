//! The one request middleware: who is calling (access cookie, else a refresh-token rotation,
//! else a Bearer token), the CSRF token, page gating, and the CSRF check on every
//! state-changing request (forms and server functions included).

use crate::cookies;
use app::api::Flash;
use app::state::{AppState, RequestCtx};
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use covalynce::auth::{AuthError, ClientInfo};
use std::net::SocketAddr;

const FORM_LIMIT: usize = 256 * 1024;
/// Larger than any page we render.
const PAGE_LIMIT: usize = 4 * 1024 * 1024;

pub fn encode_flash(f: &Flash) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(f).unwrap_or_default())
}

fn decode_flash(v: &str) -> Option<Flash> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(v).ok()?).ok()
}

/// With TRUST_PROXY the client address is the *last* X-Forwarded-For entry, the one our own
/// proxy appended; earlier entries come from the client and can be forged.
fn client_info(req: &Request<Body>, trust_proxy: bool) -> ClientInfo {
    let forwarded = trust_proxy
        .then(|| {
            req.headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .map(|s| s.trim().to_string())
        })
        .flatten();
    let ip = forwarded
        .or_else(|| req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()))
        .unwrap_or_else(|| "unknown".into());
    let user_agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    ClientInfo { ip, user_agent }
}

/// Served without looking at the caller: no session work, no cookies set. `/media/` holds
/// images public by their unguessable id (platforms fetch them by URL, and a `Set-Cookie` on
/// an immutable, publicly cached response would be wrong); only GET routes exist there.
fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/") || path.starts_with("/media/") || path == "/favicon.svg" || path == "/favicon.ico" || path == "/robots.txt"
}

/// Headers every response carries. Pages have their policy by now (`page_policy`); anything else (JSON, images, files) gets one that allows nothing,
/// so a response opened directly or sniffed as HTML cannot run script.
fn security_headers(resp: &mut Response, secure: bool) {
    let h = resp.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    if secure {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
}

pub async fn request_context(State(st): State<AppState>, req: Request<Body>, next: Next) -> Response {
    let secure = st.site.secure_cookies;
    let resp = handle(st, req, next).await;
    let mut resp = page_policy(resp).await;
    security_headers(&mut resp, secure);
    resp
}

/// The one place a page gets its policy: the page policy with the page's own script nonce,
/// read from the finished HTML (pages are rendered whole, `SsrMode::Async`). Setting it from
/// inside the render went through Leptos' response options, whose headers are copied onto
/// the response once: now and then (once in four runs of the browser tests, since pages
/// became lazy routes) the copy came first and the page went out with the allow-nothing
/// policy, so it never came to life. Cached sign-in pages arrive with theirs already.
async fn page_policy(resp: Response) -> Response {
    let is_html = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if !is_html || resp.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, PAGE_LIMIT).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    let nonce = std::str::from_utf8(&bytes).ok().and_then(app::state::nonce_in_page);
    if let Some(v) = nonce.and_then(|n| HeaderValue::from_str(&app::state::content_security_policy(n)).ok()) {
        parts.headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

async fn handle(st: AppState, mut req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if is_static(&path) {
        return next.run(req).await;
    }
    let secure = st.site.secure_cookies;
    let mut set_cookies: Vec<HeaderValue> = vec![];
    let headers = req.headers().clone();

    // Who is calling.
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::to_string);
    let mut user = None;
    if let Some(t) = &bearer {
        user = st.auth.authenticate(t).await.ok();
    } else if let Some(t) = cookies::get(&headers, cookies::ACCESS) {
        user = st.auth.authenticate(&t).await.ok();
    }
    // `/auth/refresh` rotates the refresh cookie itself; rotating here too would spend it first.
    if user.is_none() && bearer.is_none() && path != "/auth/refresh" {
        if let Some(rt) = cookies::get(&headers, cookies::REFRESH) {
            match st.auth.refresh(&rt).await {
                Ok(tokens) => {
                    user = Some(tokens.claims());
                    set_cookies.extend(cookies::session(&tokens, secure));
                }
                // Only a definite refusal signs the browser out: a parallel request that won
                // the rotation, or a database hiccup, leaves the cookies alone.
                Err(AuthError::RefreshRace | AuthError::Internal(_)) => {}
                Err(_) => set_cookies.extend(cookies::clear_session()),
            }
        }
    }

    let csrf = match cookies::get(&headers, cookies::CSRF).filter(|v| v.len() >= 32) {
        Some(v) => v,
        None => {
            let v = covalynce::crypto::random_token();
            set_cookies.push(cookies::build(cookies::CSRF, &v, 365 * 24 * 3600, secure));
            v
        }
    };
    let flash = cookies::get(&headers, cookies::FLASH).and_then(|v| decode_flash(&v));
    let client = client_info(&req, st.site.trust_proxy);
    let method = req.method().clone();

    if method == Method::GET {
        let access = app::page_access(&path);
        if user.is_none() && access == app::Access::SignedIn {
            let next_url = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
            let to = format!("/login?next={}", url::form_urlencoded::byte_serialize(next_url.as_bytes()).collect::<String>());
            return with_cookies(Redirect::to(&to).into_response(), set_cookies);
        }
        if user.is_some() && access == app::Access::GuestOnly {
            return with_cookies(Redirect::to("/dashboard").into_response(), set_cookies);
        }
        if user.is_none() && flash.is_none() && crate::page_cache::cacheable(&path) {
            let resp = crate::page_cache::serve(&st, req, next, RequestCtx { user, csrf, client, flash }).await;
            return with_cookies(resp, set_cookies);
        }
    }

    if !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
        match check_csrf(req, &csrf, bearer.is_some(), &st.site.base_url).await {
            Ok(r) => req = r,
            Err(resp) => return with_cookies(resp, set_cookies),
        }
    }

    // Server functions read their whole body themselves: bound it here, so 10 MB of form data
    // gets a clear 413 instead of an error deep inside the framework.
    if path.starts_with("/sfn/") && method == Method::POST {
        let (parts, body) = req.into_parts();
        match to_bytes(body, crate::error::JSON_LIMIT).await {
            Ok(bytes) => req = Request::from_parts(parts, Body::from(bytes)),
            Err(_) => return with_cookies(crate::error::body_too_large(crate::error::JSON_LIMIT).into_response(), set_cookies),
        }
    }
    req.extensions_mut().insert(RequestCtx { user, csrf, client, flash });
    let mut resp = next.run(req).await;
    if resp.extensions_mut().remove::<cookies::RotateCsrf>().is_some() {
        // Someone just signed in: a fresh token replaces whatever this browser had.
        let name = format!("{}=", cookies::CSRF);
        set_cookies.retain(|c| !c.as_bytes().starts_with(name.as_bytes()));
        set_cookies.push(cookies::build(cookies::CSRF, &covalynce::crypto::random_token(), 365 * 24 * 3600, secure));
    }
    with_cookies(resp, set_cookies)
}

fn with_cookies(mut resp: Response, cookies: Vec<HeaderValue>) -> Response {
    for c in cookies {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

fn csrf_error(accepts_json: bool) -> Response {
    let msg = "This form has expired or came from another site. Reload the page and try again.";
    if accepts_json {
        (StatusCode::FORBIDDEN, axum::Json(serde_json::json!({"error": "csrf_failed", "message": msg}))).into_response()
    } else {
        (StatusCode::FORBIDDEN, msg).into_response()
    }
}

/// A state-changing request passes when it is not riding on cookies (Bearer token), when it
/// is JSON from our own origin or a non-browser client (browsers cannot send cross-site JSON
/// without a CORS preflight, which we never grant), or when it carries the CSRF token in the
/// `x-csrf-token` header or the `csrf` form field. Returns the request with its body restored.
async fn check_csrf(req: Request<Body>, expected: &str, bearer: bool, base_url: &str) -> Result<Request<Body>, Response> {
    let headers = req.headers();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_string);
    let wants_json = content_type.starts_with("application/json")
        || headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"));
    if bearer {
        return Ok(req);
    }
    let same_origin = origin.as_deref().is_none_or(|o| o == base_url);
    if content_type.starts_with("application/json") && same_origin {
        return Ok(req);
    }
    if let Some(h) = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if covalynce::crypto::ct_eq(h.as_bytes(), expected.as_bytes()) { Ok(req) } else { Err(csrf_error(wants_json)) };
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let (parts, body) = req.into_parts();
        let bytes = match to_bytes(body, FORM_LIMIT).await {
            Ok(b) => b,
            Err(_) => return Err(crate::error::body_too_large(FORM_LIMIT).into_response()),
        };
        let token = url::form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned());
        return match token {
            Some(t) if covalynce::crypto::ct_eq(t.as_bytes(), expected.as_bytes()) => Ok(Request::from_parts(parts, Body::from(bytes))),
            _ => Err(csrf_error(wants_json)),
        };
    }
    Err(csrf_error(wants_json))
}
