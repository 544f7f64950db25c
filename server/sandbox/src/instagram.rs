//! Instagram API with Facebook Login in the sandbox (contracts §4): the Facebook dialog and
//! token endpoints, Pages with a linked `instagram_business_account` (the second Page has
//! none), the professional profile, media containers that process asynchronously
//! (`status_code` IN_PROGRESS → FINISHED), carousels, `media_publish`, the account's media
//! (`GET /{ig-user}/media`), permalinks, insights and counters, in the Graph error envelope
//! (9004 media download, 9007 not ready, 190 …).

use super::facebook::{
    auth, bad_param, dialog_decide, dialog_page, digits_of, graph_err, graph_list, graph_time, is_page, new_id, no_object, object,
    pages_of, permissions, put_object, revoke, token, GraphReq,
};
use super::{Account, Sandbox};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use covalynce::platforms::versions::GRAPH_VERSION;
use serde_json::{json, Value};

const P: &str = "instagram";
/// How long the sandbox takes to "download and process" an image.
const PROCESSING_MS: i64 = 600;

const IG_SCOPES: &[(&str, &str)] = &[
    ("instagram_basic", "your Instagram profile and media"),
    ("instagram_content_publish", "create and publish (write) posts on your Instagram account"),
    ("pages_show_list", "show a list of the Pages you manage"),
    ("pages_read_engagement", "read content posted on the Page"),
    ("instagram_manage_insights", "read statistics of your Instagram account and posts"),
];

pub fn routes() -> Router<Sandbox> {
    let v = GRAPH_VERSION;
    Router::new()
        .route(
            &format!("/{v}/dialog/oauth"),
            get(|q| dialog_page(q, "Instagram (Facebook Login)", "#E4405F", IG_SCOPES)).post(|sb, f| dialog_decide(sb, f, P)),
        )
        .route(&format!("/{v}/oauth/access_token"), get(|sb, r| token(sb, r, P)))
        .route(&format!("/{v}/me/accounts"), get(accounts))
        .route(&format!("/{v}/me/permissions"), get(|sb, r| permissions(sb, r, P, IG_SCOPES)).delete(|sb, r| revoke(sb, r, P)))
        .route(&format!("/{v}/{{id}}/media"), post(create_container).get(list_media))
        .route(&format!("/{v}/{{id}}/media_publish"), post(publish))
        .route(&format!("/{v}/{{id}}/insights"), get(insights))
        .route(&format!("/{v}/{{id}}"), get(node))
}

/// The Instagram professional account linked to the person's first Page (17 digits, like Meta's).
fn ig_account(user: &Account) -> Account {
    Account {
        id: format!("17841{:012}", digits_of(&format!("ig:{}", user.id), 12)),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
    }
}

fn user_auth(sb: &Sandbox, r: &GraphReq) -> Result<Account, Box<Response>> {
    let a = auth(sb, P, r)?;
    if is_page(&a) {
        return Err(Box::new(graph_err(
            StatusCode::BAD_REQUEST,
            190,
            None,
            "Invalid OAuth access token - a Page token cannot act as the user",
        )));
    }
    Ok(a)
}

/// The IG account in the path must be the token owner's.
fn owner_auth(sb: &Sandbox, r: &GraphReq, ig_id: &str) -> Result<Account, Box<Response>> {
    let ig = ig_account(&user_auth(sb, r)?);
    if ig.id != ig_id {
        return Err(Box::new(graph_err(
            StatusCode::BAD_REQUEST,
            100,
            Some(33),
            &format!("Unsupported post request. Object with ID '{ig_id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
        )));
    }
    Ok(ig)
}

async fn accounts(State(sb): State<Sandbox>, r: GraphReq) -> Response {
    let user = match user_auth(&sb, &r) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let ig = ig_account(&user);
    let data: Vec<Value> = pages_of(&user)
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut page = json!({"id": p.id, "name": p.display_name, "access_token": sb.issue_token(P, p, None)});
            // Only the first Page has an Instagram account linked.
            if i == 0 {
                page["instagram_business_account"] = json!({"id": ig.id});
            }
            page
        })
        .collect();
    Json(json!({"data": data, "paging": {"cursors": {"before": "QVFIUmJl", "after": "QVFIUmFm"}}})).into_response()
}

/// Whether a container (and, for a carousel, each item) has finished processing.
pub(super) fn container_ready(sb: &Sandbox, id: &str, c: &Value) -> bool {
    sb.media_ready(id).unwrap_or(false)
        && c["children"].as_array().into_iter().flatten().filter_map(Value::as_str).all(|k| sb.media_ready(k).unwrap_or(false))
}

