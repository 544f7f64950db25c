//! Bluesky XRPC in the sandbox: createSession with an app password, rotating
//! refreshSession, getProfile, uploadBlob, createRecord, getPosts; XRPC error envelope.

use super::{account_for, Sandbox, APP_PASSWORD};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::collections::HashMap;

const P: &str = "bluesky";

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/xrpc/com.atproto.server.createSession", post(create_session))
        .route("/xrpc/com.atproto.server.refreshSession", post(refresh_session))
        .route("/xrpc/com.atproto.server.deleteSession", post(delete_session))
        .route("/xrpc/app.bsky.actor.getProfile", get(profile))
        .route("/xrpc/com.atproto.repo.uploadBlob", post(upload_blob))
        .route("/xrpc/com.atproto.repo.createRecord", post(create_record))
        .route("/xrpc/app.bsky.feed.getPosts", get(get_posts))
        .route("/xrpc/com.atproto.repo.listRecords", get(list_records))
}

fn xrpc_error(status: StatusCode, error: &str, message: &str) -> Response {
    (status, Json(json!({"error": error, "message": message}))).into_response()
}

fn auth_error(why: &str) -> Response {
    if why == "expired" {
        xrpc_error(StatusCode::BAD_REQUEST, "ExpiredToken", "Token has expired")
    } else {
        xrpc_error(StatusCode::UNAUTHORIZED, "InvalidToken", "Token could not be verified")
    }
}

fn did(id: &str) -> String {
    format!("did:plc:sbx{id}")
}

fn session(sb: &Sandbox, account: &super::Account) -> serde_json::Value {
    let ttl = sb.access_ttl(P, 7200);
    json!({
        "did": did(&account.id), "handle": format!("{}.bsky.social", account.username),
        "accessJwt": sb.issue_token(P, account, Some(ttl)), "refreshJwt": sb.issue_refresh(P, account), "active": true,
    })
}

async fn create_session(State(sb): State<Sandbox>, Json(b): Json<serde_json::Value>) -> Response {
    let ident = b["identifier"].as_str().unwrap_or("");
    if ident.is_empty() || b["password"].as_str() != Some(APP_PASSWORD) {
        return xrpc_error(StatusCode::UNAUTHORIZED, "AuthenticationRequired", "Invalid identifier or password");
    }
    let account = account_for(P, ident.trim_end_matches(".bsky.social"));
    Json(session(&sb, &account)).into_response()
}

async fn refresh_session(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let rt = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    match sb.spend_refresh(P, rt) {
        Some(account) => Json(session(&sb, &account)).into_response(),
        None => xrpc_error(StatusCode::BAD_REQUEST, "ExpiredToken", "Token has been revoked"),
    }
}

async fn delete_session(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let rt = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    let _ = sb.spend_refresh(P, rt);
    StatusCode::OK.into_response()
}

async fn profile(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    match sb.bearer(P, &headers) {
        Ok(a) => Json(json!({"did": did(&a.id), "handle": format!("{}.bsky.social", a.username), "displayName": a.display_name, "avatar": format!("https://cdn.bsky.app/img/avatar/plain/{}/sbx@jpeg", did(&a.id)), "followersCount": sb.followers_for(&a)})).into_response(),
        Err(why) => auth_error(why),
    }
}

async fn upload_blob(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(why) = sb.bearer(P, &headers) {
        return auth_error(why);
    }
    let mime = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("application/octet-stream").to_string();
    if body.is_empty() {
        return xrpc_error(StatusCode::BAD_REQUEST, "InvalidRequest", "Empty blob");
    }
    Json(json!({"blob": {"$type": "blob", "ref": {"$link": format!("bafkreisbx{}", rand::random::<u32>())}, "mimeType": mime, "size": body.len()}})).into_response()
}

async fn create_record(State(sb): State<Sandbox>, headers: HeaderMap, Json(b): Json<serde_json::Value>) -> Response {
    let account = match sb.bearer(P, &headers) {
        Ok(a) => a,
        Err(why) => return auth_error(why),
    };
    if b["repo"].as_str() != Some(did(&account.id).as_str()) {
        return xrpc_error(StatusCode::BAD_REQUEST, "InvalidRequest", "repo does not match the session");
    }
    let text = b["record"]["text"].as_str().unwrap_or("").to_string();
    if text.chars().count() > 300 {
        return xrpc_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes",
        );
    }
    let images = b["record"]["embed"]["images"].as_array().map(Vec::len).unwrap_or(0);
    let rkey = format!("3l{}", uuid::Uuid::new_v4().simple().to_string().get(..11).unwrap_or("x"));
    let uri = format!("at://{}/app.bsky.feed.post/{rkey}", did(&account.id));
    sb.record(P, &account, &uri, &text, images);
    Json(json!({"uri": uri, "cid": format!("bafyreisbx{}", rand::random::<u32>()), "commit": {"cid": "bafyreicommit", "rev": "3lsbx"}, "validationStatus": "valid"})).into_response()
}

async fn get_posts(State(sb): State<Sandbox>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(why) = sb.bearer(P, &headers) {
        return auth_error(why);
    }
    let uri = q.get("uris").cloned().unwrap_or_default();
    let posts: Vec<serde_json::Value> = sb
        .metrics_for(&uri)
        .map(|(_views, likes, replies, reposts)| json!({"uri": uri, "likeCount": likes, "repostCount": reposts, "replyCount": replies, "quoteCount": 0}))
        .into_iter()
        .collect();
    Json(json!({"posts": posts})).into_response()
}

/// `com.atproto.repo.listRecords`: a repository's records of one collection, newest first,
/// read from the PDS itself (so a record just written is already there).
async fn list_records(State(sb): State<Sandbox>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(why) = sb.bearer(P, &headers) {
        return auth_error(why);
    }
    let repo = q.get("repo").cloned().unwrap_or_default();
    let Some(id) = repo.strip_prefix("did:plc:sbx") else {
        return xrpc_error(StatusCode::BAD_REQUEST, "InvalidRequest", "Could not find repo");
    };
    if q.get("collection").map(String::as_str) != Some("app.bsky.feed.post") {
        return Json(json!({"records": []})).into_response();
    }
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(50).clamp(1, 100);
    let records: Vec<serde_json::Value> = sb
        .posts_of(P, id, 0)
        .into_iter()
        .take(limit)
        .map(|e| {
            let at = chrono::DateTime::from_timestamp_millis(e.at_ms).unwrap_or_default();
            json!({"uri": e.post_id, "cid": "bafyreisbxlist", "value": {"$type": "app.bsky.feed.post", "text": e.text, "createdAt": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)}})
        })
        .collect();
    Json(json!({"records": records})).into_response()
}
