//! Facebook Pages in the sandbox (contracts §3): the versioned OAuth dialog (no PKCE), the
//! GET token endpoint with `fb_exchange_token` (short-lived → 60-day user token), `/me/accounts`
//! with two Pages per person and their non-expiring Page tokens, feed posts, photos (published,
//! or unpublished then attached to a feed post), counters and insights, `/me/permissions`
//! (read and revoke), the Page's own posts (`/{page}/posts`), and the Graph error envelope
//! with real codes. Also the Graph plumbing
//! the Instagram and Threads sandboxes share.

use super::{consent_decision, consent_page, Account, Sandbox, CLIENT_ID, CLIENT_SECRET};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use covalynce::platforms::versions::GRAPH_VERSION;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

const P: &str = "facebook";
/// Short-lived user tokens from the dialog (Meta: "hours").
pub(super) const SHORT_TTL: u64 = 3_600;
/// Long-lived user tokens (`expires_in` Meta returns: ~60 days).
pub(super) const LONG_TTL: u64 = 5_183_944;

pub fn routes() -> Router<Sandbox> {
    let v = GRAPH_VERSION;
    Router::new()
        .route(
            &format!("/{v}/dialog/oauth"),
            get(|q| dialog_page(q, "Facebook", "#1877F2", FB_SCOPES)).post(|sb, f| dialog_decide(sb, f, P)),
        )
        .route(&format!("/{v}/oauth/access_token"), get(|sb, r| token(sb, r, P)))
        .route(&format!("/{v}/me"), get(me))
        .route(&format!("/{v}/me/accounts"), get(accounts))
        .route(&format!("/{v}/me/permissions"), get(|sb, r| permissions(sb, r, P, FB_SCOPES)).delete(|sb, r| revoke(sb, r, P)))
        .route(&format!("/{v}/{{id}}/feed"), post(feed))
        .route(&format!("/{v}/{{id}}/posts"), get(page_posts))
        .route(&format!("/{v}/{{id}}/photos"), post(photos))
        .route(&format!("/{v}/{{id}}/insights"), get(insights))
        .route(&format!("/{v}/{{id}}"), get(node))
}

/// Scopes with the words Meta's dialog shows for them.
const FB_SCOPES: &[(&str, &str)] = &[
    ("public_profile", "your name and profile picture"),
    ("pages_show_list", "show a list of the Pages you manage"),
    ("pages_manage_posts", "create, edit and delete your Page posts (write access)"),
    ("pages_read_engagement", "read content posted on the Page"),
    ("read_insights", "read Page and post statistics"),
];

// ------------------------------------------------------------------ shared Graph plumbing

/// A Graph request's parameters from the query string and the body (form, JSON or
/// multipart), and its access token (`Authorization: Bearer|OAuth` or `access_token`).
pub(super) struct GraphReq {
    pub p: HashMap<String, String>,
    pub token: Option<String>,
    /// Size of a multipart `source` file, when one was uploaded.
    pub upload: Option<usize>,
}

impl GraphReq {
    pub fn get(&self, k: &str) -> &str {
        self.p.get(k).map(String::as_str).unwrap_or("")
    }
}

impl<S: Send + Sync> FromRequest<S> for GraphReq {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut p: HashMap<String, String> =
            req.uri().query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
        let header_token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("OAuth ")))
            .map(str::to_string);
        let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let mut upload = None;
        if ct.starts_with("multipart/form-data") {
            let mut mp = Multipart::from_request(req, state).await.map_err(IntoResponse::into_response)?;
            while let Ok(Some(field)) = mp.next_field().await {
                let name = field.name().unwrap_or("").to_string();
                if name == "source" {
                    upload = Some(field.bytes().await.map(|b| b.len()).unwrap_or(0));
                } else {
                    p.insert(name, field.text().await.unwrap_or_default());
                }
            }
        } else {
            let body = Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
            if ct.starts_with("application/json") {
                if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&body) {
                    for (k, v) in m {
                        p.insert(k, if let Value::String(s) = v { s } else { v.to_string() });
                    }
                }
            } else if !body.is_empty() {
                p.extend(url::form_urlencoded::parse(&body).into_owned());
            }
        }
        let token = header_token.or_else(|| p.get("access_token").cloned());
        Ok(Self { p, token, upload })
    }
}

