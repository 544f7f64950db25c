//! Connecting social accounts over HTTP: the consent form posts (work without JavaScript),
//! the platforms' OAuth callback, revoke and refresh, and seed 000/001's JSON endpoints.

use crate::cookies;
use crate::error::{platform_param, ApiError, ApiJson, Me};
use crate::middleware::encode_flash;
use app::api::Flash;
use app::state::{AppState, RequestCtx};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use axum::{Extension, Form, Json};
use covalynce::connections::{ConnectError, Connection, Finished, HealthReport, Integrations};
use covalynce::domain::Pick;
use covalynce::Failure;
use covalynce::PlatformId;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

const QUEUE: &str = "cov_queue";

fn back_to_sources(st: &AppState, kind: &str, message: String) -> Response {
    redirect_flash(st, "/sources", kind, message)
}

fn redirect_flash(st: &AppState, to: &str, kind: &str, message: String) -> Response {
    let mut resp = Redirect::to(to).into_response();
    let flash = Flash { kind: kind.into(), message, email: None };
    resp.headers_mut().append(header::SET_COOKIE, cookies::build(cookies::FLASH, &encode_flash(&flash), 120, st.site.secure_cookies));
    resp
}

/// After a successful connect: the next platform of a running wizard, if any.
/// `queue`: the platforms still to connect, separated by `.` or `,` (anything else is ignored).
fn connected(st: &AppState, queue: &str, list: &[Connection]) -> Response {
    let msg = format!("Connected {}.", describe(list));
    let mut rest: Vec<&str> = queue.split(['.', ',']).filter(|p| PlatformId::parse(p).is_ok()).collect();
    if rest.is_empty() {
        return back_to_sources(st, "success", msg);
    }
    let next = rest.remove(0);
    let mut resp = redirect_flash(st, &format!("/sources?connect={next}&queue={}", rest.join(",")), "success", msg);
    resp.headers_mut().append(
        header::SET_COOKIE,
        if rest.is_empty() { cookies::clear(QUEUE) } else { cookies::build(QUEUE, &rest.join("."), 1800, st.site.secure_cookies) },
    );
    resp
}

/// The modal's hidden `queue` (comma-separated) survives the trip to the platform in a cookie.
fn remember_queue(st: &AppState, mut resp: Response, queue: Option<&String>) -> Response {
    let q: Vec<&str> = queue.map(|q| q.split(',').filter(|p| PlatformId::parse(p).is_ok()).collect()).unwrap_or_default();
    let cookie = if q.is_empty() { cookies::clear(QUEUE) } else { cookies::build(QUEUE, &q.join("."), 1800, st.site.secure_cookies) };
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    resp
}

/// `POST /sources/wizard`: the chosen platforms in the recommended order, one consent at a time.
pub async fn form_wizard(State(st): State<AppState>, Form(f): Form<Vec<(String, String)>>) -> Response {
    let mut chosen: Vec<PlatformId> = f.iter().filter(|(k, _)| k == "platforms").filter_map(|(_, v)| PlatformId::parse(v).ok()).collect();
    chosen.sort_by_key(|p| covalynce::domain::platform_info(*p).recommended_order);
    chosen.dedup();
    let Some(first) = chosen.first() else {
        return back_to_sources(&st, "error", "Pick at least one platform for the wizard.".into());
    };
    let rest: Vec<&str> = chosen[1..].iter().map(|p| p.as_str()).collect();
    Redirect::to(&format!("/sources?connect={}&queue={}", first.as_str(), rest.join(","))).into_response()
}

