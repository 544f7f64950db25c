//! Unconfirmed posts settled by asking the platform (issue 12): after a lost answer the
//! queue reads the account's recent posts on X or Bluesky. Found: posted, with the real id
//! and URL. Listed and absent (the request never reached the platform): sent again, once.
//! A platform that cannot be asked leaves the post unconfirmed for the person.

use crate::publish::{account, call, fault, ledger_count, publish_one, settle, setup_with};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

async fn setup() -> (crate::helpers::TestApp, crate::sources::Sbx) {
    setup_with(|c| c.queue.reconcile_delay = Duration::from_millis(500)).await
}

/// Waits until the post leaves `unconfirmed` as well as pending/publishing.
pub(crate) async fn settle_fully(app: &crate::helpers::TestApp, id: &str) -> serde_json::Value {
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let p = settle(app, id, Duration::from_secs(30)).await;
        if p["status"] != "unconfirmed" || Instant::now() > end {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn outcomes(p: &serde_json::Value) -> Vec<String> {
    p["attempt_log"].as_array().unwrap().iter().map(|a| a["outcome"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_lost_answer_on_x_is_found_in_the_accounts_recent_posts_and_marked_posted() {
    let (app, sbx) = setup().await;
    let x = account(&app, "x", "ada_x").await;
    fault(&sbx, json!({"platform": "x", "kind": "lost_response", "path": "/2/tweets", "method": "POST"})).await;
    let id = publish_one(&app, &x, "Lost & found: https://example.com/launch").await;
    let done = settle_fully(&app, &id).await;
    assert_eq!(done["status"], "posted", "{done}");
    let real = sbx.sandbox.ledger().into_iter().find(|e| e.text.starts_with("Lost & found")).unwrap();
    assert_eq!(done["external_id"], real.post_id.as_str(), "the platform's own id: {done}");
    assert_eq!(done["external_url"], format!("https://x.com/ada_x/status/{}", real.post_id));
    assert_eq!(outcomes(&done), ["no_answer", "found"]);
    assert_eq!(ledger_count(&sbx, "Lost & found: https://example.com/launch"), 1, "never sent twice");
    let measured: i64 = sqlx::query_scalar("select count(*) from post_metrics where post_id = $1 and external_id = $2")
        .bind(&id)
        .bind(real.post_id.as_str())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(measured, 1, "a post found later is measured like any other");
}

#[tokio::test]
async fn a_timeout_before_the_platform_saw_the_post_is_sent_again_once() {
    let (app, sbx) = setup().await;
    let r = app
        .post_json(
            "/integrations/bluesky/connect",
            json!({"identifier": "ada.bsky.social", "app_password": sandbox::APP_PASSWORD, "consent": true}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let (_, v) = call(&app, Method::GET, "/integrations/list", None).await;
    let b = v["integrations"][0]["id"].as_str().unwrap().to_string();
    // The request hangs past our 2 s timeout and is dropped before Bluesky stores anything.
    fault(
        &sbx,
        json!({"platform": "bluesky", "kind": "latency", "latency_ms": 60000, "path": "/com.atproto.repo.createRecord", "method": "POST"}),
    )
    .await;
    let id = publish_one(&app, &b, "never reached the server").await;
    let done = settle_fully(&app, &id).await;
    assert_eq!(done["status"], "posted", "{done}");
    assert_eq!(outcomes(&done), ["no_answer", "not_found", "posted"], "{done}");
    assert_eq!(ledger_count(&sbx, "never reached the server"), 1);
    let (_, list) = call(&app, Method::GET, "/api/posts", None).await;
    assert_eq!(list["posts"].as_array().unwrap().len(), 1, "the same post, not a second one");
}

#[tokio::test]
async fn a_platform_that_cannot_be_asked_leaves_the_post_unconfirmed() {
    let (app, sbx) = setup().await;
    let pin = account(&app, "pinterest", "ada_pin").await;
    fault(&sbx, json!({"platform": "pinterest", "kind": "lost_response", "path": "/v5/pins", "method": "POST"})).await;
    let body = json!({"connection_ids": [pin], "text": "ask the person", "image_url": "https://cdn.example/pin.png"});
    let (s, v) = call(&app, Method::POST, "/api/posts/publish", Some(body)).await;
    assert_eq!(s, 201, "{v}");
    let id = v["posts"][0]["id"].as_str().unwrap().to_string();
    let done = settle(&app, &id, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "unconfirmed", "{done}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = settle(&app, &id, Duration::ZERO).await;
    assert_eq!(later["status"], "unconfirmed", "{later}");
    assert_eq!(outcomes(&later), ["no_answer"]);
}

#[tokio::test]
async fn a_list_that_may_be_cut_short_proves_nothing_and_the_post_is_not_sent_again() {
    let (app, sbx) = setup().await;
    let x = account(&app, "x", "busy_x").await;
    // Forty posts since: X's answer could be cut at its page size, so "not in it" is no proof.
    let texts: Vec<String> = (0..40).map(|i| format!("busy day, post {i}")).collect();
    let (s, v) = call(&app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [x], "text": "first"}))).await;
    assert_eq!(s, 201, "{v}");
    for t in &texts {
        publish_one(&app, &x, t).await;
    }
    // Only once all 41 are out, so the lost answer below is the next post's, not one of these.
    let end = Instant::now() + Duration::from_secs(20);
    while sbx.sandbox.ledger().len() < 41 && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sbx.sandbox.ledger().len(), 41);
    fault(&sbx, json!({"platform": "x", "kind": "latency", "latency_ms": 60000, "path": "/2/tweets", "method": "POST"})).await;
    let id = publish_one(&app, &x, "lost among many").await;
    let done = settle(&app, &id, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "unconfirmed", "{done}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = settle(&app, &id, Duration::ZERO).await;
    assert_eq!(later["status"], "unconfirmed", "left to the person: {later}");
    assert_eq!(outcomes(&later), ["no_answer"]);
    assert_eq!(ledger_count(&sbx, "lost among many"), 0, "never sent a second time");
}
