//! Publishing through the durable queue against the platform sandbox over real HTTP, with
//! the sandbox's faults: Retry-After honoured, 5xx retried, a lost answer left unconfirmed
//! and never resent, 401 → refresh → posted, a revoked account → failed with guidance.

use crate::helpers::*;
use crate::sources::{connect, start_sandbox, user, Sbx};
use covalynce::PlatformId;
use reqwest::Method;
use serde_json::{json, Value};
use server::config::sandbox_platform;
use std::time::{Duration, Instant};

async fn setup() -> (TestApp, Sbx) {
    setup_with(|_| {}).await
}

/// Every platform at a fresh sandbox, 2 s platform timeout, a signed-in user; `extra`
/// adjusts the config further.
pub(crate) async fn setup_with(extra: impl FnOnce(&mut server::config::Config)) -> (TestApp, Sbx) {
    let sbx = start_sandbox().await;
    let base = sbx.base.clone();
    let app = spawn_app_with(move |c| {
        c.platforms = PlatformId::ALL.into_iter().map(|p| (p, sandbox_platform(p, &base, &c.base_url))).collect();
        c.platform_timeout = Duration::from_secs(2);
        extra(c);
    })
    .await;
    user(&app).await;
    (app, sbx)
}

pub(crate) async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path));
    req = match body {
        Some(b) => req.json(&b),
        None => req.header("content-type", "application/json"),
    };
    let r = req.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or_default())
}

/// Connects `p` as `username` and returns the connection id.
pub(crate) async fn account(app: &TestApp, p: &str, username: &str) -> String {
    connect(app, p, username, |u| u).await;
    let (_, v) = call(app, Method::GET, "/integrations/list", None).await;
    v["integrations"].as_array().unwrap().iter().rfind(|i| i["provider"] == p).unwrap()["id"].as_str().unwrap().to_string()
}

pub(crate) async fn fault(sbx: &Sbx, body: Value) {
    let r = reqwest::Client::new().post(format!("{}/_control/faults", sbx.base)).json(&body).send().await.unwrap();
    assert!(r.status().is_success());
}

async fn control(sbx: &Sbx, path: &str, body: Value) {
    let r = reqwest::Client::new().post(format!("{}/_control/{path}", sbx.base)).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{path}");
}

pub(crate) fn ledger_count(sbx: &Sbx, text: &str) -> usize {
    sbx.sandbox.ledger().iter().filter(|e| e.text == text).count()
}

