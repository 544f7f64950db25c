//! Bluesky in the sandbox. The entryway and the PDS are both here: XRPC at `/bluesky/xrpc`
//! (the configured entryway) and again at `/bluesky/pds/xrpc` (the PDS that DID documents
//! name), plus a PLC directory at `/bluesky/plc/{did}`. createSession with an app password,
//! rotating refreshSession, resolveHandle (handles under `.bsky.social`), getProfile,
//! uploadBlob, createRecord (facets and embeds validated, the record kept for getRecord),
//! getRecord, listRecords, getPosts; XRPC error envelope.

use super::{account_for, Sandbox, APP_PASSWORD};
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

const P: &str = "bluesky";
/// The sandbox's handle domain: `ada` signs in as `ada.bsky.social`.
const USER_DOMAIN: &str = ".bsky.social";
/// Bluesky's limit for an image or link-card thumbnail blob in a post.
const MAX_IMAGE_BLOB: u64 = 1_000_000;

pub fn routes() -> Router<Sandbox> {
    xrpc().nest("/pds", xrpc()).route("/plc/{did}", get(plc_document))
}

fn xrpc() -> Router<Sandbox> {
    Router::new()
        .route("/xrpc/com.atproto.server.createSession", post(create_session))
        .route("/xrpc/com.atproto.server.refreshSession", post(refresh_session))
        .route("/xrpc/com.atproto.server.deleteSession", post(delete_session))
        .route("/xrpc/com.atproto.identity.resolveHandle", get(resolve_handle))
        .route("/xrpc/app.bsky.actor.getProfile", get(profile))
        .route("/xrpc/com.atproto.repo.uploadBlob", post(upload_blob))
        .route("/xrpc/com.atproto.repo.createRecord", post(create_record))
        .route("/xrpc/com.atproto.repo.getRecord", get(get_record))
        .route("/xrpc/app.bsky.feed.getPosts", get(get_posts))
        .route("/xrpc/com.atproto.repo.listRecords", get(list_records))
}

// What Bluesky keeps beyond the ledger lives in the sandbox's keyed store (cleared by
// `/_control/reset`): DIDs handed out (→ handle), blobs uploaded, records written.
fn did_key(did: &str) -> String {
    format!("bluesky:did:{did}")
}
fn blob_key(cid: &str) -> String {
    format!("bluesky:blob:{cid}")
}
fn record_key(uri: &str) -> String {
    format!("bluesky:record:{uri}")
}

fn remember(sb: &Sandbox, key: String, value: Value) {
    sb.lock().idempotency.insert(key, value);
}

fn recall(sb: &Sandbox, key: &str) -> Option<Value> {
    sb.lock().idempotency.get(key).cloned()
}