/// The Graph error envelope.
pub(super) fn graph_err(status: StatusCode, code: i64, subcode: Option<i64>, msg: &str) -> Response {
    let mut e = json!({"message": msg, "type": if code == 190 || code == 10 || (200..300).contains(&code) { "OAuthException" } else { "GraphMethodException" }, "code": code, "fbtrace_id": "SandboxTrace"});
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    (status, Json(json!({"error": e}))).into_response()
}

pub(super) fn bad_param(msg: &str) -> Response {
    graph_err(StatusCode::BAD_REQUEST, 100, None, msg)
}

/// "Object does not exist" the way Graph words it.
pub(super) fn no_object(id: &str) -> Response {
    graph_err(
        StatusCode::BAD_REQUEST,
        100,
        Some(33),
        &format!("Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
    )
}

/// Code 190 with the subcode Meta uses for each reason.
pub(super) fn token_error(why: &str) -> Response {
    match why {
        "expired" => graph_err(
            StatusCode::BAD_REQUEST,
            190,
            Some(463),
            "Error validating access token: Session has expired. The current time is later than the token's expiry.",
        ),
        "revoked" => graph_err(
            StatusCode::BAD_REQUEST,
            190,
            Some(458),
            &format!("Error validating access token: The user has not authorized application {CLIENT_ID}."),
        ),
        _ => graph_err(StatusCode::BAD_REQUEST, 190, None, "Invalid OAuth access token - Cannot parse access token"),
    }
}

/// The account behind a token of `platform`, or the Graph 190 error.
pub(super) fn auth_token(sb: &Sandbox, platform: &str, token: &str) -> Result<Account, Box<Response>> {
    let mut h = HeaderMap::new();
    let v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| Box::new(token_error("invalid")))?;
    h.insert(header::AUTHORIZATION, v);
    sb.bearer(platform, &h).map_err(|why| Box::new(token_error(why)))
}

pub(super) fn auth(sb: &Sandbox, platform: &str, r: &GraphReq) -> Result<Account, Box<Response>> {
    auth_token(sb, platform, r.token.as_deref().unwrap_or(""))
}

/// Per-sandbox objects the shared state has no place for (containers, photos, token ages),
/// keyed by the sandbox instance so parallel sandboxes never see each other's.
static OBJECTS: LazyLock<Mutex<HashMap<String, Value>>> = LazyLock::new(Default::default);

fn object_key(sb: &Sandbox, id: &str) -> String {
    format!("{:p}/{id}", std::sync::Arc::as_ptr(&sb.inner))
}

pub(super) fn put_object(sb: &Sandbox, id: &str, v: Value) {
    OBJECTS.lock().unwrap_or_else(|e| e.into_inner()).insert(object_key(sb, id), v);
}

pub(super) fn object(sb: &Sandbox, id: &str) -> Option<Value> {
    OBJECTS.lock().unwrap_or_else(|e| e.into_inner()).get(&object_key(sb, id)).cloned()
}

/// A stable number from some text, `digits` long.
pub(super) fn digits_of(text: &str, digits: u32) -> u64 {
    let d = Sha256::digest(text.as_bytes());
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes")) % 10u64.pow(digits)
}

/// A fresh Graph-style numeric id.
pub(super) fn new_id(prefix: &str, total_digits: usize) -> String {
    let n = uuid::Uuid::new_v4().as_u128();
    let rest = total_digits.saturating_sub(prefix.len());
    format!("{prefix}{:0rest$}", n % 10u128.pow(rest as u32))
}

/// A time as Graph writes it: ISO 8601 with a colon-less offset (`2024-05-01T09:30:00+0000`).
pub(super) fn graph_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

/// A list's `since` (Unix seconds; Graph also takes `strtotime` phrases, the sandbox does not)
/// → ms, 0 when absent.
pub(super) fn graph_since(r: &GraphReq) -> Result<i64, Box<Response>> {
    match r.get("since") {
        "" => Ok(0),
        s => s
            .parse::<i64>()
            .map(|secs| secs * 1000)
            .map_err(|_| Box::new(bad_param(&format!("(#100) Param since must be a valid Unix timestamp, not '{s}'")))),
    }
}

