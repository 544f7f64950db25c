//! The Meta family against the sandbox over real HTTP: Facebook Pages (one connection per
//! Page, non-expiring Page tokens), Instagram with Facebook Login (media only, containers
//! fetched from public URLs) and Threads (60-day tokens that `th_refresh_token` replaces).
//! Connect through the consent page, refresh, account info, publishing, metrics and every
//! error class.

use crate::helpers::*;
use crate::sources::{app_with_sandbox, authorize, connect, flash, list, png, user, Sbx};
use covalynce::platforms::{AccountProfile, ErrorClass, Grant, MediaFile, Platform, PostContent};
use covalynce::PlatformId;
use serde_json::json;
use std::sync::Arc;

const DAY_MS: i64 = 86_400_000;

async fn control(sbx: &Sbx, what: &str, body: serde_json::Value) {
    let r = reqwest::Client::new().post(format!("{}/_control/{what}", sbx.base)).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "control {what}");
}

/// Every connection of `p` with its stored grant, and the adapter.
async fn connected(app: &TestApp, uid: &str, p: PlatformId) -> (Arc<dyn Platform>, Vec<(AccountProfile, Grant)>) {
    let mut out = vec![];
    for c in list(app).await.iter().filter(|c| c["provider"] == p.as_str()) {
        let (conn, grant, _) = app.state.connections.grant(uid, c["id"].as_str().unwrap()).await.unwrap();
        let account = AccountProfile {
            external_id: conn.external_id,
            username: conn.username,
            display_name: conn.display_name,
            avatar_url: conn.avatar_url,
        };
        out.push((account, grant));
    }
    (app.state.connections.platforms().get(p).unwrap(), out)
}

fn text(t: &str) -> PostContent {
    PostContent { text: t.to_string(), ..Default::default() }
}

fn with_images(t: &str, images: Vec<MediaFile>) -> PostContent {
    PostContent { text: t.to_string(), images, ..Default::default() }
}

fn unpublished_png() -> MediaFile {
    MediaFile { url: None, ..png() }
}

fn ledger(sbx: &Sbx, p: &str) -> Vec<sandbox::LedgerEntry> {
    sbx.sandbox.ledger().into_iter().filter(|e| e.platform == p).collect()
}

async fn refresh_all(app: &TestApp, p: &str) -> serde_json::Value {
    app.client.post(app.url(&format!("/integrations/{p}/refresh"))).json(&json!({})).send().await.unwrap().json().await.unwrap()
}

async fn forged_state_is_refused(app: &TestApp, p: &str) {
    let r = connect(app, p, "eve", |u| u.replace("state=", "state=forged")).await;
    assert_eq!(location(&r), "/sources", "{p}");
    assert!(flash(app).await.contains("expired or was already used"), "{p}: a forged state is refused");
    assert!(list(app).await.iter().all(|c| c["provider"] != p), "{p}: nothing was connected");
}

// ------------------------------------------------------------------ Facebook Pages

