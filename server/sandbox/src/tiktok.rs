//! TikTok Login Kit v2 + Content Posting API in the sandbox: consent at
//! `/v2/auth/authorize/` (`client_key`, comma-separated scopes), `/v2/oauth/token/` with
//! rotating refresh tokens (24 h access), `/v2/oauth/revoke/`, `/v2/user/info/`,
//! creator_info, FILE_UPLOAD video init + chunked PUT (206/201) to an upload URL under
//! `{sandbox}/tiktok/upload`, PULL_FROM_URL photo posts, `status/fetch`, `/v2/video/query/`,
//! and the `{data, error:{code,message,log_id}}` envelope.

use super::{consent_decision, consent_page, Account, Sandbox, CLIENT_ID, CLIENT_SECRET};
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

const P: &str = "tiktok";
const SCOPES: &str = "user.info.basic,user.info.profile,video.publish,video.list";
const PRIVACY_OPTIONS: [&str; 3] = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"];
/// How long TikTok "processes" a post after its bytes or URLs arrive.
const PROCESSING_MS: i64 = 300;
/// Posts per account per day before `spam_risk_too_many_posts` (the real cap is unpublished).
const DAILY_POSTS: usize = 15;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/v2/auth/authorize/", get(authorize_page).post(authorize_decide))
        .route("/v2/oauth/token/", post(token))
        .route("/v2/oauth/revoke/", post(revoke))
        .route("/v2/user/info/", get(user_info))
        .route("/v2/post/publish/creator_info/query/", post(creator_info))
        .route("/v2/post/publish/video/init/", post(video_init))
        .route("/v2/post/publish/content/init/", post(content_init))
        .route("/v2/post/publish/status/fetch/", post(status_fetch))
        .route("/v2/video/query/", post(video_query))
        .route("/upload/video/", put(upload_chunk))
}

fn log_id() -> String {
    format!("2026{:016X}", rand::random::<u64>())
}

/// The API envelope: `data` plus `error.code = "ok"` on success.
fn ok(data: Value) -> Response {
    Json(json!({"data": data, "error": {"code": "ok", "message": "", "log_id": log_id()}})).into_response()
}

fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"data": {}, "error": {"code": code, "message": message, "log_id": log_id()}}))).into_response()
}

fn unauthorized() -> Response {
    api_error(StatusCode::UNAUTHORIZED, "access_token_invalid", "The access token is invalid or not found in the request.")
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description, "log_id": log_id()}))).into_response()
}

async fn authorize_page(Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    // TikTok's parameter is client_key; a client_id alone is an unknown client.
    if get("client_key") != CLIENT_ID {
        return (StatusCode::BAD_REQUEST, "Something went wrong. client_key: invalid or missing (error code: 10003)").into_response();
    }
    if get("response_type") != "code" || get("redirect_uri").is_empty() || get("scope").is_empty() {
        return (StatusCode::BAD_REQUEST, "Something went wrong. Check response_type, redirect_uri and scope.").into_response();
    }
    if get("scope").contains(' ') {
        return (StatusCode::BAD_REQUEST, "Something went wrong. scope: scopes are separated by commas.").into_response();
    }
    let described: Vec<String> = get("scope")
        .split(',')
        .map(|s| match s {
            "user.info.basic" => format!("{s} (read your avatar and display name)"),
            "user.info.profile" => format!("{s} (read your username and bio)"),
            "video.publish" => format!("{s} (write: post content to your TikTok profile)"),
            "video.upload" => format!("{s} (write: send drafts to your inbox)"),
            "video.list" => format!("{s} (read your public videos and their statistics)"),
            other => other.to_string(),
        })
        .collect();
    let scopes: Vec<&str> = described.iter().map(String::as_str).collect();
    // The shared consent form speaks `client_id`: map TikTok's client_key into it.
    let mut hidden: Vec<(&str, &str)> = vec![("client_id", get("client_key"))];
    hidden.extend(["redirect_uri", "state", "code_challenge"].iter().filter_map(|k| q.get(*k).map(|v| (*k, v.as_str()))));
    consent_page("TikTok", "#000000", &scopes, &hidden).into_response()
}

