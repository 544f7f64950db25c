//! Threads API in the sandbox (contracts §5): the Threads consent page (comma-separated
//! scopes, no PKCE), `POST /oauth/access_token` (1-hour token), `th_exchange_token` (60 days),
//! `th_refresh_token` (token at least a day old and unexpired; the new token replaces the old),
//! the profile, TEXT/IMAGE/CAROUSEL containers (`status` IN_PROGRESS → FINISHED, or ERROR
//! with `error_message`), `threads_publish`, the profile's posts (`GET /{user}/threads`),
//! permalinks and insights, in the Graph envelope.

use super::facebook::{
    auth, auth_token, bad_param, dialog_decide, dialog_page, graph_err, graph_list, graph_since, graph_time, new_id, no_object, object,
    put_object, GraphReq, LONG_TTL, SHORT_TTL,
};
use super::instagram::{container_ready, unreachable};
use super::{Account, Sandbox, CLIENT_ID, CLIENT_SECRET};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use covalynce::platforms::versions::THREADS_VERSION;
use serde_json::{json, Value};

const P: &str = "threads";
/// How long the sandbox takes to fetch and process an image.
const PROCESSING_MS: i64 = 600;
/// Threads refreshes only tokens at least a day old.
const REFRESH_MIN_AGE_MS: i64 = 24 * 3_600_000;
/// The earliest `since` Threads takes (2023-07-05, its launch), in ms.
const EARLIEST_SINCE_MS: i64 = 1_688_540_400_000;

const TH_SCOPES: &[(&str, &str)] = &[
    ("threads_basic", "your Threads profile and posts"),
    ("threads_content_publish", "create and publish (write) posts on your behalf"),
    ("threads_manage_replies", "reply to posts and manage replies"),
    ("threads_manage_insights", "read statistics of your profile and posts"),
];

pub fn routes() -> Router<Sandbox> {
    let v = THREADS_VERSION;
    Router::new()
        .route("/oauth/authorize", get(|q| dialog_page(q, "Threads", "#000000", TH_SCOPES)).post(|sb, f| dialog_decide(sb, f, P)))
        .route("/oauth/access_token", post(code_token))
        .route("/access_token", get(exchange))
        .route("/refresh_access_token", get(refresh))
        .route(&format!("/{v}/me"), get(me))
        .route(&format!("/{v}/{{id}}/threads"), post(create_container).get(list_threads))
        .route(&format!("/{v}/{{id}}/threads_publish"), post(publish))
        .route(&format!("/{v}/{{id}}/insights"), get(insights))
        .route(&format!("/{v}/{{id}}"), get(node))
}

/// Issues a token and remembers when (sandbox clock), for the refresh age rule.
fn issue(sb: &Sandbox, account: &Account, ttl: u64) -> String {
    let t = sb.issue_token(P, account, Some(ttl));
    put_object(sb, &format!("token-issued/{t}"), json!(sb.now_ms()));
    t
}

fn long_lived(sb: &Sandbox, account: &Account) -> Response {
    let ttl = sb.access_ttl(P, LONG_TTL);
    Json(json!({"access_token": issue(sb, account, ttl), "token_type": "bearer", "expires_in": ttl})).into_response()
}

fn client_error() -> Response {
    graph_err(StatusCode::BAD_REQUEST, 101, None, "Error validating application. Invalid application ID or secret.")
}

async fn code_token(State(sb): State<Sandbox>, r: GraphReq) -> Response {
    if r.get("client_id") != CLIENT_ID || r.get("client_secret") != CLIENT_SECRET {
        return client_error();
    }
    if r.get("grant_type") != "authorization_code" {
        return bad_param("(#100) grant_type must be authorization_code");
    }
    let Some(account) = sb.take_code(P, r.get("code"), CLIENT_ID, Some(r.get("redirect_uri")), None) else {
        return graph_err(
            StatusCode::BAD_REQUEST,
            100,
            Some(36009),
            "This authorization code has been used, has expired or does not match the redirect_uri.",
        );
    };
    Json(json!({"access_token": issue(&sb, &account, SHORT_TTL), "user_id": account.id.parse::<u64>().unwrap_or(0)})).into_response()
}

/// `th_exchange_token`: a live short-lived token → a 60-day one.
async fn exchange(State(sb): State<Sandbox>, r: GraphReq) -> Response {
    if r.get("client_secret") != CLIENT_SECRET {
        return client_error();
    }
    if r.get("grant_type") != "th_exchange_token" {
        return bad_param("(#100) grant_type must be th_exchange_token");
    }
    match auth_token(&sb, P, r.get("access_token")) {
        Ok(a) => long_lived(&sb, &a),
        Err(e) => *e,
    }
}