/// `POST /sources/{id}/validate`: asks the platform who the token belongs to, right now.
pub async fn form_validate(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>, Path(id): Path<String>) -> Response {
    let Some(me) = rc.user.as_ref().map(|u| u.sub.clone()) else { return Redirect::to("/login").into_response() };
    let (c, grant, _) = match st.connections.grant(&me, &id).await {
        Ok(x) => x,
        Err(e) => return back_to_sources(&st, "error", e.to_string()),
    };
    let Some(adapter) = st.connections.platforms().get(c.platform) else {
        return back_to_sources(&st, "error", format!("{} is not set up on this server.", c.platform.display_name()));
    };
    match adapter.accounts(&grant).await {
        Ok(list) if list.iter().any(|(p, _)| p.external_id == c.external_id) => back_to_sources(
            &st,
            "success",
            format!("{} on {} is working: the platform confirmed the account.", c.display_name, c.platform.display_name()),
        ),
        Ok(_) => back_to_sources(
            &st,
            "error",
            format!("{} no longer lists {} for this connection. Reconnect it.", c.platform.display_name(), c.display_name),
        ),
        Err(e) => {
            let d = covalynce::domain::diagnose(c.platform, "", &e.message);
            back_to_sources(
                &st,
                "error",
                format!("{}: {} Try: {}", c.platform.display_name(), e.message, d.solutions.first().cloned().unwrap_or_default()),
            )
        }
    }
}

fn describe(list: &[Connection]) -> String {
    list.iter().map(|c| format!("{} ({})", c.display_name, c.platform.display_name())).collect::<Vec<_>>().join(", ")
}

/// The consent modal's form: OAuth platforms redirect to the platform's consent screen;
/// Bluesky signs in with the handle and app password right here.
pub async fn form_connect(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    Path(platform): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(me) = rc.user.as_ref().map(|u| u.sub.clone()) else { return Redirect::to("/login?next=%2Fsources").into_response() };
    let p = match PlatformId::parse(&platform) {
        Ok(p) => p,
        Err(e) => return back_to_sources(&st, "error", e.message),
    };
    let consent = f.get("consent").is_some_and(|v| v == "on" || v == "true" || v == "yes");
    if p == PlatformId::Bluesky {
        let ident = f.get("identifier").map(String::as_str).unwrap_or("");
        let pw = f.get("app_password").map(String::as_str).unwrap_or("");
        return match st.connections.connect_with_password(&me, p, ident, pw, consent).await {
            Ok(list) => connected(&st, f.get("queue").map(String::as_str).unwrap_or(""), &list),
            Err(e) => back_to_sources(&st, "error", e.to_string()),
        };
    }
    match st.connections.start(&me, p, consent, f.get("instance").map(String::as_str)).await {
        Ok(url) => remember_queue(&st, Redirect::to(&url).into_response(), f.get("queue")),
        Err(e) => back_to_sources(&st, "error", e.to_string()),
    }
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    /// The OAuth error code. The provider's `error_description` is never shown: anyone can put
    /// text in this URL, and a message from "the platform" is a phishing vector.
    error: Option<String>,
}

pub async fn oauth_callback(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    headers: axum::http::HeaderMap,
    Path(platform): Path<String>,
    Query(q): Query<Callback>,
) -> Response {
    let Some(me) = rc.user.as_ref().map(|u| u.sub.clone()) else { return Redirect::to("/login?next=%2Fsources").into_response() };
    let p = match PlatformId::parse(&platform) {
        Ok(p) => p,
        Err(e) => return back_to_sources(&st, "error", e.message),
    };
    if let Some(err) = q.error {
        let why = if err == "access_denied" {
            "you cancelled it on the platform's page"
        } else {
            "the platform did not finish the connection. Try again, and check the app's settings there if it keeps failing"
        };
        return back_to_sources(&st, "error", format!("{} was not connected: {why}.", p.display_name()));
    }
    match st.connections.finish(&me, p, q.state.as_deref().unwrap_or(""), q.code.as_deref().unwrap_or("")).await {
        Ok(Finished::Connected(list)) => connected(&st, &cookies::get(&headers, QUEUE).unwrap_or_default(), &list),
        Ok(Finished::Choose(pick)) => Redirect::to(&format!("/sources/choose/{pick}")).into_response(),
        Err(e) => back_to_sources(&st, "error", e.to_string()),
    }
}

