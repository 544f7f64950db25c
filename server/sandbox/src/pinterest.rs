//! Pinterest API v5 in the sandbox: the authorize page (comma-separated scopes, no PKCE), a
//! token endpoint with Basic client auth and continuous refresh (every refresh returns a new
//! refresh token and retires the old one), user_account, boards, Pin creation (image URL or
//! base64, single or multiple; no text-only Pins) and Pin analytics, with Pinterest's
//! `{code, message}` envelope.
//!
//! Every sandbox account has three boards (ids `9<account>`, `9<account>-2`, `9<account>-3`),
//! except usernames starting with `noboards`, which have none (to try the "create a board
//! first" path). A Pin to a board the account does not own is refused with 404; the board of
//! the last Pin is kept under `pinterest:last_pin` in `idempotency`.

use super::{consent_decision, consent_page, Account, Sandbox, CLIENT_ID, CLIENT_SECRET};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;

const P: &str = "pinterest";
/// Access tokens live 30 days; continuous refresh tokens 60 days.
const ACCESS_SECS: u64 = 30 * 86_400;
const REFRESH_SECS: u64 = 60 * 86_400;
const DESCRIPTION_MAX: usize = 800;
const TITLE_MAX: usize = 100;
const SCOPES: &str = "boards:read,pins:read,pins:write,user_accounts:read";

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/oauth/", get(authorize_page).post(authorize_decide))
        .route("/v5/oauth/token", post(token))
        .route("/v5/user_account", get(user_account))
        .route("/v5/boards", get(boards))
        .route("/v5/pins", post(create_pin))
        .route("/v5/pins/{id}/analytics", get(analytics))
}

/// Pinterest's envelope. Codes (unverified): 1 invalid parameters, 2 authentication failed,
/// 8 rate limited (as the fault middleware).
fn error(status: StatusCode, code: i64, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

fn unauthorized(why: &str) -> Response {
    let msg = match why {
        "expired" => "Authentication failed. The access token has expired.",
        "revoked" => "Authentication failed. The access token was revoked.",
        _ => "Authentication failed.",
    };
    error(StatusCode::UNAUTHORIZED, 2, msg)
}

/// The account's boards, `(id, name)`, in Pinterest's order.
fn boards_of(a: &Account) -> Vec<(String, String)> {
    if a.username.starts_with("noboards") {
        return vec![];
    }
    vec![
        (format!("9{}", a.id), "Sandbox board".to_string()),
        (format!("9{}-2", a.id), "Recipes".to_string()),
        (format!("9{}-3", a.id), "Travel".to_string()),
    ]
}

/// Boards per page when `page_size` is not given (Pinterest's default is 25).
const PAGE_SIZE: usize = 25;

async fn authorize_page(Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return (StatusCode::BAD_REQUEST, "Invalid client_id").into_response();
    }
    if q.get("response_type").map(String::as_str) != Some("code") || !q.contains_key("redirect_uri") {
        return (StatusCode::BAD_REQUEST, "response_type=code and redirect_uri are required").into_response();
    }
    let scopes: Vec<&str> = q.get("scope").map(|s| s.split(',').filter(|s| !s.is_empty()).collect()).unwrap_or_default();
    let hidden: Vec<(&str, &str)> =
        ["client_id", "redirect_uri", "state"].iter().filter_map(|k| q.get(*k).map(|v| (*k, v.as_str()))).collect();
    consent_page("Pinterest", "#BD081C", &scopes, &hidden).into_response()
}

async fn authorize_decide(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>) -> Response {
    consent_decision(&sb, P, &f, false)
}

