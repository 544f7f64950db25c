//! YouTube Data API v3 + Google OAuth in the sandbox: consent at `/o/oauth2/v2/auth` (a
//! refresh token only for `access_type=offline&prompt=consent`), `/token` with client secret
//! in the form and non-rotating refresh tokens (1 h access), `/revoke`, channels, resumable
//! uploads (POST metadata → `Location` session → PUT bytes, `308` while incomplete), video
//! statistics as strings, and Google's error envelope.

use super::{account_for, Account, Code, Sandbox, CLIENT_ID, CLIENT_SECRET};
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const P: &str = "youtube";
const SCOPE_READ: &str = "https://www.googleapis.com/auth/youtube.readonly";
const SCOPE_UPLOAD: &str = "https://www.googleapis.com/auth/youtube.upload";
/// Codes for offline access carry this marker, so the token endpoint knows whether to
/// issue a refresh token (Google encodes such facts in its opaque codes too).
const OFFLINE: &str = "4/0Aoffline-";

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/o/oauth2/v2/auth", get(authorize_page).post(authorize_decide))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .route("/youtube/v3/channels", get(channels))
        .route("/youtube/v3/videos", get(videos))
        .route("/upload/youtube/v3/videos", post(start_upload).put(put_bytes))
}

/// Google's API error envelope.
fn google_error(status: StatusCode, reason: &str, message: &str) -> Response {
    let domain = if reason.starts_with("quota") || reason == "uploadLimitExceeded" { "youtube.quota" } else { "global" };
    let s = match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        _ => "UNKNOWN",
    };
    (
        status,
        Json(json!({"error": {
            "code": status.as_u16(), "message": message, "status": s,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }})),
    )
        .into_response()
}

/// Expired, revoked or unknown access tokens all look the same on Google APIs.
fn auth_error() -> Response {
    google_error(
        StatusCode::UNAUTHORIZED,
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid \
         authentication credential.",
    )
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

/// Google's error page for a bad authorize request ("Error 400: invalid_request").
fn authorize_refused(what: &str) -> Response {
    (StatusCode::BAD_REQUEST, format!("Access blocked: authorization error. Error 400: invalid_request. {what}")).into_response()
}

async fn authorize_page(Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    if get("client_id") != CLIENT_ID {
        return (
            StatusCode::UNAUTHORIZED,
            "Access blocked: authorization error. Error 401: invalid_client. The OAuth client was not found.",
        )
            .into_response();
    }
    if get("response_type") != "code" {
        return authorize_refused("Invalid response_type.");
    }
    if get("redirect_uri").is_empty() {
        return authorize_refused("Missing required parameter: redirect_uri");
    }
    if get("scope").is_empty() {
        return authorize_refused("Missing required parameter: scope");
    }
    if !get("code_challenge").is_empty() && !matches!(get("code_challenge_method"), "S256" | "plain") {
        return authorize_refused("Invalid code_challenge_method.");
    }
    // Google lists each permission in plain words.
    let described: Vec<String> = get("scope")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| match s {
            SCOPE_READ => format!("{s} (read: view your YouTube account)"),
            SCOPE_UPLOAD => format!("{s} (write: manage your YouTube videos)"),
            other => other.to_string(),
        })
        .collect();
    let scopes: Vec<&str> = described.iter().map(String::as_str).collect();
    let hidden: Vec<(&str, &str)> =
        ["client_id", "redirect_uri", "state", "code_challenge"].iter().filter_map(|k| q.get(*k).map(|v| (*k, v.as_str()))).collect();
    super::consent_page("YouTube", "#FF0000", &scopes, &hidden).into_response()
}