/// `th_refresh_token`: the token must be live and a day old; the new one replaces it.
async fn refresh(State(sb): State<Sandbox>, r: GraphReq) -> Response {
    if r.get("grant_type") != "th_refresh_token" {
        return bad_param("(#100) grant_type must be th_refresh_token");
    }
    let old = r.get("access_token").to_string();
    let account = match auth_token(&sb, P, &old) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let issued = object(&sb, &format!("token-issued/{old}")).and_then(|v| v.as_i64()).unwrap_or(0);
    if sb.now_ms() - issued < REFRESH_MIN_AGE_MS {
        return bad_param("(#100) The access token can be refreshed once it is at least 24 hours old.");
    }
    if let Some(t) = sb.lock().tokens.get_mut(&old) {
        t.revoked = true;
    }
    long_lived(&sb, &account)
}

fn profile(a: &Account) -> Value {
    json!({"id": a.id, "username": a.username, "name": a.display_name,
           "threads_profile_picture_url": format!("https://scontent.cdninstagram.com/v/sandbox/threads/{}.jpg", a.id),
           "threads_biography": "Posting from the Covalynce sandbox"})
}

async fn me(State(sb): State<Sandbox>, r: GraphReq) -> Response {
    match auth(&sb, P, &r) {
        Ok(a) => Json(profile(&a)).into_response(),
        Err(e) => *e,
    }
}

