//! Sign-in over HTTP: the HTML form posts behind the server-rendered pages (they work with
//! JavaScript off and answer with redirects + a flash message), the seed's JSON endpoints
//! for API clients, and the OAuth redirect/callback pair for each sign-in provider.

use crate::cookies;
use crate::error::{ApiError, ApiJson};
use crate::middleware::encode_flash;
use app::api::Flash;
use app::state::{AppState, RequestCtx};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use axum::{Extension, Form, Json};
use covalynce::auth::{AuthError, SessionTokens};
use covalynce::oauth_login::PendingLogin;
use covalynce::LoginProvider;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

type FormMap = Form<HashMap<String, String>>;

fn field<'a>(f: &'a HashMap<String, String>, k: &str) -> &'a str {
    f.get(k).map(String::as_str).unwrap_or("")
}

/// Only local paths, so `next` cannot send people to another site.
fn safe_next(next: &str) -> String {
    // Browsers drop tabs and newlines from URLs, so "/\t/evil.com" would become "//evil.com".
    let plain = !next.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if plain && next.starts_with('/') && !next.starts_with("//") {
        next.to_string()
    } else {
        "/dashboard".into()
    }
}

fn redirect_with(to: &str, flash: Option<Flash>, extra: Vec<HeaderValue>, secure: bool) -> Response {
    let mut resp = Redirect::to(to).into_response();
    if let Some(f) = flash {
        resp.headers_mut().append(header::SET_COOKIE, cookies::build(cookies::FLASH, &encode_flash(&f), 120, secure));
    }
    for c in extra {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

fn err_flash(e: &AuthError, email: &str) -> Flash {
    if let AuthError::Internal(inner) = e {
        tracing::error!(error = ?inner, "sign-in request failed");
    }
    Flash { kind: "error".into(), message: e.to_string(), email: (!email.is_empty()).then(|| email.trim().to_string()) }
}

fn ok_flash(message: &str) -> Flash {
    Flash { kind: "success".into(), message: message.into(), email: None }
}

pub async fn form_login(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>, Form(f): FormMap) -> Response {
    let secure = st.site.secure_cookies;
    let next = safe_next(field(&f, "next"));
    match st.auth.signin(field(&f, "email"), field(&f, "password"), &rc.client).await {
        Ok(t) => cookies::rotate_csrf(redirect_with(&next, None, cookies::session(&t, secure).to_vec(), secure)),
        Err(e) => {
            let back = if field(&f, "next").is_empty() { "/login".to_string() } else { format!("/login?next={}", urlencode(&next)) };
            redirect_with(&back, Some(err_flash(&e, field(&f, "email"))), vec![], secure)
        }
    }
}

pub async fn form_signup(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>, Form(f): FormMap) -> Response {
    let secure = st.site.secure_cookies;
    match st.auth.signup(field(&f, "email"), field(&f, "password"), field(&f, "name"), field(&f, "timezone"), &rc.client).await {
        Ok(t) => cookies::rotate_csrf(redirect_with("/dashboard", None, cookies::session(&t, secure).to_vec(), secure)),
        Err(e) => redirect_with("/signup", Some(err_flash(&e, field(&f, "email"))), vec![], secure),
    }
}

pub async fn form_forgot(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>, Form(f): FormMap) -> Response {
    let secure = st.site.secure_cookies;
    let email = field(&f, "email");
    match st.auth.request_password_reset(email, &rc.client).await {
        Ok(_) => redirect_with(
            "/login",
            Some(ok_flash(&format!(
                "If an account exists for {}, a reset link is on its way. It works once, for 60 minutes.",
                email.trim()
            ))),
            vec![],
            secure,
        ),
        Err(e) => redirect_with("/forgot", Some(err_flash(&e, email)), vec![], secure),
    }
}

pub async fn form_reset(State(st): State<AppState>, Form(f): FormMap) -> Response {
    let secure = st.site.secure_cookies;
    let token = field(&f, "token");
    match st.auth.reset_password(token, field(&f, "password")).await {
        Ok(()) => redirect_with(
            "/login",
            Some(ok_flash("Your password is changed and every device was signed out. Sign in with the new password.")),
            vec![],
            secure,
        ),
        Err(e @ AuthError::BadResetToken) => redirect_with("/forgot", Some(err_flash(&e, "")), vec![], secure),
        Err(e) => redirect_with(&format!("/reset?token={}", urlencode(token)), Some(err_flash(&e, "")), vec![], secure),
    }
}

pub async fn form_logout(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>) -> Response {
    if let Some(u) = &rc.user {
        if let Err(e) = st.auth.logout(&u.sub, &u.sid).await {
            tracing::error!(error = %e, "logout failed");
        }
    }
    redirect_with("/login", Some(ok_flash("You are signed out.")), cookies::clear_session().to_vec(), st.site.secure_cookies)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

// ---------------------------------------------------------------- JSON API (seed 000)

#[derive(Deserialize)]
pub struct SignupBody {
    email: String,
    password: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
}

#[derive(Deserialize)]
pub struct SigninBody {
    email: String,
    password: String,
}

async fn token_response(st: &AppState, status: StatusCode, t: SessionTokens, created: Option<bool>) -> Result<Response, ApiError> {
    let user = st.auth.user(&t.user_id).await?;
    let mut body = json!({
        "user": { "id": user.id, "email": user.email, "name": user.name, "timezone": user.timezone, "avatar_url": user.avatar_url },
        "access_token": t.access_token,
        "refresh_token": t.refresh_token,
        "token_type": "Bearer",
        "expires_in": t.expires_in,
        "refresh_expires_in": t.refresh_expires_in,
    });
    if let Some(c) = created {
        body["created"] = json!(c);
    }
    let mut resp = (status, Json(body)).into_response();
    for c in cookies::session(&t, st.site.secure_cookies) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

pub async fn api_signup(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    ApiJson(b): ApiJson<SignupBody>,
) -> Result<Response, ApiError> {
    let t = st.auth.signup(&b.email, &b.password, &b.name, &b.timezone, &rc.client).await?;
    token_response(&st, StatusCode::CREATED, t, None).await.map(cookies::rotate_csrf)
}

pub async fn api_signin(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    ApiJson(b): ApiJson<SigninBody>,
) -> Result<Response, ApiError> {
    let t = st.auth.signin(&b.email, &b.password, &rc.client).await?;
    token_response(&st, StatusCode::OK, t, None).await.map(cookies::rotate_csrf)
}

#[derive(Deserialize, Default)]
pub struct RefreshBody {
    #[serde(default)]
    refresh_token: Option<String>,
}

/// Rotates the refresh token from the body (API clients) or the cookie (browsers).
pub async fn api_refresh(State(st): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let parsed: RefreshBody = if body.is_empty() {
        RefreshBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", "The body must be JSON like {\"refresh_token\": \"…\"}.")
        })?
    };
    let token = parsed.refresh_token.or_else(|| cookies::get(&headers, cookies::REFRESH)).ok_or(AuthError::Unauthenticated)?;
    let t = st.auth.refresh(&token).await?;
    token_response(&st, StatusCode::OK, t, None).await
}

fn require(rc: &RequestCtx) -> Result<&covalynce::auth::AccessClaims, ApiError> {
    rc.user.as_ref().ok_or_else(|| AuthError::Unauthenticated.into())
}

pub async fn api_logout(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>) -> Result<Response, ApiError> {
    let me = require(&rc)?;
    st.auth.logout(&me.sub, &me.sid).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    for c in cookies::clear_session() {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

pub async fn api_logout_all(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>) -> Result<Json<serde_json::Value>, ApiError> {
    let me = require(&rc)?;
    let n = st.auth.logout_all(&me.sub).await?;
    Ok(Json(json!({ "revoked_sessions": n })))
}

pub async fn api_me(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>) -> Result<Json<serde_json::Value>, ApiError> {
    let me = require(&rc)?;
    let u = st.auth.user(&me.sub).await?;
    Ok(Json(
        json!({ "id": u.id, "email": u.email, "name": u.name, "timezone": u.timezone, "avatar_url": u.avatar_url, "has_password": u.has_password, "created_at": u.created_at }),
    ))
}

pub async fn api_sessions(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>) -> Result<Json<serde_json::Value>, ApiError> {
    let me = require(&rc)?;
    let list = st.auth.sessions(&me.sub).await?;
    Ok(Json(
        json!({ "sessions": list.into_iter().map(|s| json!({"id": s.id, "current": s.id == me.sid, "user_agent": s.user_agent, "ip": s.ip, "created_at": s.created_at, "last_seen_at": s.last_seen_at})).collect::<Vec<_>>() }),
    ))
}

pub async fn api_revoke_session(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let me = require(&rc)?;
    if st.auth.logout(&me.sub, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "No active session with that id."))
    }
}

#[derive(Deserialize)]
pub struct ForgotBody {
    email: String,
}

pub async fn api_forgot(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    ApiJson(b): ApiJson<ForgotBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    st.auth.request_password_reset(&b.email, &rc.client).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "message": "If an account exists for that address, a reset link is on its way." }))))
}