/// `POST /sources/choose/{pick}`: the ticked `accounts` of the chooser page are connected.
pub async fn form_choose(
    State(st): State<AppState>,
    Extension(rc): Extension<RequestCtx>,
    headers: axum::http::HeaderMap,
    Path(pick): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let Some(me) = rc.user.as_ref().map(|u| u.sub.clone()) else { return Redirect::to("/login?next=%2Fsources").into_response() };
    let chosen: Vec<String> = f.into_iter().filter(|(k, _)| k == "accounts").map(|(_, v)| v).collect();
    match st.connections.choose(&me, &pick, &chosen).await {
        Ok(list) => connected(&st, &cookies::get(&headers, QUEUE).unwrap_or_default(), &list),
        // Nothing ticked: back to the same choice, which is still open.
        Err(e @ ConnectError::NothingChosen(_)) => redirect_flash(&st, &format!("/sources/choose/{pick}"), "error", e.to_string()),
        Err(e) => back_to_sources(&st, "error", e.to_string()),
    }
}

pub async fn form_revoke(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>, Path(id): Path<String>) -> Response {
    let Some(me) = rc.user.as_ref().map(|u| u.sub.clone()) else { return Redirect::to("/login").into_response() };
    match st.connections.revoke(&me, &id).await {
        Ok(c) => back_to_sources(
            &st,
            "success",
            format!("Disconnected {} ({}); its tokens are deleted and consent withdrawn.", c.display_name, c.platform.display_name()),
        ),
        Err(e) => back_to_sources(&st, "error", e.to_string()),
    }
}

pub async fn form_refresh(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>, Path(id): Path<String>) -> Response {
    let Some(me) = rc.user.as_ref().map(|u| u.sub.clone()) else { return Redirect::to("/login").into_response() };
    match st.connections.refresh(&me, &id).await {
        Ok(c) => back_to_sources(&st, "success", format!("{} is connected and its tokens are fresh.", c.display_name)),
        Err(e) => back_to_sources(&st, "error", e.to_string()),
    }
}

// ---------------------------------------------------------------- JSON (seed 000 / 001)

/// `GET /integrations/list`
pub async fn api_list(State(st): State<AppState>, Me(me): Me) -> Result<Json<Integrations>, ApiError> {
    let list = st.connections.list(&me).await?;
    Ok(Json(Integrations::of(&list)))
}

/// `GET /integrations/permissions/{provider}`
pub async fn api_permissions(State(st): State<AppState>, Path(provider): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let p = platform_param(&provider)?;
    let scopes = st.connections.platforms().get(p).map(|a| a.scopes()).unwrap_or_default();
    let info = covalynce::domain::platform_info(p);
    let described: Vec<serde_json::Value> = info
        .scopes
        .iter()
        .map(|s| json!({"scope": s.scope, "title": s.title, "description": s.reason, "required": s.required, "category": s.category, "requested": scopes.contains(&s.scope)}))
        .collect();
    Ok(Json(
        json!({"provider": p.as_str(), "display_name": info.display_name, "configured": st.connections.platforms().get(p).is_some(), "permissions": described, "requirements": info.requirements}),
    ))
}

#[derive(Deserialize)]
pub struct ConsentBody {
    provider: String,
    #[serde(default)]
    consent: bool,
    #[serde(default)]
    instance: Option<String>,
}

/// `POST /integrations/consent` → the authorize URL to open (consent recorded on callback).
pub async fn api_consent(
    State(st): State<AppState>,
    Me(me): Me,
    ApiJson(b): ApiJson<ConsentBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = platform_param(&b.provider)?;
    if p == PlatformId::Bluesky {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "use_app_password",
            "Bluesky connects with a handle and an app password: POST /integrations/bluesky/connect.",
        ));
    }
    let url = st.connections.start(&me, p, b.consent, b.instance.as_deref()).await?;
    Ok(Json(json!({"provider": p.as_str(), "consent_given": true, "authorization_url": url})))
}

#[derive(Deserialize)]
pub struct PasswordBody {
    identifier: String,
    app_password: String,
    #[serde(default)]
    consent: bool,
}