/// A DID this sandbox handed out (through resolveHandle or a session), with its handle.
fn known_handle(sb: &Sandbox, did: &str) -> Option<String> {
    recall(sb, &did_key(did)).and_then(|v| v["handle"].as_str().map(str::to_string))
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

fn handle_of(account: &super::Account) -> String {
    format!("{}{USER_DOMAIN}", account.username)
}

fn session(sb: &Sandbox, account: &super::Account) -> serde_json::Value {
    let ttl = sb.access_ttl(P, 7200);
    remember(sb, did_key(&did(&account.id)), json!({"handle": handle_of(account)}));
    json!({
        "did": did(&account.id), "handle": handle_of(account),
        "accessJwt": sb.issue_token(P, account, Some(ttl)), "refreshJwt": sb.issue_refresh(P, account), "active": true,
    })
}

async fn create_session(State(sb): State<Sandbox>, Json(b): Json<serde_json::Value>) -> Response {
    let ident = b["identifier"].as_str().unwrap_or("");
    if ident.is_empty() || b["password"].as_str() != Some(APP_PASSWORD) {
        return xrpc_error(StatusCode::UNAUTHORIZED, "AuthenticationRequired", "Invalid identifier or password");
    }
    let account = account_for(P, ident.trim_end_matches(USER_DOMAIN));
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
        Ok(a) => Json(json!({"did": did(&a.id), "handle": handle_of(&a), "displayName": a.display_name, "avatar": format!("https://cdn.bsky.app/img/avatar/plain/{}/sbx@jpeg", did(&a.id)), "followersCount": sb.followers_for(&a)})).into_response(),
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
    let cid = format!("bafkreisbx{}", rand::random::<u32>());
    let blob = json!({"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": body.len()});
    remember(&sb, blob_key(&cid), blob.clone());
    Json(json!({"blob": blob})).into_response()
}

/// `com.atproto.identity.resolveHandle`: every handle under the sandbox's domain exists
/// (accounts are made on first use); any other handle is unknown here.
async fn resolve_handle(State(sb): State<Sandbox>, Query(q): Query<HashMap<String, String>>) -> Response {
    let handle = q.get("handle").map(|h| h.trim().to_ascii_lowercase()).unwrap_or_default();
    let name = handle
        .strip_suffix(USER_DOMAIN)
        .filter(|n| !n.is_empty() && !n.starts_with(['.', '-']) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    let Some(name) = name else {
        return xrpc_error(StatusCode::BAD_REQUEST, "InvalidRequest", "Unable to resolve handle");
    };
    let account = account_for(P, name);
    let did = did(&account.id);
    remember(&sb, did_key(&did), json!({"handle": handle_of(&account)}));
    Json(json!({"did": did})).into_response()
}

/// The PLC directory: the DID document of a DID this sandbox handed out. Its PDS is the
/// sandbox's `…/bluesky/pds`, at the address this request reached the sandbox by.
async fn plc_document(State(sb): State<Sandbox>, OriginalUri(uri): OriginalUri, headers: HeaderMap, Path(did): Path<String>) -> Response {
    let Some(handle) = known_handle(&sb, &did) else {
        return (StatusCode::NOT_FOUND, Json(json!({"message": format!("DID not registered: {did}")}))).into_response();
    };
    let path = uri.path();
    let root = path.rfind("/plc/").map_or("", |i| &path[..i]);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let pds = format!(
        "{}://{}{root}/pds",
        header("x-forwarded-proto").unwrap_or_else(|| "http".into()),
        header("host").unwrap_or_else(|| "127.0.0.1".into())
    );
    Json(json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "alsoKnownAs": [format!("at://{handle}")],
        "verificationMethod": [{"id": format!("{did}#atproto"), "type": "Multikey", "controller": did, "publicKeyMultibase": "zQ3shSandboxKeyNotARealKey"}],
        "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds}],
    }))
    .into_response()
}

/// Facets index the text by UTF-8 bytes, on character boundaries; mentions name accounts
/// that exist. Errors are worded like the PDS's lexicon validation.
fn check_facets(sb: &Sandbox, text: &str, facets: &Value) -> Result<(), String> {
    if facets.is_null() {
        return Ok(());
    }
    let list = facets.as_array().ok_or("Record/facets must be an array")?;
    for (n, f) in list.iter().enumerate() {
        let at = format!("Record/facets/{n}");
        let (Some(start), Some(end)) = (f["index"]["byteStart"].as_u64(), f["index"]["byteEnd"].as_u64()) else {
            return Err(format!("{at}/index must have integer byteStart and byteEnd"));
        };
        let (start, end) = (start as usize, end as usize);
        if start >= end || end > text.len() {
            return Err(format!("{at}/index {start}..{end} is outside the text ({} bytes)", text.len()));
        }
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            return Err(format!("{at}/index {start}..{end} splits a UTF-8 character"));
        }
        let features = f["features"].as_array().filter(|a| !a.is_empty()).ok_or_else(|| format!("{at}/features must not be empty"))?;
        for (k, feat) in features.iter().enumerate() {
            let here = format!("{at}/features/{k}");
            match feat["$type"].as_str().unwrap_or_default() {
                "app.bsky.richtext.facet#mention" => {
                    let did = feat["did"].as_str().unwrap_or_default();
                    if known_handle(sb, did).is_none() {
                        return Err(format!("{here}/did {did} is not a known account"));
                    }
                }
                "app.bsky.richtext.facet#link" => {
                    if url::Url::parse(feat["uri"].as_str().unwrap_or_default()).is_err() {
                        return Err(format!("{here}/uri must be a valid uri"));
                    }
                }
                "app.bsky.richtext.facet#tag" => {
                    let tag = feat["tag"].as_str().unwrap_or_default();
                    if tag.is_empty() || tag.len() > 640 || tag.contains(char::is_whitespace) {
                        return Err(format!("{here}/tag must be 1 to 640 bytes without spaces"));
                    }
                }
                other => return Err(format!("{here} has an unknown type {other:?}")),
            }
        }
    }
    Ok(())
}

