//! Outbound requests to hosts people choose, and what comes back from outside: the SSRF guard
//! on AI base URLs and Mastodon instances, the AI key that never follows a new base URL,
//! `javascript:` links from platforms, byte caps on answers, and decompression-bomb images.
//! Fake servers on 127.0.0.1 stand in for hostile hosts. On both databases.

use crate::drafts::send;
use crate::helpers::*;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use covalynce::oauth_login::{Endpoints, LoginProviders, ProviderConfig};
use covalynce::platforms::{AccountProfile, Grant, Http, PlatformConfig, Platforms, PostContent};
use covalynce::{LoginProvider, PlatformId};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "sk-proj-TESTKEY1234567890abcd";

/// Every request's path and Authorization header, in order.
type Hits = Arc<Mutex<Vec<(String, String)>>>;

/// Answers any request with `body` (200), recording it.
async fn fake_server(body: Value) -> (String, Hits) {
    let hits: Hits = Default::default();
    let h = hits.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap| {
        let h = h.clone();
        let body = body.clone();
        async move {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            h.lock().unwrap().push((uri.path().to_string(), auth));
            Json(body).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

/// An OpenAI-compatible fake: a model list and a chat completion for X.
async fn fake_ai() -> (String, Hits) {
    let content = json!({"x": "Ship small, ship often."}).to_string();
    let (base, hits) = fake_server(json!({
        "object": "list", "data": [{"id": "gpt-4o-mini"}],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    }))
    .await;
    (format!("{base}/v1"), hits)
}

/// A server that answers every request with 200 and streams `total` bytes without declaring
/// a length: the hostile host that tries to fill our memory.
async fn streaming_server(total: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{\"a\":\"").await;
                let chunk = vec![b'a'; 64 * 1024];
                let mut sent = 0;
                while sent < total {
                    if s.write_all(&chunk).await.is_err() {
                        return;
                    }
                    sent += chunk.len();
                }
            });
        }
    });
    format!("http://{addr}")
}

fn hits(h: &Hits) -> usize {
    h.lock().unwrap().len()
}

// --- AI base URLs

#[tokio::test]
async fn ai_base_urls_at_internal_addresses_are_refused_without_the_admin_opt_in() {
    let (base, fake) = fake_ai().await;
    let app = spawn_app().await;
    app.signup(&unique_email("ai-ssrf")).await;
    for target in [base.as_str(), "http://169.254.169.254/v1", "http://[::1]:11434/v1", "http://0x7f.1/v1", "http://10.0.0.5/v1"] {
        let (s, e) = send(&app, Method::PUT, "/api/settings/ai", Some(json!({"openai_key": KEY, "base_url": target}))).await;
        assert_eq!((s, e["error"].as_str()), (422, Some("private_address")), "{target}: {e}");
        assert!(e["message"].as_str().unwrap().contains("AI_ALLOW_PRIVATE=1"), "says how an admin allows it: {e}");
    }
    let (_, v) = send(&app, Method::GET, "/api/settings/ai", None).await;
    assert!(v["openai_key_hint"].is_null(), "nothing saved: {v}");

    // A base URL stored before this rule (or while the name pointed elsewhere) is checked
    // again when used: the key never reaches the internal address.
    send(&app, Method::PUT, "/api/settings/ai", Some(json!({"openai_key": KEY}))).await;
    sqlx::query("update ai_settings set base_url = $1").bind(&base).execute(app.db.pool()).await.unwrap();
    let (s, e) = send(&app, Method::POST, "/api/ai/generate", Some(json!({"idea": "Ship weekly", "platforms": ["x"]}))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("private_address")), "{e}");
    let (s, e) = send(&app, Method::POST, "/api/settings/ai/test", None).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("private_address")), "{e}");
    assert_eq!(hits(&fake), 0, "no request reached the internal address");
}