/// The consent form posts back to the authorize URL, so the original query (access_type,
/// prompt) is still there to decide whether the code earns a refresh token.
async fn authorize_decide(
    State(sb): State<Sandbox>,
    Query(q): Query<HashMap<String, String>>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).or_else(|| q.get(k)).cloned().unwrap_or_default();
    let redirect_uri = get("redirect_uri");
    if redirect_uri.is_empty() {
        return authorize_refused("Missing required parameter: redirect_uri");
    }
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let state = url::form_urlencoded::byte_serialize(get("state").as_bytes()).collect::<String>();
    if get("decision") != "allow" {
        return Redirect::to(&format!("{redirect_uri}{sep}error=access_denied&state={state}")).into_response();
    }
    // Every sandbox sign-in counts as a returning user: without prompt=consent Google
    // would skip the consent screen and send no new refresh token.
    let offline = q.get("access_type").map(String::as_str) == Some("offline") && q.get("prompt").is_some_and(|p| p.contains("consent"));
    let code = format!("{}{}", if offline { OFFLINE } else { "4/0Aonline-" }, uuid::Uuid::new_v4().simple());
    let challenge = Some(get("code_challenge")).filter(|c| !c.is_empty());
    sb.lock().codes.insert(
        code.clone(),
        Code {
            platform: P.into(),
            account: account_for(P, &get("username")),
            redirect_uri: redirect_uri.clone(),
            challenge,
            client_id: get("client_id"),
        },
    );
    let scope = url::form_urlencoded::byte_serialize(get("scope").as_bytes()).collect::<String>();
    let code_q = url::form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>();
    Redirect::to(&format!("{redirect_uri}{sep}state={state}&code={code_q}&scope={scope}")).into_response()
}

async fn token(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    if get("client_id") != CLIENT_ID || get("client_secret") != CLIENT_SECRET {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    let ttl = sb.access_ttl(P, 3599);
    let scope = format!("{SCOPE_READ} {SCOPE_UPLOAD}");
    match get("grant_type") {
        "authorization_code" => {
            let code = get("code");
            let Some(account) = sb.take_code(P, code, CLIENT_ID, Some(get("redirect_uri")), f.get("code_verifier").map(String::as_str))
            else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request");
            };
            let mut body =
                json!({"access_token": sb.issue_token(P, &account, Some(ttl)), "expires_in": ttl, "scope": scope, "token_type": "Bearer"});
            if code.starts_with(OFFLINE) {
                body["refresh_token"] = json!(sb.issue_refresh(P, &account));
            }
            Json(body).into_response()
        }
        "refresh_token" => {
            // No rotation: the refresh token stays valid until revoked.
            let account = sb.lock().refresh.get(get("refresh_token")).filter(|(p, _, dead)| p == P && !dead).map(|(_, a, _)| a.clone());
            let Some(account) = account else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Token has been expired or revoked.");
            };
            Json(json!({"access_token": sb.issue_token(P, &account, Some(ttl)), "expires_in": ttl, "scope": scope, "token_type": "Bearer"}))
                .into_response()
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "Invalid grant_type: "),
    }
}

/// Revoking either token ends the whole grant: every token of that account.
async fn revoke(State(sb): State<Sandbox>, Query(q): Query<HashMap<String, String>>, Form(f): Form<HashMap<String, String>>) -> Response {
    let t = f.get("token").or_else(|| q.get("token")).cloned().unwrap_or_default();
    let mut g = sb.lock();
    let account = g
        .tokens
        .get(&t)
        .filter(|x| x.platform == P && !x.revoked)
        .map(|x| x.account.id.clone())
        .or_else(|| g.refresh.get(&t).filter(|(p, _, dead)| p == P && !dead).map(|(_, a, _)| a.id.clone()));
    let Some(id) = account else { return oauth_error(StatusCode::BAD_REQUEST, "invalid_token", "Token expired or revoked") };
    g.tokens.values_mut().filter(|x| x.platform == P && x.account.id == id).for_each(|x| x.revoked = true);
    g.refresh.values_mut().filter(|(p, a, _)| p == P && a.id == id).for_each(|r| r.2 = true);
    Json(json!({})).into_response()
}

/// A stable channel id (`UC` + 22 base64url characters) per sandbox account.
fn channel_id(a: &Account) -> String {
    let b = URL_SAFE_NO_PAD.encode(Sha256::digest(format!("yt:{}", a.id).as_bytes()));
    format!("UC{}", &b[..22])
}

async fn channels(State(sb): State<Sandbox>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let account = match sb.bearer(P, &headers) {
        Ok(a) => a,
        Err(_) => return auth_error(),
    };
    if q.get("mine").map(String::as_str) != Some("true") || !q.contains_key("part") {
        return google_error(
            StatusCode::BAD_REQUEST,
            "missingRequiredParameter",
            "No filter selected. Expected one of: mine, id, forHandle.",
        );
    }
    let id = channel_id(&account);
    let videos = sb.lock().ledger.iter().filter(|e| e.platform == P && e.account == account.id).count();
    let thumb = |size: u32| json!({"url": format!("https://yt3.ggpht.com/sandbox/{id}=s{size}-c-k"), "width": size, "height": size});
    Json(json!({
        "kind": "youtube#channelListResponse", "etag": "sandbox-etag",
        "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
        "items": [{
            "kind": "youtube#channel", "etag": "sandbox-etag", "id": id,
            "snippet": {"title": account.display_name, "description": "", "customUrl": format!("@{}", account.username.to_lowercase()),
                        "publishedAt": "2020-01-01T00:00:00Z",
                        "thumbnails": {"default": thumb(88), "medium": thumb(240), "high": thumb(800)}},
            "statistics": {"viewCount": "0", "subscriberCount": "1200", "hiddenSubscriberCount": false, "videoCount": videos.to_string()},
        }],
    }))
    .into_response()
}

