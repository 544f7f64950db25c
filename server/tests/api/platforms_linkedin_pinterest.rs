//! LinkedIn and Pinterest against the platform sandbox over real HTTP: connecting (state
//! checked, no PKCE), what refresh means on each (LinkedIn normal apps have no refresh token;
//! Pinterest rotates), account info, publishing (LinkedIn text and images; Pinterest Pins
//! need an image), metrics that grow with time, and each error class.

use crate::helpers::*;
use crate::sources::{app_with_sandbox, connect, flash, list, png, user, Sbx};
use covalynce::platforms::{AccountProfile, ErrorClass, Grant, Http, MediaFile, Platform, Platforms, PostContent};
use covalynce::PlatformId;
use sandbox::account_for;
use serde_json::json;
use server::config::sandbox_platform;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;

/// The first connection of `provider`: its account, decrypted grant and id.
async fn connection(app: &TestApp, uid: &str, provider: &str) -> (AccountProfile, Grant, String) {
    connection_where(app, uid, |c| c["provider"] == provider).await
}

async fn connection_where(app: &TestApp, uid: &str, pick: impl Fn(&serde_json::Value) -> bool) -> (AccountProfile, Grant, String) {
    let c = list(app).await.into_iter().find(pick).unwrap();
    let id = c["id"].as_str().unwrap().to_string();
    let (conn, grant, _) = app.state.connections.grant(uid, &id).await.unwrap();
    let account =
        AccountProfile { external_id: conn.external_id, username: conn.username, display_name: conn.display_name, avatar_url: None };
    (account, grant, id)
}

fn adapter(app: &TestApp, p: PlatformId) -> Arc<dyn Platform> {
    app.state.connections.platforms().get(p).unwrap()
}

/// The same adapter with a 1 s timeout, so a lost response is seen within the test.
fn impatient(app: &TestApp, sbx: &Sbx, p: PlatformId) -> Arc<dyn Platform> {
    let configs = [(p, sandbox_platform(p, &sbx.base, &app.addr))].into_iter().collect();
    Platforms::new(configs, Http::new(Duration::from_secs(1))).get(p).unwrap()
}

async fn control(sbx: &Sbx, what: &str, body: serde_json::Value) {
    let r = reqwest::Client::new().post(format!("{}/_control/{what}", sbx.base)).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{what}: {}", r.text().await.unwrap());
}

async fn refresh_via_api(app: &TestApp, p: &str) -> serde_json::Value {
    app.client.post(app.url(&format!("/integrations/{p}/refresh"))).json(&json!({})).send().await.unwrap().json().await.unwrap()
}

async fn authorization_url(app: &TestApp, p: &str) -> HashMap<String, String> {
    let v: serde_json::Value = app.post_json("/integrations/consent", json!({"provider": p, "consent": true})).await.json().await.unwrap();
    let u = url::Url::parse(v["authorization_url"].as_str().unwrap()).unwrap();
    let mut q: HashMap<String, String> = u.query_pairs().into_owned().collect();
    q.insert("_path".into(), u.path().to_string());
    q
}

fn text(t: &str) -> PostContent {
    PostContent { text: t.to_string(), ..Default::default() }
}

fn inline_png() -> MediaFile {
    MediaFile { url: None, ..png() }
}

fn ledger(sbx: &Sbx, p: &str) -> Vec<sandbox::LedgerEntry> {
    sbx.sandbox.ledger().into_iter().filter(|e| e.platform == p).collect()
}

// ------------------------------------------------------------------------------ LinkedIn

#[tokio::test]
async fn linkedin_connects_without_pkce_and_refuses_a_tampered_state() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    let r = connect(&app, "linkedin", "eve", |u| u.replace("state=", "state=forged")).await;
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("expired or was already used"));
    assert!(list(&app).await.is_empty(), "a forged state connects nothing");

    let q = authorization_url(&app, "linkedin").await;
    assert!(q["_path"].ends_with("/linkedin/oauth/v2/authorization"), "{q:?}");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "openid profile email w_member_social");
    assert!(!q.contains_key("code_challenge"), "LinkedIn web apps take no PKCE");

    let r = connect(&app, "linkedin", "ada_writes", |u| u).await;
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("Connected Ada Writes (LinkedIn)"));
    let l = list(&app).await;
    assert_eq!(l.len(), 1);
    let li = &l[0];
    assert_eq!(li["provider"], "linkedin");
    assert_eq!(li["account_id"], account_for("linkedin", "ada_writes").id.as_str(), "the OIDC sub");
    assert_eq!(li["username"], "ada_writes@example.com", "the email tells LinkedIn accounts apart");
    assert_eq!(li["display_name"], "Ada Writes");
    assert!(li["avatar_url"].as_str().unwrap().starts_with("https://media.licdn.com/"));
    let perms: Vec<&str> = li["permissions"].as_array().unwrap().iter().filter_map(|s| s.as_str()).collect();
    assert!(perms.contains(&"w_member_social") && perms.contains(&"openid"), "{perms:?}");
    let expires = li["token_expires_at"].as_i64().unwrap();
    let sixty_days = chrono::Utc::now().timestamp_millis() + 60 * DAY_MS;
    assert!((expires - sixty_days).abs() < 60_000, "LinkedIn access lasts 60 days");
    assert_eq!(li["status"], "healthy");

    connect(&app, "linkedin", "ada_writes", |u| u).await;
    assert_eq!(list(&app).await.len(), 1, "reconnecting updates the same account");
}