#[tokio::test]
async fn a_new_ai_server_needs_the_key_again_and_the_old_key_never_goes_there() {
    let (a, fake_a) = fake_ai().await;
    let (b, fake_b) = fake_ai().await;
    let app = spawn_app_with(|c| c.ai_allow_private = true).await;
    app.signup(&unique_email("ai-origin")).await;
    let (s, v) = send(&app, Method::PUT, "/api/settings/ai", Some(json!({"openai_key": KEY, "base_url": a}))).await;
    assert_eq!(s, 200, "{v}");

    let (s, e) = send(&app, Method::PATCH, "/api/settings/ai", Some(json!({"base_url": b}))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("key_required")), "{e}");
    assert!(e["message"].as_str().unwrap().starts_with("Enter the API key again for the new server"), "{e}");
    let (_, v) = send(&app, Method::GET, "/api/settings/ai", None).await;
    assert_eq!(v["base_url"], a.as_str(), "the base URL did not change");
    let (s, g) = send(&app, Method::POST, "/api/ai/generate", Some(json!({"idea": "Ship weekly", "platforms": ["x"]}))).await;
    assert_eq!((s, g["source"].as_str()), (200, Some("openai")), "{g}");
    assert_eq!(hits(&fake_b), 0, "the stored key never went to the new server");
    assert_eq!(fake_a.lock().unwrap()[0].1, format!("Bearer {KEY}"));

    // Another path on the same server keeps the key; the key sent with a new server moves.
    let (s, v) = send(&app, Method::PATCH, "/api/settings/ai", Some(json!({"base_url": format!("{a}/beta")}))).await;
    assert_eq!(s, 200, "same origin: {v}");
    let other = "sk-other-server-key-5678";
    let (s, v) = send(&app, Method::PATCH, "/api/settings/ai", Some(json!({"base_url": b, "openai_key": other}))).await;
    assert_eq!((s, v["openai_key_hint"].as_str()), (200, Some("sk-…5678")), "{v}");
    send(&app, Method::POST, "/api/ai/generate", Some(json!({"idea": "Ship weekly", "platforms": ["x"]}))).await;
    assert_eq!(fake_b.lock().unwrap()[0].1, format!("Bearer {other}"));
}

#[tokio::test]
async fn a_fifty_megabyte_ai_answer_is_cut_off_with_a_clear_error() {
    let base = streaming_server(50 << 20).await;
    let app = spawn_app_with(|c| c.ai_allow_private = true).await;
    app.signup(&unique_email("ai-big")).await;
    let (s, v) = send(&app, Method::PUT, "/api/settings/ai", Some(json!({"openai_key": KEY, "base_url": format!("{base}/v1")}))).await;
    assert_eq!(s, 200, "{v}");
    let (s, e) = send(&app, Method::POST, "/api/ai/generate", Some(json!({"idea": "Ship weekly", "platforms": ["x"]}))).await;
    assert_eq!((s, e["error"].as_str()), (502, Some("ai_answer_too_large")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("more than 4 MB"), "{e}");
}

// --- platforms

fn adapters(base: &str, allow_private: bool) -> Platforms {
    let cfg = |p: PlatformId| PlatformConfig {
        client_id: "id".into(),
        client_secret: "secret".into(),
        redirect_uri: "http://127.0.0.1/cb".into(),
        auth_base: base.into(),
        api_base: base.into(),
        upload_base: base.into(),
        token_base: base.into(),
        allow_private: allow_private && p == PlatformId::Mastodon,
        ..Default::default()
    };
    let configs: HashMap<_, _> = PlatformId::ALL.into_iter().map(|p| (p, cfg(p))).collect();
    Platforms::new(configs, Http::new(Duration::from_secs(5)))
}

fn grant(instance: &str) -> Grant {
    Grant {
        access_token: "token".into(),
        extra: json!({"instance": instance, "did": "did:plc:ada", "handle": "ada.bsky.social", "pds": instance}),
        ..Default::default()
    }
}

fn account() -> AccountProfile {
    AccountProfile { external_id: "1".into(), username: "ada".into(), display_name: "Ada".into(), avatar_url: None }
}

#[tokio::test]
async fn javascript_links_from_platforms_are_never_kept() {
    let evil = "javascript:alert(document.cookie)";
    let (base, _) = fake_server(json!({
        "id": "1", "username": "ada", "display_name": "Ada", "handle": "ada.bsky.social",
        "avatar": evil, "url": evil, "picture": evil, "profile_image": evil,
        "data": {"id": "1", "username": "ada", "name": "Ada", "profile_image_url": evil},
    }))
    .await;
    let platforms = adapters(&base, false);
    for p in [PlatformId::Mastodon, PlatformId::X, PlatformId::Bluesky, PlatformId::Pinterest] {
        let accounts = platforms.get(p).unwrap().accounts(&grant(&base)).await.unwrap_or_else(|e| panic!("{p:?}: {e}"));
        assert_eq!(accounts[0].0.avatar_url, None, "{p:?}: a javascript: avatar is dropped where it enters");
    }
    let m = platforms.get(PlatformId::Mastodon).unwrap();
    let post = PostContent { text: "hello".into(), ..Default::default() };
    let published = m.publish(&grant(&base), &account(), &post).await.unwrap();
    assert_eq!((published.external_id.as_str(), published.url.as_str()), ("1", ""), "the post link is dropped, the post is not");

    // Web links pass unchanged.
    let (good, _) =
        fake_server(json!({"id": "2", "username": "ada", "avatar": "https://files.example/a.png", "url": "https://x.example/@ada/2"}))
            .await;
    let m = adapters(&good, false).get(PlatformId::Mastodon).unwrap();
    assert_eq!(m.accounts(&grant(&good)).await.unwrap()[0].0.avatar_url.as_deref(), Some("https://files.example/a.png"));
    assert_eq!(m.publish(&grant(&good), &account(), &post).await.unwrap().url, "https://x.example/@ada/2");
}

#[tokio::test]
async fn a_fifty_megabyte_platform_answer_is_cut_off_with_a_clear_error() {
    let base = streaming_server(50 << 20).await;
    let m = adapters(&base, false).get(PlatformId::Mastodon).unwrap();
    let e = m.accounts(&grant(&base)).await.unwrap_err();
    assert!(e.message.contains("larger than 2 MB"), "{e}");
}

#[tokio::test]
async fn mastodon_instances_that_resolve_inside_are_refused_before_any_request() {
    let (inside, fake) = fake_server(json!({"client_id": "c", "client_secret": "s", "id": "1", "username": "ada"})).await;
    let app = spawn_app_with(|c| {
        c.platforms = HashMap::from([(
            PlatformId::Mastodon,
            PlatformConfig {
                auth_base: "https://mastodon.social".into(),
                redirect_uri: "http://127.0.0.1/cb".into(),
                ..Default::default()
            },
        )]);
    })
    .await;
    app.signup(&unique_email("masto-ssrf")).await;
    for (typed, says) in [
        ("localhost", "localhost resolves to an address that points at this server itself"),
        ("https://169.254.169.254", "169.254.169.254"),
        ("https://10.0.0.1", "10.0.0.1"),
        ("https://0x7f.1", "127.0.0.1"),
    ] {
        let (s, e) =
            send(&app, Method::POST, "/integrations/consent", Some(json!({"provider": "mastodon", "consent": true, "instance": typed})))
                .await;
        assert_eq!((s, e["error"].as_str()), (422, Some("platform_rejected")), "{typed}: {e}");
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains(says) && msg.contains("Only servers at public addresses can be connected."), "{typed}: {msg}");
    }
    // A connection stored with an instance that now points inside is refused at use, too.
    let m = adapters("https://mastodon.social", false).get(PlatformId::Mastodon).unwrap();
    let e = m.accounts(&grant(&inside)).await.unwrap_err();
    assert!(e.message.contains("points at this server itself (127.0.0.1)"), "{e}");
    assert_eq!(hits(&fake), 0, "nothing was sent to the internal address");
}