fn basic_ok(headers: &HeaderMap) -> bool {
    let expected = format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")));
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

async fn token(State(sb): State<Sandbox>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    if !basic_ok(&headers) {
        return error(StatusCode::UNAUTHORIZED, 2, "Authentication failed.");
    }
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let (account, response_type) = match get("grant_type") {
        "authorization_code" => {
            if get("redirect_uri").is_empty() {
                return error(StatusCode::BAD_REQUEST, 1, "Missing request body parameter: redirect_uri");
            }
            match sb.take_code(P, get("code"), CLIENT_ID, Some(get("redirect_uri")), None) {
                Some(a) => (a, "authorization_code"),
                None => return error(StatusCode::BAD_REQUEST, 1, "Invalid authorization code."),
            }
        }
        // Continuous refresh: the presented refresh token is spent, a new one comes back.
        "refresh_token" => match sb.spend_refresh(P, get("refresh_token")) {
            Some(a) => (a, if get("refresh_on") == "true" { "everlasting_refresh" } else { "refresh_token" }),
            None => return error(StatusCode::BAD_REQUEST, 1, "Invalid refresh token."),
        },
        _ => return error(StatusCode::BAD_REQUEST, 1, "Unsupported grant_type."),
    };
    let ttl = sb.access_ttl(P, ACCESS_SECS);
    Json(json!({
        "access_token": sb.issue_token(P, &account, Some(ttl)),
        "refresh_token": sb.issue_refresh(P, &account),
        "response_type": response_type,
        "token_type": "bearer",
        "expires_in": ttl,
        "refresh_token_expires_in": REFRESH_SECS,
        "scope": SCOPES,
    }))
    .into_response()
}

async fn user_account(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match sb.bearer(P, &headers) {
        Ok(a) => Json(json!({
            "account_type": "BUSINESS", "id": a.id, "username": a.username, "business_name": a.display_name,
            "profile_image": format!("https://i.pinimg.com/sandbox/{}_280.jpg", a.id),
            "website_url": "", "board_count": boards_of(&a).len(),
        }))
        .into_response(),
        Err(why) => unauthorized(why),
    }
}

/// Paged by `page_size` (1..=250) and an opaque `bookmark` (here: the offset).
async fn boards(State(sb): State<Sandbox>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let a = match sb.bearer(P, &headers) {
        Ok(a) => a,
        Err(why) => return unauthorized(why),
    };
    let size = match q.get("page_size").map(|s| s.parse::<usize>()) {
        None => PAGE_SIZE,
        Some(Ok(n)) if (1..=250).contains(&n) => n,
        Some(_) => return error(StatusCode::BAD_REQUEST, 1, "Invalid parameter: page_size must be between 1 and 250."),
    };
    let start = match q.get("bookmark").map(|b| b.parse::<usize>()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, 1, "Invalid parameter: bookmark."),
    };
    let all = boards_of(&a);
    let items: Vec<Value> = all
        .iter()
        .skip(start)
        .take(size)
        .map(|(id, name)| json!({"id": id, "name": name, "privacy": "PUBLIC", "description": ""}))
        .collect();
    let next = start + items.len();
    let bookmark = (next < all.len()).then(|| next.to_string());
    Json(json!({"items": items, "bookmark": bookmark})).into_response()
}

/// Checks one inline image; returns its problem, if any.
fn bad_base64(content_type: &str, data: &str) -> Option<String> {
    if !matches!(content_type, "image/jpeg" | "image/png") {
        return Some(format!("Invalid media_source: content_type {content_type} is not supported; use image/jpeg or image/png."));
    }
    match STANDARD.decode(data) {
        Ok(b) if !b.is_empty() => None,
        _ => Some("Invalid media_source: data is not valid base64 image data.".into()),
    }
}

fn bad_url(url: &str) -> Option<String> {
    (!(url.starts_with("https://") || url.starts_with("http://"))).then(|| format!("Invalid media_source: {url} is not a valid image URL."))
}

