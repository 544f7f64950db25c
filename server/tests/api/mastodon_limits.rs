//! Each Mastodon server sets its own limits (issue 12): they are read from
//! `/api/v2/instance` when the account is connected, and scheduling checks a post against that
//! server's `max_characters`, not a fixed 500.

use crate::publish::{account, call, publish_one, settle, setup_with};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_server_that_allows_longer_posts_gets_them_and_one_that_does_not_refuses_them_first() {
    let (app, sbx) = setup_with(|_| {}).await;
    // This server allows 1,000 characters.
    sbx.sandbox.lock().mastodon_max_chars = 1_000;
    let roomy = account(&app, "mastodon", "roomy").await;
    let long = "A longer thought. ".repeat(40);
    assert!(long.chars().count() > 500 && long.chars().count() < 1_000);
    let id = publish_one(&app, &roomy, &long).await;
    assert_eq!(settle(&app, &id, Duration::from_secs(10)).await["status"], "posted");

    // A server on Mastodon's default: the same text is refused before anything is stored.
    sbx.sandbox.lock().mastodon_max_chars = 500;
    let strict = account(&app, "mastodon", "strict").await;
    let (s, v) = call(&app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [strict], "text": long}))).await;
    assert_eq!((s, v["error"].as_str()), (422, Some("over_limit")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("limit of 500"), "{v}");
}
