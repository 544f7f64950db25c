//! Unconfirmed posts settled by asking the platform on Threads, Facebook Pages, Instagram,
//! LinkedIn and Mastodon (`reconcile.rs` covers X and Bluesky): after a lost answer the queue
//! reads the account's recent posts through each platform's own read API and finds the post:
//! posted, with the platform's real id and the URL `publish` would have returned, never sent
//! twice. A LinkedIn app without the read permission leaves the post for the person.

use crate::helpers::TestApp;
use crate::publish::{account, call, fault, ledger_count, settle, setup_with};
use crate::reconcile::{outcomes, settle_fully};
use crate::sources::Sbx;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// The sandbox, looks 500 ms after a post becomes unconfirmed; `max_attempts` where given.
async fn setup(max_attempts: Option<i64>) -> (TestApp, Sbx) {
    setup_with(move |c| {
        c.queue.reconcile_delay = Duration::from_millis(500);
        if let Some(n) = max_attempts {
            c.queue.max_attempts = n;
        }
    })
    .await
}

/// Publishes `text` (with `image_url` where the platform needs one) to `conn`, whose answer
/// to `POST …{publish_path}` is lost; returns the settled post and the sandbox's own record.
async fn lost_then_settled(
    app: &TestApp,
    sbx: &Sbx,
    platform: &str,
    conn: &str,
    publish_path: &str,
    text: &str,
    image_url: Option<&str>,
) -> (Value, sandbox::LedgerEntry) {
    fault(sbx, json!({"platform": platform, "kind": "lost_response", "path": publish_path, "method": "POST"})).await;
    let mut body = json!({"connection_ids": [conn], "text": text});
    if let Some(u) = image_url {
        body["image_url"] = json!(u);
    }
    let (s, v) = call(app, Method::POST, "/api/posts/publish", Some(body)).await;
    assert_eq!(s, 201, "{v}");
    let done = settle_fully(app, v["posts"][0]["id"].as_str().unwrap()).await;
    let real = sbx.sandbox.ledger().into_iter().find(|e| e.platform == platform && e.text == text).expect("the sandbox took the post");
    assert_eq!(done["status"], "posted", "{platform}: {done}");
    assert_eq!(done["external_id"], real.post_id.as_str(), "{platform}: the platform's own id: {done}");
    assert_eq!(outcomes(&done), ["no_answer", "found"], "{platform}: {done}");
    assert_eq!(ledger_count(sbx, text), 1, "{platform}: never sent twice");
    (done, real)
}

#[tokio::test]
async fn a_lost_answer_on_threads_is_found_among_the_profiles_threads() {
    let (app, sbx) = setup(None).await;
    let th = account(&app, "threads", "ada_th").await;
    let text = "Lost on Threads & found: https://example.com/launch";
    let (done, _) = lost_then_settled(&app, &sbx, "threads", &th, "/threads_publish", text, None).await;
    // The permalink, as `publish` reads it: the public URL carries a shortcode, not the id.
    let url = done["external_url"].as_str().unwrap();
    let shortcode = url.strip_prefix("https://www.threads.net/@ada_th/post/").unwrap_or_else(|| panic!("{url}"));
    assert!(!shortcode.is_empty() && !done["external_id"].as_str().unwrap().contains(shortcode), "{url}");
}

#[tokio::test]
async fn a_lost_answer_on_a_facebook_page_is_found_among_the_pages_posts() {
    let (app, sbx) = setup(None).await;
    let page = account(&app, "facebook", "ada_fb").await;
    let (done, real) = lost_then_settled(&app, &sbx, "facebook", &page, "/feed", "Lost on the Page & found, again.", None).await;
    let (page_id, post) = real.post_id.split_once('_').unwrap();
    assert_eq!(done["external_url"], format!("https://www.facebook.com/{page_id}/posts/{post}"), "{done}");
}

#[tokio::test]
async fn a_lost_answer_on_instagram_is_found_among_the_accounts_media() {
    let (app, sbx) = setup(None).await;
    let ig = account(&app, "instagram", "ada_ig").await;
    let text = "Lost on Instagram & found #launch";
    let (done, _) = lost_then_settled(&app, &sbx, "instagram", &ig, "/media_publish", text, Some("https://cdn.example/chart.png")).await;
    let url = done["external_url"].as_str().unwrap();
    assert!(url.starts_with("https://www.instagram.com/p/C") && url.ends_with('/'), "the media's permalink: {url}");
}

#[tokio::test]
async fn a_lost_answer_on_linkedin_is_found_among_the_members_posts() {
    let (app, sbx) = setup(None).await;
    let li = account(&app, "linkedin", "ada_li").await;
    // Reserved "little text" characters come back escaped in `commentary`.
    let text = "Lost on LinkedIn (really) & found @team #launch";
    let (done, real) = lost_then_settled(&app, &sbx, "linkedin", &li, "/rest/posts", text, None).await;
    assert!(real.post_id.starts_with("urn:li:share:"), "{real:?}");
    assert_eq!(done["external_url"], format!("https://www.linkedin.com/feed/update/{}", real.post_id));
}

#[tokio::test]
async fn a_linkedin_app_without_the_read_permission_leaves_the_post_unconfirmed_and_the_account_connected() {
    let (app, sbx) = setup(None).await;
    let li = account(&app, "linkedin", "ada_li").await;
    fault(&sbx, json!({"platform": "linkedin", "kind": "lost_response", "path": "/rest/posts", "method": "POST"})).await;
    // LinkedIn's answer to the author finder for apps without r_member_social.
    fault(&sbx, json!({"platform": "linkedin", "kind": "5xx", "status": 403, "path": "/rest/posts", "method": "GET"})).await;
    let (s, v) = call(&app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [li], "text": "check it yourself"}))).await;
    assert_eq!(s, 201, "{v}");
    let id = v["posts"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(settle(&app, &id, Duration::from_secs(10)).await["status"], "unconfirmed");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = settle(&app, &id, Duration::ZERO).await;
    assert_eq!(later["status"], "unconfirmed", "{later}");
    assert_eq!(outcomes(&later), ["no_answer"]);
    assert_eq!(ledger_count(&sbx, "check it yourself"), 1);
    let (_, l) = call(&app, Method::GET, "/integrations/list", None).await;
    let conn = l["integrations"].as_array().unwrap().iter().find(|c| c["id"] == li.as_str()).unwrap().clone();
    assert_eq!(conn["status"], "healthy", "a withheld read is not a reason to reconnect: {conn}");
}

#[tokio::test]
async fn a_lost_last_answer_on_mastodon_is_found_among_the_accounts_statuses() {
    // While attempts remain, Mastodon is simply asked again with the same Idempotency-Key;
    // a lost answer on the last one leaves the post unconfirmed, and it is looked for.
    let (app, sbx) = setup(Some(1)).await;
    let m = account(&app, "mastodon", "ada_m").await;
    // `content` comes back as HTML: escaped, paragraphs, line breaks, links in spans.
    let text = "Lost on Mastodon & it's \"found\" <3\nhttps://example.com/a-rather-long-launch-page-address\n\nSee you there.";
    let (done, real) = lost_then_settled(&app, &sbx, "mastodon", &m, "/api/v1/statuses", text, None).await;
    assert_eq!(done["external_url"], format!("https://mastodon.example/@ada_m/{}", real.post_id));
}