/// Number of images in a valid media source, or what is wrong with it.
fn media_count(ms: &Value) -> Result<usize, String> {
    let items = || ms["items"].as_array().cloned().unwrap_or_default();
    let problem = match ms["source_type"].as_str() {
        Some("image_url") => bad_url(ms["url"].as_str().unwrap_or("")),
        Some("image_base64") => bad_base64(ms["content_type"].as_str().unwrap_or(""), ms["data"].as_str().unwrap_or("")),
        Some("multiple_image_urls") => items().iter().find_map(|i| bad_url(i["url"].as_str().unwrap_or(""))),
        Some("multiple_image_base64") => {
            items().iter().find_map(|i| bad_base64(i["content_type"].as_str().unwrap_or(""), i["data"].as_str().unwrap_or("")))
        }
        Some(other) => Some(format!("Invalid media_source: source_type {other} is not supported here.")),
        None => Some("Invalid request: media_source is required (a Pin needs an image).".into()),
    };
    if let Some(p) = problem {
        return Err(p);
    }
    let n = if ms["source_type"].as_str().is_some_and(|t| t.starts_with("multiple_")) { items().len() } else { 1 };
    if !(1..=5).contains(&n) {
        return Err("Invalid media_source: a carousel Pin takes 2 to 5 images.".into());
    }
    Ok(n)
}

async fn create_pin(State(sb): State<Sandbox>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let account = match sb.bearer(P, &headers) {
        Ok(a) => a,
        Err(why) => return unauthorized(why),
    };
    let Some(board) = body["board_id"].as_str().filter(|b| boards_of(&account).iter().any(|(id, _)| id == b)) else {
        return error(StatusCode::NOT_FOUND, 1, "Board not found.");
    };
    let description = body["description"].as_str().unwrap_or("");
    if description.chars().count() > DESCRIPTION_MAX {
        return error(StatusCode::BAD_REQUEST, 1, &format!("Invalid request: description must be at most {DESCRIPTION_MAX} characters."));
    }
    if body["title"].as_str().unwrap_or("").chars().count() > TITLE_MAX {
        return error(StatusCode::BAD_REQUEST, 1, &format!("Invalid request: title must be at most {TITLE_MAX} characters."));
    }
    let images = match media_count(&body["media_source"]) {
        Ok(n) => n,
        Err(msg) => return error(StatusCode::BAD_REQUEST, 1, &msg),
    };
    let id = format!("{}", 813_744_226_420_000_000u64 + rand::random::<u32>() as u64);
    sb.record(P, &account, &id, description, images);
    sb.lock().idempotency.insert("pinterest:last_pin".into(), json!({"id": id, "board_id": board, "account": account.id}));
    (
        StatusCode::CREATED,
        Json(json!({
            "id": id, "created_at": chrono::Utc::now().to_rfc3339(), "board_id": body["board_id"], "board_owner": {"username": account.username},
            "title": body["title"], "description": description, "link": body["link"], "alt_text": body["alt_text"],
            "media": {"media_type": if images > 1 { "multiple_images" } else { "image" }},
        })),
    )
        .into_response()
}

async fn analytics(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(why) = sb.bearer(P, &headers) {
        return unauthorized(why);
    }
    let date = |k: &str| q.get(k).and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let (Some(start), Some(end)) = (date("start_date"), date("end_date")) else {
        return error(StatusCode::BAD_REQUEST, 1, "Invalid request: start_date and end_date (YYYY-MM-DD) are required.");
    };
    if end < start || (end - start).num_days() > 90 {
        return error(StatusCode::BAD_REQUEST, 1, "Invalid request: the date range must be at most 90 days.");
    }
    let Some((views, saves, pin_clicks, outbound)) = sb.metrics_for(&id) else {
        return error(StatusCode::NOT_FOUND, 1, "Pin not found.");
    };
    let wanted: Vec<&str> = q.get("metric_types").map(|m| m.split(',').collect()).unwrap_or_default();
    let mut metrics = serde_json::Map::new();
    for (k, v) in [("IMPRESSION", views), ("SAVE", saves), ("PIN_CLICK", pin_clicks), ("OUTBOUND_CLICK", outbound)] {
        if wanted.is_empty() || wanted.contains(&k) {
            metrics.insert(k.into(), json!(v));
        }
    }
    let today = end.format("%Y-%m-%d").to_string();
    Json(json!({"all": {
        "daily_metrics": [{"date": today, "data_status": "READY", "metrics": metrics}],
        "summary_metrics": metrics,
        "lifetime_metrics": metrics,
    }}))
    .into_response()
}