#[tokio::test]
async fn with_the_admin_opt_in_a_private_mastodon_instance_is_reached() {
    let (inside, fake) = fake_server(json!({"client_id": "c", "client_secret": "s"})).await;
    let app = spawn_app_with(|c| {
        c.platforms = HashMap::from([(
            PlatformId::Mastodon,
            PlatformConfig {
                auth_base: "https://mastodon.social".into(),
                redirect_uri: "http://127.0.0.1/cb".into(),
                allow_private: true,
                ..Default::default()
            },
        )]);
    })
    .await;
    app.signup(&unique_email("masto-lan")).await;
    let (s, v) =
        send(&app, Method::POST, "/integrations/consent", Some(json!({"provider": "mastodon", "consent": true, "instance": inside}))).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["authorization_url"].as_str().unwrap().starts_with(&format!("{inside}/oauth/authorize?")), "{v}");
    assert_eq!(fake.lock().unwrap()[0].0, "/api/v1/apps", "the app was registered on the instance");
}

// --- sign-in providers

fn oidc(issuer: &str) -> LoginProviders {
    LoginProviders::new(vec![ProviderConfig {
        provider: LoginProvider::Google,
        client_id: "id".into(),
        client_secret: "secret".into(),
        redirect_uri: "http://127.0.0.1/auth/google/callback".into(),
        endpoints: Endpoints::Oidc { issuer: issuer.into() },
    }])
}

#[tokio::test]
async fn a_fifty_megabyte_discovery_document_is_cut_off_with_a_clear_error() {
    let issuer = streaming_server(50 << 20).await;
    let e = oidc(&issuer).authorize(LoginProvider::Google).await.unwrap_err();
    assert!(e.to_string().contains("127.0.0.1 sent more than 1 MB"), "{e}");
}

