//! Outbound webhooks against a local receiver (axum on port 0): signatures, headers, retries
//! with backoff, giving up, the private-address rule, subscriptions and tenant isolation.

use crate::drafts::send;
use crate::helpers::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use covalynce::domain::WebhookEvent;
use covalynce::webhooks::{verify, WebhookConfig};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Hit {
    headers: HeaderMap,
    body: String,
    at: Instant,
}

/// Status codes to answer with, each with an optional Retry-After.
type Script = Arc<Mutex<VecDeque<(u16, Option<&'static str>)>>>;

/// Answers each request with the next scripted status (plus an optional Retry-After), then
/// with `fallback`.
#[derive(Clone)]
struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Script,
    fallback: Arc<Mutex<u16>>,
}

impl Receiver {
    fn hits(&self) -> usize {
        self.hits.lock().unwrap().len()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> Response {
    r.hits.lock().unwrap().push(Hit { headers, body, at: Instant::now() });
    let (status, retry_after) = r.script.lock().unwrap().pop_front().unwrap_or((*r.fallback.lock().unwrap(), None));
    let status = StatusCode::from_u16(status).unwrap();
    match retry_after {
        Some(ra) => (status, [("retry-after", ra)], "slow down").into_response(),
        None if status.is_success() => (status, "ok").into_response(),
        None => (status, "receiver is having a bad day").into_response(),
    }
}

async fn start_receiver() -> (String, Receiver) {
    let r = Receiver { hits: Default::default(), script: Default::default(), fallback: Arc::new(Mutex::new(200)) };
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), r)
}

const BASE_DELAY_MS: u64 = 60;

/// An app whose webhooks may reach the local receiver, with fast retries.
async fn webhook_app(max_retries: u32) -> (TestApp, String) {
    let app = spawn_app_with(|c| {
        c.webhooks = WebhookConfig {
            max_retries,
            base_delay: Duration::from_millis(BASE_DELAY_MS),
            allow_private: true,
            timeout: Duration::from_secs(2),
            poll: Duration::from_millis(20),
        }
    })
    .await;
    let uid = app.signup(&unique_email("hooks")).await["user"]["id"].as_str().unwrap().to_string();
    (app, uid)
}

async fn create(app: &TestApp, url: &str, events: &[&str]) -> Value {
    let (s, v) = send(app, Method::POST, "/api/webhooks", Some(json!({"url": url, "events": events}))).await;
    assert_eq!(s, 201, "{v}");
    v
}