#[tokio::test]
async fn facebook_connects_every_page_and_publishes_with_its_page_token() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    forged_state_is_refused(&app, "facebook").await;

    let r = connect(&app, "facebook", "ada_writes", |u| u).await;
    assert_eq!(location(&r), "/sources");
    let f = flash(&app).await;
    assert!(
        f.contains("Ada Writes Studio (Facebook Pages)") && f.contains("Ada Writes Shop (Facebook Pages)"),
        "both Pages announced: {f}"
    );
    let pages: Vec<_> = list(&app).await.into_iter().filter(|c| c["provider"] == "facebook").collect();
    assert_eq!(pages.len(), 2, "one connection per Page");
    assert_ne!(pages[0]["account_id"], pages[1]["account_id"]);
    for p in &pages {
        assert!(p["display_name"].as_str().unwrap().starts_with("Ada Writes "));
        assert!(p["avatar_url"].as_str().unwrap().starts_with("https://"));
        assert!(p["permissions"].as_array().unwrap().iter().any(|s| s == "pages_manage_posts"));
        assert_eq!(p["status"], "healthy");
        assert!(p["token_expires_at"].is_null(), "Page tokens from a long-lived user token never expire");
    }

    // Nothing to refresh: the check succeeds, the Pages stay healthy and still never expire.
    let v = refresh_all(&app, "facebook").await;
    assert_eq!(v["results"].as_array().unwrap().len(), 2, "{v}");
    for r in v["results"].as_array().unwrap() {
        assert_eq!(r["success"], true, "{v}");
        assert!(r["token_expires_at"].is_null());
    }
    let h: serde_json::Value = app
        .client
        .get(app.url(&format!("/api/connection/health/{}", pages[0]["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["health_status"], "healthy", "{h}");

    let (fb, accounts) = connected(&app, &uid, PlatformId::Facebook).await;
    let (studio, studio_grant) = &accounts[0];
    let p1 = fb.publish(studio_grant, studio, &text("Hello from Covalynce https://example.com")).await.unwrap();
    assert!(p1.url.starts_with(&format!("https://www.facebook.com/{}/posts/", studio.external_id)), "{p1:?}");
    assert!(p1.external_id.starts_with(&format!("{}_", studio.external_id)), "post ids are {{page}}_{{post}}");
    fb.publish(studio_grant, studio, &with_images("One photo", vec![png()])).await.unwrap();
    let p3 = fb.publish(studio_grant, studio, &with_images("Two photos in one post", vec![png(), png()])).await.unwrap();
    // The other Page posts with its own token.
    let (shop, shop_grant) = &accounts[1];
    fb.publish(shop_grant, shop, &text("Shop news")).await.unwrap();

    let posts = ledger(&sbx, "facebook");
    assert_eq!(posts.len(), 4, "exactly four posts reached Facebook (unpublished photos are not posts)");
    assert_eq!(posts.iter().map(|e| e.images).collect::<Vec<_>>(), vec![0, 1, 2, 0]);
    assert_eq!(posts[2].post_id, p3.external_id);
    assert_eq!(posts[0].account, studio.external_id);
    assert_eq!(posts[3].account, shop.external_id);

    let before = fb.metrics(studio_grant, studio, &p1.external_id).await.unwrap();
    sbx.sandbox.lock().clock_offset_ms += 30 * 60_000;
    let after = fb.metrics(studio_grant, studio, &p1.external_id).await.unwrap();
    assert!(after.likes.unwrap() > before.likes.unwrap(), "reactions grow: {before:?} → {after:?}");
    assert!(after.views.unwrap() > before.views.unwrap());
    assert!(after.comments.is_some() && after.shares.is_some());
    assert_eq!((after.impressions, after.saves), (None, None), "Facebook reports neither: empty, not zero");

    // Withdrawing consent removes the app's permissions at Facebook: the token stops working.
    let csrf = app.csrf().await;
    let r = app
        .client
        .post(app.url(&format!("/sources/{}/revoke", pages[0]["id"].as_str().unwrap())))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("consent withdrawn"));
    let r = reqwest::Client::new()
        .get(format!("{}/facebook/{}/me", sbx.base, covalynce::platforms::versions::GRAPH_VERSION))
        .bearer_auth(&studio_grant.access_token)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], 190, "{v}");
}