#[tokio::test]
async fn linkedin_without_a_refresh_token_keeps_a_live_grant_and_asks_to_reconnect_when_it_dies() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "linkedin", "no_refresh", |u| u).await;
    let (_, before, id) = connection(&app, &uid, "linkedin").await;
    assert_eq!(before.refresh_token, None, "normal LinkedIn apps get no refresh token");
    let expires = list(&app).await[0]["token_expires_at"].as_i64();
    for round in 0..2 {
        let v = refresh_via_api(&app, "linkedin").await;
        assert_eq!(v["results"][0]["success"], true, "round {round}: {v}");
        assert_eq!(v["results"][0]["token_expires_at"].as_i64(), expires, "nothing to renew: the expiry stays");
    }
    let (_, after, _) = connection(&app, &uid, "linkedin").await;
    assert_eq!(after.access_token, before.access_token);

    // LinkedIn says the token is dead: the person is asked to reconnect.
    control(&sbx, "tokens", json!({"platform": "linkedin", "action": "expire"})).await;
    let v = refresh_via_api(&app, "linkedin").await;
    assert_eq!(v["results"][0]["success"], false, "{v}");
    assert_eq!(v["results"][0]["error"], "reconnect_needed");
    assert!(v["results"][0]["message"].as_str().unwrap().contains("reconnect the account"), "{v}");
    let l = list(&app).await;
    assert_eq!((l[0]["id"].as_str(), l[0]["status"].as_str()), (Some(id.as_str()), Some("reconnect_needed")));

    // Approved partners do get a refresh token: it renews access and does not rotate.
    let li = adapter(&app, PlatformId::Linkedin);
    let rt = sbx.sandbox.issue_refresh("linkedin", &account_for("linkedin", "no_refresh"));
    let partner = Grant { refresh_token: Some(rt.clone()), ..before };
    let first = li.refresh(&partner).await.unwrap();
    let second = li.refresh(&first).await.unwrap();
    assert_ne!(first.access_token, partner.access_token);
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(second.refresh_token.as_deref(), Some(rt.as_str()), "the partner refresh token is reused, not rotated");
    assert!(second.expires_at.unwrap() > chrono::Utc::now().timestamp_millis() + 59 * DAY_MS);
    li.publish(&second, &connection(&app, &uid, "linkedin").await.0, &text("after a partner refresh")).await.unwrap();
}

