//! Seed 001's ten connection tools as JSON endpoints (health lives in sources_routes):
//! reconnect instructions, validate, permission inspector, quick-connect options and start,
//! troubleshooter, prerequisites checker, bulk-connect prepare, auto-refresh and config
//! discovery. Account ids are scoped to the caller (another user's id answers 404).

use crate::error::{platform_param, user_id, ApiError, ApiJson, Me};
use app::state::{AppState, RequestCtx};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use axum::{Extension, Json};
use covalynce::connections::{Connection, REFRESH_AHEAD_MS};
use covalynce::domain::{catalog_in_order, diagnose, platform_info, Difficulty, PlatformInfo};
use covalynce::platforms::AccountProfile;
use covalynce::Failure;
use covalynce::PlatformId;
use serde::Deserialize;
use serde_json::{json, Value};

type JsonResult = Result<Json<Value>, ApiError>;

fn difficulty(d: Difficulty) -> &'static str {
    match d {
        Difficulty::Easy => "easy",
        Difficulty::Medium => "medium",
        Difficulty::Hard => "hard",
    }
}

fn config_json(i: &PlatformInfo, configured: bool) -> Value {
    json!({
        "platform": i.id.as_str(), "display_name": i.display_name, "icon": i.icon, "color": i.brand_color,
        "difficulty": difficulty(i.difficulty), "setup_time": format!("{} minutes", i.setup_minutes), "features": i.features,
        "requirements": i.requirements, "recommended_order": i.recommended_order, "configured": configured,
        "permissions": i.scopes.iter().map(|s| json!({"scope": s.scope, "title": s.title, "reason": s.reason, "required": s.required, "category": s.category})).collect::<Vec<_>>(),
        "limits": {"text_max": i.limits.text_max, "counting": i.limits.counting, "max_images": i.limits.max_images, "requires_media": i.limits.requires_media},
        "docs_url": i.docs_url,
    })
}

fn configured(st: &AppState, p: PlatformId) -> bool {
    st.connections.platforms().get(p).is_some()
}

/// `GET /api/connection/configs` — config discovery for every platform.
pub async fn configs(State(st): State<AppState>) -> Json<Value> {
    Json(json!({"platforms": catalog_in_order().map(|i| config_json(i, configured(&st, i.id))).collect::<Vec<_>>()}))
}

/// `GET /api/connection/config/{platform}`
pub async fn config(State(st): State<AppState>, Path(p): Path<String>) -> JsonResult {
    let p = platform_param(&p)?;
    Ok(Json(config_json(platform_info(p), configured(&st, p))))
}

/// `GET /api/connection/quick-connect/options`
pub async fn quick_connect_options(State(st): State<AppState>) -> Json<Value> {
    let mut platforms = serde_json::Map::new();
    for i in catalog_in_order() {
        platforms.insert(i.id.as_str().into(), json!({"display_name": i.display_name, "icon": i.icon, "color": i.brand_color, "difficulty": difficulty(i.difficulty), "setup_time": format!("{} minutes", i.setup_minutes), "features": i.features, "requirements": i.requirements, "configured": configured(&st, i.id)}));
    }
    Json(
        json!({"platforms": platforms, "recommended_order": catalog_in_order().map(|i| i.id.as_str()).collect::<Vec<_>>(), "total_platforms": platforms.len()}),
    )
}

#[derive(Deserialize, Default)]
pub struct ConsentFlag {
    #[serde(default)]
    consent: bool,
    #[serde(default)]
    instance: Option<String>,
}

/// `POST /api/connection/quick-connect/{platform}` `{consent: true}` → authorization URL.
pub async fn quick_connect_start(
    State(st): State<AppState>,
    Me(uid): Me,
    Path(p): Path<String>,
    ApiJson(b): ApiJson<ConsentFlag>,
) -> JsonResult {
    let p = platform_param(&p)?;
    if p == PlatformId::Bluesky {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "use_app_password",
            "Bluesky connects with a handle and an app password: POST /integrations/bluesky/connect.",
        ));
    }
    let url = st.connections.start(&uid, p, b.consent, b.instance.as_deref()).await?;
    let state = url::Url::parse(&url).ok().and_then(|u| u.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()));
    Ok(Json(
        json!({"platform": p.as_str(), "display_name": platform_info(p).display_name, "authorization_url": url, "state": state, "user_id": uid}),
    ))
}