/// After the Facebook login the person chooses which Pages to connect; only those are.
#[tokio::test]
async fn facebook_asks_which_pages_to_connect_and_connects_only_those() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    let r = authorize(&app, "facebook", "ada_picks", |u| u).await;
    let at = location(&r);
    let pick = at.strip_prefix("/sources/choose/").unwrap_or_else(|| panic!("the login leads to the chooser, not to {at}")).to_string();
    assert!(list(&app).await.is_empty(), "nothing is connected before the choice");

    // The chooser page names both Pages, none ticked yet.
    let html = app.client.get(app.url(&at)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Which Facebook Pages should Covalynce post to?"), "{html}");
    assert!(html.contains("Ada_picks Studio") || html.contains("Studio"), "the Pages are listed");
    assert_eq!(html.matches("name=\"accounts\"").count(), 2, "one box per Page");
    assert!(!html.contains("checked"), "nothing is ticked before anything is connected");
    let v: serde_json::Value = app.client.get(app.url("/api/v1/facebook/pages")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["id"], pick.as_str(), "{v}");
    let pages = v["accounts"].as_array().unwrap().clone();
    assert_eq!(pages.len(), 2);
    assert!(pages.iter().all(|p| p["connected"] == false && p.get("access_token").is_none() && p.get("grant").is_none()), "no tokens: {v}");
    assert!(!v.to_string().contains("token"), "no tokens reach the browser: {v}");

    // Nothing ticked: the same choice again, with a message.
    let csrf = app.csrf().await;
    let r = app.client.post(app.url(&at)).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(location(&r), at);
    let html = app.client.get(app.url(&at)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Tick at least one of the Facebook Pages to connect."), "{html}");
    // A Page the login did not offer is refused, and nothing is connected.
    let (s, code, _) =
        error_code(app.post_json(&format!("/integrations/picks/{pick}"), json!({"accounts": [pages[0]["external_id"], "999999"]})).await)
            .await;
    assert_eq!((s, code.as_str()), (400, "not_offered"));
    assert!(list(&app).await.is_empty());

    // Another user cannot see or use the choice.
    let eve = app.other_browser();
    eve.signup(&unique_email("eve")).await;
    let r = eve.client.get(app.url(&format!("/integrations/picks/{pick}"))).send().await.unwrap();
    assert_eq!(r.status(), 400, "another user's pick is not theirs");

    // Tick the Studio only.
    let studio = pages.iter().find(|p| p["display_name"].as_str().unwrap().ends_with("Studio")).unwrap();
    let r = app
        .client
        .post(app.url(&at))
        .form(&[("csrf", csrf.as_str()), ("accounts", studio["external_id"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/sources");
    let f = flash(&app).await;
    assert!(f.contains("Studio (Facebook Pages)") && !f.contains("Shop (Facebook Pages)"), "{f}");
    let connected: Vec<_> = list(&app).await.into_iter().filter(|c| c["provider"] == "facebook").collect();
    assert_eq!(connected.len(), 1, "only the ticked Page is connected");
    assert_eq!(connected[0]["account_id"], studio["external_id"]);
    // The choice is used up: a replay connects nothing more.
    let r = app
        .client
        .post(app.url(&at))
        .form(&[("csrf", csrf.as_str()), ("accounts", pages[1]["external_id"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("expired or was already used"));
    assert_eq!(list(&app).await.len(), 1);

    // Signing in again: the connected Page starts ticked.
    let r = authorize(&app, "facebook", "ada_picks", |u| u).await;
    let html = app.client.get(app.url(&location(&r))).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("checked").count(), 1, "the Studio is ticked, the Shop is not");
}

#[tokio::test]
async fn facebook_errors_are_classified_from_the_graph_envelope() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "facebook", "faulty", |u| u).await;
    let (fb, accounts) = connected(&app, &uid, PlatformId::Facebook).await;
    let (page, grant) = &accounts[0];

    control(&sbx, "faults", json!({"platform": "facebook", "kind": "429", "retry_after": 7})).await;
    let e = fb.publish(grant, page, &text("rate limited")).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::RetryLater { retry_after_secs: Some(7) }, "{e:?}");

    control(&sbx, "faults", json!({"platform": "facebook", "kind": "5xx", "status": 503})).await;
    assert!(matches!(fb.publish(grant, page, &text("server error")).await.unwrap_err().class, ErrorClass::RetryLater { .. }));

    fb.publish(grant, page, &text("Said once")).await.unwrap();
    let e = fb.publish(grant, page, &text("Said once")).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("Duplicate status message"), "the platform's own words: {}", e.message);
    assert_eq!(ledger(&sbx, "facebook").len(), 1, "only accepted posts reach the ledger");

    // Page tokens have no refresh: an expired one needs the person to connect again.
    control(&sbx, "tokens", json!({"platform": "facebook", "action": "expire"})).await;
    assert_eq!(fb.publish(grant, page, &text("expired")).await.unwrap_err().class, ErrorClass::Disconnected);
    assert_eq!(fb.refresh(grant).await.unwrap_err().class, ErrorClass::Disconnected);
    let v = refresh_all(&app, "facebook").await;
    assert_eq!(v["results"][0]["success"], false, "{v}");
    assert!(list(&app).await.iter().all(|c| c["status"] == "reconnect_needed"), "the person is told to reconnect");

    // Reconnecting heals the connections in place; a revoked app disconnects them again.
    connect(&app, "facebook", "faulty", |u| u).await;
    let l = list(&app).await;
    assert_eq!(l.len(), 2);
    assert!(l.iter().all(|c| c["status"] == "healthy"));
    let (_, accounts) = connected(&app, &uid, PlatformId::Facebook).await;
    let (page, grant) = &accounts[0];
    fb.publish(grant, page, &text("back again")).await.unwrap();
    control(&sbx, "tokens", json!({"platform": "facebook", "action": "revoke"})).await;
    let e = fb.publish(grant, page, &text("revoked")).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Disconnected, "{e:?}");
    assert!(e.message.contains("not authorized application"), "{}", e.message);
}

// ------------------------------------------------------------------ Instagram

#[tokio::test]
async fn instagram_connects_the_linked_business_account_and_publishes_media() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    forged_state_is_refused(&app, "instagram").await;

    let r = connect(&app, "instagram", "ada_grams", |u| u).await;
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("Connected Ada Grams (Instagram)"));
    let l = list(&app).await;
    assert_eq!(l.len(), 1, "only the Page with a linked Instagram account yields a connection");
    assert_eq!(l[0]["username"], "ada_grams");
    assert!(l[0]["account_id"].as_str().unwrap().starts_with("17841"), "the Instagram user id, not the Page id");
    assert!(l[0]["avatar_url"].as_str().unwrap().starts_with("https://"));
    let expires = l[0]["token_expires_at"].as_i64().unwrap();
    assert!(expires > covalynce::db::now_ms() + 59 * DAY_MS, "the long-lived (60-day) token is stored");

    let (ig, accounts) = connected(&app, &uid, PlatformId::Instagram).await;
    let (account, grant) = &accounts[0];
    let e = ig.publish(grant, account, &text("Just words")).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("at least one image"), "{}", e.message);
    let e = ig.publish(grant, account, &with_images("Private file", vec![unpublished_png()])).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("needs a public image URL"), "{}", e.message);
    assert!(ledger(&sbx, "instagram").is_empty(), "nothing was sent");

    let p1 = ig.publish(grant, account, &with_images("A chart", vec![png()])).await.unwrap();
    assert!(p1.url.starts_with("https://www.instagram.com/p/"), "{p1:?}");
    let p2 = ig.publish(grant, account, &with_images("Two charts", vec![png(), png()])).await.unwrap();
    let posts = ledger(&sbx, "instagram");
    assert_eq!(posts.iter().map(|e| (e.text.as_str(), e.images)).collect::<Vec<_>>(), vec![("A chart", 1), ("Two charts", 2)]);
    assert_eq!(posts[1].post_id, p2.external_id);

    let before = ig.metrics(grant, account, &p2.external_id).await.unwrap();
    sbx.sandbox.lock().clock_offset_ms += 30 * 60_000;
    let after = ig.metrics(grant, account, &p2.external_id).await.unwrap();
    assert!(after.views.unwrap() > before.views.unwrap() && after.likes.unwrap() > before.likes.unwrap(), "{before:?} → {after:?}");
    assert!(after.saves.is_some() && after.comments.is_some());
    assert_eq!(after.impressions, None, "Instagram retired impressions: empty, not zero");

    // No refresh grant: the 60-day token is re-exchanged while it still works.
    let v = refresh_all(&app, "instagram").await;
    assert_eq!(v["results"][0]["success"], true, "{v}");
    assert!(v["results"][0]["token_expires_at"].as_i64().unwrap() >= expires);
}