/// A download the sandbox pretends fails: anything not https, or mentioning "unreachable".
pub(super) fn unreachable(url: &str) -> bool {
    !url.starts_with("https://") || url.contains("unreachable")
}

/// Instagram downloads the image and takes JPEG only. An address on this machine (the server
/// under test, demo mode) is downloaded for real and checked; any other follows `unreachable`.
async fn download(url: &str) -> Result<(), Response> {
    let local = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"].iter().any(|p| url.starts_with(p));
    if !local {
        return if unreachable(url) { Err(download_failed(url)) } else { Ok(()) };
    }
    let body = match reqwest::get(url).await {
        Ok(r) if r.status().is_success() => r.bytes().await.ok(),
        _ => None,
    };
    match body {
        None => Err(download_failed(url)),
        Some(b) if !b.starts_with(&[0xFF, 0xD8, 0xFF]) => {
            let error = json!({
                "message": "Only photo or video can be accepted as media type.", "type": "OAuthException", "code": 9004,
                "error_subcode": 2_207_026, "is_transient": false, "error_user_title": "Unsupported image format",
                "error_user_msg": "The image format is not supported. Only JPEG images can be posted.", "fbtrace_id": "SandboxTrace",
            });
            Err((StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response())
        }
        Some(_) => Ok(()),
    }
}

async fn create_container(State(sb): State<Sandbox>, Path(ig_id): Path<String>, r: GraphReq) -> Response {
    if let Err(e) = owner_auth(&sb, &r, &ig_id) {
        return *e;
    }
    let caption = r.get("caption");
    if caption.chars().count() > 2_200 {
        return bad_param("(#100) The caption is too long: the limit is 2,200 characters.");
    }
    let item = r.get("is_carousel_item") == "true";
    let (children, processing) = match r.get("media_type") {
        "" | "IMAGE" => {
            let url = r.get("image_url");
            if url.is_empty() {
                return bad_param("(#100) The parameter image_url is required.");
            }
            if let Err(refused) = download(url).await {
                return refused;
            }
            (vec![], PROCESSING_MS)
        }
        "CAROUSEL" => {
            let kids: Vec<String> = r.get("children").split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
            if !(2..=10).contains(&kids.len()) {
                return bad_param("(#100) A carousel needs between 2 and 10 children.");
            }
            for k in &kids {
                if !object(&sb, k).is_some_and(|o| o["kind"] == "ig_container" && o["owner"] == ig_id.as_str() && o["item"] == true) {
                    return bad_param(&format!("(#100) The carousel child {k} is not a carousel item container of this account."));
                }
            }
            (kids, 0)
        }
        other => return bad_param(&format!("(#100) The sandbox does not support media_type {other}; use IMAGE or CAROUSEL.")),
    };
    let id = sb.new_media(processing);
    put_object(
        &sb,
        &id,
        json!({"kind": "ig_container", "owner": ig_id, "caption": caption, "item": item, "children": children, "published": false, "image_url": r.get("image_url")}),
    );
    Json(json!({"id": id})).into_response()
}

/// Meta's answer when it cannot fetch `image_url`, with its user-facing title and message.
fn download_failed(url: &str) -> Response {
    let error = json!({
        "message": "Only photo or video can be accepted as media type.", "type": "OAuthException", "code": 9004,
        "error_subcode": 2_207_052, "is_transient": false, "error_user_title": "Media download has failed.",
        "error_user_msg": format!("The media could not be fetched from this uri: {url}"), "fbtrace_id": "SandboxTrace",
    });
    (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response()
}

async fn publish(State(sb): State<Sandbox>, Path(ig_id): Path<String>, r: GraphReq) -> Response {
    let ig = match owner_auth(&sb, &r, &ig_id) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let cid = r.get("creation_id").to_string();
    let Some(c) = object(&sb, &cid).filter(|c| c["kind"] == "ig_container" && c["owner"] == ig_id.as_str() && c["item"] != true) else {
        return bad_param(&format!("(#100) Param creation_id {cid} is not a valid media container."));
    };
    if c["published"] == true {
        return graph_err(StatusCode::BAD_REQUEST, 9007, Some(2_207_008), "This media container has already been published.");
    }
    if !container_ready(&sb, &cid, &c) {
        return graph_err(StatusCode::BAD_REQUEST, 9007, Some(2_207_027), "Media ID is not available");
    }
    let media_id = new_id("179", 17);
    let images = c["children"].as_array().map(Vec::len).filter(|n| *n > 0).unwrap_or(1);
    let caption = c["caption"].as_str().unwrap_or("").to_string();
    let mut done = c.clone();
    done["published"] = json!(true);
    put_object(&sb, &cid, done);
    put_object(
        &sb,
        &media_id,
        json!({"kind": "ig_media", "owner": ig_id, "shortcode": format!("C{}", &uuid::Uuid::new_v4().simple().to_string()[..10])}),
    );
    sb.record(P, &ig, &media_id, &caption, images);
    Json(json!({"id": media_id})).into_response()
}

/// `GET /{ig-user-id}/media`: the account's published media, newest first, in the requested
/// fields (the caption is left out when there is none).
async fn list_media(State(sb): State<Sandbox>, Path(ig_id): Path<String>, r: GraphReq) -> Response {
    let ig = match owner_auth(&sb, &r, &ig_id) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let items = sb
        .posts_of(P, &ig.id, 0)
        .into_iter()
        .map(|e| {
            let shortcode = object(&sb, &e.post_id).and_then(|m| m["shortcode"].as_str().map(str::to_string)).unwrap_or_default();
            let (_, likes, comments, _) = sb.metrics_for(&e.post_id).unwrap_or_default();
            let mut v = json!({
                "id": e.post_id, "media_type": if e.images > 1 { "CAROUSEL_ALBUM" } else { "IMAGE" }, "media_product_type": "FEED",
                "permalink": format!("https://www.instagram.com/p/{shortcode}/"), "shortcode": shortcode,
                "timestamp": graph_time(e.at_ms), "username": ig.username, "like_count": likes, "comments_count": comments,
            });
            if !e.text.is_empty() {
                v["caption"] = json!(e.text);
            }
            v
        })
        .collect();
    graph_list(&r, items)
}

async fn insights(State(sb): State<Sandbox>, Path(id): Path<String>, r: GraphReq) -> Response {
    let user = match user_auth(&sb, &r) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let owned = object(&sb, &id).is_some_and(|o| o["kind"] == "ig_media" && o["owner"] == ig_account(&user).id.as_str());
    let Some((views, likes, comments, shares)) = sb.metrics_for(&id).filter(|_| owned) else { return no_object(&id) };
    let all = [
        ("views", views),
        ("reach", views * 7 / 10),
        ("likes", likes),
        ("comments", comments),
        ("shares", shares),
        ("saved", likes / 5),
        ("total_interactions", likes + comments + shares + likes / 5),
    ];
    let wanted: Vec<&str> = r.get("metric").split(',').collect();
    let data: Vec<Value> = all
        .iter()
        .filter(|(n, _)| wanted.contains(n))
        .map(|(n, v)| json!({"name": n, "period": "lifetime", "values": [{"value": v}], "id": format!("{id}/insights/{n}/lifetime")}))
        .collect();
    Json(json!({"data": data})).into_response()
}

/// `GET /{id}`: the IG profile, a container's status, a published media's permalink and
/// counters, or a Page.
async fn node(State(sb): State<Sandbox>, Path(id): Path<String>, r: GraphReq) -> Response {
    let user = match user_auth(&sb, &r) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let ig = ig_account(&user);
    if id == ig.id {
        return Json(json!({"id": ig.id, "username": ig.username, "name": ig.display_name,
                           "profile_picture_url": format!("https://scontent.cdninstagram.com/v/sandbox/{}.jpg", ig.id)}))
        .into_response();
    }
    match object(&sb, &id) {
        Some(c) if c["kind"] == "ig_container" && c["owner"] == ig.id.as_str() => {
            let (code, words) = if c["published"] == true {
                ("PUBLISHED", "Published")
            } else if container_ready(&sb, &id, &c) {
                ("FINISHED", "Finished: Media has been uploaded and it is ready to be published.")
            } else {
                ("IN_PROGRESS", "In Progress: Media is still being processed.")
            };
            Json(json!({"id": id, "status_code": code, "status": words})).into_response()
        }
        Some(m) if m["kind"] == "ig_media" && m["owner"] == ig.id.as_str() => {
            let (_, likes, comments, _) = sb.metrics_for(&id).unwrap_or_default();
            Json(json!({"id": id, "permalink": format!("https://www.instagram.com/p/{}/", m["shortcode"].as_str().unwrap_or("")),
                        "like_count": likes, "comments_count": comments}))
            .into_response()
        }
        _ => match pages_of(&user).into_iter().find(|p| p.id == id) {
            Some(p) => Json(json!({"id": p.id, "name": p.display_name})).into_response(),
            None => no_object(&id),
        },
    }
}