#[derive(Deserialize)]
pub struct ResetBody {
    token: String,
    password: String,
}

pub async fn api_reset(State(st): State<AppState>, ApiJson(b): ApiJson<ResetBody>) -> Result<Json<serde_json::Value>, ApiError> {
    st.auth.reset_password(&b.token, &b.password).await?;
    Ok(Json(json!({ "message": "Password changed. Every session was signed out." })))
}

// ---------------------------------------------------------------- OAuth sign-in

const PENDING_TTL_SECS: i64 = 600;

#[derive(serde::Serialize, Deserialize)]
struct PendingClaims {
    p: PendingLogin,
    exp: i64,
}

/// The pending login travels in a short-lived cookie signed with the instance key, so the
/// callback can check `state` and recover the PKCE verifier and nonce without server state.
fn seal_pending(st: &AppState, p: &PendingLogin) -> Result<String, ApiError> {
    let claims = PendingClaims { p: p.clone(), exp: chrono::Utc::now().timestamp() + PENDING_TTL_SECS };
    covalynce::auth::jwt::encode(&claims, &st.auth.keys().jwt).map_err(|e| AuthError::Internal(e).into())
}

fn open_pending(st: &AppState, v: &str) -> Option<PendingLogin> {
    covalynce::auth::jwt::decode::<PendingClaims>(v, &st.auth.keys().jwt).map(|c| c.p)
}

