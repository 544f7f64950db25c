//! Bluesky over AT Protocol against the sandbox: sign-in follows the handle to its DID
//! (resolveHandle on the entryway) and the DID document (the sandbox's PLC directory) to the
//! PDS, where the session is created; posts carry link, mention and hashtag facets with UTF-8
//! byte offsets and, for a link, an `app.bsky.embed.external` card read from the linked page
//! (served here on 127.0.0.1); a card that cannot be made never fails the post.

use crate::helpers::*;
use crate::publish::{call, fault, publish_one, settle};
use crate::sources::{list, start_sandbox, user, Sbx};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use covalynce::platforms::{AccountProfile, PostContent};
use covalynce::PlatformId;
use reqwest::Method;
use sandbox::APP_PASSWORD;
use serde_json::{json, Value};
use server::config::sandbox_platform;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Every platform at a fresh sandbox (Bluesky's config allows its local addresses), a
/// signed-in user; returns the user's id too.
async fn setup() -> (TestApp, Sbx, String) {
    let sbx = start_sandbox().await;
    let base = sbx.base.clone();
    let app = spawn_app_with(move |c| {
        c.platforms = PlatformId::ALL.into_iter().map(|p| (p, sandbox_platform(p, &base, &c.base_url))).collect();
        c.platform_timeout = Duration::from_secs(2);
    })
    .await;
    let uid = user(&app).await;
    (app, sbx, uid)
}

async fn sign_in(app: &TestApp, identifier: &str) -> (u16, Value) {
    let r = app
        .post_json("/integrations/bluesky/connect", json!({"identifier": identifier, "app_password": APP_PASSWORD, "consent": true}))
        .await;
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

/// Signs in as `identifier` and returns the connection id.
async fn connect(app: &TestApp, identifier: &str) -> String {
    let (s, v) = sign_in(app, identifier).await;
    assert_eq!(s, 201, "{v}");
    let handle = format!("{}.bsky.social", identifier.trim_start_matches('@').to_lowercase().trim_end_matches(".bsky.social"));
    list(app).await.into_iter().find(|c| c["username"] == handle.as_str()).unwrap()["id"].as_str().unwrap().to_string()
}

/// The DID the sandbox's entryway gives a handle.
async fn did_of(sbx: &Sbx, handle: &str) -> String {
    let url = format!("{}/bluesky/xrpc/com.atproto.identity.resolveHandle", sbx.base);
    let v: Value = reqwest::Client::new().get(url).query(&[("handle", handle)]).send().await.unwrap().json().await.unwrap();
    v["did"].as_str().unwrap().to_string()
}

/// The record as the PDS stored it (`com.atproto.repo.getRecord` on the at:// URI).
async fn record(sbx: &Sbx, at_uri: &str) -> Value {
    let parts: Vec<&str> = at_uri.trim_start_matches("at://").split('/').collect();
    let url = format!("{}/bluesky/pds/xrpc/com.atproto.repo.getRecord", sbx.base);
    let q = [("repo", parts[0]), ("collection", parts[1]), ("rkey", parts[2])];
    let r = reqwest::Client::new().get(url).query(&q).send().await.unwrap();
    assert_eq!(r.status(), 200, "{at_uri}");
    r.json::<Value>().await.unwrap()["value"].clone()
}

/// Publishes `text` to `conn`, waits until it is posted and returns the stored record.
async fn post(app: &TestApp, sbx: &Sbx, conn: &str, text: &str) -> Value {
    let id = publish_one(app, conn, text).await;
    let done = settle(app, &id, Duration::from_secs(20)).await;
    assert_eq!(done["status"], "posted", "{done}");
    record(sbx, done["external_id"].as_str().unwrap()).await
}

/// A small web site on 127.0.0.1 to link to; remembers the paths asked for.
struct Site {
    base: String,
    hits: Arc<Mutex<Vec<String>>>,
}

const THUMB: &[u8] = b"\x89PNG\r\n\x1a\n link card thumbnail bytes";

async fn site() -> Site {
    let hits: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = hits.clone();
    let page = |title: &str, image: &str| {
        Html(format!(
            r#"<!doctype html><html><head><title>Fallback title</title>
            <meta property="og:title" content="{title}">
            <meta property="og:description" content="Everything that shipped &amp; what&#39;s next.">
            <meta property="og:image" content="{image}"></head><body><h1>{title}</h1></body></html>"#
        ))
    };
    let launch = page("Launch day ☕", "/img/card.png");
    let huge_page = page("A heavy picture", "/img/huge.png");
    let router = axum::Router::new()
        .route("/launch", get(move || async move { launch }))
        .route("/img/card.png", get(|| async { ([(header::CONTENT_TYPE, "image/png")], THUMB) }))
        .route("/heavy", get(move || async move { huge_page }))
        .route(
            "/img/huge.png",
            get(|| async {
                let mut big = THUMB.to_vec();
                big.resize(1_000_001, 0);
                ([(header::CONTENT_TYPE, "image/png")], big)
            }),
        )
        .route("/moved", get(|| async { Redirect::permanent("/launch") }))
        .route("/bare", get(|| async { Html("<p>no metadata here</p>") }))
        .route("/missing", get(|| async { (axum::http::StatusCode::NOT_FOUND, "gone").into_response() }))
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(req.uri().path().to_string());
                next.run(req).await
            }
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Site { base, hits }
}

fn facet(text: &str, covers: &str, feature: Value) -> Value {
    let start = text.find(covers).unwrap_or_else(|| panic!("{covers} is in the text"));
    json!({"index": {"byteStart": start, "byteEnd": start + covers.len()}, "features": [feature]})
}

#[tokio::test]
async fn sign_in_follows_the_handle_to_its_did_document_and_creates_the_session_on_that_pds() {
    let (app, sbx, uid) = setup().await;
    let pds = format!("{}/bluesky/pds", sbx.base);

    // A handle nobody has: said plainly, nothing stored.
    let (s, e) = sign_in(&app, "ghost.example.com").await;
    assert_eq!((s, e["error"].as_str()), (422, Some("platform_rejected")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("could not find the Bluesky handle @ghost.example.com"), "{e}");
    assert!(list(&app).await.is_empty());

    // The session is asked of the PDS the DID document names, not of the entryway: a
    // failure injected there is what the sign-in meets.
    fault(&sbx, json!({"platform": "bluesky", "kind": "5xx", "path": "/pds/xrpc/com.atproto.server.createSession"})).await;
    let (s, e) = sign_in(&app, "Ada.bsky.social").await;
    assert_eq!((s, e["error"].as_str()), (503, Some("platform_unavailable")), "{e}");

    let conn = connect(&app, "@Ada.bsky.social").await;
    let did = did_of(&sbx, "ada.bsky.social").await;
    let c = list(&app).await.into_iter().find(|c| c["id"] == conn.as_str()).unwrap();
    assert_eq!((c["account_id"].as_str(), c["username"].as_str()), (Some(did.as_str()), Some("ada.bsky.social")), "{c}");
    let (_, grant, _) = app.state.connections.grant(&uid, &conn).await.unwrap();
    assert_eq!(grant.extra["did"], did.as_str());
    assert_eq!(grant.extra["pds"], pds.as_str(), "the PDS from the DID document is stored with the session");

    // What the sandbox's PLC directory said.
    let http = reqwest::Client::new();
    let doc: Value = http.get(format!("{}/bluesky/plc/{did}", sbx.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["id"], did.as_str());
    assert_eq!(doc["alsoKnownAs"], json!(["at://ada.bsky.social"]));
    assert_eq!(doc["service"], json!([{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds}]));
    assert_eq!(http.get(format!("{}/bluesky/plc/did:plc:nobody", sbx.base)).send().await.unwrap().status(), 404);

    // The session lives on that PDS: it refreshes there.
    fault(&sbx, json!({"platform": "bluesky", "kind": "5xx", "path": "/bluesky/xrpc/com.atproto.server.refreshSession"})).await;
    let (_, v) = call(&app, Method::POST, "/integrations/bluesky/refresh", Some(json!({}))).await;
    assert_eq!(v["results"][0]["success"], true, "{v}");

    // A bare name (or an email address) is not a handle: the entryway places it, as before.
    let bare = connect(&app, "carol").await;
    let (_, grant, _) = app.state.connections.grant(&uid, &bare).await.unwrap();
    assert_eq!(grant.extra["pds"], format!("{}/bluesky", sbx.base));
}

#[tokio::test]
async fn a_post_reaches_bluesky_with_byte_exact_facets_and_a_link_card() {
    let (app, sbx, _) = setup().await;
    let site = site().await;
    let conn = connect(&app, "ada.bsky.social").await;
    let link = format!("{}/launch?ref=covalynce", site.base);
    let text = format!("Café ☕ lancé 🚀🇫🇷: read {link}. Thanks @bob.bsky.social & @ghost.example.com! #Launch2025 #2025 ✨");
    let rec = post(&app, &sbx, &conn, &text).await;

    let bob = did_of(&sbx, "bob.bsky.social").await;
    assert_eq!(
        rec["facets"],
        json!([
            facet(&text, &link, json!({"$type": "app.bsky.richtext.facet#link", "uri": link})),
            facet(&text, "@bob.bsky.social", json!({"$type": "app.bsky.richtext.facet#mention", "did": bob})),
            facet(&text, "#Launch2025", json!({"$type": "app.bsky.richtext.facet#tag", "tag": "Launch2025"})),
        ]),
        "the link without its full stop, the mention that resolves, the tag that is not a number"
    );
    let start = rec["facets"][0]["index"]["byteStart"].as_u64().unwrap() as usize;
    assert_eq!(start, "Café ☕ lancé 🚀🇫🇷: read ".len());
    assert!(text[..start].chars().count() < start, "offsets count UTF-8 bytes, not characters");
    assert!(rec.get("langs").is_none(), "no language is claimed when none is known: {rec}");

    let embed = &rec["embed"];
    assert_eq!(embed["$type"], "app.bsky.embed.external", "{rec}");
    let card = &embed["external"];
    assert_eq!(card["uri"], link.as_str());
    assert_eq!(card["title"], "Launch day ☕");
    assert_eq!(card["description"], "Everything that shipped & what's next.");
    assert_eq!(card["thumb"]["mimeType"], "image/png");
    assert_eq!(card["thumb"]["size"], THUMB.len());
    assert_eq!(*site.hits.lock().unwrap(), ["/launch", "/img/card.png"], "the page and its image, once each");
}

#[tokio::test]
async fn a_link_card_that_cannot_be_made_never_fails_the_post() {
    let (app, sbx, uid) = setup().await;
    let site = site().await;
    let conn = connect(&app, "ada.bsky.social").await;

    // Redirects are followed (each hop checked again).
    let rec = post(&app, &sbx, &conn, &format!("Moved: {}/moved", site.base)).await;
    assert_eq!(rec["embed"]["external"]["title"], "Launch day ☕", "{rec}");
    assert_eq!(rec["embed"]["external"]["uri"], format!("{}/moved", site.base));

    // A thumbnail over 1,000,000 bytes: the card goes without it.
    let rec = post(&app, &sbx, &conn, &format!("Heavy {}/heavy", site.base)).await;
    assert_eq!(rec["embed"]["external"]["title"], "A heavy picture", "{rec}");
    assert!(rec["embed"]["external"].get("thumb").is_none(), "{rec}");

    // No page, no metadata, nobody listening: no card, and the post still goes out.
    for link in [format!("{}/missing", site.base), format!("{}/bare", site.base), "http://127.0.0.1:9/closed".to_string()] {
        let text = format!("Plain post {link}");
        let rec = post(&app, &sbx, &conn, &text).await;
        assert!(rec.get("embed").is_none(), "{link}: {rec}");
        assert_eq!(rec["facets"][0]["features"][0]["uri"], link.as_str(), "the link is still a link");
    }

    // Images win over a card: the page is not even fetched.
    let before = site.hits.lock().unwrap().len();
    let (c, grant, _) = app.state.connections.grant(&uid, &conn).await.unwrap();
    let adapter = app.state.connections.platforms().get(PlatformId::Bluesky).unwrap();
    let account = AccountProfile { external_id: c.external_id, username: c.username, display_name: c.display_name, avatar_url: None };
    let content = PostContent { text: format!("Picture {}/launch", site.base), images: vec![crate::sources::png()], ..Default::default() };
    let published = adapter.publish(&grant, &account, &content).await.unwrap();
    let rec = record(&sbx, &published.external_id).await;
    assert_eq!(rec["embed"]["$type"], "app.bsky.embed.images", "{rec}");
    assert_eq!(site.hits.lock().unwrap().len(), before);
}

#[tokio::test]
async fn the_sandbox_refuses_facets_off_character_boundaries_unknown_mentions_and_foreign_blobs() {
    let sbx = start_sandbox().await;
    let http = reqwest::Client::new();
    let pds = format!("{}/bluesky/pds/xrpc", sbx.base);
    let session: Value = http
        .post(format!("{pds}/com.atproto.server.createSession"))
        .json(&json!({"identifier": "ada.bsky.social", "password": APP_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (token, did) = (session["accessJwt"].as_str().unwrap(), session["did"].as_str().unwrap());
    let create = |record: Value| {
        let req = http.post(format!("{pds}/com.atproto.repo.createRecord")).bearer_auth(token);
        let body = json!({"repo": did, "collection": "app.bsky.feed.post", "record": record});
        async move {
            let r = req.json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let text = "é #tag"; // é is 2 bytes: "#tag" is bytes 3..7.
    let with = |start: usize, end: usize, feature: Value| {
        json!({"$type": "app.bsky.feed.post", "text": text, "createdAt": "2025-01-01T00:00:00.000Z",
               "facets": [{"index": {"byteStart": start, "byteEnd": end}, "features": [feature]}]})
    };
    let tag = json!({"$type": "app.bsky.richtext.facet#tag", "tag": "tag"});
    for (record, says) in [
        (with(1, 7, tag.clone()), "splits a UTF-8 character"),
        (with(3, 8, tag.clone()), "outside the text (7 bytes)"),
        (with(3, 3, tag.clone()), "outside the text"),
        (with(3, 7, json!({"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:nobody"})), "did:plc:nobody is not a known account"),
        (with(3, 7, json!({"$type": "app.bsky.richtext.facet#bold"})), "unknown type"),
    ] {
        let (s, e) = create(record).await;
        assert_eq!((s, e["error"].as_str()), (400, Some("InvalidRequest")), "{says}: {e}");
        assert!(e["message"].as_str().unwrap().contains(says), "{says}: {e}");
    }
    let card = |thumb: Value| {
        json!({"$type": "app.bsky.feed.post", "text": "card", "createdAt": "2025-01-01T00:00:00.000Z",
               "embed": {"$type": "app.bsky.embed.external", "external": {"uri": "https://example.com", "title": "T", "description": "D", "thumb": thumb}}})
    };
    let foreign = json!({"$type": "blob", "ref": {"$link": "bafkreinotuploaded"}, "mimeType": "image/png", "size": 10});
    let (s, e) = create(card(foreign)).await;
    assert!(s == 400 && e["message"].as_str().unwrap().contains("not a blob uploaded"), "{e}");

    // Well-formed: a tag on whole characters, a card with an uploaded thumbnail.
    let (s, v) = create(with(3, 7, tag)).await;
    assert_eq!(s, 200, "{v}");
    let blob: Value = http
        .post(format!("{pds}/com.atproto.repo.uploadBlob"))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(THUMB)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (s, v) = create(card(blob["blob"].clone())).await;
    assert_eq!(s, 200, "{v}");
    let uri = v["uri"].as_str().unwrap();
    assert_eq!(record(&sbx, uri).await["embed"]["external"]["thumb"]["size"], THUMB.len());
}
