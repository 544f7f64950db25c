//! A Mastodon instance in the sandbox: app registration, authorize page, token (no expiry),
//! revoke, verify_credentials, async media (202 then 206/200), statuses with
//! Idempotency-Key, status counts, and an account's statuses with HTML `content`.

use super::{account_for, consent_decision, consent_page, Processing, Sandbox};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use serde_json::json;
use std::collections::HashMap;

const P: &str = "mastodon";

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/api/v1/apps", post(register_app))
        .route("/oauth/authorize", get(authorize_page).post(authorize_decide))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/api/v1/accounts/verify_credentials", get(verify))
        .route("/api/v2/instance", get(instance))
        .route("/api/v2/media", post(media))
        .route("/api/v1/media/{id}", get(media_status))
        .route("/api/v1/statuses", post(status))
        .route("/api/v1/statuses/{id}", get(status_get))
        .route("/api/v1/accounts/{id}/statuses", get(account_statuses))
}

fn err(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({"error": msg}))).into_response()
}

fn auth(sb: &Sandbox, headers: &HeaderMap) -> Result<super::Account, Box<Response>> {
    sb.bearer(P, headers).map_err(|_| Box::new(err(StatusCode::UNAUTHORIZED, "The access token is invalid")))
}

async fn register_app(State(sb): State<Sandbox>, Json(b): Json<serde_json::Value>) -> Response {
    // Mastodon before 4.3 and the Pleroma/Akkoma family take `redirect_uris` only as a
    // string (several URIs separated by newlines) and refuse an array with 422.
    let Some(redirect) = b["redirect_uris"].as_str() else {
        return err(StatusCode::UNPROCESSABLE_ENTITY, "Validation failed: Redirect URI must be an absolute URI.");
    };
    let id = format!("mst-{}", uuid::Uuid::new_v4().simple());
    let secret = format!("sec-{}", uuid::Uuid::new_v4().simple());
    sb.lock().apps.insert(id.clone(), secret.clone());
    Json(json!({"id": "563419", "name": b["client_name"], "client_id": id, "client_secret": secret, "client_secret_expires_at": 0, "redirect_uri": redirect, "redirect_uris": redirect.lines().collect::<Vec<_>>(), "scopes": ["read", "write"]})).into_response()
}

async fn authorize_page(State(sb): State<Sandbox>, Query(q): Query<HashMap<String, String>>) -> Response {
    let known = q.get("client_id").is_some_and(|c| sb.lock().apps.contains_key(c));
    if !known {
        return err(StatusCode::BAD_REQUEST, "Client authentication failed due to unknown client");
    }
    let scopes: Vec<&str> = q.get("scope").map(|s| s.split([' ', '+']).collect()).unwrap_or_default();
    let hidden: Vec<(&str, &str)> =
        ["client_id", "redirect_uri", "state", "code_challenge"].iter().filter_map(|k| q.get(*k).map(|v| (*k, v.as_str()))).collect();
    consent_page("Mastodon", "#6364FF", &scopes, &hidden).into_response()
}

async fn authorize_decide(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>) -> Response {
    consent_decision(&sb, P, &f, false)
}

async fn token(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>) -> Response {
    let client = f.get("client_id").cloned().unwrap_or_default();
    let secret_ok = sb.lock().apps.get(&client).is_some_and(|s| Some(s) == f.get("client_secret"));
    if !secret_ok {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client", "error_description": "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."}))).into_response();
    }
    match sb.take_code(P, f.get("code").map(String::as_str).unwrap_or(""), &client, f.get("redirect_uri").map(String::as_str), f.get("code_verifier").map(String::as_str)) {
        Some(account) => Json(json!({"access_token": sb.issue_token(P, &account, None), "token_type": "Bearer", "scope": "read write", "created_at": chrono::Utc::now().timestamp()})).into_response(),
        None => (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant", "error_description": "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}))).into_response(),
    }
}

async fn revoke(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>) -> Response {
    if let Some(t) = f.get("token") {
        if let Some(tok) = sb.lock().tokens.get_mut(t) {
            tok.revoked = true;
        }
    }
    Json(json!({})).into_response()
}

/// This server's limit on a status (Mastodon's default is 500; servers raise it).
fn max_chars(sb: &Sandbox) -> u64 {
    match sb.lock().mastodon_max_chars {
        0 => 500,
        n => n,
    }
}

/// `GET /api/v2/instance` (public): the server's configuration, as Mastodon 4 answers it.
async fn instance(State(sb): State<Sandbox>) -> Response {
    Json(json!({
        "domain": "mastodon.example", "title": "Sandbox Mastodon", "version": "4.3.0",
        "configuration": {
            "statuses": {"max_characters": max_chars(&sb), "max_media_attachments": 4, "characters_reserved_per_url": 23},
            "media_attachments": {"image_size_limit": 16_777_216, "video_size_limit": 103_809_024,
                                  "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"]}
        }
    }))
    .into_response()
}

async fn verify(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match auth(&sb, &headers) {
        Ok(a) => Json(json!({"id": a.id, "username": a.username, "acct": a.username, "display_name": a.display_name, "url": format!("https://mastodon.example/@{}", a.username), "avatar": "https://files.mastodon.example/avatars/original/missing.png", "followers_count": sb.followers_for(&a)})).into_response(),
        Err(r) => *r,
    }
}

async fn media(State(sb): State<Sandbox>, headers: HeaderMap, mut mp: Multipart) -> Response {
    if let Err(r) = auth(&sb, &headers) {
        return *r;
    }
    let mut size = 0;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("file") {
            size = field.bytes().await.map(|b| b.len()).unwrap_or(0);
        }
    }
    if size == 0 {
        return err(StatusCode::UNPROCESSABLE_ENTITY, "Validation failed: File can't be blank");
    }
    // Processed asynchronously: 202 with url null, ready shortly after.
    let id = sb.new_media(300);
    (StatusCode::ACCEPTED, Json(json!({"id": id, "type": "image", "url": null, "preview_url": null}))).into_response()
}

