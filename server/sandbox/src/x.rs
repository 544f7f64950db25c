//! X API v2 in the sandbox: PKCE-only authorize, Basic-auth token endpoint with rotating
//! refresh tokens (2 h access), users/me, media upload, tweets, public metrics, problem JSON.

use super::{consent_decision, consent_page, Sandbox, CLIENT_ID, CLIENT_SECRET};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;
use std::collections::HashMap;

const P: &str = "x";

/// X's limit for an image upload (5 MB; GIFs and video have their own).
const MAX_IMAGE_BYTES: usize = 5 << 20;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/i/oauth2/authorize", get(authorize_page).post(authorize_decide))
        .route("/api/2/oauth2/token", post(token))
        .route("/api/2/oauth2/revoke", post(revoke))
        .route("/api/2/users/me", get(me))
        .route("/api/2/media/upload", post(upload).get(upload_status))
        .route("/api/2/media/metadata", post(metadata))
        .route("/api/2/tweets", post(tweet))
        .route("/api/2/tweets/{id}", get(tweet_metrics))
        .route("/api/2/users/{id}/tweets", get(user_tweets))
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    (status, Json(json!({"title": title, "detail": detail, "type": "about:blank", "status": status.as_u16()}))).into_response()
}

fn unauthorized(why: &str) -> Response {
    problem(StatusCode::UNAUTHORIZED, "Unauthorized", if why == "expired" { "The access token expired." } else { "Unauthorized" })
}

async fn authorize_page(Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return (StatusCode::BAD_REQUEST, "Something went wrong: unknown client_id").into_response();
    }
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") || !q.contains_key("code_challenge") {
        return (StatusCode::BAD_REQUEST, "Something went wrong: PKCE (S256) is required").into_response();
    }
    let scopes: Vec<&str> = q.get("scope").map(|s| s.split(' ').collect()).unwrap_or_default();
    let hidden: Vec<(&str, &str)> =
        ["client_id", "redirect_uri", "state", "code_challenge"].iter().filter_map(|k| q.get(*k).map(|v| (*k, v.as_str()))).collect();
    consent_page("X", "#000000", &scopes, &hidden).into_response()
}

async fn authorize_decide(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>) -> Response {
    consent_decision(&sb, P, &f, true)
}

fn basic_ok(headers: &HeaderMap) -> bool {
    let expected = format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")));
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

async fn token(State(sb): State<Sandbox>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    if !basic_ok(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "unauthorized_client", "error_description": "Missing valid authorization header"})),
        )
            .into_response();
    }
    let invalid = || {
        (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_request", "error_description": "Value passed for the token was invalid."})))
            .into_response()
    };
    let account = match f.get("grant_type").map(String::as_str) {
        Some("authorization_code") => sb.take_code(
            P,
            f.get("code").map(String::as_str).unwrap_or(""),
            CLIENT_ID,
            f.get("redirect_uri").map(String::as_str),
            f.get("code_verifier").map(String::as_str),
        ),
        Some("refresh_token") => sb.spend_refresh(P, f.get("refresh_token").map(String::as_str).unwrap_or("")),
        _ => return (StatusCode::BAD_REQUEST, Json(json!({"error": "unsupported_grant_type"}))).into_response(),
    };
    let Some(account) = account else { return invalid() };
    let ttl = sb.access_ttl(P, 7200);
    Json(json!({
        "token_type": "bearer", "expires_in": ttl,
        "access_token": sb.issue_token(P, &account, Some(ttl)),
        "scope": "tweet.read tweet.write users.read offline.access media.write",
        "refresh_token": sb.issue_refresh(P, &account),
    }))
    .into_response()
}

async fn revoke(State(sb): State<Sandbox>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    if !basic_ok(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "unauthorized_client"}))).into_response();
    }
    if let Some(t) = f.get("token") {
        if let Some(tok) = sb.lock().tokens.get_mut(t) {
            tok.revoked = true;
        }
    }
    Json(json!({"revoked": true})).into_response()
}

async fn me(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match sb.bearer(P, &headers) {
        Ok(a) => Json(json!({"data": {"id": a.id, "name": a.display_name, "username": a.username, "profile_image_url": format!("https://pbs.twimg.com/profile_images/{}/sandbox_normal.png", a.id), "public_metrics": {"followers_count": sb.followers_for(&a), "following_count": 87, "tweet_count": 1204, "listed_count": 3}}})).into_response(),
        Err(why) => unauthorized(why),
    }
}