/// The form posts back to the authorize URL: fill what the form lacks from its query.
async fn authorize_decide(
    State(sb): State<Sandbox>,
    Query(q): Query<HashMap<String, String>>,
    Form(mut f): Form<HashMap<String, String>>,
) -> Response {
    if f.get("client_id").is_none_or(|c| c.is_empty()) {
        f.insert("client_id".into(), q.get("client_key").cloned().unwrap_or_default());
    }
    for k in ["redirect_uri", "state"] {
        if !f.contains_key(k) {
            if let Some(v) = q.get(k) {
                f.insert(k.into(), v.clone());
            }
        }
    }
    // PKCE is for mobile/desktop apps; web apps send none.
    consent_decision(&sb, P, &f, false)
}

fn open_id(a: &Account) -> String {
    format!("-000{}", a.id)
}

async fn token(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    if get("client_key") != CLIENT_ID || get("client_secret") != CLIENT_SECRET {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Client key or secret is incorrect.");
    }
    let account = match get("grant_type") {
        "authorization_code" => {
            match sb.take_code(P, get("code"), CLIENT_ID, Some(get("redirect_uri")), f.get("code_verifier").map(String::as_str)) {
                Some(a) => a,
                None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Authorization code is expired."),
            }
        }
        // Rotation: the old refresh token dies as the new one is issued.
        "refresh_token" => match sb.spend_refresh(P, get("refresh_token")) {
            Some(a) => a,
            None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Refresh token is invalid or expired."),
        },
        _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is invalid."),
    };
    let ttl = sb.access_ttl(P, 86_400);
    Json(json!({
        "open_id": open_id(&account), "scope": SCOPES,
        "access_token": sb.issue_token(P, &account, Some(ttl)), "expires_in": ttl,
        "refresh_token": sb.issue_refresh(P, &account), "refresh_expires_in": 31_536_000,
        "token_type": "Bearer",
    }))
    .into_response()
}

async fn revoke(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    if get("client_key") != CLIENT_ID || get("client_secret") != CLIENT_SECRET {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Client key or secret is incorrect.");
    }
    let mut g = sb.lock();
    let Some(id) = g.tokens.get(get("token")).filter(|t| t.platform == P).map(|t| t.account.id.clone()) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "The access token is invalid.");
    };
    // The app loses the user's authorization: every token of that account dies.
    g.tokens.values_mut().filter(|t| t.platform == P && t.account.id == id).for_each(|t| t.revoked = true);
    g.refresh.values_mut().filter(|(p, a, _)| p == P && a.id == id).for_each(|r| r.2 = true);
    Json(json!({})).into_response()
}

async fn user_info(State(sb): State<Sandbox>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let Ok(a) = sb.bearer(P, &headers) else { return unauthorized() };
    let fields = q.get("fields").cloned().unwrap_or_default();
    if fields.is_empty() {
        return api_error(StatusCode::BAD_REQUEST, "invalid_params", "fields is required.");
    }
    let all = json!({
        "open_id": open_id(&a), "union_id": format!("union-{}", a.id),
        "avatar_url": format!("https://p16-sign.tiktokcdn.com/sandbox/{}.jpeg", a.id),
        "display_name": a.display_name, "username": a.username,
    });
    let user: serde_json::Map<String, Value> =
        fields.split(',').filter_map(|f| all.get(f.trim()).map(|v| (f.trim().to_string(), v.clone()))).collect();
    ok(json!({"user": user}))
}

async fn creator_info(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let Ok(a) = sb.bearer(P, &headers) else { return unauthorized() };
    ok(json!({
        "creator_avatar_url": format!("https://p16-sign.tiktokcdn.com/sandbox/{}.jpeg", a.id),
        "creator_username": a.username, "creator_nickname": a.display_name,
        "privacy_level_options": PRIVACY_OPTIONS,
        "comment_disabled": false, "duet_disabled": false, "stitch_disabled": true,
        "max_video_post_duration_sec": 600,
    }))
}