/// `POST /integrations/bluesky/connect`
pub async fn api_password_connect(
    State(st): State<AppState>,
    Me(me): Me,
    Path(provider): Path<String>,
    ApiJson(b): ApiJson<PasswordBody>,
) -> Result<(StatusCode, Json<Integrations>), ApiError> {
    let p = platform_param(&provider)?;
    let list = st.connections.connect_with_password(&me, p, &b.identifier, &b.app_password, b.consent).await?;
    Ok((StatusCode::CREATED, Json(Integrations::of(&list))))
}

/// `POST /integrations/{provider}/refresh`: refreshes every connection of that platform.
pub async fn api_refresh(
    State(st): State<AppState>,
    Me(me): Me,
    Path(provider): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = platform_param(&provider)?;
    let mut results = vec![];
    for c in st.connections.list(&me).await?.into_iter().filter(|c| c.platform == p) {
        match st.connections.refresh(&me, &c.id).await {
            Ok(c) => results.push(json!({"id": c.id, "success": true, "token_expires_at": c.token_expires_at})),
            Err(e) => results.push(json!({"id": c.id, "success": false, "error": e.code(), "message": e.to_string()})),
        }
    }
    if results.is_empty() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("No {} account is connected.", p.display_name())));
    }
    Ok(Json(json!({"provider": p.as_str(), "results": results})))
}

/// `DELETE /integrations/{id}`: revoke consent, disconnect, delete tokens.
pub async fn api_revoke(State(st): State<AppState>, Me(me): Me, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    st.connections.revoke(&me, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/connection/health/{account_id}` (seed 001 §1).
pub async fn api_health(State(st): State<AppState>, Me(me): Me, Path(id): Path<String>) -> Result<Json<HealthReport>, ApiError> {
    let c = st.connections.get(&me, &id).await?;
    Ok(Json(HealthReport::of(&c, covalynce::db::now_ms())))
}

/// `GET /integrations/picks/{id}`: the accounts a login offered, to choose from.
pub async fn api_pick(State(st): State<AppState>, Me(me): Me, Path(id): Path<String>) -> Result<Json<Pick>, ApiError> {
    Ok(Json(st.connections.pick(&me, &id).await?))
}

#[derive(Deserialize)]
pub struct ChooseBody {
    accounts: Vec<String>,
}

/// `POST /integrations/picks/{id}` `{"accounts": [external ids]}`: connects those.
pub async fn api_choose(
    State(st): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ChooseBody>,
) -> Result<(StatusCode, Json<Integrations>), ApiError> {
    let list = st.connections.choose(&me, &id, &b.accounts).await?;
    Ok((StatusCode::CREATED, Json(Integrations::of(&list))))
}

/// `GET /api/v1/facebook/pages` (seed 003 §10): the Pages the newest Facebook login offered,
/// which of them are connected, and the pick to choose with.
pub async fn api_facebook_pages(State(st): State<AppState>, Me(me): Me) -> Result<Json<Pick>, ApiError> {
    match st.connections.latest_pick(&me, PlatformId::Facebook).await? {
        Some(p) => Ok(Json(p)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_pending_login",
            "No Facebook login is waiting for a choice. Connect Facebook from Sources (POST /integrations/consent) to list your Pages.",
        )),
    }
}

/// This module's routes; `lib.rs` merges every module's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sources/connect/{platform}", post(form_connect))
        .route("/sources/{id}/revoke", post(form_revoke))
        .route("/sources/{id}/refresh", post(form_refresh))
        .route("/sources/{id}/validate", post(form_validate))
        .route("/sources/wizard", post(form_wizard))
        .route("/sources/choose/{pick}", post(form_choose))
        .route("/integrations/picks/{id}", get(api_pick).post(api_choose))
        .route("/api/v1/facebook/pages", get(api_facebook_pages))
        .route("/api/oauth/{platform}/callback", get(oauth_callback))
        .route("/integrations/list", get(api_list))
        .route("/integrations/permissions/{provider}", get(api_permissions))
        .route("/integrations/consent", post(api_consent))
        .route("/integrations/{provider}/connect", post(api_password_connect))
        .route("/integrations/{provider}/refresh", post(api_refresh))
        .route("/integrations/{id}", delete(api_revoke))
        .route("/api/connection/health/{id}", get(api_health))
}