/// A Graph list answer: `{data, paging}` with at most `limit` items (25 unless asked, 100 at
/// most), each cut to the requested `fields` (the id always stays).
pub(super) fn graph_list(r: &GraphReq, items: Vec<Value>) -> Response {
    let limit = r.get("limit").parse::<usize>().unwrap_or(25).clamp(1, 100);
    let fields: Vec<&str> = r.get("fields").split(',').map(str::trim).filter(|f| !f.is_empty()).collect();
    let data: Vec<Value> = items
        .into_iter()
        .take(limit)
        .map(|mut v| {
            if let Value::Object(m) = &mut v {
                if !fields.is_empty() {
                    m.retain(|k, _| k == "id" || fields.contains(&k.as_str()));
                }
            }
            v
        })
        .collect();
    if data.is_empty() {
        return Json(json!({"data": []})).into_response();
    }
    Json(json!({"data": data, "paging": {"cursors": {"before": "QVFIUmJl", "after": "QVFIUmFm"}}})).into_response()
}

/// Meta's permission dialog: the requested scopes, described.
pub(super) async fn dialog_page(Query(q): Query<HashMap<String, String>>, name: &str, brand: &str, described: &[(&str, &str)]) -> Response {
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return (StatusCode::BAD_REQUEST, "Invalid App ID: the app_id provided is not a valid app").into_response();
    }
    if q.get("redirect_uri").is_none_or(|r| r.is_empty()) {
        return (StatusCode::BAD_REQUEST, "URL blocked: the redirect_uri is missing").into_response();
    }
    let requested: Vec<&str> = q.get("scope").map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()).unwrap_or_default();
    let items: Vec<String> = requested
        .iter()
        .map(|s| match described.iter().find(|(k, _)| k == s) {
            Some((k, d)) => format!("{k}: {d}"),
            None => s.to_string(),
        })
        .collect();
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    let hidden: Vec<(&str, &str)> =
        ["client_id", "redirect_uri", "state"].iter().filter_map(|k| q.get(*k).map(|v| (*k, v.as_str()))).collect();
    consent_page(name, brand, &items, &hidden).into_response()
}

pub(super) async fn dialog_decide(State(sb): State<Sandbox>, Form(f): Form<HashMap<String, String>>, platform: &'static str) -> Response {
    consent_decision(&sb, platform, &f, false)
}

/// `GET /oauth/access_token`: code → short-lived user token, or `fb_exchange_token` →
/// long-lived user token. Client id and secret are checked on both.
pub(super) async fn token(State(sb): State<Sandbox>, r: GraphReq, platform: &'static str) -> Response {
    if r.get("client_id") != CLIENT_ID {
        return graph_err(StatusCode::BAD_REQUEST, 101, None, "Error validating application. Invalid application ID.");
    }
    if r.get("client_secret") != CLIENT_SECRET {
        return graph_err(StatusCode::BAD_REQUEST, 1, None, "Error validating client secret.");
    }
    if r.get("grant_type") == "fb_exchange_token" {
        // Only a live token can be exchanged.
        let account = match auth_token(&sb, platform, r.get("fb_exchange_token")) {
            Ok(a) => a,
            Err(e) => return *e,
        };
        let ttl = sb.access_ttl(platform, LONG_TTL);
        let t = sb.issue_token(platform, &account, Some(ttl));
        return Json(json!({"access_token": t, "token_type": "bearer", "expires_in": ttl})).into_response();
    }
    let Some(account) = sb.take_code(platform, r.get("code"), CLIENT_ID, Some(r.get("redirect_uri")), None) else {
        return graph_err(
            StatusCode::BAD_REQUEST,
            100,
            Some(36009),
            "This authorization code has been used, has expired or does not match the redirect_uri.",
        );
    };
    let t = sb.issue_token(platform, &account, Some(SHORT_TTL));
    Json(json!({"access_token": t, "token_type": "bearer", "expires_in": SHORT_TTL})).into_response()
}

/// `GET /me/permissions`: everything the dialog offered is granted in the sandbox.
pub(super) async fn permissions(
    State(sb): State<Sandbox>,
    r: GraphReq,
    platform: &'static str,
    described: &'static [(&str, &str)],
) -> Response {
    match auth(&sb, platform, &r) {
        Ok(_) => Json(json!({"data": described.iter().map(|(s, _)| json!({"permission": s, "status": "granted"})).collect::<Vec<_>>()}))
            .into_response(),
        Err(e) => *e,
    }
}