/// Polls a post until it leaves pending/publishing (or the deadline passes).
pub(crate) async fn settle(app: &TestApp, id: &str, within: Duration) -> Value {
    let end = Instant::now() + within;
    loop {
        let (_, p) = call(app, Method::GET, &format!("/api/posts/{id}"), None).await;
        if !matches!(p["status"].as_str(), Some("pending" | "publishing")) || Instant::now() > end {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn publish_one(app: &TestApp, conn: &str, text: &str) -> String {
    let (s, v) = call(app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [conn], "text": text}))).await;
    assert_eq!(s, 201, "{v}");
    v["posts"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_draft_goes_out_to_every_chosen_account_once() {
    let (app, sbx) = setup().await;
    let x = account(&app, "x", "ada_x").await;
    let m = account(&app, "mastodon", "ada_m").await;
    let (_, d) = call(
        &app,
        Method::POST,
        "/api/drafts",
        Some(json!({"idea": "Ship it", "variants": {"x": "Shipping today on X", "mastodon": "Shipping today on Mastodon"}})),
    )
    .await;
    let draft = d["id"].as_str().unwrap();
    let (s, v) = call(&app, Method::POST, "/api/posts/publish", Some(json!({"draft_id": draft, "connection_ids": [x, m]}))).await;
    assert_eq!(s, 201, "{v}");
    let posts = v["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 2);
    for p in posts {
        let done = settle(&app, p["id"].as_str().unwrap(), Duration::from_secs(10)).await;
        assert_eq!(done["status"], "posted", "{done}");
        assert!(done["external_id"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(done["external_url"].as_str().unwrap().starts_with("http"));
    }
    assert_eq!(ledger_count(&sbx, "Shipping today on X"), 1);
    assert_eq!(ledger_count(&sbx, "Shipping today on Mastodon"), 1);
    // The draft's status is written just after the post's outcome, so it may lag a moment.
    let mut d = json!(null);
    for _ in 0..50 {
        d = call(&app, Method::GET, &format!("/api/drafts/{draft}"), None).await.1;
        if d["status"] == "published" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(d["status"], "published", "the draft follows its publications");
    // The library shows each platform's outcome and links to the analytics of what went out.
    let (_, lib) = call(&app, Method::GET, "/api/content/library", None).await;
    let card = lib["items"].as_array().unwrap().iter().find(|i| i["id"] == draft).unwrap().clone();
    let chips: Vec<(&str, &str)> =
        card["platforms"].as_array().unwrap().iter().map(|c| (c["platform"].as_str().unwrap(), c["status"].as_str().unwrap())).collect();
    assert_eq!(chips, [("x", "published"), ("mastodon", "published")], "{card}");
    let analytics = card["analytics_post_id"].as_str().unwrap();
    assert!(posts.iter().any(|p| p["id"] == analytics), "{card}");
    let page = app.client.get(app.url("/library")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!(r#"href="/dashboard/post/{analytics}""#)), "the card links to the post's analytics");
    let (_, a) = call(&app, Method::GET, "/analytics/posts", None).await;
    assert!(a["posts"].as_array().unwrap().iter().all(|p| p["status"] == "POSTED" && p["post_id"].is_string()), "{a}");
}

#[tokio::test]
async fn retry_after_is_honoured_and_5xx_before_acceptance_is_retried() {
    let (app, sbx) = setup().await;
    let x = account(&app, "x", "ada_x").await;
    fault(&sbx, json!({"platform": "x", "kind": "429", "retry_after": 2, "path": "/2/tweets", "method": "POST"})).await;
    let started = Instant::now();
    let id = publish_one(&app, &x, "after the rate limit").await;
    let done = settle(&app, &id, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "posted", "{done}");
    assert!(started.elapsed() >= Duration::from_secs(2), "waited for Retry-After: {:?}", started.elapsed());
    assert_eq!(done["attempts"], 2);
    assert_eq!(ledger_count(&sbx, "after the rate limit"), 1);

    fault(&sbx, json!({"platform": "x", "kind": "5xx", "count": 2, "status": 503, "path": "/2/tweets", "method": "POST"})).await;
    let id = publish_one(&app, &x, "after two 503s").await;
    let done = settle(&app, &id, Duration::from_secs(10)).await;
    assert_eq!((done["status"].as_str(), done["attempts"].as_i64()), (Some("posted"), Some(3)), "{done}");
    assert_eq!(ledger_count(&sbx, "after two 503s"), 1);
}

#[tokio::test]
async fn a_lost_answer_is_unconfirmed_and_never_resent_by_itself() {
    let (app, sbx) = setup().await;
    let x = account(&app, "x", "ada_x").await;
    fault(&sbx, json!({"platform": "x", "kind": "lost_response", "path": "/2/tweets", "method": "POST"})).await;
    let id = publish_one(&app, &x, "did this go out?").await;
    let done = settle(&app, &id, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "unconfirmed", "{done}");
    assert!(done["guidance"].as_str().unwrap().contains("Check your X (Twitter) account before retrying"), "{done}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(ledger_count(&sbx, "did this go out?"), 1, "the sandbox took it once, and we did not send it again");
    assert_eq!(settle(&app, &id, Duration::ZERO).await["attempts"], 1);

    let (s, e) = call(&app, Method::POST, &format!("/api/posts/{id}/retry"), Some(json!({}))).await;
    assert_eq!(s, 409, "retrying an unconfirmed post needs the person's confirmation: {e}");
    // The person says it is missing and retries: it is sent again, and X's own duplicate
    // check (which the sandbox plays) is what answers.
    let (s, _) = call(&app, Method::POST, &format!("/api/posts/{id}/retry"), Some(json!({"confirm_missing": true}))).await;
    assert_eq!(s, 200);
    let again = settle(&app, &id, Duration::from_secs(10)).await;
    assert_eq!(again["status"], "failed", "{again}");
    assert!(again["error_message"].as_str().unwrap().to_lowercase().contains("duplicate"), "{again}");
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_a_revoked_one_fails_with_reconnect_guidance() {
    let (app, sbx) = setup().await;
    let x = account(&app, "x", "ada_x").await;
    control(&sbx, "tokens", json!({"platform": "x", "action": "expire"})).await;
    let id = publish_one(&app, &x, "after a refresh").await;
    assert_eq!(settle(&app, &id, Duration::from_secs(10)).await["status"], "posted");
    assert_eq!(ledger_count(&sbx, "after a refresh"), 1);

    control(&sbx, "tokens", json!({"platform": "x", "action": "revoke"})).await;
    let id = publish_one(&app, &x, "after a revoke").await;
    let done = settle(&app, &id, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert!(done["guidance"].as_str().unwrap().contains("Reconnect your X (Twitter) account"), "{done}");
    assert_eq!(ledger_count(&sbx, "after a revoke"), 0);
    let (_, l) = call(&app, Method::GET, "/integrations/list", None).await;
    assert_eq!(l["integrations"][0]["status"], "reconnect_needed", "{l}");
    // Publishing to it again is refused up front with the same advice.
    let (s, e) = call(&app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [x], "text": "again"}))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("reconnect_needed")));
}

#[tokio::test]
async fn scheduled_posts_fire_on_time_and_can_be_moved_or_cancelled() {
    let (app, sbx) = setup().await;
    let x = account(&app, "x", "ada_x").await;
    let at = chrono::Utc::now().timestamp_millis() + 1500;
    let (s, v) =
        call(&app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [x], "text": "on the dot", "scheduled_at": at})))
            .await;
    assert_eq!(s, 201, "{v}");
    let id = v["posts"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(v["posts"][0]["status"], "pending");
    let done = settle(&app, &id, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "posted");
    let late = done["published_at"].as_i64().unwrap() - at;
    assert!((0..1000).contains(&late), "published {late} ms after its time");

    // Move one, cancel another: the cancelled one never reaches the platform.
    let later = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let (_, v) =
        call(&app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [x], "text": "never sent", "scheduled_at": later})))
            .await;
    let id = v["posts"][0]["id"].as_str().unwrap().to_string();
    let (s, moved) = call(&app, Method::PATCH, &format!("/api/posts/{id}"), Some(json!({"scheduled_at": at + 7_200_000}))).await;
    assert_eq!((s, moved["scheduled_at"].as_i64()), (200, Some(at + 7_200_000)));
    let (s, c) = call(&app, Method::DELETE, &format!("/api/posts/{id}"), None).await;
    assert_eq!((s, c["status"].as_str()), (200, Some("cancelled")));
    let (s, _) = call(&app, Method::DELETE, &format!("/api/posts/{id}"), None).await;
    assert_eq!(s, 409, "already cancelled");
    assert_eq!(ledger_count(&sbx, "never sent"), 0);
}

#[tokio::test]
async fn bad_requests_are_refused_before_anything_is_stored() {
    let (app, _sbx) = setup().await;
    let x = account(&app, "x", "ada_x").await;
    let cases = [
        (json!({"connection_ids": [x], "text": "x".repeat(281)}), "over_limit"),
        (json!({"connection_ids": [x], "text": ""}), "empty_post"),
        (json!({"connection_ids": [], "text": "hi"}), "no_accounts"),
        (json!({"connection_ids": [x], "text": "hi", "scheduled_at": "2020-01-01T00:00:00Z"}), "in_the_past"),
        (json!({"connection_ids": [x], "text": "hi", "scheduled_at": "tomorrow"}), "invalid_time"),
    ];
    for (body, code) in cases {
        let (s, e) = call(&app, Method::POST, "/api/posts/publish", Some(body)).await;
        assert_eq!((s, e["error"].as_str()), (422, Some(code)), "{e}");
    }
    // DST: the profile's zone decides what a local time means.
    let csrf = app.csrf().await;
    let r = app
        .client
        .post(app.url("/sfn/update_profile"))
        .form(&[("csrf", csrf.as_str()), ("name", "Ada"), ("timezone", "Europe/Berlin")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    let (s, e) = call(
        &app,
        Method::POST,
        "/api/posts/publish",
        Some(json!({"connection_ids": [x], "text": "hi", "local_time": "2027-03-28T02:30"})),
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (422, Some("nonexistent_time")), "{e}");
    let (s, e) = call(
        &app,
        Method::POST,
        "/api/posts/publish",
        Some(json!({"connection_ids": [x], "text": "hi", "local_time": "2027-10-31T02:30"})),
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (422, Some("ambiguous_time")), "{e}");
    let (s, v) = call(
        &app,
        Method::POST,
        "/api/posts/publish",
        Some(json!({"connection_ids": [x], "text": "hi", "local_time": "2027-10-31T02:30", "fold": "later"})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let expected = chrono::DateTime::parse_from_rfc3339("2027-10-31T01:30:00Z").unwrap().timestamp_millis();
    assert_eq!(v["posts"][0]["scheduled_at"].as_i64(), Some(expected), "the second 02:30 is CET (UTC+1)");
    let (_, all) = call(&app, Method::GET, "/api/posts", None).await;
    assert_eq!(all["posts"].as_array().unwrap().len(), 1, "nothing from the refused requests was stored");

    // Another user sees none of it.
    let id = all["posts"][0]["id"].as_str().unwrap().to_string();
    let other = client();
    let r = other
        .post(app.url("/auth/signup"))
        .json(&json!({"email": unique_email("eve"), "password": PASSWORD, "name": "Eve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    for (m, path) in [
        (Method::GET, format!("/api/posts/{id}")),
        (Method::DELETE, format!("/api/posts/{id}")),
        (Method::POST, format!("/api/posts/{id}/retry")),
    ] {
        let r = other.request(m, app.url(&path)).header("content-type", "application/json").send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = other.post(app.url("/api/posts/publish")).json(&json!({"connection_ids": [x], "text": "hijack"})).send().await.unwrap();
    assert_eq!(r.status(), 404, "another user's account");
    let v: Value = other.get(app.url("/api/posts")).send().await.unwrap().json().await.unwrap();
    assert!(v["posts"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn outcomes_reach_the_persons_webhooks() {
    use std::sync::{Arc, Mutex};
    let sbx = start_sandbox().await;
    let base = sbx.base.clone();
    let app = spawn_app_with(move |c| {
        c.platforms = PlatformId::ALL.into_iter().map(|p| (p, sandbox_platform(p, &base, &c.base_url))).collect();
        c.webhooks.allow_private = true;
        c.webhooks.poll = Duration::from_millis(50);
    })
    .await;
    user(&app).await;
    let got: Arc<Mutex<Vec<Value>>> = Default::default();
    let sink = got.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    let events = ["post.scheduled", "post.published", "post.failed", "account.reconnect_needed"];
    let (s, v) = call(&app, Method::POST, "/api/webhooks", Some(json!({"url": hook, "events": events}))).await;
    assert_eq!(s, 201, "{v}");

    let x = account(&app, "x", "ada_x").await;
    let later = chrono::Utc::now().timestamp_millis() + 3_600_000;
    call(&app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [x], "text": "in an hour", "scheduled_at": later}))).await;
    let id = publish_one(&app, &x, "hooked").await;
    assert_eq!(settle(&app, &id, Duration::from_secs(10)).await["status"], "posted");
    control(&sbx, "tokens", json!({"platform": "x", "action": "revoke"})).await;
    let id = publish_one(&app, &x, "hooked but revoked").await;
    assert_eq!(settle(&app, &id, Duration::from_secs(10)).await["status"], "failed");

    let end = Instant::now() + Duration::from_secs(10);
    let seen = loop {
        let seen: Vec<String> = got.lock().unwrap().iter().map(|e| e["event"].as_str().unwrap_or("").to_string()).collect();
        if events.iter().all(|e| seen.iter().any(|s| s == e)) || Instant::now() > end {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for e in events {
        assert!(seen.iter().any(|s| s == e), "{e} not delivered: {seen:?}");
    }
    let published = got.lock().unwrap().iter().find(|e| e["event"] == "post.published").cloned().unwrap();
    assert_eq!(published["data"]["platform"], "x");
    assert!(published["data"]["url"].as_str().unwrap().starts_with("http"), "{published}");
    let failed = got.lock().unwrap().iter().find(|e| e["event"] == "post.failed").cloned().unwrap();
    assert!(failed["data"]["guidance"].as_str().unwrap().contains("Reconnect"), "{failed}");
}

#[tokio::test]
async fn a_lost_answer_on_an_idempotent_platform_is_settled_by_asking_again() {
    let (app, sbx) = setup().await;
    let m = account(&app, "mastodon", "ada_m").await;
    fault(&sbx, json!({"platform": "mastodon", "kind": "lost_response", "path": "/api/v1/statuses", "method": "POST"})).await;
    let id = publish_one(&app, &m, "asked twice, posted once").await;
    let done = settle(&app, &id, Duration::from_secs(15)).await;
    assert_eq!((done["status"].as_str(), done["attempts"].as_i64()), (Some("posted"), Some(2)), "{done}");
    assert_eq!(ledger_count(&sbx, "asked twice, posted once"), 1, "the same Idempotency-Key returned the first status");
}

#[tokio::test]
async fn retries_run_out_after_an_unanswered_attempt_as_unconfirmed_never_failed() {
    let (app, sbx) = setup().await;
    let m = account(&app, "mastodon", "ada_m").await;
    // Attempt 1 gets no answer (the post may be out there); attempts 2–6 get 503 or 429.
    let statuses = "/api/v1/statuses";
    fault(&sbx, json!({"platform": "mastodon", "kind": "lost_response", "path": statuses, "method": "POST"})).await;
    fault(&sbx, json!({"platform": "mastodon", "kind": "5xx", "count": 3, "status": 503, "path": statuses, "method": "POST"})).await;
    fault(&sbx, json!({"platform": "mastodon", "kind": "429", "count": 2, "retry_after": 0, "path": statuses, "method": "POST"})).await;
    let id = publish_one(&app, &m, "maybe out there").await;
    let done = settle(&app, &id, Duration::from_secs(30)).await;
    assert_eq!(done["status"], "unconfirmed", "an uncertain attempt is never turned into failed: {done}");
    let msg = done["error_message"].as_str().unwrap();
    assert!(msg.contains("attempt 1: no answer") && msg.contains("HTTP 503") && msg.contains("rate limited"), "{msg}");
    let log = done["attempt_log"].as_array().unwrap();
    let outcomes: Vec<_> = log.iter().map(|a| a["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["no_answer", "unavailable", "unavailable", "unavailable", "rate_limited", "rate_limited"], "{done}");
    assert_eq!(log[1]["http_status"], 503);

    // Without an unanswered attempt, running out is "failed", and the message lists them all.
    fault(&sbx, json!({"platform": "mastodon", "kind": "5xx", "count": 6, "status": 502, "path": statuses, "method": "POST"})).await;
    let id = publish_one(&app, &m, "certainly not out there").await;
    let done = settle(&app, &id, Duration::from_secs(30)).await;
    assert_eq!((done["status"].as_str(), done["error_code"].as_str()), (Some("failed"), Some("retry_exhausted")), "{done}");
    assert_eq!(done["error_message"].as_str().unwrap().matches("HTTP 502").count(), 6, "{done}");
    assert_eq!(ledger_count(&sbx, "certainly not out there"), 0);
    // The person's retry starts a new round, marked in the log; it goes out once.
    let (s, _) = call(&app, Method::POST, &format!("/api/posts/{id}/retry"), Some(json!({}))).await;
    assert_eq!(s, 200);
    let again = settle(&app, &id, Duration::from_secs(10)).await;
    assert_eq!(again["status"], "posted", "{again}");
    let log = again["attempt_log"].as_array().unwrap();
    assert_eq!(log[log.len() - 2]["outcome"], "retry_requested");
    assert_eq!(log[log.len() - 1]["outcome"], "posted");
    assert_eq!(ledger_count(&sbx, "certainly not out there"), 1);
}

#[tokio::test]
async fn health_reports_the_dispatcher_and_goes_unhealthy_when_it_stalls() {
    let app = spawn_app().await;
    let v: Value = app.client.get(app.url("/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!((v["status"].as_str(), v["publisher"]["worker"].as_str()), (Some("ok"), Some("ok")), "{v}");
    assert_eq!(v["publisher"]["overdue"], 0);

    // A loop that stops ticking: here it sleeps far longer than the stall threshold.
    let stalled = spawn_app_with(|c| {
        c.queue.poll = Duration::from_secs(30);
        c.queue.stall_after = Duration::from_millis(300);
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let r = stalled.client.get(stalled.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["status"].as_str(), v["publisher"]["worker"].as_str()), (Some("unhealthy"), Some("stalled")), "{v}");
}