#[tokio::test]
async fn instagram_errors_are_classified_from_the_graph_envelope() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "instagram", "faulty", |u| u).await;
    let (ig, accounts) = connected(&app, &uid, PlatformId::Instagram).await;
    let (account, grant) = &accounts[0];
    let post = || with_images("A chart", vec![png()]);

    control(&sbx, "faults", json!({"platform": "instagram", "kind": "429", "retry_after": 7})).await;
    assert_eq!(ig.publish(grant, account, &post()).await.unwrap_err().class, ErrorClass::RetryLater { retry_after_secs: Some(7) });
    control(&sbx, "faults", json!({"platform": "instagram", "kind": "5xx", "status": 500})).await;
    assert!(matches!(ig.publish(grant, account, &post()).await.unwrap_err().class, ErrorClass::RetryLater { .. }));

    let mut broken = png();
    broken.url = Some("https://cdn.example/unreachable.jpg".into());
    let e = ig.publish(grant, account, &with_images("Broken", vec![broken])).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("could not be fetched from this uri"), "Meta's user-facing words: {}", e.message);
    assert!(ledger(&sbx, "instagram").is_empty());

    control(&sbx, "tokens", json!({"platform": "instagram", "action": "expire"})).await;
    assert_eq!(ig.publish(grant, account, &post()).await.unwrap_err().class, ErrorClass::Disconnected);
    assert_eq!(ig.refresh(grant).await.unwrap_err().class, ErrorClass::Disconnected, "an expired token cannot be re-exchanged");

    connect(&app, "instagram", "faulty", |u| u).await;
    let (_, accounts) = connected(&app, &uid, PlatformId::Instagram).await;
    let (account, grant) = &accounts[0];
    ig.publish(grant, account, &post()).await.unwrap();
    control(&sbx, "tokens", json!({"platform": "instagram", "action": "revoke"})).await;
    assert_eq!(ig.publish(grant, account, &post()).await.unwrap_err().class, ErrorClass::Disconnected);
    assert_eq!(ledger(&sbx, "instagram").len(), 1);
}