/// The profile in the path (its id or `me`) must be the token owner's.
fn owner_auth(sb: &Sandbox, r: &GraphReq, user_id: &str) -> Result<Account, Box<Response>> {
    let a = auth(sb, P, r)?;
    if user_id != "me" && user_id != a.id {
        return Err(Box::new(graph_err(
            StatusCode::BAD_REQUEST,
            100,
            Some(33),
            &format!("Unsupported post request. Object with ID '{user_id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
        )));
    }
    Ok(a)
}

async fn create_container(State(sb): State<Sandbox>, Path(user_id): Path<String>, r: GraphReq) -> Response {
    let a = match owner_auth(&sb, &r, &user_id) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let text = r.get("text");
    if text.chars().count() > 500 {
        return bad_param("Param text must be at most 500 characters long.");
    }
    let item = r.get("is_carousel_item") == "true";
    let mut error = None;
    let (children, processing) = match r.get("media_type") {
        "TEXT" => {
            if text.trim().is_empty() {
                return bad_param("(#100) The parameter text is required for media_type TEXT.");
            }
            (vec![], 0)
        }
        "IMAGE" => {
            let url = r.get("image_url");
            if url.is_empty() {
                return bad_param("(#100) The parameter image_url is required for media_type IMAGE.");
            }
            // Threads fetches the image later: a failed download shows in the status.
            if unreachable(url) {
                error = Some("FAILED_DOWNLOADING_IMAGE");
            }
            (vec![], PROCESSING_MS)
        }
        "CAROUSEL" => {
            let kids: Vec<String> = r.get("children").split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
            if !(2..=20).contains(&kids.len()) {
                return bad_param("(#100) A carousel needs between 2 and 20 children.");
            }
            for k in &kids {
                if !object(&sb, k).is_some_and(|o| o["kind"] == "th_container" && o["owner"] == a.id.as_str() && o["item"] == true) {
                    return bad_param(&format!("(#100) The carousel child {k} is not a carousel item container of this profile."));
                }
            }
            (kids, 0)
        }
        "" => return bad_param("(#100) The parameter media_type is required."),
        other => return bad_param(&format!("(#100) The sandbox does not support media_type {other}; use TEXT, IMAGE or CAROUSEL.")),
    };
    let images = if children.is_empty() { usize::from(processing > 0) } else { children.len() };
    let id = sb.new_media(processing);
    put_object(
        &sb,
        &id,
        json!({"kind": "th_container", "owner": a.id, "text": text, "item": item, "children": children, "images": images, "published": false, "error": error}),
    );
    Json(json!({"id": id})).into_response()
}

async fn publish(State(sb): State<Sandbox>, Path(user_id): Path<String>, r: GraphReq) -> Response {
    let a = match owner_auth(&sb, &r, &user_id) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let cid = r.get("creation_id").to_string();
    let Some(c) = object(&sb, &cid).filter(|c| c["kind"] == "th_container" && c["owner"] == a.id.as_str() && c["item"] != true) else {
        return bad_param(&format!("(#100) Param creation_id {cid} is not a valid media container."));
    };
    if c["published"] == true {
        return graph_err(StatusCode::BAD_REQUEST, 24, Some(4_279_009), "The media container has already been published.");
    }
    if !c["error"].is_null() || !container_ready(&sb, &cid, &c) {
        return graph_err(
            StatusCode::BAD_REQUEST,
            24,
            Some(4_279_009),
            "Media Not Found: the media container is not ready to be published.",
        );
    }
    let media_id = new_id("18", 17);
    let images = c["images"].as_u64().unwrap_or(0) as usize;
    let text = c["text"].as_str().unwrap_or("").to_string();
    let mut done = c.clone();
    done["published"] = json!(true);
    put_object(&sb, &cid, done);
    put_object(
        &sb,
        &media_id,
        json!({"kind": "th_media", "owner": a.id, "shortcode": format!("D{}", &uuid::Uuid::new_v4().simple().to_string()[..10])}),
    );
    sb.record(P, &a, &media_id, &text, images);
    Json(json!({"id": media_id})).into_response()
}

/// `GET /{user}/threads` (or `/me/threads`): the profile's posts, newest first, since `since`
/// (which may not be before Threads launched), in the requested fields.
async fn list_threads(State(sb): State<Sandbox>, Path(user_id): Path<String>, r: GraphReq) -> Response {
    let a = match owner_auth(&sb, &r, &user_id) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let since = match graph_since(&r) {
        Ok(s) => s,
        Err(e) => return *e,
    };
    if since != 0 && since < EARLIEST_SINCE_MS {
        return bad_param("(#100) Param since must be at or after 1688540400");
    }
    let items = sb
        .posts_of(P, &a.id, since)
        .into_iter()
        .map(|e| {
            let shortcode = object(&sb, &e.post_id).and_then(|m| m["shortcode"].as_str().map(str::to_string)).unwrap_or_default();
            let media_type = match e.images {
                0 => "TEXT_POST",
                1 => "IMAGE",
                _ => "CAROUSEL_ALBUM",
            };
            let mut v = json!({
                "id": e.post_id, "media_product_type": "THREADS", "media_type": media_type,
                "permalink": format!("https://www.threads.net/@{}/post/{shortcode}", a.username),
                "owner": {"id": a.id}, "username": a.username, "timestamp": graph_time(e.at_ms), "shortcode": shortcode, "is_quote_post": false,
            });
            if !e.text.is_empty() {
                v["text"] = json!(e.text);
            }
            v
        })
        .collect();
    graph_list(&r, items)
}

async fn insights(State(sb): State<Sandbox>, Path(id): Path<String>, r: GraphReq) -> Response {
    let a = match auth(&sb, P, &r) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let owned = object(&sb, &id).is_some_and(|o| o["kind"] == "th_media" && o["owner"] == a.id.as_str());
    let Some((views, likes, replies, reposts)) = sb.metrics_for(&id).filter(|_| owned) else { return no_object(&id) };
    let wanted: Vec<&str> = r.get("metric").split(',').collect();
    let mut data = vec![];
    for (name, value) in
        [("views", views), ("likes", likes), ("replies", replies), ("reposts", reposts), ("quotes", reposts / 3), ("shares", likes / 10)]
    {
        if !wanted.contains(&name) {
            continue;
        }
        // Threads answers some metrics as `total_value` instead of `values`.
        let m = if name == "quotes" || name == "shares" {
            json!({"name": name, "period": "lifetime", "total_value": {"value": value}, "id": format!("{id}/insights/{name}/lifetime")})
        } else {
            json!({"name": name, "period": "lifetime", "values": [{"value": value}], "id": format!("{id}/insights/{name}/lifetime")})
        };
        data.push(m);
    }
    Json(json!({"data": data})).into_response()
}

/// `GET /{id}`: a container's `status` (and `error_message`), or a post's permalink.
async fn node(State(sb): State<Sandbox>, Path(id): Path<String>, r: GraphReq) -> Response {
    let a = match auth(&sb, P, &r) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    match object(&sb, &id) {
        Some(c) if c["kind"] == "th_container" && c["owner"] == a.id.as_str() => {
            let mut out = json!({"id": id});
            if let Some(err) = c["error"].as_str() {
                out["status"] = json!("ERROR");
                out["error_message"] = json!(err);
            } else if c["published"] == true {
                out["status"] = json!("PUBLISHED");
            } else if container_ready(&sb, &id, &c) {
                out["status"] = json!("FINISHED");
            } else {
                out["status"] = json!("IN_PROGRESS");
            }
            Json(out).into_response()
        }
        Some(m) if m["kind"] == "th_media" && m["owner"] == a.id.as_str() => Json(json!({
            "id": id,
            "permalink": format!("https://www.threads.net/@{}/post/{}", a.username, m["shortcode"].as_str().unwrap_or("")),
        }))
        .into_response(),
        _ if id == a.id => Json(profile(&a)).into_response(),
        _ => no_object(&id),
    }
}