/// One resumable upload session, kept in the sandbox state until its bytes arrive.
#[derive(Serialize, Deserialize)]
struct Session {
    account_id: String,
    username: String,
    display_name: String,
    title: String,
    description: String,
    category: String,
    privacy: String,
    made_for_kids: bool,
    length: Option<usize>,
    received: Vec<u8>,
}

fn session_key(upload_id: &str) -> String {
    format!("youtube:upload:{upload_id}")
}

async fn start_upload(
    State(sb): State<Sandbox>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    Json(meta): Json<serde_json::Value>,
) -> Response {
    let account = match sb.bearer(P, &headers) {
        Ok(a) => a,
        Err(_) => return auth_error(),
    };
    if q.get("uploadType").map(String::as_str) != Some("resumable") {
        return google_error(StatusCode::BAD_REQUEST, "badRequest", "This sandbox supports uploadType=resumable only.");
    }
    if !q.get("part").is_some_and(|p| p.split(',').any(|x| x == "snippet")) {
        return google_error(StatusCode::BAD_REQUEST, "unexpectedPart", "The request must include part=snippet.");
    }
    let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = header("x-upload-content-type");
    if !(mime.is_empty() || mime.starts_with("video/") || mime == "application/octet-stream") {
        return google_error(
            StatusCode::BAD_REQUEST,
            "badContent",
            &format!("Media type '{mime}' is not supported. Valid media types: [video/*, application/octet-stream]"),
        );
    }
    let title = meta["snippet"]["title"].as_str().unwrap_or("").to_string();
    if title.trim().is_empty() {
        return google_error(StatusCode::BAD_REQUEST, "invalidTitle", "The request metadata does not specify a video title.");
    }
    if title.chars().count() > 100 || title.contains(['<', '>']) {
        return google_error(StatusCode::BAD_REQUEST, "invalidTitle", "The request metadata specifies an invalid video title.");
    }
    let description = meta["snippet"]["description"].as_str().unwrap_or("").to_string();
    if description.len() > 5000 || description.contains(['<', '>']) {
        return google_error(StatusCode::BAD_REQUEST, "invalidDescription", "The request metadata specifies an invalid video description.");
    }
    let st = &meta["status"];
    let privacy = st["privacyStatus"].as_str().unwrap_or("");
    if !["public", "unlisted", "private"].contains(&privacy) {
        return google_error(
            StatusCode::BAD_REQUEST,
            "invalidVideoMetadata",
            "The request metadata must specify status.privacyStatus (public, unlisted or private).",
        );
    }
    if !st["selfDeclaredMadeForKids"].is_boolean() {
        return google_error(
            StatusCode::BAD_REQUEST,
            "invalidVideoMetadata",
            "The request metadata must specify status.selfDeclaredMadeForKids.",
        );
    }
    let category = meta["snippet"]["categoryId"].as_str().unwrap_or("22").to_string();
    if !covalynce::domain::YOUTUBE_CATEGORIES.iter().any(|(id, _)| *id == category) {
        return google_error(StatusCode::BAD_REQUEST, "invalidCategoryId", "The request metadata specifies an invalid video category.");
    }
    // Kept so tests can see what the app sent (title, description, category, privacy, kids).
    sb.lock().idempotency.insert("youtube:last_video".into(), json!({"snippet": meta["snippet"], "status": meta["status"]}));
    let upload_id = format!("ADPycd{}", uuid::Uuid::new_v4().simple());
    let session = Session {
        account_id: account.id,
        username: account.username,
        display_name: account.display_name,
        title,
        description,
        category,
        privacy: privacy.to_string(),
        made_for_kids: st["selfDeclaredMadeForKids"].as_bool().unwrap_or(false),
        length: header("x-upload-content-length").parse().ok(),
        received: vec![],
    };
    sb.lock().idempotency.insert(session_key(&upload_id), serde_json::to_value(&session).unwrap_or_default());
    // The session URI is absolute on the upload host (here: this sandbox, wherever mounted).
    let host = header("host");
    let scheme = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("http");
    let location = format!("{scheme}://{host}{}?uploadType=resumable&upload_id={upload_id}", uri.path());
    (StatusCode::OK, [("location", location), ("x-guploader-uploadid", upload_id)], "").into_response()
}