#[tokio::test]
async fn discovery_endpoints_that_are_not_web_urls_are_refused() {
    let (issuer, _) = fake_server(json!({})).await;
    let (evil, _) = fake_server(json!({
        "issuer": issuer, "authorization_endpoint": "javascript:alert(1)", "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"), "keys": [],
    }))
    .await;
    let e = oidc(&evil).authorize(LoginProvider::Google).await.unwrap_err();
    assert!(e.to_string().contains("authorization_endpoint is not an http(s) URL"), "{e}");
}

// --- images

#[tokio::test]
async fn a_small_png_of_10000_by_10000_pixels_is_refused_with_a_clear_422() {
    let app = spawn_app().await;
    app.signup(&unique_email("bomb")).await;
    let mut png = std::io::Cursor::new(vec![]);
    image::DynamicImage::ImageLuma8(image::GrayImage::new(10_000, 10_000)).write_to(&mut png, image::ImageFormat::Png).unwrap();
    let png = png.into_inner();
    assert!(png.len() < 1 << 20, "a small file: {} bytes", png.len());
    let part = reqwest::multipart::Part::bytes(png).file_name("bomb.png").mime_str("image/png").unwrap();
    let csrf = app.csrf().await;
    let r = app
        .client
        .post(app.url("/api/images"))
        .header("x-csrf-token", csrf)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    let (s, code, msg) = error_code(r).await;
    assert_eq!((s, code.as_str()), (422, "too_many_pixels"), "{msg}");
    assert_eq!(msg, "That image is 10000×10000 pixels; the most we take is 10000 pixels on a side and 40 megapixels in all. Scale it down and try again.");
    let n: i64 = sqlx::query_scalar("select count(*) from images").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(n, 0, "nothing stored");
}

/// A loopback host with a real PNG at `/photo.png` and a web page everywhere else, counting
/// requests.
async fn image_host() -> (String, Arc<Mutex<usize>>) {
    let png = {
        let img = image::RgbImage::from_pixel(8, 8, image::Rgb([200, 40, 40]));
        let mut out = std::io::Cursor::new(vec![]);
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let hits: Arc<Mutex<usize>> = Default::default();
    let h = hits.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let (h, png) = (h.clone(), png.clone());
        async move {
            *h.lock().unwrap() += 1;
            if uri.path() == "/photo.png" {
                ([("content-type", "image/png")], png).into_response()
            } else {
                ([("content-type", "text/html")], "<!doctype html><html><body>Not an image</body></html>").into_response()
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

/// A post whose image is a web address reaches a network that is sent bytes (X) as the image
/// itself, fetched through the guard; an address serving a web page fails its post with the
/// reason. Nothing empty is uploaded (X's upload refuses 0 bytes, as the real one does).
#[tokio::test]
async fn a_web_image_is_sent_as_its_bytes_or_the_post_says_why_not() {
    use crate::publish::{account, call, settle, setup_with};
    let (app, sbx) = setup_with(|c| c.media.allow_private = true).await;
    let x = account(&app, "x", "ada_x").await;
    let (host, hits) = image_host().await;
    let mut ids = vec![];
    for (text, path) in [("a web image", "/photo.png"), ("a web page", "/about")] {
        let later = chrono::Utc::now().timestamp_millis() + 3_600_000;
        let body = json!({"connection_ids": [x], "text": text, "image_url": "https://images.example/photo.png", "scheduled_at": later});
        let (s, v) = call(&app, Method::POST, "/api/posts/publish", Some(body)).await;
        assert_eq!(s, 201, "{v}");
        let id = v["posts"][0]["id"].as_str().unwrap().to_string();
        // Posts take https:// addresses only; the test's host is plain http on loopback.
        sqlx::query("update posts set image_url = $1, scheduled_at = $2, run_at = $2 where id = $3")
            .bind(format!("{host}{path}"))
            .bind(chrono::Utc::now().timestamp_millis())
            .bind(&id)
            .execute(app.db.pool())
            .await
            .unwrap();
        ids.push(id);
    }
    let sent = settle(&app, &ids[0], Duration::from_secs(10)).await;
    assert_eq!(sent["status"], "posted", "{sent}");
    let entry = sbx.sandbox.ledger().into_iter().find(|e| e.text == "a web image").expect("X has the post");
    assert_eq!(entry.images, 1, "the image went with the post");
    let refused = settle(&app, &ids[1], Duration::from_secs(10)).await;
    assert_eq!(refused["status"], "failed", "{refused}");
    let why = refused["error_message"].as_str().unwrap_or_default();
    assert!(why.contains("a web page") && why.contains("/about"), "the post says what the address gave: {refused}");
    assert!(sbx.sandbox.ledger().iter().all(|e| e.text != "a web page"), "nothing went out for the refused post");
    assert_eq!(*hits.lock().unwrap(), 2, "each image was fetched once");
}