#[derive(Deserialize)]
pub struct BulkBody {
    platforms: Vec<String>,
    #[serde(default)]
    consent: bool,
}

/// `POST /api/connection/bulk-connect/prepare` — one authorization URL per platform, in the
/// recommended order, for a wizard that walks them one after another.
pub async fn bulk_prepare(State(st): State<AppState>, Me(uid): Me, ApiJson(b): ApiJson<BulkBody>) -> JsonResult {
    let mut wanted = vec![];
    for raw in &b.platforms {
        let p = platform_param(raw).map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_platform", e.message))?;
        if !wanted.contains(&p) {
            wanted.push(p);
        }
    }
    if wanted.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_platforms", "Pick at least one platform to connect."));
    }
    wanted.sort_by_key(|p| platform_info(*p).recommended_order);
    let mut seq = vec![];
    let mut minutes = 0;
    for p in wanted {
        let i = platform_info(p);
        minutes += i.setup_minutes as u32;
        let url = if p == PlatformId::Bluesky { None } else { Some(st.connections.start(&uid, p, b.consent, None).await?) };
        seq.push(json!({"platform": p.as_str(), "display_name": i.display_name, "authorization_url": url, "connect_with": if url.is_some() { "oauth" } else { "app_password" }, "config": {"difficulty": difficulty(i.difficulty), "setup_time": format!("{} minutes", i.setup_minutes), "features": i.features}}));
    }
    Ok(Json(json!({"total_platforms": seq.len(), "estimated_time_minutes": minutes, "connection_sequence": seq})))
}

/// `GET /api/connection/reconnect-instructions/{platform}`
pub async fn reconnect_instructions(Path(p): Path<String>) -> JsonResult {
    let p = platform_param(&p)?;
    let i = platform_info(p);
    let steps: Vec<String> = if p == PlatformId::Bluesky {
        vec![
            "On Bluesky, open Settings → Privacy and security → App passwords and create a new one".into(),
            "In Covalynce, open Sources and choose Connect Bluesky".into(),
            "Enter your handle and the new app password, tick the consent box and connect".into(),
        ]
    } else {
        let mut s = vec![
            "Open Sources in Covalynce".into(),
            format!("Choose Connect {} (or Reconnect on its card)", i.display_name),
            "Read the permissions, tick the consent box and continue".into(),
        ];
        if !i.requirements.is_empty() {
            s.insert(0, format!("Check you have: {}", i.requirements.join("; ")));
        }
        s.push(format!("Approve Covalynce on {}'s page; you come back automatically", i.display_name));
        s
    };
    Ok(Json(
        json!({"title": format!("Reconnect {}", i.display_name), "steps": steps, "required_permissions": i.scopes.iter().filter(|s| s.required).map(|s| s.scope).collect::<Vec<_>>()}),
    ))
}

/// `GET /api/connection/test-prerequisites/{platform}` (seed 001 §7).
pub async fn prerequisites(State(st): State<AppState>, Path(p): Path<String>) -> JsonResult {
    let p = platform_param(&p)?;
    let redirect = crate::config::platform_redirect(&st.site.base_url, p);
    let checks = covalynce::platforms::prerequisites(p, st.platform_configs.get(&p), &redirect, configured(&st, p));
    let ready = checks.iter().all(|c| c.status == "pass");
    Ok(Json(json!({"platform": p.as_str(), "ready_to_connect": ready, "checks": checks})))
}

#[derive(Deserialize)]
pub struct TroubleshootBody {
    platform: String,
    #[serde(default)]
    error_code: String,
    #[serde(default)]
    error_message: String,
}

/// `POST /api/connection/troubleshoot`
pub async fn troubleshoot(ApiJson(b): ApiJson<TroubleshootBody>) -> JsonResult {
    let p = platform_param(&b.platform).map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_platform", e.message))?;
    Ok(Json(serde_json::to_value(diagnose(p, &b.error_code, &b.error_message)).unwrap_or_default()))
}

async fn owned(st: &AppState, rc: &RequestCtx, id: &str) -> Result<(String, Connection), ApiError> {
    let uid = user_id(rc)?;
    let c = st.connections.get(&uid, id).await?;
    Ok((uid, c))
}