#[tokio::test]
async fn linkedin_publishes_text_and_images_and_reads_reactions() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "linkedin", "publisher", |u| u).await;
    let (account, grant, _) = connection(&app, &uid, "linkedin").await;
    let li = adapter(&app, PlatformId::Linkedin);

    // Reserved "little text" characters survive: unescaped, LinkedIn cuts the post at "(".
    let words = "Launch (beta) of @covalynce #rust_lang [v1] {ok} <3 a*b ~x | \\o/ https://example.com";
    let p1 = li.publish(&grant, &account, &text(words)).await.unwrap();
    assert!(p1.external_id.starts_with("urn:li:share:"), "{p1:?}");
    assert_eq!(p1.url, format!("https://www.linkedin.com/feed/update/{}", p1.external_id));
    let one =
        li.publish(&grant, &account, &PostContent { text: "One picture".into(), images: vec![png()], ..Default::default() }).await.unwrap();
    let two = li
        .publish(&grant, &account, &PostContent { text: "Two pictures".into(), images: vec![png(), inline_png()], ..Default::default() })
        .await
        .unwrap();
    let posts = ledger(&sbx, "linkedin");
    assert_eq!(posts.len(), 3, "exactly three posts reached LinkedIn");
    assert_eq!(posts[0].text, words, "members see the text exactly as written");
    assert_eq!((posts[1].images, posts[2].images), (1, 2), "single image, then a multi-image post");
    assert_eq!(posts[2].post_id, two.external_id);
    assert_ne!(one.external_id, two.external_id);

    // Normal apps may not read member posts' social actions (r_member_social is closed):
    // the numbers are unavailable, which is not a disconnection.
    let e = li.metrics(&grant, &account, &two.external_id).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::MissingPermission, "{e:?}");
    assert!(e.message.contains("r_member_postAnalytics"), "the message names the permission that unlocks them: {}", e.message);
    // With Member Post Analytics enabled, the statistics come from memberCreatorPostAnalytics.
    let mut cfg = sandbox_platform(PlatformId::Linkedin, &sbx.base, &app.addr);
    cfg.member_analytics = true;
    let analytics = Platforms::new([(PlatformId::Linkedin, cfg)].into_iter().collect(), Http::new(Duration::from_secs(5)))
        .get(PlatformId::Linkedin)
        .unwrap();
    assert!(analytics.scopes().contains(&"r_member_postAnalytics"), "the scope is asked for when enabled");
    let early = analytics.metrics(&grant, &account, &two.external_id).await.unwrap();
    sbx.sandbox.lock().clock_offset_ms += 30 * 60_000;
    let later = analytics.metrics(&grant, &account, &two.external_id).await.unwrap();
    assert!(later.likes.unwrap() > early.likes.unwrap(), "reactions grow over time: {early:?} → {later:?}");
    assert!(later.comments.unwrap() >= early.comments.unwrap());
    assert!(later.impressions.unwrap() >= later.views.unwrap(), "impressions count repeat views: {later:?}");
    assert_eq!(later.saves, None, "not reported: empty, not zero");
}

#[tokio::test]
async fn linkedin_rest_calls_without_a_live_version_are_refused_like_the_real_api() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "linkedin", "versioned", |u| u).await;
    let (account, grant, _) = connection(&app, &uid, "linkedin").await;
    let post = |headers: &[(&str, &str)]| {
        let mut req = reqwest::Client::new().post(format!("{}/linkedin/rest/posts", sbx.base)).bearer_auth(&grant.access_token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.json(&json!({"author": format!("urn:li:person:{}", account.external_id), "commentary": "raw", "visibility": "PUBLIC", "lifecycleState": "PUBLISHED"}))
            .send()
    };
    let r = post(&[("X-Restli-Protocol-Version", "2.0.0")]).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "VERSION_MISSING");
    let r = post(&[("LinkedIn-Version", "202301"), ("X-Restli-Protocol-Version", "2.0.0")]).await.unwrap();
    assert_eq!(r.status(), 426, "a sunset version");
    let r = post(&[("LinkedIn-Version", covalynce::platforms::versions::LINKEDIN_VERSION)]).await.unwrap();
    assert_eq!(r.status(), 400, "Rest.li 2.0 header missing");
    let r = post(&[("LinkedIn-Version", covalynce::platforms::versions::LINKEDIN_VERSION), ("X-Restli-Protocol-Version", "2.0.0")])
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(r.headers()["x-restli-id"].to_str().unwrap().starts_with("urn:li:share:"));
}