// ------------------------------------------------------------------ Threads

#[tokio::test]
async fn threads_connects_refreshes_its_long_lived_token_and_publishes() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    forged_state_is_refused(&app, "threads").await;

    let r = connect(&app, "threads", "ada_threads", |u| u).await;
    assert_eq!(location(&r), "/sources");
    assert!(flash(&app).await.contains("Connected Ada Threads (Threads)"));
    let l = list(&app).await;
    assert_eq!((l.len(), l[0]["username"].as_str(), l[0]["display_name"].as_str()), (1, Some("ada_threads"), Some("Ada Threads")));
    assert!(l[0]["avatar_url"].as_str().unwrap().starts_with("https://"));
    assert!(l[0]["token_expires_at"].as_i64().unwrap() > covalynce::db::now_ms() + 59 * DAY_MS, "the 60-day token is stored");

    // Threads refreshes tokens at least a day old, and the new token replaces the old one.
    let (_, before) = connected(&app, &uid, PlatformId::Threads).await;
    let old = before[0].1.access_token.clone();
    sbx.sandbox.lock().clock_offset_ms += 25 * 3_600_000;
    for round in 0..2 {
        let v = refresh_all(&app, "threads").await;
        assert_eq!(v["results"][0]["success"], true, "round {round}: {v}");
    }
    let (th, accounts) = connected(&app, &uid, PlatformId::Threads).await;
    let (account, grant) = &accounts[0];
    assert_ne!(grant.access_token, old, "the refreshed token was stored");
    assert_eq!(list(&app).await[0]["status"], "healthy");
    let v: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/threads/{}/me", sbx.base, covalynce::platforms::versions::THREADS_VERSION))
        .bearer_auth(&old)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["error"]["code"], 190, "the replaced token no longer works: {v}");

    let p1 = th.publish(grant, account, &text("Hello Threads")).await.unwrap();
    assert!(p1.url.starts_with("https://www.threads.net/@ada_threads/post/"), "{p1:?}");
    let e = th.publish(grant, account, &with_images("Private file", vec![unpublished_png()])).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("needs a public image URL"), "{}", e.message);
    th.publish(grant, account, &with_images("A chart", vec![png()])).await.unwrap();
    let p3 = th.publish(grant, account, &with_images("Two charts", vec![png(), png()])).await.unwrap();
    let posts = ledger(&sbx, "threads");
    assert_eq!(posts.iter().map(|e| e.images).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(posts[2].post_id, p3.external_id);

    let before = th.metrics(grant, account, &p1.external_id).await.unwrap();
    sbx.sandbox.lock().clock_offset_ms += 30 * 60_000;
    let after = th.metrics(grant, account, &p1.external_id).await.unwrap();
    assert!(after.views.unwrap() > before.views.unwrap() && after.likes.unwrap() > before.likes.unwrap(), "{before:?} → {after:?}");
    assert!(after.comments.is_some() && after.shares.is_some());
    assert_eq!((after.impressions, after.saves), (None, None));
}