async fn media_status(State(sb): State<Sandbox>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = auth(&sb, &headers) {
        return *r;
    }
    match sb.media_ready(&id) {
        Some(true) => {
            Json(json!({"id": id, "type": "image", "url": format!("https://files.mastodon.example/media/{id}.png")})).into_response()
        }
        Some(false) => (StatusCode::PARTIAL_CONTENT, Json(json!({"id": id, "type": "image", "url": null}))).into_response(),
        None => err(StatusCode::NOT_FOUND, "Record not found"),
    }
}

async fn status(
    State(sb): State<Sandbox>,
    processing: Option<Extension<Processing>>,
    headers: HeaderMap,
    Json(b): Json<serde_json::Value>,
) -> Response {
    let account = match auth(&sb, &headers) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(|k| format!("{}:{k}", account.id));
    if let Some(prev) = key.as_ref().and_then(|k| sb.lock().idempotency.get(k).cloned()) {
        return Json(prev).into_response();
    }
    // As on Mastodon, the key is stored only once the post exists: overlapping requests
    // with the same key both get through this check.
    if let Some(Extension(Processing(ms))) = processing {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let text = b["status"].as_str().unwrap_or("").to_string();
    let media = b["media_ids"].as_array().map(Vec::len).unwrap_or(0);
    if text.is_empty() && media == 0 {
        return err(StatusCode::UNPROCESSABLE_ENTITY, "Validation failed: Text can't be blank");
    }
    let limit = max_chars(&sb);
    if text.chars().count() as u64 > limit {
        return err(StatusCode::UNPROCESSABLE_ENTITY, &format!("Validation failed: Text character limit of {limit} exceeded"));
    }
    let id = format!("{}", 110_000_000_000_000_000u64 + rand::random::<u32>() as u64);
    sb.record(P, &account, &id, &text, media);
    let a = account_for(P, &account.username);
    let body = json!({"id": id, "uri": format!("https://mastodon.example/users/{}/statuses/{id}", a.username), "url": format!("https://mastodon.example/@{}/{id}", a.username), "content": text, "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "visibility": "public"});
    if let Some(k) = key {
        sb.lock().idempotency.insert(k, body.clone());
    }
    Json(body).into_response()
}

async fn status_get(State(sb): State<Sandbox>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = auth(&sb, &headers) {
        return *r;
    }
    match sb.metrics_for(&id) {
        Some((_v, likes, replies, reblogs)) => {
            Json(json!({"id": id, "favourites_count": likes, "replies_count": replies, "reblogs_count": reblogs})).into_response()
        }
        None => err(StatusCode::NOT_FOUND, "Record not found"),
    }
}

/// Text → HTML the way Mastodon renders a plain-text status: escaped, a `<p>` per paragraph,
/// `<br />` per line break, links wrapped with the scheme (and a long tail) in invisible spans.
fn rendered(text: &str) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;");
    let link = |url: &str| {
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        let shown: String = rest.chars().take(30).collect();
        let hidden: String = rest.chars().skip(30).collect();
        let class = if hidden.is_empty() { "" } else { "ellipsis" };
        format!(
            r#"<a href="{}" rel="nofollow noopener" translate="no" target="_blank"><span class="invisible">{scheme}://</span><span class="{class}">{}</span><span class="invisible">{}</span></a>"#,
            esc(url),
            esc(&shown),
            esc(&hidden)
        )
    };
    let line = |l: &str| {
        l.split(' ')
            .map(|w| if w.starts_with("https://") || w.starts_with("http://") { link(w) } else { esc(w) })
            .collect::<Vec<_>>()
            .join(" ")
    };
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", p.split('\n').map(line).collect::<Vec<_>>().join("<br />")))
        .collect()
}

/// `GET /api/v1/accounts/:id/statuses?limit` (20 by default, 40 at most; `exclude_reblogs`
/// changes nothing here, the sandbox has no reblogs): the account's statuses, newest first.
/// The sandbox knows an account through its tokens, so it lists the caller's own.
async fn account_statuses(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let caller = match auth(&sb, &headers) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if id != caller.id {
        return err(StatusCode::NOT_FOUND, "Record not found");
    }
    let a = account_for(P, &caller.username);
    let limit = q.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(20).clamp(1, 40);
    let account = json!({"id": caller.id, "username": a.username, "acct": a.username, "display_name": caller.display_name,
                         "url": format!("https://mastodon.example/@{}", a.username)});
    let statuses: Vec<serde_json::Value> = sb
        .posts_of(P, &caller.id, 0)
        .into_iter()
        .take(limit)
        .map(|e| {
            let at = chrono::DateTime::from_timestamp_millis(e.at_ms).unwrap_or_default();
            let (_, likes, replies, reblogs) = sb.metrics_for(&e.post_id).unwrap_or_default();
            json!({
                "id": e.post_id, "created_at": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "in_reply_to_id": null, "in_reply_to_account_id": null, "sensitive": false, "spoiler_text": "", "visibility": "public",
                "language": "en", "uri": format!("https://mastodon.example/users/{}/statuses/{}", a.username, e.post_id),
                "url": format!("https://mastodon.example/@{}/{}", a.username, e.post_id),
                "replies_count": replies, "reblogs_count": reblogs, "favourites_count": likes, "edited_at": null,
                "content": rendered(&e.text), "reblog": null, "account": account,
                "media_attachments": [], "mentions": [], "tags": [], "emojis": [], "card": null, "poll": null,
            })
        })
        .collect();
    Json(statuses).into_response()
}