/// The user's delivery log once `done` holds for its newest entry (10 s at most).
async fn wait_log(app: &TestApp, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (s, v) = send(app, Method::GET, "/api/webhooks/deliveries", None).await;
        assert_eq!(s, 200, "{v}");
        let list = v["deliveries"].as_array().cloned().unwrap_or_default();
        if list.first().is_some_and(&done) {
            return list;
        }
        assert!(Instant::now() < deadline, "timed out waiting for the delivery log: {v}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn header<'a>(h: &'a Hit, name: &str) -> &'a str {
    h.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn deliveries_are_signed_with_the_secret_shown_once() {
    let (url, rx) = start_receiver().await;
    let (app, uid) = webhook_app(3).await;
    let created = create(&app, &url, &["post.published", "post.failed"]).await;
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_") && secret.len() > 30, "{created}");
    assert_eq!(created["events"], json!(["post.published", "post.failed"]));

    let (_, listed) = send(&app, Method::GET, "/api/webhooks", None).await;
    assert_eq!(listed["webhooks"][0]["url"], url.as_str());
    assert!(!listed.to_string().contains(&secret), "the secret is shown once, at creation: {listed}");
    assert!(listed["events"].as_array().unwrap().iter().any(|e| e == "account.reconnect_needed"));
    let stored: String = sqlx::query_scalar("select secret from webhook_endpoints").fetch_one(app.db.pool()).await.unwrap();
    assert!(!stored.contains(&secret) && !stored.contains("whsec_"), "stored sealed");

    let data = json!({"post_id": "p1", "platform": "x", "url": "https://x.com/ada/status/1"});
    assert_eq!(app.state.webhooks.emit(&uid, WebhookEvent::PostPublished, data.clone()).await.unwrap(), 1);
    let log = wait_log(&app, |d| d["status"] == "delivered").await;
    assert_eq!((log[0]["attempts"].as_i64(), log[0]["last_status_code"].as_i64()), (Some(1), Some(200)), "{log:?}");
    assert_eq!(log[0]["url"], url.as_str());

    let hits = rx.hits.lock().unwrap();
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    let body: Value = serde_json::from_str(&h.body).unwrap();
    assert_eq!((body["event"].as_str(), &body["data"]), (Some("post.published"), &data));
    assert_eq!(body["id"], log[0]["id"], "the body names the delivery");
    assert!(chrono::DateTime::parse_from_rfc3339(body["created_at"].as_str().unwrap()).is_ok(), "{body}");
    assert_eq!(header(h, "content-type"), "application/json");
    assert_eq!(header(h, "x-covalynce-event"), "post.published");
    assert_eq!(header(h, "x-covalynce-delivery"), body["id"].as_str().unwrap(), "receivers dedupe on it");
    let ts = header(h, "x-covalynce-timestamp");
    assert!((chrono::Utc::now().timestamp() - ts.parse::<i64>().unwrap()).abs() < 60);
    let sig = header(h, "x-covalynce-signature");
    assert!(verify(&secret, ts, &h.body, sig), "signature verifies with the secret from creation: {sig}");
    assert!(!verify("whsec_someone-else", ts, &h.body, sig));
    assert!(!h.headers.iter().any(|(_, v)| v.to_str().unwrap_or("").contains(&secret)), "the secret itself never travels");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_until_it_succeeds() {
    let (url, rx) = start_receiver().await;
    rx.script.lock().unwrap().extend([(500, None), (503, None)]);
    let (app, uid) = webhook_app(5).await;
    create(&app, &url, &["post.failed"]).await;
    app.state.webhooks.emit(&uid, WebhookEvent::PostFailed, json!({"post_id": "p2", "error": "rate limited"})).await.unwrap();
    let log = wait_log(&app, |d| d["status"] == "delivered").await;
    assert_eq!((log[0]["retry_count"].as_i64(), log[0]["attempts"].as_i64()), (Some(2), Some(3)), "{:?}", log[0]);
    assert_eq!(log[0]["last_error"], Value::Null, "cleared once delivered");

    let hits = rx.hits.lock().unwrap();
    assert_eq!(hits.len(), 3);
    assert!(hits.iter().all(|h| h.body == hits[0].body), "every attempt sends the same bytes");
    assert!(hits.iter().all(|h| header(h, "x-covalynce-delivery") == header(&hits[0], "x-covalynce-delivery")));
    // base · 2^(n-1), minus at most 20 % jitter: ≥ 48 ms, then ≥ 96 ms.
    let (first, second) = (hits[1].at - hits[0].at, hits[2].at - hits[1].at);
    assert!(first >= Duration::from_millis(BASE_DELAY_MS * 8 / 10), "first retry after {first:?}");
    assert!(second >= Duration::from_millis(2 * BASE_DELAY_MS * 8 / 10), "second retry after {second:?}");
}

#[tokio::test]
async fn a_receiver_that_always_fails_ends_failed_after_max_retries() {
    let (url, rx) = start_receiver().await;
    *rx.fallback.lock().unwrap() = 500;
    let (app, uid) = webhook_app(3).await;
    create(&app, &url, &["post.unconfirmed"]).await;
    app.state.webhooks.emit(&uid, WebhookEvent::PostUnconfirmed, json!({"post_id": "p3"})).await.unwrap();
    let log = wait_log(&app, |d| d["status"] == "failed").await;
    let d = &log[0];
    assert_eq!((d["retry_count"].as_i64(), d["attempts"].as_i64(), d["last_status_code"].as_i64()), (Some(3), Some(4), Some(500)), "{d}");
    assert!(d["last_error"].as_str().unwrap().contains("HTTP 500: receiver is having a bad day"), "{d}");
    assert_eq!(d["next_retry_at"], Value::Null);
    tokio::time::sleep(Duration::from_millis(BASE_DELAY_MS * 12)).await;
    assert_eq!(rx.hits(), 4, "nothing more after giving up");
}

#[tokio::test]
async fn retry_after_is_honoured_when_longer_than_the_backoff() {
    let (url, rx) = start_receiver().await;
    rx.script.lock().unwrap().push_back((429, Some("1")));
    let (app, uid) = webhook_app(3).await;
    create(&app, &url, &["post.scheduled"]).await;
    app.state.webhooks.emit(&uid, WebhookEvent::PostScheduled, json!({"post_id": "p4"})).await.unwrap();
    let log = wait_log(&app, |d| d["status"] == "delivered").await;
    assert_eq!(log[0]["retry_count"], 1);
    let hits = rx.hits.lock().unwrap();
    assert!(hits[1].at - hits[0].at >= Duration::from_millis(950), "waited {:?}", hits[1].at - hits[0].at);
}

#[tokio::test]
async fn send_test_pings_now_and_reports_the_result() {
    let (url, rx) = start_receiver().await;
    let (app, _) = webhook_app(3).await;
    let id = create(&app, &url, &["post.published"]).await["id"].as_str().unwrap().to_string();
    let (s, d) = send(&app, Method::POST, &format!("/api/webhooks/{id}/test"), None).await;
    assert_eq!(
        (s, d["status"].as_str(), d["event"].as_str(), d["last_status_code"].as_i64()),
        (200, Some("delivered"), Some("ping"), Some(200)),
        "{d}"
    );
    assert_eq!(header(&rx.hits.lock().unwrap()[0], "x-covalynce-event"), "ping");

    *rx.fallback.lock().unwrap() = 404;
    let (s, d) = send(&app, Method::POST, &format!("/api/webhooks/{id}/test"), None).await;
    assert_eq!((s, d["status"].as_str(), d["last_status_code"].as_i64()), (200, Some("failed"), Some(404)), "{d}");
    assert_eq!(d["retry_count"], 0, "a failed test is not retried behind the person's back");

    let (s, _) = send(&app, Method::DELETE, &format!("/api/webhooks/{id}"), None).await;
    assert_eq!(s, 204);
    let (s, e) = send(&app, Method::POST, &format!("/api/webhooks/{id}/test"), None).await;
    assert_eq!((s, e["error"].as_str()), (404, Some("not_found")));
    let (_, v) = send(&app, Method::GET, "/api/webhooks/deliveries", None).await;
    assert_eq!(v["deliveries"], json!([]), "the log goes with its endpoint");
}

#[tokio::test]
async fn private_and_malformed_urls_are_refused_with_reasons() {
    let (url, _) = start_receiver().await;
    let app = spawn_app().await;
    app.signup(&unique_email("ssrf")).await;
    for (target, ip) in [
        (url.as_str(), "127.0.0.1"),
        ("http://10.0.0.5/", "10.0.0.5"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]/", "::1"),
        ("http://[::ffff:192.168.0.1]/", "192.168.0.1"),
        ("http://localhost:9/", "localhost resolves to an address that points at this server itself"),
        ("http://2130706433/", "127.0.0.1"),
    ] {
        let (s, e) = send(&app, Method::POST, "/api/webhooks", Some(json!({"url": target, "events": ["post.published"]}))).await;
        assert_eq!((s, e["error"].as_str()), (422, Some("private_address")), "{target}: {e}");
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains(ip) && msg.contains("Webhooks can only go to public addresses."), "{target}: {msg}");
    }
    let (_, e) = send(&app, Method::POST, "/api/webhooks", Some(json!({"url": "http://10.0.0.5/", "events": ["post.failed"]}))).await;
    assert_eq!(e["message"], "That address points into a private network (10.0.0.5). Webhooks can only go to public addresses.");

    for (body, code) in [
        (json!({"url": "ftp://example.com/x", "events": ["post.failed"]}), "invalid_url"),
        (json!({"url": "https://user:pw@93.184.215.14/x", "events": ["post.failed"]}), "invalid_url"),
        (json!({"url": "not a url", "events": ["post.failed"]}), "invalid_url"),
        (json!({"url": "", "events": ["post.failed"]}), "missing_url"),
        (json!({"url": "https://93.184.215.14/x", "events": []}), "no_events"),
        (json!({"url": "https://93.184.215.14/x", "events": ["post.deleted"]}), "unknown_event"),
        (json!({"url": "https://93.184.215.14/x"}), "invalid_body"),
    ] {
        let (s, e) = send(&app, Method::POST, "/api/webhooks", Some(body.clone())).await;
        assert_eq!((s, e["error"].as_str()), (422, Some(code)), "{body}: {e}");
    }
    let (_, v) = send(&app, Method::GET, "/api/webhooks", None).await;
    assert_eq!(v["webhooks"], json!([]), "nothing was registered");

    // A public address is accepted (registering sends nothing), up to the per-user limit.
    for i in 0..covalynce::webhooks::MAX_ENDPOINTS {
        create(&app, &format!("https://93.184.215.14/hook/{i}"), &["post.failed"]).await;
    }
    let (s, e) =
        send(&app, Method::POST, "/api/webhooks", Some(json!({"url": "https://93.184.215.14/one-more", "events": ["post.failed"]}))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("too_many_webhooks")), "{e}");
}

#[tokio::test]
async fn the_address_is_checked_again_at_delivery_time() {
    // Registered while the name pointed somewhere public; now it points at this server
    // (DNS rebinding). Simulated by rewriting the stored URL.
    let (url, rx) = start_receiver().await;
    let app = spawn_app_with(|c| {
        c.webhooks = WebhookConfig { base_delay: Duration::from_secs(60), poll: Duration::from_millis(20), ..Default::default() }
    })
    .await;
    let uid = app.signup(&unique_email("rebind")).await["user"]["id"].as_str().unwrap().to_string();
    let id = create(&app, "https://93.184.215.14/hook", &["post.published"]).await["id"].as_str().unwrap().to_string();
    sqlx::query("update webhook_endpoints set url = $1 where id = $2").bind(&url).bind(&id).execute(app.db.pool()).await.unwrap();
    app.state.webhooks.emit(&uid, WebhookEvent::PostPublished, json!({})).await.unwrap();
    let log = wait_log(&app, |d| d["retry_count"] == 1).await;
    assert_eq!(log[0]["status"], "pending", "retried later, in case the name points back");
    assert!(log[0]["last_error"].as_str().unwrap().contains("points at this server itself (127.0.0.1)"), "{:?}", log[0]);
    assert_eq!(rx.hits(), 0, "nothing was sent");
}

#[tokio::test]
async fn only_subscribed_events_are_delivered() {
    let (url, rx) = start_receiver().await;
    let (app, uid) = webhook_app(3).await;
    create(&app, &url, &["post.failed"]).await;
    assert_eq!(app.state.webhooks.emit(&uid, WebhookEvent::PostPublished, json!({"post_id": "a"})).await.unwrap(), 0);
    assert_eq!(app.state.webhooks.emit(&uid, WebhookEvent::PostFailed, json!({"post_id": "b"})).await.unwrap(), 1);
    let log = wait_log(&app, |d| d["status"] == "delivered").await;
    assert_eq!(log.len(), 1);
    assert_eq!(header(&rx.hits.lock().unwrap()[0], "x-covalynce-event"), "post.failed");
    // A misspelt event is a bug, not silence: it does not even compile now; the names still parse strictly.
    assert!(WebhookEvent::parse("post.exploded").is_err(), "a misspelt event is a bug, not silence");
}

#[tokio::test]
async fn tenants_never_see_or_touch_each_others_webhooks() {
    let (url, rx) = start_receiver().await;
    let (app, uid) = webhook_app(3).await;
    let id = create(&app, &url, &["post.published"]).await["id"].as_str().unwrap().to_string();
    app.state.webhooks.emit(&uid, WebhookEvent::PostPublished, json!({"post_id": "mine"})).await.unwrap();
    wait_log(&app, |d| d["status"] == "delivered").await;

    let other =
        TestApp { addr: app.addr.clone(), client: client(), db: app.db.clone(), db_url: app.db_url.clone(), state: app.state.clone() };
    let other_uid = other.signup(&unique_email("other")).await["user"]["id"].as_str().unwrap().to_string();
    let (_, v) = send(&other, Method::GET, "/api/webhooks", None).await;
    assert_eq!(v["webhooks"], json!([]));
    let (_, v) = send(&other, Method::GET, "/api/webhooks/deliveries", None).await;
    assert_eq!(v["deliveries"], json!([]));
    for (m, path) in [(Method::DELETE, format!("/api/webhooks/{id}")), (Method::POST, format!("/api/webhooks/{id}/test"))] {
        let (s, e) = send(&other, m, &path, None).await;
        assert_eq!((s, e["error"].as_str()), (404, Some("not_found")), "{path}");
    }
    assert_eq!(
        other.state.webhooks.emit(&other_uid, WebhookEvent::PostPublished, json!({})).await.unwrap(),
        0,
        "their events never reach my endpoint"
    );
    let (_, v) = send(&app, Method::GET, "/api/webhooks", None).await;
    assert_eq!(v["webhooks"].as_array().unwrap().len(), 1, "still there");
    assert_eq!(rx.hits(), 1);

    let anon = client();
    let r = anon.get(app.url("/api/webhooks")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn an_account_needing_a_reconnect_is_announced_once() {
    let (url, rx) = start_receiver().await;
    let (app, uid) = webhook_app(3).await;
    create(&app, &url, &["account.reconnect_needed"]).await;
    let now = chrono::Utc::now().timestamp_millis();
    sqlx::query(
        "insert into social_accounts (id, user_id, platform, external_id, username, display_name, grant_enc, scopes, consent_at, consent_scopes, status, created_at, updated_at)
         values ('acc1', $1, 'mastodon', 'ext1', 'ada', 'Ada', 'sealed', '', $2, '', 'healthy', $2, $2)",
    )
    .bind(&uid)
    .bind(now)
    .execute(app.db.pool())
    .await
    .unwrap();
    app.state.connections.mark_reconnect_needed("acc1", "The token was revoked.").await.unwrap();
    app.state.connections.mark_reconnect_needed("acc1", "Still revoked.").await.unwrap();
    let log = wait_log(&app, |d| d["status"] == "delivered").await;
    assert_eq!(log.len(), 1, "a repeat failure is not news");
    let body: Value = serde_json::from_str(&rx.hits.lock().unwrap()[0].body).unwrap();
    assert_eq!(body["event"], "account.reconnect_needed");
    assert_eq!(
        body["data"],
        json!({"account": {"id": "acc1", "platform": "mastodon", "username": "ada"}, "reason": "The token was revoked."})
    );
    let err: String =
        sqlx::query_scalar("select last_error from social_accounts where id = 'acc1'").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(err, "Still revoked.", "the reason still updates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_send_each_delivery_once() {
    let (url, rx) = start_receiver().await;
    let app =
        spawn_app_with(|c| c.webhooks = WebhookConfig { allow_private: true, poll: Duration::from_millis(5), ..Default::default() }).await;
    let uid = app.signup(&unique_email("race")).await["user"]["id"].as_str().unwrap().to_string();
    create(&app, &url, &["post.published"]).await;
    for i in 0..60 {
        app.state.webhooks.emit(&uid, WebhookEvent::PostPublished, json!({"n": i})).await.unwrap();
    }
    // Four more "processes" race the server's own worker for the same rows.
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let w = app.state.webhooks.clone();
            tokio::spawn(async move {
                for _ in 0..40 {
                    w.deliver_due(3).await.unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while rx.hits() < 60 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let hits = rx.hits.lock().unwrap();
    let mut ids: Vec<&str> = hits.iter().map(|h| header(h, "x-covalynce-delivery")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((hits.len(), ids.len()), (60, 60), "every delivery sent exactly once");
}

#[tokio::test]
async fn a_held_lease_is_respected_and_an_expired_one_recovered() {
    let (url, rx) = start_receiver().await;
    let (app, uid) = webhook_app(3).await;
    create(&app, &url, &["post.published"]).await;
    let now = chrono::Utc::now().timestamp_millis();
    // Another process holds the row: emit and lease in one transaction, as if it claimed it.
    let mut tx = app.db.pool().begin().await.unwrap();
    // A write first, as `emit_in` asks for on SQLite.
    sqlx::query("update webhook_endpoints set updated_at = $1").bind(now).execute(&mut *tx).await.unwrap();
    app.state.webhooks.emit_in(&mut tx, &uid, WebhookEvent::PostPublished, json!({})).await.unwrap();
    sqlx::query("update webhook_retries set lease_until = $1").bind(now + 3_600_000).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.hits(), 0, "not while the lease is held");
    // That process died: its lease runs out and the row is picked up.
    sqlx::query("update webhook_retries set lease_until = $1").bind(now - 1).execute(app.db.pool()).await.unwrap();
    wait_log(&app, |d| d["status"] == "delivered").await;
    assert_eq!(rx.hits(), 1);
}

#[tokio::test]
async fn the_settings_card_and_its_server_functions() {
    let (url, _rx) = start_receiver().await;
    let (app, _) = webhook_app(3).await;
    let html = app.client.get(app.url("/settings")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Webhooks") && html.contains("No webhooks yet") && html.contains("No deliveries yet"), "empty states render");

    let csrf = app.csrf().await;
    let sfn = |path: &str| app.client.post(app.url(path)).header("accept", "application/json");
    let r = sfn("/sfn/create_webhook")
        .form(&[("csrf", csrf.as_str()), ("url", "http://10.0.0.5/"), ("events", "post.failed")])
        .send()
        .await
        .unwrap();
    // This app allows private addresses; an empty event list is still refused.
    assert_eq!(r.status(), 200);
    let r = sfn("/sfn/create_webhook").form(&[("csrf", csrf.as_str()), ("url", url.as_str()), ("events", "")]).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Choose at least one event"));
    let r = sfn("/sfn/create_webhook")
        .form(&[("csrf", csrf.as_str()), ("url", url.as_str()), ("events", "post.published,post.failed")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let created: Value = r.json().await.unwrap();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"), "{created}");
    let id = created["webhook"]["id"].as_str().unwrap().to_string();

    let r = sfn("/sfn/test_webhook").form(&[("csrf", csrf.as_str()), ("id", id.as_str())]).send().await.unwrap();
    let d: Value = r.json().await.unwrap();
    assert_eq!(
        (d["status"].as_str(), d["result"].as_str(), d["when"].as_str()),
        (Some("delivered"), Some("HTTP 200"), Some("just now")),
        "{d}"
    );

    let html = app.client.get(app.url("/settings")).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains(&url) && html.contains("Delivered") && !html.contains(created["secret"].as_str().unwrap()),
        "list and log render, no secret"
    );

    let r = sfn("/sfn/delete_webhook").form(&[("id", id.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 403, "mutations need the CSRF token");
    let r = client().get(app.url("/sfn/list_webhooks")).header("accept", "application/json").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = sfn("/sfn/delete_webhook").form(&[("csrf", csrf.as_str()), ("id", id.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app.client.get(app.url("/sfn/list_webhooks")).header("accept", "application/json").send().await.unwrap();
    let list: Value = r.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "only the 10.0.0.5 one is left: {list}");
}