/// Images (1 to 4) or an external link card; every blob was uploaded here and is an image
/// of at most 1,000,000 bytes.
fn check_embed(sb: &Sandbox, embed: &Value) -> Result<(), String> {
    match embed["$type"].as_str() {
        None if embed.is_null() => Ok(()),
        Some("app.bsky.embed.images") => {
            let images =
                embed["images"].as_array().filter(|a| (1..=4).contains(&a.len())).ok_or("Record/embed/images must hold 1 to 4 images")?;
            images.iter().enumerate().try_for_each(|(n, i)| check_blob(sb, &i["image"], &format!("Record/embed/images/{n}/image")))
        }
        Some("app.bsky.embed.external") => {
            let ext = &embed["external"];
            let uri = ext["uri"].as_str().and_then(|u| url::Url::parse(u).ok());
            if !uri.is_some_and(|u| matches!(u.scheme(), "http" | "https")) {
                return Err("Record/embed/external/uri must be a valid uri".into());
            }
            if !ext["title"].is_string() || !ext["description"].is_string() {
                return Err("Record/embed/external must have title and description".into());
            }
            match &ext["thumb"] {
                Value::Null => Ok(()),
                thumb => check_blob(sb, thumb, "Record/embed/external/thumb"),
            }
        }
        other => Err(format!("Record/embed has an unknown type {:?}", other.unwrap_or_default())),
    }
}

fn check_blob(sb: &Sandbox, blob: &Value, at: &str) -> Result<(), String> {
    let cid = blob["ref"]["$link"].as_str().unwrap_or_default();
    let stored = recall(sb, &blob_key(cid)).ok_or_else(|| format!("{at} is not a blob uploaded to this PDS"))?;
    if !stored["mimeType"].as_str().is_some_and(|m| m.starts_with("image/")) {
        return Err(format!("{at} must be an image"));
    }
    if stored["size"].as_u64().is_none_or(|n| n > MAX_IMAGE_BLOB) {
        return Err(format!("{at} is larger than {MAX_IMAGE_BLOB} bytes"));
    }
    Ok(())
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
    let record = &b["record"];
    if let Err(why) = check_facets(&sb, &text, &record["facets"]).and_then(|_| check_embed(&sb, &record["embed"])) {
        return xrpc_error(StatusCode::BAD_REQUEST, "InvalidRequest", &format!("Invalid app.bsky.feed.post record: {why}"));
    }
    let images = record["embed"]["images"].as_array().map(Vec::len).unwrap_or(0);
    let rkey = format!("3l{}", uuid::Uuid::new_v4().simple().to_string().get(..11).unwrap_or("x"));
    let uri = format!("at://{}/app.bsky.feed.post/{rkey}", did(&account.id));
    sb.record(P, &account, &uri, &text, images);
    remember(&sb, record_key(&uri), record.clone());
    Json(json!({"uri": uri, "cid": format!("bafyreisbx{}", rand::random::<u32>()), "commit": {"cid": "bafyreicommit", "rev": "3lsbx"}, "validationStatus": "valid"})).into_response()
}

/// `com.atproto.repo.getRecord` (public, as on a real PDS): the record as it was written.
async fn get_record(State(sb): State<Sandbox>, Query(q): Query<HashMap<String, String>>) -> Response {
    let part = |k: &str| q.get(k).cloned().unwrap_or_default();
    let uri = format!("at://{}/{}/{}", part("repo"), part("collection"), part("rkey"));
    match recall(&sb, &record_key(&uri)) {
        Some(value) => Json(json!({"uri": uri, "cid": "bafyreisbxrecord", "value": value})).into_response(),
        None => xrpc_error(StatusCode::BAD_REQUEST, "RecordNotFound", &format!("Could not locate record: {uri}")),
    }
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
            let mut value = recall(&sb, &record_key(&e.post_id)).unwrap_or_else(|| json!({"$type": "app.bsky.feed.post", "text": e.text}));
            // The ledger's time is the sandbox's (it follows `/_control/advance`).
            value["createdAt"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
            json!({"uri": e.post_id, "cid": "bafyreisbxlist", "value": value})
        })
        .collect();
    Json(json!({"records": records})).into_response()
}