#[tokio::test]
async fn linkedin_error_classes_are_recognised() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "linkedin", "faulty", |u| u).await;
    let (account, grant, _) = connection(&app, &uid, "linkedin").await;
    let li = impatient(&app, &sbx, PlatformId::Linkedin);

    control(&sbx, "faults", json!({"platform": "linkedin", "kind": "429", "retry_after": 7})).await;
    let e = li.publish(&grant, &account, &text("rate limited")).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::RetryLater { retry_after_secs: Some(7) });

    control(&sbx, "faults", json!({"platform": "linkedin", "kind": "5xx", "status": 503})).await;
    let e = li.publish(&grant, &account, &text("server error")).await.unwrap_err();
    assert!(matches!(e.class, ErrorClass::RetryLater { .. }), "{e:?}");

    let e = li.publish(&grant, &account, &text(&"x".repeat(3_001))).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("/commentary") && e.message.contains("3000"), "LinkedIn's own words: {}", e.message);

    control(&sbx, "faults", json!({"platform": "linkedin", "kind": "lost_response"})).await;
    let e = li.publish(&grant, &account, &text("did it go out?")).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Unknown);
    assert!(ledger(&sbx, "linkedin").iter().any(|l| l.text == "did it go out?"), "LinkedIn did accept it");

    control(&sbx, "tokens", json!({"platform": "linkedin", "action": "expire"})).await;
    assert_eq!(li.publish(&grant, &account, &text("expired")).await.unwrap_err().class, ErrorClass::RefreshNeeded);
    let e = li.refresh(&grant).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::RefreshNeeded, "no refresh token: nothing can renew it");
    assert!(e.message.contains("reconnect"), "{}", e.message);

    // Reconnecting gives a working token; the member then removes the app on LinkedIn.
    connect(&app, "linkedin", "faulty", |u| u).await;
    let (_, fresh, _) = connection(&app, &uid, "linkedin").await;
    li.publish(&fresh, &account, &text("after reconnecting")).await.unwrap();
    control(&sbx, "tokens", json!({"platform": "linkedin", "action": "revoke"})).await;
    let e = li.publish(&fresh, &account, &text("revoked")).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Disconnected, "a revoked token needs a new consent, not a refresh: {e:?}");
    assert_eq!(li.refresh(&fresh).await.unwrap_err().class, ErrorClass::Disconnected);
}

#[tokio::test]
async fn linkedin_disconnect_revokes_the_token_at_linkedin() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "linkedin", "leaver", |u| u).await;
    let (_, grant, id) = connection(&app, &uid, "linkedin").await;
    let csrf = app.csrf().await;
    let r = app.client.post(app.url(&format!("/sources/{id}/revoke"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(location(&r), "/sources");
    assert!(list(&app).await.is_empty());
    let r = reqwest::Client::new().get(format!("{}/linkedin/v2/userinfo", sbx.base)).bearer_auth(&grant.access_token).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["serviceErrorCode"], 65601);
}

// ----------------------------------------------------------------------------- Pinterest

#[tokio::test]
async fn pinterest_connects_and_refuses_a_tampered_state() {
    let (app, sbx) = app_with_sandbox().await;
    user(&app).await;
    let r = connect(&app, "pinterest", "eve", |u| u.replace("state=", "state=forged")).await;
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("expired or was already used"));
    assert!(list(&app).await.is_empty());

    let q = authorization_url(&app, "pinterest").await;
    assert!(q["_path"].ends_with("/pinterest/oauth/"), "{q:?}");
    assert_eq!(q["scope"], "user_accounts:read,boards:read,pins:write,pins:read", "comma-separated, as Pinterest wants");
    assert!(!q.contains_key("code_challenge"));

    let r = connect(&app, "pinterest", "ada_pins", |u| u).await;
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("Connected Ada Pins (Pinterest)"));
    let l = list(&app).await;
    let pin = &l[0];
    assert_eq!(pin["provider"], "pinterest");
    assert_eq!(pin["account_id"], account_for("pinterest", "ada_pins").id.as_str());
    assert_eq!(pin["username"], "ada_pins");
    assert_eq!(pin["display_name"], "Ada Pins");
    assert!(pin["avatar_url"].as_str().unwrap().starts_with("https://i.pinimg.com/"));
    assert!(pin["permissions"].as_array().unwrap().iter().any(|s| s == "pins:write"));
    let thirty_days = chrono::Utc::now().timestamp_millis() + 30 * DAY_MS;
    assert!((pin["token_expires_at"].as_i64().unwrap() - thirty_days).abs() < 60_000, "Pinterest access lasts 30 days");

    // The token endpoint insists on Basic client authentication.
    let r = reqwest::Client::new()
        .post(format!("{}/pinterest/v5/oauth/token", sbx.base))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn pinterest_refresh_rotates_and_the_new_refresh_token_is_kept() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "pinterest", "rotator", |u| u).await;
    let (_, mut previous, _) = connection(&app, &uid, "pinterest").await;
    for round in 0..2 {
        let v = refresh_via_api(&app, "pinterest").await;
        assert_eq!(v["results"][0]["success"], true, "round {round}: {v}");
        let (_, now, _) = connection(&app, &uid, "pinterest").await;
        assert_ne!(now.refresh_token, previous.refresh_token, "round {round}: a new refresh token is stored");
        assert_ne!(now.access_token, previous.access_token);
        let old = previous.refresh_token.clone().unwrap();
        assert!(sbx.sandbox.lock().refresh[&old].2, "round {round}: the previous refresh token is retired");
        previous = now;
    }
    assert_eq!(list(&app).await[0]["status"], "healthy");
}

