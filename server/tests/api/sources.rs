//! Connecting social accounts against the platform sandbox over real HTTP: the consent-gated
//! OAuth flow (state + PKCE), app-password login, refresh with rotation, revoke, account
//! info, publishing with and without images, metrics, each error class, encryption at rest
//! and tenant isolation.

use crate::helpers::*;
use covalynce::platforms::{ErrorClass, Http, MediaFile, Platforms, PostContent};
use covalynce::PlatformId;
use sandbox::{Sandbox, APP_PASSWORD};
use serde_json::json;
use server::config::sandbox_platform;
use std::collections::HashMap;
use std::time::Duration;

pub struct Sbx {
    pub base: String,
    pub sandbox: Sandbox,
}

pub async fn start_sandbox() -> Sbx {
    let sandbox = Sandbox::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let router = sandbox::router(sandbox.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Sbx { base, sandbox }
}

pub async fn app_with_sandbox() -> (TestApp, Sbx) {
    let sbx = start_sandbox().await;
    let base = sbx.base.clone();
    let app = spawn_app_with(move |c| {
        c.platforms = PlatformId::ALL.into_iter().map(|p| (p, sandbox_platform(p, &base, &c.base_url))).collect();
    })
    .await;
    (app, sbx)
}

/// Signs a fresh user up in `app.client` and returns their id.
pub async fn user(app: &TestApp) -> String {
    app.signup(&unique_email("src")).await["user"]["id"].as_str().unwrap().to_string()
}

/// Drives the browser flow: consent form → sandbox consent screen → approve as `username`
/// → our callback. Connects through the consent page; a login offering several accounts (Facebook Pages)
/// connects every one of them through the chooser.
pub async fn connect(app: &TestApp, p: &str, username: &str, tamper: impl Fn(String) -> String) -> reqwest::Response {
    let r = authorize(app, p, username, tamper).await;
    let Some(pick) = r.headers().get("location").and_then(|l| l.to_str().ok()?.strip_prefix("/sources/choose/").map(str::to_string)) else {
        return r;
    };
    let offered: serde_json::Value =
        app.client.get(app.url(&format!("/integrations/picks/{pick}"))).send().await.unwrap().json().await.unwrap();
    let csrf = app.csrf().await;
    let mut form = vec![("csrf".to_string(), csrf)];
    for a in offered["accounts"].as_array().unwrap() {
        form.push(("accounts".into(), a["external_id"].as_str().unwrap().to_string()));
    }
    app.client.post(app.url(&format!("/sources/choose/{pick}"))).form(&form).send().await.unwrap()
}

/// The consent page approved; our callback's redirect response.
pub async fn authorize(app: &TestApp, p: &str, username: &str, tamper: impl Fn(String) -> String) -> reqwest::Response {
    let csrf = app.csrf().await;
    let r = app
        .client
        .post(app.url(&format!("/sources/connect/{p}")))
        .form(&[("csrf", csrf.as_str()), ("consent", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{p}: connect redirects to the platform");
    let authorize = location(&r);
    let q: HashMap<String, String> = url::Url::parse(&authorize).unwrap().query_pairs().into_owned().collect();
    assert!(q["state"].len() >= 32, "{p}: state");
    if covalynce::domain::platform_info(PlatformId::parse(p).unwrap()).auth == "oauth2-pkce" || p == "mastodon" {
        assert_eq!(q.get("code_challenge_method").map(String::as_str), Some("S256"), "{p}: PKCE S256");
    }
    let page = app.client.get(&authorize).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Authorize app") && html.contains("write"), "{p}: the sandbox shows its consent screen");
    let mut form: Vec<(String, String)> = ["client_id", "redirect_uri", "state", "code_challenge"]
        .iter()
        .filter_map(|k| q.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    form.push(("username".into(), username.into()));
    form.push(("decision".into(), "allow".into()));
    let r = app.client.post(&authorize).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303, "{p}: consent approved");
    app.client.get(tamper(location(&r))).send().await.unwrap()
}

pub async fn list(app: &TestApp) -> Vec<serde_json::Value> {
    let v: serde_json::Value = app.client.get(app.url("/integrations/list")).send().await.unwrap().json().await.unwrap();
    v["integrations"].as_array().unwrap().clone()
}

pub async fn flash(app: &TestApp) -> String {
    app.client.get(app.url("/sources")).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn oauth_platforms_connect_with_consent_state_and_pkce() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    for p in ["x", "mastodon"] {
        let r = connect(&app, p, "ada_writes", |u| u).await;
        assert_eq!(location(&r), "/sources", "{p}");
        assert!(flash(&app).await.contains("Connected Ada Writes"), "{p}: success is announced");
    }
    let l = list(&app).await;
    assert_eq!(l.len(), 2);
    let x = l.iter().find(|i| i["provider"] == "x").unwrap();
    assert_eq!(x["username"], "ada_writes");
    assert_eq!(x["display_name"], "Ada Writes");
    assert!(x["permissions"].as_array().unwrap().iter().any(|s| s == "tweet.write"));
    assert!(x["consent_timestamp"].as_str().unwrap().starts_with("20"));
    assert_eq!(x["status"], "healthy");
    let m = l.iter().find(|i| i["provider"] == "mastodon").unwrap();
    assert!(m["username"].as_str().unwrap().starts_with("ada_writes@"), "Mastodon accounts carry their instance");
    // Several accounts per platform; reconnecting the same one updates it in place.
    connect(&app, "x", "second_brand", |u| u).await;
    connect(&app, "x", "ada_writes", |u| u).await;
    assert_eq!(list(&app).await.iter().filter(|i| i["provider"] == "x").count(), 2);
}

#[tokio::test]
async fn tampered_state_replay_and_missing_consent_are_refused() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    let r = connect(&app, "x", "eve", |u| u.replace("state=", "state=forged")).await;
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("expired or was already used"));
    assert!(list(&app).await.is_empty());

    // A callback replayed after success finds its state spent.
    let seen = std::sync::Mutex::new(String::new());
    let r = connect(&app, "x", "ada", |u| {
        *seen.lock().unwrap() = u.clone();
        u
    })
    .await;
    assert_eq!(location(&r), "/sources");
    assert_eq!(list(&app).await.len(), 1);
    let replay = seen.lock().unwrap().clone();
    app.client.get(replay).send().await.unwrap();
    assert!(flash(&app).await.contains("expired or was already used"));

    let csrf = app.csrf().await;
    let r = app.client.post(app.url("/sources/connect/x")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("confirm you agree"));
    let (s, code, _) = error_code(app.post_json("/integrations/consent", json!({"provider": "x", "consent": false})).await).await;
    assert_eq!((s, code.as_str()), (400, "consent_required"));
    let v: serde_json::Value =
        app.post_json("/integrations/consent", json!({"provider": "x", "consent": true})).await.json().await.unwrap();
    assert!(v["authorization_url"].as_str().unwrap().contains("/x/i/oauth2/authorize?"));
}

#[tokio::test]
async fn bluesky_connects_with_an_app_password() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    let (s, code, msg) = error_code(
        app.post_json("/integrations/bluesky/connect", json!({"identifier": "ada.bsky.social", "app_password": "wrong", "consent": true}))
            .await,
    )
    .await;
    assert_eq!((s, code.as_str()), (422, "platform_rejected"));
    assert!(msg.contains("app password"), "{msg}");
    let r = app
        .post_json("/integrations/bluesky/connect", json!({"identifier": "ada.bsky.social", "app_password": APP_PASSWORD, "consent": true}))
        .await;
    assert_eq!(r.status(), 201);
    let l = list(&app).await;
    assert_eq!(l[0]["provider"], "bluesky");
    assert_eq!(l[0]["username"], "ada.bsky.social");
    assert!(l[0]["account_id"].as_str().unwrap().starts_with("did:plc:"));
}

#[tokio::test]
async fn refresh_rotates_and_persists_the_new_tokens() {
    let (app, sbx) = app_with_sandbox().await;
    user(&app).await;
    connect(&app, "x", "rotator", |u| u).await;
    app.post_json("/integrations/bluesky/connect", json!({"identifier": "rotator", "app_password": APP_PASSWORD, "consent": true})).await;
    for p in ["x", "bluesky"] {
        // Each refresh spends the previous refresh token; the second only works if the first
        // one's replacement was stored.
        for round in 0..2 {
            let v: serde_json::Value = app
                .client
                .post(app.url(&format!("/integrations/{p}/refresh")))
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(v["results"][0]["success"], true, "{p} round {round}: {v}");
        }
    }
    let _ = sbx;
}

#[tokio::test]
async fn background_refresh_picks_up_expiring_tokens() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    // Tokens that live 10 minutes are renewed at three quarters of that: not yet.
    sbx.sandbox.lock().lifetimes.insert("x".into(), 600);
    connect(&app, "x", "soon", |u| u).await;
    let before = list(&app).await[0]["token_expires_at"].as_i64().unwrap();
    assert_eq!(app.state.connections.refresh_due().await.unwrap(), (0, 0), "a fresh token is not refreshed");
    let refresh_at: i64 = sqlx::query_scalar("select token_refresh_at from social_accounts").fetch_one(app.db.pool()).await.unwrap();
    let issued = before - 600_000;
    assert!((refresh_at - (issued + 450_000)).abs() < 5_000, "renewal at 3/4 of the lifetime: {refresh_at} vs {}", issued + 450_000);
    let make_due = || sqlx::query("update social_accounts set token_refresh_at = 0").execute(app.db.pool());
    make_due().await.unwrap();
    let (ok, failed) = app.state.connections.refresh_due().await.unwrap();
    assert_eq!((ok, failed), (1, 0));
    let after = list(&app).await[0]["token_expires_at"].as_i64().unwrap();
    assert!(after >= before);
    // Once renewed, not again until three quarters of the new lifetime.
    assert_eq!(app.state.connections.refresh_due().await.unwrap(), (0, 0));
    make_due().await.unwrap();
    // A refresh the platform refuses marks the account "reconnect needed".
    sbx.sandbox.lock().refresh.values_mut().for_each(|r| r.2 = true);
    let (ok, failed) = app.state.connections.refresh_due().await.unwrap();
    assert_eq!((ok, failed), (0, 1));
    let l = list(&app).await;
    assert_eq!(l[0]["status"], "reconnect_needed");
    let h: serde_json::Value = app
        .client
        .get(app.url(&format!("/api/connection/health/{}", l[0]["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["health_status"], "reconnect_needed");
    assert!(!h["warnings"].as_array().unwrap().is_empty());
    let _ = uid;
}

pub fn png() -> MediaFile {
    MediaFile {
        bytes: b"\x89PNG\r\n\x1a\n sandbox image bytes".to_vec(),
        mime: "image/png".into(),
        alt: "A chart".into(),
        url: Some("https://cdn.example/chart.png".into()),
    }
}

#[tokio::test]
async fn publish_text_and_images_then_read_metrics_on_each_platform() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "x", "publisher", |u| u).await;
    connect(&app, "mastodon", "publisher", |u| u).await;
    app.post_json("/integrations/bluesky/connect", json!({"identifier": "publisher", "app_password": APP_PASSWORD, "consent": true})).await;
    for c in list(&app).await {
        let id = c["id"].as_str().unwrap();
        let (conn, grant, _) = app.state.connections.grant(&uid, id).await.unwrap();
        let adapter = app.state.connections.platforms().get(conn.platform).unwrap();
        let account = covalynce::platforms::AccountProfile {
            external_id: conn.external_id.clone(),
            username: conn.username.clone(),
            display_name: conn.display_name.clone(),
            avatar_url: None,
        };
        let text = format!("Hello from Covalynce on {} https://example.com", conn.platform.display_name());
        let p1 = adapter.publish(&grant, &account, &PostContent { text: text.clone(), ..Default::default() }).await.unwrap();
        let p2 = adapter
            .publish(
                &grant,
                &account,
                &PostContent { text: format!("{text} with a picture"), images: vec![png(), png()], ..Default::default() },
            )
            .await
            .unwrap();
        assert!(p1.url.starts_with("https://"), "{:?}", p1);
        let ledger: Vec<_> = sbx.sandbox.ledger().into_iter().filter(|e| e.platform == conn.platform.as_str()).collect();
        assert_eq!(ledger.len(), 2, "{}: exactly two posts reached the platform", conn.platform);
        assert_eq!(ledger[1].images, 2);
        sbx.sandbox.lock().clock_offset_ms += 30 * 60_000;
        let m = adapter.metrics(&grant, &account, &p2.external_id).await.unwrap();
        assert!(m.likes.unwrap() > 0, "{}: metrics grow over time", conn.platform);
        if conn.platform == PlatformId::Bluesky {
            assert_eq!(m.views, None, "Bluesky reports no views: empty, not zero");
        }
        if conn.platform == PlatformId::X {
            assert!(m.views.unwrap() > 0);
            assert!(p1.url.contains("/publisher/status/"));
        }
    }
}

#[tokio::test]
async fn each_error_class_is_recognised() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "x", "faulty", |u| u).await;
    let id = list(&app).await[0]["id"].as_str().unwrap().to_string();
    let (conn, grant, _) = app.state.connections.grant(&uid, &id).await.unwrap();
    // A short timeout so the "lost response" fault is seen as unknown within the test.
    let configs = [(PlatformId::X, sandbox_platform(PlatformId::X, &sbx.base, &app.addr))].into_iter().collect();
    let x = Platforms::new(configs, Http::new(Duration::from_secs(1))).get(PlatformId::X).unwrap();
    let account = covalynce::platforms::AccountProfile {
        external_id: conn.external_id,
        username: conn.username,
        display_name: conn.display_name,
        avatar_url: None,
    };
    let post = |t: &str| PostContent { text: t.to_string(), ..Default::default() };
    // Faults only on the publish request: a background job's request must not take them.
    let fault = |body: serde_json::Value| {
        let url = format!("{}/_control/faults", sbx.base);
        async move { reqwest::Client::new().post(url).json(&body).send().await.unwrap() }
    };

    fault(json!({"platform": "x", "kind": "429", "retry_after": 7, "path": "/2/tweets", "method": "POST"})).await;
    let e = x.publish(&grant, &account, &post("rate limited")).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::RetryLater { retry_after_secs: Some(7) });

    fault(json!({"platform": "x", "kind": "5xx", "status": 503, "path": "/2/tweets", "method": "POST"})).await;
    assert!(matches!(x.publish(&grant, &account, &post("server error")).await.unwrap_err().class, ErrorClass::RetryLater { .. }));

    let e = x.publish(&grant, &account, &post(&"too long ".repeat(40))).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("too long"), "the platform's own words: {}", e.message);

    fault(json!({"platform": "x", "kind": "lost_response", "path": "/2/tweets", "method": "POST"})).await;
    let e = x.publish(&grant, &account, &post("did it go out?")).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Unknown);
    assert!(sbx.sandbox.ledger().iter().any(|l| l.text == "did it go out?"), "the platform did accept it");

    reqwest::Client::new()
        .post(format!("{}/_control/tokens", sbx.base))
        .json(&json!({"platform": "x", "action": "expire"}))
        .send()
        .await
        .unwrap();
    assert_eq!(x.publish(&grant, &account, &post("expired")).await.unwrap_err().class, ErrorClass::RefreshNeeded);
    let fresh = x.refresh(&grant).await.unwrap();
    x.publish(&fresh, &account, &post("after refresh")).await.unwrap();

    reqwest::Client::new()
        .post(format!("{}/_control/tokens", sbx.base))
        .json(&json!({"platform": "x", "action": "revoke"}))
        .send()
        .await
        .unwrap();
    assert_eq!(x.refresh(&fresh).await.unwrap_err().class, ErrorClass::Disconnected, "a revoked grant cannot be refreshed: reconnect");
}