/// `DELETE /me/permissions`: the app is removed for this person; every token of theirs
/// (their Pages' included) stops working.
pub(super) async fn revoke(State(sb): State<Sandbox>, r: GraphReq, platform: &'static str) -> Response {
    let user = match auth(&sb, platform, &r) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    if is_page(&user) {
        return graph_err(StatusCode::BAD_REQUEST, 100, None, "(#100) Tried accessing nonexisting field (permissions) on node type (Page)");
    }
    let pages: Vec<String> = pages_of(&user).iter().map(|p| p.id.clone()).collect();
    for t in sb.lock().tokens.values_mut().filter(|t| t.platform == platform) {
        if t.account.id == user.id || pages.contains(&t.account.id) {
            t.revoked = true;
        }
    }
    Json(json!({"success": true})).into_response()
}

// ------------------------------------------------------------------ Pages

/// Page ids are 16 digits starting with 9; person ids (`account_for`) have at most 13.
pub(super) fn is_page(a: &Account) -> bool {
    a.id.len() == 16 && a.id.starts_with('9')
}

fn page(user: &Account, label: &str) -> Account {
    Account {
        id: format!("9{:015}", digits_of(&format!("page:{}:{label}", user.id), 15)),
        username: format!("{}.{}", user.username, label.to_lowercase()),
        display_name: format!("{} {label}", user.display_name),
    }
}

/// Everyone manages two Pages in the sandbox.
pub(super) fn pages_of(user: &Account) -> Vec<Account> {
    vec![page(user, "Studio"), page(user, "Shop")]
}

fn picture(id: &str) -> Value {
    json!({"data": {"height": 50, "width": 50, "is_silhouette": false, "url": format!("https://scontent.xx.fbcdn.net/v/sandbox/{id}.png")}})
}

async fn me(State(sb): State<Sandbox>, r: GraphReq) -> Response {
    match auth(&sb, P, &r) {
        Ok(a) => Json(json!({"id": a.id, "name": a.display_name, "picture": picture(&a.id)})).into_response(),
        Err(e) => *e,
    }
}

async fn accounts(State(sb): State<Sandbox>, r: GraphReq) -> Response {
    let user = match auth(&sb, P, &r) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    if is_page(&user) {
        return graph_err(StatusCode::BAD_REQUEST, 100, None, "(#100) Tried accessing nonexisting field (accounts) on node type (Page)");
    }
    let data: Vec<Value> = pages_of(&user)
        .iter()
        .map(|p| {
            // Page tokens minted from a long-lived user token do not expire.
            let token = sb.issue_token(P, p, None);
            json!({"id": p.id, "name": p.display_name, "username": p.username, "access_token": token, "category": "Brand",
                   "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"], "picture": picture(&p.id)})
        })
        .collect();
    Json(json!({"data": data, "paging": {"cursors": {"before": "QVFIUmJl", "after": "QVFIUmFm"}}})).into_response()
}

/// The Page token for `page_id`, or the Graph error a user token or another Page's gets.
fn page_auth(sb: &Sandbox, r: &GraphReq, page_id: &str) -> Result<Account, Box<Response>> {
    let a = auth(sb, P, r)?;
    if !is_page(&a) || a.id != page_id {
        return Err(Box::new(graph_err(
            StatusCode::FORBIDDEN,
            200,
            None,
            "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission",
        )));
    }
    Ok(a)
}

fn new_post_id(page_id: &str) -> String {
    format!("{page_id}_{}", new_id("1", 16))
}

async fn feed(State(sb): State<Sandbox>, Path(page_id): Path<String>, r: GraphReq) -> Response {
    let page = match page_auth(&sb, &r, &page_id) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let message = r.get("message").to_string();
    let attached: Vec<Value> = serde_json::from_str(r.get("attached_media")).unwrap_or_default();
    for m in &attached {
        let id = m["media_fbid"].as_str().unwrap_or("");
        let ok = object(&sb, id).is_some_and(|o| o["kind"] == "photo" && o["page"] == page_id.as_str() && o["attached"] != true);
        if !ok {
            return graph_err(StatusCode::BAD_REQUEST, 100, None, &format!("(#100) param attached_media[0] has invalid media_fbid {id}"));
        }
    }
    if message.trim().is_empty() && attached.is_empty() && r.get("link").is_empty() {
        return bad_param("(#100) Missing message or attachment");
    }
    if message.chars().count() > 63_206 {
        return bad_param("(#100) The message is too long");
    }
    let duplicate = !message.is_empty() && sb.ledger().iter().any(|e| e.platform == P && e.account == page.id && e.text == message);
    if duplicate {
        return graph_err(StatusCode::BAD_REQUEST, 506, None, "(#506) Duplicate status message");
    }
    for m in &attached {
        let id = m["media_fbid"].as_str().unwrap_or("");
        put_object(&sb, id, json!({"kind": "photo", "page": page_id, "attached": true}));
    }
    let id = new_post_id(&page_id);
    sb.record(P, &page, &id, &message, attached.len());
    let mut out = json!({"id": id});
    if r.get("fields").contains("permalink_url") {
        out["permalink_url"] = json!(permalink(&id));
    }
    Json(out).into_response()
}