/// A post in progress, kept in the sandbox state under `tiktok:publish:{publish_id}`.
#[derive(Serialize, Deserialize)]
struct Publish {
    account: (String, String, String),
    caption: String,
    images: usize,
    video_size: usize,
    chunk_size: usize,
    chunks: usize,
    received: usize,
    /// Set once every byte or URL has arrived.
    ready_at_ms: Option<i64>,
    post_id: Option<u64>,
}

fn key(publish_id: &str) -> String {
    format!("tiktok:publish:{publish_id}")
}

fn load(sb: &Sandbox, publish_id: &str) -> Option<Publish> {
    sb.lock().idempotency.get(&key(publish_id)).and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn save(sb: &Sandbox, publish_id: &str, p: &Publish) {
    sb.lock().idempotency.insert(key(publish_id), serde_json::to_value(p).unwrap_or_default());
}

/// Checks shared by video and photo posts: the refusal to send, if any.
fn refusal(sb: &Sandbox, a: &Account, info: &Value, caption_max: usize) -> Option<Response> {
    let privacy = info["privacy_level"].as_str().unwrap_or("");
    if !PRIVACY_OPTIONS.contains(&privacy) {
        return Some(api_error(
            StatusCode::FORBIDDEN,
            "privacy_level_option_mismatch",
            "The privacy_level is not one of the privacy_level_options returned by creator_info.",
        ));
    }
    if info["title"].as_str().unwrap_or("").encode_utf16().count() > caption_max {
        return Some(api_error(StatusCode::BAD_REQUEST, "invalid_params", &format!("The title exceeds {caption_max} characters.")));
    }
    if info["brand_content_toggle"].as_bool() == Some(true) && privacy == "SELF_ONLY" {
        return Some(api_error(StatusCode::BAD_REQUEST, "invalid_params", "Branded content cannot be posted with SELF_ONLY visibility."));
    }
    let day_ago = sb.now_ms() - 86_400_000;
    if sb.lock().ledger.iter().filter(|e| e.platform == P && e.account == a.id && e.at_ms > day_ago).count() >= DAILY_POSTS {
        return Some(api_error(
            StatusCode::FORBIDDEN,
            "spam_risk_too_many_posts",
            "The daily post cap from the API is reached for the current user.",
        ));
    }
    // Kept so tests can see what the app asked for (privacy, interactions, disclosure).
    sb.lock().idempotency.insert("tiktok:last_post_info".into(), info.clone());
    None
}

async fn video_init(State(sb): State<Sandbox>, uri: OriginalUri, headers: HeaderMap, Json(b): Json<Value>) -> Response {
    let Ok(a) = sb.bearer(P, &headers) else { return unauthorized() };
    if let Some(r) = refusal(&sb, &a, &b["post_info"], 2200) {
        return r;
    }
    let s = &b["source_info"];
    if s["source"] != "FILE_UPLOAD" {
        // PULL_FROM_URL needs a verified domain, which the sandbox has none of.
        return api_error(StatusCode::FORBIDDEN, "url_ownership_unverified", "The video URL's domain or prefix is not verified.");
    }
    let (size, chunk, count) = (
        s["video_size"].as_u64().unwrap_or(0) as usize,
        s["chunk_size"].as_u64().unwrap_or(0) as usize,
        s["total_chunk_count"].as_u64().unwrap_or(0) as usize,
    );
    let consistent = size > 0
        && chunk > 0
        && if size <= 64 * 1024 * 1024 {
            chunk == size && count == 1
        } else {
            (5_000_000..=64 * 1024 * 1024).contains(&chunk) && count == size / chunk
        };
    if !consistent {
        return api_error(StatusCode::BAD_REQUEST, "invalid_params", "video_size, chunk_size and total_chunk_count do not match.");
    }
    let n = rand::random::<u32>();
    let publish_id = format!("v_pub_file~v2-1.{n}");
    let p = Publish {
        account: (a.id, a.username, a.display_name),
        caption: b["post_info"]["title"].as_str().unwrap_or("").into(),
        images: 0,
        video_size: size,
        chunk_size: chunk,
        chunks: count,
        received: 0,
        ready_at_ms: None,
        post_id: None,
    };
    save(&sb, &publish_id, &p);
    // The real upload_url is absolute on open-upload.tiktokapis.com; here it sits under
    // this sandbox's `{tiktok}/upload`, wherever the sandbox is mounted.
    let path = uri.path();
    let root = path.rsplit_once("/v2/post/").map(|(r, _)| r).unwrap_or("/tiktok");
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
    let scheme = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("http");
    let upload_url = format!("{scheme}://{host}{root}/upload/video/?upload_id={n}&upload_token={}", uuid::Uuid::new_v4().simple());
    ok(json!({"publish_id": publish_id, "upload_url": upload_url}))
}

fn parse_range(h: &str) -> Option<(usize, usize, usize)> {
    let (range, total) = h.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?, total.trim().parse().ok()?))
}