/// `bytes a-b/total` or `bytes */total`.
fn content_range(h: &str) -> Option<(Option<(usize, usize)>, usize)> {
    let rest = h.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let total = total.trim().parse().ok()?;
    if range == "*" {
        return Some((None, total));
    }
    let (a, b) = range.split_once('-')?;
    Some((Some((a.trim().parse().ok()?, b.trim().parse().ok()?)), total))
}

async fn put_bytes(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    let key = session_key(q.get("upload_id").map(String::as_str).unwrap_or(""));
    let Some(mut s) = sb.lock().idempotency.get(&key).and_then(|v| serde_json::from_value::<Session>(v.clone()).ok()) else {
        return google_error(StatusCode::NOT_FOUND, "notFound", "The upload session was not found or has expired.");
    };
    let range = headers.get("content-range").and_then(|v| v.to_str().ok()).and_then(content_range);
    match range {
        // Status probe: report what arrived so far.
        Some((None, _)) => {}
        Some((Some((a, b)), total)) => {
            if a != s.received.len() || b + 1 != a + body.len() || b >= total || s.length.is_some_and(|l| l != total) {
                return google_error(StatusCode::BAD_REQUEST, "badRequest", "Content-Range does not match the bytes received.");
            }
            s.received.extend_from_slice(&body);
            s.length = Some(total);
        }
        None => {
            s.received.extend_from_slice(&body);
            s.length = s.length.or(Some(s.received.len()));
        }
    }
    let total = s.length.unwrap_or(0);
    if s.received.len() < total || total == 0 {
        let received = s.received.len();
        sb.lock().idempotency.insert(key, serde_json::to_value(&s).unwrap_or_default());
        let mut r = (StatusCode::PERMANENT_REDIRECT, "").into_response();
        if received > 0 {
            r.headers_mut().insert("range", format!("bytes=0-{}", received - 1).parse().expect("header value"));
        }
        return r;
    }
    sb.lock().idempotency.remove(&key);
    let account = Account { id: s.account_id.clone(), username: s.username.clone(), display_name: s.display_name.clone() };
    let id = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 8]>());
    sb.record(P, &account, &id, &s.description, 1);
    let published = chrono::DateTime::from_timestamp_millis(sb.now_ms()).unwrap_or_default().to_rfc3339();
    Json(json!({
        "kind": "youtube#video", "etag": "sandbox-etag", "id": id,
        "snippet": {"publishedAt": published, "channelId": channel_id(&account), "title": s.title, "description": s.description,
                    "channelTitle": account.display_name, "categoryId": s.category, "liveBroadcastContent": "none",
                    "thumbnails": {"default": {"url": format!("https://i.ytimg.com/vi/{id}/default.jpg"), "width": 120, "height": 90}},
                    "localized": {"title": s.title, "description": s.description}},
        "status": {"uploadStatus": "uploaded", "privacyStatus": s.privacy, "license": "youtube", "embeddable": true,
                   "publicStatsViewable": true, "selfDeclaredMadeForKids": s.made_for_kids},
    }))
    .into_response()
}

async fn videos(State(sb): State<Sandbox>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if sb.bearer(P, &headers).is_err() {
        return auth_error();
    }
    let ids = q.get("id").cloned().unwrap_or_default();
    // Unknown ids are simply missing from `items` (no 404), as on YouTube.
    let items: Vec<serde_json::Value> = ids
        .split(',')
        .filter_map(|id| {
            sb.metrics_for(id).map(|(views, likes, comments, _)| {
                json!({"kind": "youtube#video", "etag": "sandbox-etag", "id": id,
                       "statistics": {"viewCount": views.to_string(), "likeCount": likes.to_string(),
                                      "favoriteCount": "0", "commentCount": comments.to_string()}})
            })
        })
        .collect();
    let page = json!({"totalResults": items.len(), "resultsPerPage": items.len()});
    Json(json!({"kind": "youtube#videoListResponse", "etag": "sandbox-etag", "items": items, "pageInfo": page})).into_response()
}