fn permalink(post_id: &str) -> String {
    let (page, post) = post_id.split_once('_').unwrap_or((post_id, post_id));
    format!("https://www.facebook.com/{page}/posts/{post}")
}

/// `GET /{page-id}/posts`: the Page's own posts, newest first, since `since`, with the
/// message (left out when the post has none), permalink and creation time.
async fn page_posts(State(sb): State<Sandbox>, Path(page_id): Path<String>, r: GraphReq) -> Response {
    let page = match page_auth(&sb, &r, &page_id) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let since = match graph_since(&r) {
        Ok(s) => s,
        Err(e) => return *e,
    };
    let items = sb
        .posts_of(P, &page.id, since)
        .into_iter()
        .map(|e| {
            let mut v = json!({
                "id": e.post_id, "created_time": graph_time(e.at_ms), "permalink_url": permalink(&e.post_id),
                "status_type": if e.images > 0 { "added_photos" } else { "mobile_status_update" }, "is_published": true,
            });
            if !e.text.is_empty() {
                v["message"] = json!(e.text);
            }
            v
        })
        .collect();
    graph_list(&r, items)
}

async fn photos(State(sb): State<Sandbox>, Path(page_id): Path<String>, r: GraphReq) -> Response {
    let page = match page_auth(&sb, &r, &page_id) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    if r.upload.unwrap_or(0) == 0 && r.get("url").is_empty() {
        return graph_err(StatusCode::BAD_REQUEST, 324, None, "(#324) Requires upload file");
    }
    let photo_id = new_id("1", 16);
    if r.get("published") == "false" {
        // Unpublished: waits to be attached to a feed post.
        put_object(&sb, &photo_id, json!({"kind": "photo", "page": page_id}));
        return Json(json!({"id": photo_id})).into_response();
    }
    let caption = if r.get("caption").is_empty() { r.get("message") } else { r.get("caption") };
    let post_id = new_post_id(&page_id);
    sb.record(P, &page, &post_id, caption, 1);
    Json(json!({"id": photo_id, "post_id": post_id})).into_response()
}

/// Post insights (`post_total_media_view_unique`, reactions by type, clicks).
async fn insights(State(sb): State<Sandbox>, Path(id): Path<String>, r: GraphReq) -> Response {
    let page_id = id.split('_').next().unwrap_or("").to_string();
    if let Err(e) = page_auth(&sb, &r, &page_id) {
        return *e;
    }
    let Some((views, likes, _, _)) = sb.metrics_for(&id) else { return no_object(&id) };
    let all = [
        ("post_total_media_view_unique", json!(views)),
        ("post_reactions_by_type_total", json!({"like": likes - likes / 4, "love": likes / 4})),
        ("post_clicks", json!(views / 20)),
    ];
    let wanted: Vec<&str> = r.get("metric").split(',').collect();
    let data: Vec<Value> = all
        .iter()
        .filter(|(n, _)| wanted.contains(n))
        .map(|(n, v)| json!({"name": n, "period": "lifetime", "values": [{"value": v}], "id": format!("{id}/insights/{n}/lifetime")}))
        .collect();
    Json(json!({"data": data})).into_response()
}

/// `GET /{id}`: a post's counters and permalink, or a Page.
async fn node(State(sb): State<Sandbox>, Path(id): Path<String>, r: GraphReq) -> Response {
    let a = match auth(&sb, P, &r) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    if let Some((_, likes, comments, shares)) = sb.metrics_for(&id) {
        let mut out = json!({
            "id": id, "permalink_url": permalink(&id),
            "reactions": {"data": [], "summary": {"total_count": likes, "viewer_reaction": "NONE"}},
            "comments": {"data": [], "summary": {"order": "ranked", "total_count": comments, "can_comment": true}},
        });
        // Graph leaves `shares` out until someone shares.
        if shares > 0 {
            out["shares"] = json!({"count": shares});
        }
        return Json(out).into_response();
    }
    if id == a.id {
        return Json(json!({"id": a.id, "name": a.display_name})).into_response();
    }
    no_object(&id)
}