#[tokio::test]
async fn threads_errors_are_classified_from_the_graph_envelope() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "threads", "faulty", |u| u).await;
    let (th, accounts) = connected(&app, &uid, PlatformId::Threads).await;
    let (account, grant) = &accounts[0];

    control(&sbx, "faults", json!({"platform": "threads", "kind": "429", "retry_after": 7})).await;
    assert_eq!(
        th.publish(grant, account, &text("rate limited")).await.unwrap_err().class,
        ErrorClass::RetryLater { retry_after_secs: Some(7) }
    );
    control(&sbx, "faults", json!({"platform": "threads", "kind": "5xx", "status": 502})).await;
    assert!(matches!(th.publish(grant, account, &text("server error")).await.unwrap_err().class, ErrorClass::RetryLater { .. }));

    let e = th.publish(grant, account, &text(&"x".repeat(501))).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("at most 500 characters"), "the platform's own words: {}", e.message);
    let mut broken = png();
    broken.url = Some("https://cdn.example/unreachable.png".into());
    let e = th.publish(grant, account, &with_images("Broken", vec![broken])).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("FAILED_DOWNLOADING_IMAGE"), "{}", e.message);
    assert!(ledger(&sbx, "threads").is_empty());

    // An expired token is worth one refresh, which Threads refuses: reconnect.
    control(&sbx, "tokens", json!({"platform": "threads", "action": "expire"})).await;
    assert_eq!(th.publish(grant, account, &text("expired")).await.unwrap_err().class, ErrorClass::RefreshNeeded);
    assert_eq!(th.refresh(grant).await.unwrap_err().class, ErrorClass::Disconnected);

    connect(&app, "threads", "faulty", |u| u).await;
    let (_, accounts) = connected(&app, &uid, PlatformId::Threads).await;
    let (account, grant) = &accounts[0];
    th.publish(grant, account, &text("back again")).await.unwrap();
    control(&sbx, "tokens", json!({"platform": "threads", "action": "revoke"})).await;
    assert_eq!(th.publish(grant, account, &text("revoked")).await.unwrap_err().class, ErrorClass::Disconnected);
    assert_eq!(th.refresh(grant).await.unwrap_err().class, ErrorClass::Disconnected);
    assert_eq!(ledger(&sbx, "threads").len(), 1);
}