#[tokio::test]
async fn tokens_are_never_stored_in_plaintext() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "x", "secretive", |u| u).await;
    app.post_json("/integrations/bluesky/connect", json!({"identifier": "secretive", "app_password": APP_PASSWORD, "consent": true})).await;
    let mut secrets = vec![];
    for c in list(&app).await {
        let (_, g, _) = app.state.connections.grant(&uid, c["id"].as_str().unwrap()).await.unwrap();
        secrets.push(g.access_token.clone());
        secrets.extend(g.refresh_token.clone());
    }
    assert!(secrets.len() >= 4);
    // Every stored byte: all text columns of the table, and on SQLite the raw files too.
    use sqlx::Row;
    let rows = sqlx::query("select * from social_accounts").fetch_all(app.db.pool()).await.unwrap();
    let mut dump = String::new();
    for r in &rows {
        for i in 0..r.len() {
            if let Ok(Some(s)) = r.try_get::<Option<String>, _>(i) {
                dump.push_str(&s);
            }
        }
    }
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        assert!(!url.is_empty());
    } else {
        let path = app.db_url.trim_start_matches("sqlite://").split('?').next().unwrap().to_string();
        for suffix in ["", "-wal"] {
            if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
                dump.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    for s in &secrets {
        assert!(!dump.contains(s.as_str()), "a token is stored in plaintext");
    }
    assert!(!dump.contains("-at-") && !dump.contains("-rt-"), "no sandbox token pattern anywhere");
    let _ = sbx;
    // Nor do they reach the browser.
    let listing = app.client.get(app.url("/integrations/list")).send().await.unwrap().text().await.unwrap();
    let page = app.client.get(app.url("/sources")).send().await.unwrap().text().await.unwrap();
    for s in &secrets {
        assert!(!listing.contains(s.as_str()) && !page.contains(s.as_str()));
    }
}

#[tokio::test]
async fn another_users_connection_is_not_found_anywhere() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    connect(&app, "x", "owner", |u| u).await;
    let id = list(&app).await[0]["id"].as_str().unwrap().to_string();

    let mallory =
        TestApp { addr: app.addr.clone(), client: client(), db: app.db.clone(), db_url: app.db_url.clone(), state: app.state.clone() };
    user(&mallory).await;
    assert!(list(&mallory).await.is_empty());
    let r = mallory.client.get(mallory.url(&format!("/api/connection/health/{id}"))).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = mallory
        .client
        .delete(mallory.url(&format!("/integrations/{id}")))
        .header("x-csrf-token", mallory.csrf().await)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let csrf = mallory.csrf().await;
    for action in ["revoke", "refresh"] {
        let r = mallory.client.post(mallory.url(&format!("/sources/{id}/{action}"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
        assert_eq!(location(&r), "/sources");
        assert!(flash(&mallory).await.contains("was not found"), "{action}");
    }
    let v: serde_json::Value =
        mallory.client.post(mallory.url("/integrations/x/refresh")).json(&json!({})).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["error"], "not_found");
    let r = mallory.client.get(mallory.url("/sfn/list_connections")).header("accept", "application/json").send().await.unwrap();
    assert!(!r.text().await.unwrap().contains(&id));
    assert_eq!(list(&app).await.len(), 1, "the owner's connection is untouched");
}

#[tokio::test]
async fn revoking_consent_disconnects_and_deletes_the_tokens() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "x", "leaver", |u| u).await;
    let id = list(&app).await[0]["id"].as_str().unwrap().to_string();
    let (_, grant, _) = app.state.connections.grant(&uid, &id).await.unwrap();
    let csrf = app.csrf().await;
    let r = app.client.post(app.url(&format!("/sources/{id}/revoke"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("consent withdrawn"));
    assert!(list(&app).await.is_empty());
    use sqlx::Row;
    let n: i64 = sqlx::query("select count(*) as n from social_accounts").fetch_one(app.db.pool()).await.unwrap().get("n");
    assert_eq!(n, 0);
    // The platform was told: the old token no longer works there.
    let r = reqwest::Client::new().get(format!("{}/x/api/2/users/me", sbx.base)).bearer_auth(&grant.access_token).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn the_wizard_walks_several_platforms_in_recommended_order() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    let csrf = app.csrf().await;
    let form = [("csrf", csrf.as_str()), ("platforms", "mastodon"), ("platforms", "bluesky"), ("platforms", "x")];
    let r = app.client.post(app.url("/sources/wizard")).form(&form).send().await.unwrap();
    assert_eq!(location(&r), "/sources?connect=x&queue=bluesky,mastodon");
    let page = app.client.get(app.url(&location(&r))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Wizard: after this, Bluesky, then Mastodon."));

    // X through its consent screen, carrying the queue.
    let r = app
        .client
        .post(app.url("/sources/connect/x"))
        .form(&[("csrf", csrf.as_str()), ("consent", "on"), ("queue", "bluesky,mastodon")])
        .send()
        .await
        .unwrap();
    let authorize = location(&r);
    let q: HashMap<String, String> = url::Url::parse(&authorize).unwrap().query_pairs().into_owned().collect();
    let mut f: Vec<(String, String)> =
        ["client_id", "redirect_uri", "state", "code_challenge"].iter().map(|k| (k.to_string(), q[*k].clone())).collect();
    f.push(("decision".into(), "allow".into()));
    let r = app.client.post(&authorize).form(&f).send().await.unwrap();
    let r = app.client.get(location(&r)).send().await.unwrap();
    assert_eq!(location(&r), "/sources?connect=bluesky&queue=mastodon", "the wizard moves on");

    let r = app
        .client
        .post(app.url("/sources/connect/bluesky"))
        .form(&[("csrf", csrf.as_str()), ("consent", "on"), ("queue", "mastodon"), ("identifier", "wiz"), ("app_password", APP_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/sources?connect=mastodon&queue=");
    let r = connect(&app, "mastodon", "wiz", |u| u).await;
    assert_eq!(location(&r), "/sources", "done");
    assert_eq!(list(&app).await.len(), 3);
}

#[tokio::test]
async fn validate_now_and_the_troubleshooter_on_a_broken_connection() {
    let (app, sbx) = app_with_sandbox().await;
    user(&app).await;
    connect(&app, "x", "checked", |u| u).await;
    let id = list(&app).await[0]["id"].as_str().unwrap().to_string();
    let csrf = app.csrf().await;
    app.client.post(app.url(&format!("/sources/{id}/validate"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert!(flash(&app).await.contains("is working"));

    reqwest::Client::new()
        .post(format!("{}/_control/tokens", sbx.base))
        .json(&json!({"platform": "x", "action": "revoke"}))
        .send()
        .await
        .unwrap();
    app.client.post(app.url(&format!("/sources/{id}/validate"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    let page = flash(&app).await;
    assert!(page.contains("Try: Reconnect the account from Sources"), "the flash carries the fix");
    app.client.post(app.url(&format!("/sources/{id}/refresh"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    let page = flash(&app).await;
    assert!(page.contains("Reconnect needed") && page.contains("data-testid=\"diagnosis\""), "the card shows the state and the diagnosis");
    assert!(page.contains("Likely cause: expired token"));
}

#[tokio::test]
async fn bluesky_and_mastodon_error_classes() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "mastodon", "errs", |u| u).await;
    app.post_json("/integrations/bluesky/connect", json!({"identifier": "errs", "app_password": APP_PASSWORD, "consent": true})).await;
    let fault = |body: serde_json::Value| {
        let url = format!("{}/_control/faults", sbx.base);
        async move { reqwest::Client::new().post(url).json(&body).send().await.unwrap() }
    };
    for c in list(&app).await {
        let (conn, grant, _) = app.state.connections.grant(&uid, c["id"].as_str().unwrap()).await.unwrap();
        let p = conn.platform.as_str();
        let adapter = app.state.connections.platforms().get(conn.platform).unwrap();
        let account = covalynce::platforms::AccountProfile {
            external_id: conn.external_id.clone(),
            username: conn.username.clone(),
            display_name: conn.display_name.clone(),
            avatar_url: None,
        };
        let post = |t: &str| PostContent { text: t.to_string(), ..Default::default() };
        // Faults only for the publish call: a background session refresh must not use them up.
        let publish_path = if conn.platform == PlatformId::Bluesky { "/com.atproto.repo.createRecord" } else { "/api/v1/statuses" };

        fault(json!({"platform": p, "kind": "429", "retry_after": 9, "path": publish_path, "method": "POST"})).await;
        assert_eq!(
            adapter.publish(&grant, &account, &post("limited")).await.unwrap_err().class,
            ErrorClass::RetryLater { retry_after_secs: Some(9) },
            "{p}"
        );
        fault(json!({"platform": p, "kind": "5xx", "path": publish_path, "method": "POST"})).await;
        assert!(matches!(adapter.publish(&grant, &account, &post("down")).await.unwrap_err().class, ErrorClass::RetryLater { .. }), "{p}");
        let e = adapter.publish(&grant, &account, &post(&"x".repeat(600))).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Rejected, "{p}");
        assert!(e.message.contains("500") || e.message.contains("300"), "{p}: the platform's own limit is quoted: {}", e.message);

        reqwest::Client::new()
            .post(format!("{}/_control/tokens", sbx.base))
            .json(&json!({"platform": p, "action": "expire"}))
            .send()
            .await
            .unwrap();
        let expired = adapter.publish(&grant, &account, &post("expired")).await.unwrap_err().class;
        if conn.platform == PlatformId::Bluesky {
            // Bluesky says ExpiredToken: refresh the session and carry on.
            assert_eq!(expired, ErrorClass::RefreshNeeded);
            let fresh = adapter.refresh(&grant).await.unwrap();
            adapter.publish(&fresh, &account, &post("after refresh")).await.unwrap();
        } else {
            // Mastodon tokens never expire, so a refused token means it was revoked.
            assert_eq!(expired, ErrorClass::Disconnected);
        }
        reqwest::Client::new()
            .post(format!("{}/_control/tokens", sbx.base))
            .json(&json!({"platform": p, "action": "revoke"}))
            .send()
            .await
            .unwrap();
        let e = adapter.publish(&grant, &account, &post("revoked")).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Disconnected, "{p}: {e:?}");
    }
}

#[tokio::test]
async fn mastodon_refuses_a_tampered_state_and_other_users_cannot_use_my_state() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    let r = connect(&app, "mastodon", "tamper", |u| u.replace("state=", "state=x")).await;
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("expired or was already used"));

    // A callback URL (state + code) stolen by another signed-in user is worthless to them.
    let stolen = std::sync::Mutex::new(String::new());
    let other =
        TestApp { addr: app.addr.clone(), client: client(), db: app.db.clone(), db_url: app.db_url.clone(), state: app.state.clone() };
    user(&other).await;
    let health = app.url("/health");
    connect(&app, "mastodon", "victim", |u| {
        // The victim never reaches the callback; the thief uses the fresh state first.
        *stolen.lock().unwrap() = u;
        health.clone()
    })
    .await;
    let url = stolen.lock().unwrap().clone();
    let r = other.client.get(url).send().await.unwrap();
    assert_eq!(location(&r), "/sources");
    assert!(flash(&other).await.contains("expired or was already used"));
    assert!(list(&other).await.is_empty());
    let csrf = other.csrf().await;
    connect(&app, "x", "mine", |u| u).await;
    let id = list(&app).await.iter().find(|c| c["provider"] == "x").unwrap()["id"].as_str().unwrap().to_string();
    other.client.post(other.url(&format!("/sources/{id}/validate"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert!(flash(&other).await.contains("was not found"));
}

#[tokio::test]
async fn mastodon_registers_the_app_once_per_instance() {
    let (app, sbx) = app_with_sandbox().await;
    user(&app).await;
    connect(&app, "mastodon", "first", |u| u).await;
    connect(&app, "mastodon", "second", |u| u).await;
    assert_eq!(list(&app).await.len(), 2);
    assert_eq!(sbx.sandbox.lock().apps.len(), 1, "one /api/v1/apps registration for the instance");
}