#[tokio::test]
async fn pinterest_pins_need_an_image_and_report_impressions_and_saves() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "pinterest", "pinner", |u| u).await;
    let (account, grant, _) = connection(&app, &uid, "pinterest").await;
    let pin = adapter(&app, PlatformId::Pinterest);

    let e = pin.publish(&grant, &account, &text("Just words")).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("needs an image"), "{}", e.message);
    assert!(ledger(&sbx, "pinterest").is_empty(), "nothing reached Pinterest");

    let by_url = pin
        .publish(
            &grant,
            &account,
            &PostContent {
                text: "Autumn palette\nFive colours for cosy rooms https://example.com/palette".into(),
                images: vec![png()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(by_url.external_id.chars().all(|c| c.is_ascii_digit()), "{by_url:?}");
    assert_eq!(by_url.url, format!("https://www.pinterest.com/pin/{}/", by_url.external_id));
    let carousel = pin
        .publish(
            &grant,
            &account,
            &PostContent {
                text: "Two uploads".into(),
                images: vec![inline_png(), inline_png()],
                title: Some("A carousel".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let pins = ledger(&sbx, "pinterest");
    assert_eq!(pins.len(), 2);
    assert_eq!(pins[0].text, "Autumn palette\nFive colours for cosy rooms https://example.com/palette");
    assert_eq!((pins[0].images, pins[1].images), (1, 2));

    let early = pin.metrics(&grant, &account, &carousel.external_id).await.unwrap();
    sbx.sandbox.lock().clock_offset_ms += 30 * 60_000;
    let later = pin.metrics(&grant, &account, &carousel.external_id).await.unwrap();
    assert!(later.impressions.unwrap() > early.impressions.unwrap(), "{early:?} → {later:?}");
    assert!(later.saves.unwrap() > early.saves.unwrap());
    assert_eq!((later.views, later.likes, later.comments, later.shares), (None, None, None, None), "Pinterest has no such counts");

    // An account without boards is told what to do.
    connect(&app, "pinterest", "noboards_yet", |u| u).await;
    let (bare, bare_grant, _) = connection_where(&app, &uid, |c| c["username"] == "noboards_yet").await;
    let e = pin
        .publish(&bare_grant, &bare, &PostContent { text: "Homeless".into(), images: vec![png()], ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("Create a board"), "{}", e.message);
}

#[tokio::test]
async fn pinterest_error_classes_are_recognised() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "pinterest", "faulty", |u| u).await;
    let (account, grant, _) = connection(&app, &uid, "pinterest").await;
    let pin = impatient(&app, &sbx, PlatformId::Pinterest);
    let post = |t: &str| PostContent { text: t.to_string(), images: vec![png()], ..Default::default() };

    // The board lookup goes through; the Pin creation itself is rate limited.
    control(&sbx, "faults", json!({"platform": "pinterest", "kind": "latency", "latency_ms": 1})).await;
    control(&sbx, "faults", json!({"platform": "pinterest", "kind": "429", "retry_after": 7})).await;
    let e = pin.publish(&grant, &account, &post("rate limited")).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::RetryLater { retry_after_secs: Some(7) });

    control(&sbx, "faults", json!({"platform": "pinterest", "kind": "5xx", "status": 502})).await;
    assert!(matches!(pin.publish(&grant, &account, &post("server error")).await.unwrap_err().class, ErrorClass::RetryLater { .. }));

    let e = pin.publish(&grant, &account, &post(&"long ".repeat(161))).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("description must be at most 800"), "Pinterest's own words: {}", e.message);
    assert!(ledger(&sbx, "pinterest").is_empty());

    control(&sbx, "tokens", json!({"platform": "pinterest", "action": "expire"})).await;
    assert_eq!(pin.publish(&grant, &account, &post("expired")).await.unwrap_err().class, ErrorClass::RefreshNeeded);
    let fresh = pin.refresh(&grant).await.unwrap();
    pin.publish(&fresh, &account, &post("after refresh")).await.unwrap();
    assert_eq!(pin.refresh(&grant).await.unwrap_err().class, ErrorClass::Disconnected, "the rotated-out refresh token is dead");

    control(&sbx, "tokens", json!({"platform": "pinterest", "action": "revoke"})).await;
    assert_eq!(pin.publish(&fresh, &account, &post("revoked")).await.unwrap_err().class, ErrorClass::RefreshNeeded);
    assert_eq!(pin.refresh(&fresh).await.unwrap_err().class, ErrorClass::Disconnected, "a revoked grant cannot be refreshed: reconnect");
}