/// `GET /api/connection/check-permissions/{account_id}`
pub async fn check_permissions(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>, Path(id): Path<String>) -> JsonResult {
    let (_, c) = owned(&st, &rc, &id).await?;
    let i = platform_info(c.platform);
    let granted = |scope: &str| c.scopes.iter().any(|g| g == scope) || c.platform == PlatformId::Bluesky;
    let missing: Vec<&str> = i.scopes.iter().filter(|s| s.required && !granted(s.scope)).map(|s| s.scope).collect();
    let can = |cats: &[&str]| i.scopes.iter().filter(|s| cats.contains(&s.category) && s.required).all(|s| granted(s.scope));
    Ok(Json(
        json!({"platform": c.platform.as_str(), "account_id": c.id, "granted_permissions": c.scopes, "missing_permissions": missing, "can_post": can(&["publishing", "media", "pages"]), "can_read": can(&["identity", "analytics"])}),
    ))
}

/// `POST /api/connection/validate/{account_id}` — asks the platform who the token belongs to.
pub async fn validate(State(st): State<AppState>, Me(uid): Me, Path(id): Path<String>) -> JsonResult {
    let (c, grant, _) = st.connections.grant(&uid, &id).await?;
    let adapter = st.connections.platforms().get(c.platform).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "platform_not_configured",
            format!("{} is not set up on this server.", c.platform.display_name()),
        )
    })?;
    let mut warnings: Vec<String> = vec![];
    if c.needs_reconnect() {
        warnings.push("This account was marked as needing a reconnect.".into());
    }
    match adapter.accounts(&grant).await {
        Ok(list) => {
            let me: Option<&AccountProfile> = list.iter().map(|(p, _)| p).find(|p| p.external_id == c.external_id);
            let mut errors = vec![];
            if me.is_none() {
                errors.push(format!(
                    "{} no longer lists this account for the token (the Page or channel may have been removed).",
                    c.platform.display_name()
                ));
            }
            Ok(Json(
                json!({"platform": c.platform.as_str(), "is_valid": errors.is_empty(), "errors": errors, "warnings": warnings, "account_info": me.map(|p| json!({"username": p.username, "name": p.display_name, "id": p.external_id}))}),
            ))
        }
        Err(e) => Ok(Json(
            json!({"platform": c.platform.as_str(), "is_valid": false, "errors": [e.message], "warnings": warnings, "account_info": null, "diagnosis": diagnose(c.platform, "", &e.message)}),
        )),
    }
}

/// `POST /api/connection/auto-refresh/{account_id}` — refreshes when the token expires within
/// two hours. Unlike the seed's example it never returns the token itself.
pub async fn auto_refresh(State(st): State<AppState>, Extension(rc): Extension<RequestCtx>, Path(id): Path<String>) -> JsonResult {
    let (uid, c) = owned(&st, &rc, &id).await?;
    let now = covalynce::db::now_ms();
    let due = c.token_expires_at.is_some_and(|e| e - now < REFRESH_AHEAD_MS);
    if !due {
        return Ok(Json(
            json!({"refreshed": false, "reason": "not_due", "expires_at": c.token_expires_at.and_then(chrono::DateTime::from_timestamp_millis).map(|t| t.to_rfc3339()), "error": null}),
        ));
    }
    match st.connections.refresh(&uid, &id).await {
        Ok(c) => Ok(Json(
            json!({"refreshed": true, "token_rotated": true, "expires_at": c.token_expires_at.and_then(chrono::DateTime::from_timestamp_millis).map(|t| t.to_rfc3339()), "error": null}),
        )),
        Err(e) => Ok(Json(
            json!({"refreshed": false, "expires_at": null, "error": e.to_string(), "reconnect_needed": e.code() == "reconnect_needed" || e.code() == "platform_rejected"}),
        )),
    }
}

/// This module's routes; `lib.rs` merges every module's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/connection/configs", get(configs))
        .route("/api/connection/config/{platform}", get(config))
        .route("/api/connection/quick-connect/options", get(quick_connect_options))
        .route("/api/connection/quick-connect/{platform}", post(quick_connect_start))
        .route("/api/connection/bulk-connect/prepare", post(bulk_prepare))
        .route("/api/connection/reconnect-instructions/{platform}", get(reconnect_instructions))
        .route("/api/connection/test-prerequisites/{platform}", get(prerequisites))
        .route("/api/connection/troubleshoot", post(troubleshoot))
        .route("/api/connection/check-permissions/{id}", get(check_permissions))
        .route("/api/connection/validate/{id}", post(validate))
        .route("/api/connection/auto-refresh/{id}", post(auto_refresh))
}