fn provider_from_path(raw: &str) -> Result<LoginProvider, ApiError> {
    LoginProvider::parse(raw).map_err(|e| ApiError::new(StatusCode::NOT_FOUND, &e.code, e.message))
}

pub async fn oauth_start(State(st): State<AppState>, Path(provider): Path<String>) -> Response {
    let secure = st.site.secure_cookies;
    let p = match provider_from_path(&provider) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    match st.providers.authorize(p).await {
        Ok((url, pending)) => match seal_pending(&st, &pending) {
            Ok(sealed) => {
                let mut resp = Redirect::to(&url).into_response();
                resp.headers_mut().append(header::SET_COOKIE, cookies::build(cookies::OAUTH, &sealed, PENDING_TTL_SECS as u64, secure));
                resp
            }
            Err(e) => e.into_response(),
        },
        Err(e) => redirect_with("/login", Some(err_flash(&e, "")), vec![], secure),
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    /// The provider's `error_description` is ignored: anyone can craft this URL, so its
    /// text must never reach our page.
    error: Option<String>,
}

/// Our own words for a provider's `?error=` code.
fn provider_refusal(p: LoginProvider, error: &str) -> String {
    let name = p.display_name();
    match error {
        "access_denied" => format!("You cancelled sign-in with {name}. Nothing was shared; you can try again or sign in another way."),
        _ => format!("Sign-in with {name} did not complete. Please try again, or sign in another way."),
    }
}

/// The browser comes back from the provider here.
pub async fn oauth_callback(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let secure = st.site.secure_cookies;
    let clear = vec![cookies::clear(cookies::OAUTH)];
    let fail =
        |msg: String| redirect_with("/login", Some(Flash { kind: "error".into(), message: msg, email: None }), clear.clone(), secure);
    let p = match provider_from_path(&provider) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Some(err) = q.error {
        return fail(provider_refusal(p, &err));
    }
    let pending = cookies::get(&headers, cookies::OAUTH).and_then(|v| open_pending(&st, &v));
    let Some(pending) = pending.filter(|pl| pl.provider == p) else {
        return fail(format!("Your sign-in with {} expired or was started in another browser. Please start again.", p.display_name()));
    };
    let state_ok = q.state.as_deref().is_some_and(|s| covalynce::crypto::ct_eq(s.as_bytes(), pending.state.as_bytes()));
    if !state_ok {
        tracing::warn!(provider = p.as_str(), "OAuth state mismatch");
        return fail(format!(
            "The sign-in response from {} did not match this browser's request, so we stopped it. Please start again.",
            p.display_name()
        ));
    }
    let ident = match st.providers.exchange(p, q.code.as_deref().unwrap_or(""), Some(&pending.pkce_verifier), Some(&pending.nonce)).await {
        Ok(i) => i,
        Err(e) => return fail(e.to_string()),
    };
    match st.auth.provider_signin(&ident, &rc.client).await {
        Ok((t, _)) => {
            let mut c = cookies::session(&t, secure).to_vec();
            c.extend(clear.clone());
            cookies::rotate_csrf(redirect_with("/dashboard", None, c, secure))
        }
        Err(e) => fail(e.to_string()),
    }
}

#[derive(Deserialize)]
pub struct CallbackBody {
    code: String,
    #[serde(default)]
    code_verifier: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// Seed 000's `POST /auth/{provider}/callback`: an API client that ran the authorize step
/// itself posts the code (and its PKCE verifier / nonce) and gets tokens back.
pub async fn oauth_callback_api(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    Path(provider): Path<String>,
    ApiJson(b): ApiJson<CallbackBody>,
) -> Result<Response, ApiError> {
    let p = provider_from_path(&provider)?;
    let ident = st.providers.exchange(p, &b.code, b.code_verifier.as_deref(), b.nonce.as_deref()).await?;
    let (t, created) = st.auth.provider_signin(&ident, &rc.client).await?;
    token_response(&st, if created { StatusCode::CREATED } else { StatusCode::OK }, t, Some(created)).await.map(cookies::rotate_csrf)
}

/// This module's routes; `lib.rs` merges every module's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", post(form_login))
        .route("/signup", post(form_signup))
        .route("/forgot", post(form_forgot))
        .route("/reset", post(form_reset))
        .route("/logout", post(form_logout))
        .route("/auth/signup", post(api_signup))
        .route("/auth/signin", post(api_signin))
        .route("/auth/refresh", post(api_refresh))
        .route("/auth/logout", post(api_logout))
        .route("/auth/logout-all", post(api_logout_all))
        .route("/auth/me", get(api_me))
        .route("/auth/sessions", get(api_sessions))
        .route("/auth/sessions/{id}", delete(api_revoke_session))
        .route("/auth/forgot", post(api_forgot))
        .route("/auth/reset", post(api_reset))
        .route("/auth/{provider}/start", get(oauth_start))
        .route("/auth/{provider}/callback", get(oauth_callback).post(oauth_callback_api))
}