async fn upload(State(sb): State<Sandbox>, headers: HeaderMap, mut mp: Multipart) -> Response {
    if let Err(why) = sb.bearer(P, &headers) {
        return unauthorized(why);
    }
    let mut size = 0;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("media") {
            size = field.bytes().await.map(|b| b.len()).unwrap_or(0);
        }
    }
    if size == 0 {
        return (StatusCode::BAD_REQUEST, Json(json!({"errors": [{"message": "media is required"}]}))).into_response();
    }
    if size > MAX_IMAGE_BYTES {
        return (StatusCode::BAD_REQUEST, Json(json!({"errors": [{"message": "File size exceeds 5242880 bytes."}]}))).into_response();
    }
    let id = sb.new_media(0);
    Json(json!({"data": {"id": id, "media_key": format!("3_{id}"), "size": size, "expires_after_secs": 86400}})).into_response()
}

async fn upload_status(State(sb): State<Sandbox>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(why) = sb.bearer(P, &headers) {
        return unauthorized(why);
    }
    let id = q.get("media_id").cloned().unwrap_or_default();
    match sb.media_ready(&id) {
        Some(ready) => Json(json!({"data": {"id": id, "processing_info": {"state": if ready { "succeeded" } else { "in_progress" }, "check_after_secs": 1}}})).into_response(),
        None => problem(StatusCode::NOT_FOUND, "Not Found Error", "media not found"),
    }
}

async fn metadata(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match sb.bearer(P, &headers) {
        Ok(_) => Json(json!({"data": {"associated_metadata": true}})).into_response(),
        Err(why) => unauthorized(why),
    }
}

async fn tweet(State(sb): State<Sandbox>, headers: HeaderMap, Json(body): Json<serde_json::Value>) -> Response {
    let account = match sb.bearer(P, &headers) {
        Ok(a) => a,
        Err(why) => return unauthorized(why),
    };
    let text = body["text"].as_str().unwrap_or("").to_string();
    let media = body["media"]["media_ids"].as_array().map(Vec::len).unwrap_or(0);
    if text.is_empty() && media == 0 {
        return (StatusCode::BAD_REQUEST, Json(json!({"errors": [{"message": "Requests must contain text or media."}], "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.", "type": "https://api.x.com/2/problems/invalid-request"}))).into_response();
    }
    if text.chars().count() > 280 {
        return problem(StatusCode::BAD_REQUEST, "Invalid Request", "Your Tweet text is too long.");
    }
    let duplicate = sb.lock().ledger.iter().any(|e| e.platform == P && e.account == account.id && e.text == text && !text.is_empty());
    if duplicate {
        return problem(StatusCode::FORBIDDEN, "Forbidden", "You are not allowed to create a Tweet with duplicate content.");
    }
    let id = format!("{}", 1_800_000_000_000_000_000u64 + rand::random::<u32>() as u64);
    sb.record(P, &account, &id, &text, media);
    (StatusCode::CREATED, Json(json!({"data": {"id": id, "text": text, "edit_history_tweet_ids": [id]}}))).into_response()
}

async fn tweet_metrics(State(sb): State<Sandbox>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(why) = sb.bearer(P, &headers) {
        return unauthorized(why);
    }
    match sb.metrics_for(&id) {
        Some((views, likes, replies, reposts)) => Json(json!({"data": {"id": id, "text": "", "public_metrics": {"retweet_count": reposts, "reply_count": replies, "like_count": likes, "quote_count": 0, "bookmark_count": likes / 5, "impression_count": views}}})).into_response(),
        None => (StatusCode::OK, Json(json!({"errors": [{"title": "Not Found Error", "detail": format!("Could not find tweet with id: [{id}].")}]}))).into_response(),
    }
}

/// `GET /2/users/:id/tweets`: the user's own timeline, newest first (`start_time`,
/// `max_results` 5–100), as X answers it.
async fn user_tweets(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let account = match sb.bearer(P, &headers) {
        Ok(a) => a,
        Err(why) => return unauthorized(why),
    };
    if account.id != id {
        return problem(StatusCode::FORBIDDEN, "Forbidden", "You can only read your own timeline in the sandbox.");
    }
    let since = q.get("start_time").and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map_or(0, |t| t.timestamp_millis());
    let max: usize = q.get("max_results").and_then(|m| m.parse().ok()).unwrap_or(10).clamp(5, 100);
    let data: Vec<serde_json::Value> = sb
        .posts_of(P, &id, since)
        .into_iter()
        .take(max)
        .map(|e| {
            let at = chrono::DateTime::from_timestamp_millis(e.at_ms).unwrap_or_default();
            json!({"id": e.post_id, "text": e.text, "created_at": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "edit_history_tweet_ids": [e.post_id]})
        })
        .collect();
    if data.is_empty() {
        return Json(json!({"meta": {"result_count": 0}})).into_response();
    }
    Json(json!({"meta": {"result_count": data.len()}, "data": data})).into_response()
}