async fn upload_chunk(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    let publish_id = format!("v_pub_file~v2-1.{}", q.get("upload_id").map(String::as_str).unwrap_or(""));
    let Some(mut p) = load(&sb, &publish_id).filter(|_| q.contains_key("upload_token")) else {
        return api_error(StatusCode::NOT_FOUND, "invalid_params", "The upload URL is invalid or has expired.");
    };
    let mime = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !["video/mp4", "video/quicktime", "video/webm"].contains(&mime) {
        return api_error(StatusCode::BAD_REQUEST, "invalid_file_upload", "Content-Type must be video/mp4, video/quicktime or video/webm.");
    }
    let Some((first, last, total)) = headers.get("content-range").and_then(|v| v.to_str().ok()).and_then(parse_range) else {
        return api_error(StatusCode::BAD_REQUEST, "invalid_file_upload", "Content-Range is required.");
    };
    if total != p.video_size || first != p.received || last + 1 != first + body.len() || last >= total {
        return api_error(StatusCode::RANGE_NOT_SATISFIABLE, "invalid_file_upload", "Content-Range does not match the upload.");
    }
    // Every chunk but the last is exactly chunk_size; the last carries the remainder.
    let is_last = last + 1 == total;
    if !is_last && (body.len() != p.chunk_size || p.chunks == 1) {
        return api_error(StatusCode::BAD_REQUEST, "invalid_file_upload", "Each chunk but the last must be exactly chunk_size bytes.");
    }
    p.received += body.len();
    if p.received < p.video_size {
        save(&sb, &publish_id, &p);
        return StatusCode::PARTIAL_CONTENT.into_response();
    }
    finish(&sb, &publish_id, &mut p);
    StatusCode::CREATED.into_response()
}

/// Everything arrived: the post is accepted (ledger) and will be public after processing.
fn finish(sb: &Sandbox, publish_id: &str, p: &mut Publish) {
    let post_id = 7_300_000_000_000_000_000u64 + rand::random::<u32>() as u64;
    let (id, username, display_name) = p.account.clone();
    sb.record(P, &Account { id, username, display_name }, &post_id.to_string(), &p.caption, p.images.max(1));
    p.post_id = Some(post_id);
    p.ready_at_ms = Some(sb.now_ms() + PROCESSING_MS);
    save(sb, publish_id, p);
}

async fn content_init(State(sb): State<Sandbox>, headers: HeaderMap, Json(b): Json<Value>) -> Response {
    let Ok(a) = sb.bearer(P, &headers) else { return unauthorized() };
    if b["media_type"] != "PHOTO" || !matches!(b["post_mode"].as_str(), Some("DIRECT_POST" | "MEDIA_UPLOAD")) {
        return api_error(StatusCode::BAD_REQUEST, "invalid_params", "media_type must be PHOTO and post_mode DIRECT_POST or MEDIA_UPLOAD.");
    }
    if let Some(r) = refusal(&sb, &a, &b["post_info"], 90) {
        return r;
    }
    if b["post_info"]["description"].as_str().unwrap_or("").encode_utf16().count() > 4000 {
        return api_error(StatusCode::BAD_REQUEST, "invalid_params", "The description exceeds 4000 characters.");
    }
    let s = &b["source_info"];
    let urls: Vec<&str> = s["photo_images"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    if s["source"] != "PULL_FROM_URL" || urls.is_empty() || urls.len() > 35 {
        return api_error(StatusCode::BAD_REQUEST, "invalid_params", "Photo posts pull 1 to 35 images from URLs (source PULL_FROM_URL).");
    }
    if urls.iter().any(|u| !u.starts_with("https://")) {
        return api_error(StatusCode::FORBIDDEN, "url_ownership_unverified", "Photo URLs must be https on a verified domain.");
    }
    let publish_id = format!("p_pub_url~v2.{}", rand::random::<u32>());
    let caption = b["post_info"]["description"].as_str().filter(|d| !d.is_empty()).or_else(|| b["post_info"]["title"].as_str());
    let mut p = Publish {
        account: (a.id, a.username, a.display_name),
        caption: caption.unwrap_or("").into(),
        images: urls.len(),
        video_size: 0,
        chunk_size: 0,
        chunks: 0,
        received: 0,
        ready_at_ms: None,
        post_id: None,
    };
    finish(&sb, &publish_id, &mut p);
    ok(json!({"publish_id": publish_id}))
}

async fn status_fetch(State(sb): State<Sandbox>, headers: HeaderMap, Json(b): Json<Value>) -> Response {
    let Ok(a) = sb.bearer(P, &headers) else { return unauthorized() };
    let publish_id = b["publish_id"].as_str().unwrap_or("");
    let Some(p) = load(&sb, publish_id).filter(|p| p.account.0 == a.id) else {
        return api_error(StatusCode::BAD_REQUEST, "invalid_publish_id", "The publish_id does not exist.");
    };
    let photo = publish_id.starts_with("p_pub");
    let now = sb.now_ms();
    let data = match p.ready_at_ms {
        Some(t) if t <= now => json!({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [p.post_id],
                                      "uploaded_bytes": p.received, "fail_reason": ""}),
        _ if photo => json!({"status": "PROCESSING_DOWNLOAD", "downloaded_bytes": 0}),
        _ => json!({"status": "PROCESSING_UPLOAD", "uploaded_bytes": p.received}),
    };
    ok(data)
}

async fn video_query(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    Json(b): Json<Value>,
) -> Response {
    let Ok(a) = sb.bearer(P, &headers) else { return unauthorized() };
    let fields: Vec<String> = q.get("fields").map(|f| f.split(',').map(|s| s.trim().to_string()).collect()).unwrap_or_default();
    if fields.is_empty() {
        return api_error(StatusCode::BAD_REQUEST, "invalid_params", "fields is required.");
    }
    let ids: Vec<String> =
        b["filters"]["video_ids"].as_array().map(|v| v.iter().filter_map(|i| i.as_str().map(str::to_string)).collect()).unwrap_or_default();
    if ids.is_empty() || ids.len() > 20 {
        return api_error(StatusCode::BAD_REQUEST, "invalid_params", "filters.video_ids takes 1 to 20 ids.");
    }
    let mine: Vec<String> = sb.lock().ledger.iter().filter(|e| e.platform == P && e.account == a.id).map(|e| e.post_id.clone()).collect();
    let videos: Vec<Value> = ids
        .iter()
        .filter(|id| mine.contains(id))
        .filter_map(|id| {
            let (views, likes, comments, shares) = sb.metrics_for(id)?;
            let all = json!({"id": id, "view_count": views, "like_count": likes, "comment_count": comments, "share_count": shares,
                             "share_url": format!("https://www.tiktok.com/@{}/video/{id}", a.username)});
            Some(Value::Object(fields.iter().filter_map(|f| all.get(f).map(|v| (f.clone(), v.clone()))).collect()))
        })
        .collect();
    ok(json!({"videos": videos, "cursor": 0, "has_more": false}))
}
