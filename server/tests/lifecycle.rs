//! The publishing queue's life with real processes (issue 12):
//! - SIGTERM while 16 requests are in flight: they finish and are recorded as posted, the
//!   claimed posts not yet sent go straight back to the queue with no attempt counted, and a
//!   restart publishes the rest exactly once;
//! - a 429 for one X account holds back only that account's posts, in both replicas on one
//!   PostgreSQL, until the platform's reset; the other account keeps publishing;
//! - a replica paused (SIGSTOP) mid-request on Mastodon loses its lease, and the replica that
//!   takes over does not ask again before the old request is surely over, so the platform
//!   (which does not de-duplicate overlapping requests with one Idempotency-Key) posts once.

mod support;

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::procs::*;

/// Same keys on every replica, as replicas behind a load balancer would have.
const REPLICA_KEYS: [(&str, &str); 2] = [
    ("JWT_SECRET", "bGlmZWN5Y2xlLWp3dC1zZWNyZXQtZm9yLXRlc3RzLTAxMjM0NTY3ODlhYmNkZWY="),
    ("ENCRYPTION_KEY", "bGlmZWN5Y2xlMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY="),
];

async fn fault(sandbox: &str, body: Value) {
    let r = reqwest::Client::new().post(format!("{sandbox}/_control/faults")).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap_or_default());
}

fn count<'a>(posts: impl IntoIterator<Item = &'a Value>, status: &str) -> usize {
    posts.into_iter().filter(|p| p["status"] == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_requests_in_flight_finish_and_puts_back_unsent_posts_at_once() {
    let sandbox = start_sandbox().await;
    let dir = tempfile_dir("sigterm");
    let db = format!("sqlite://{}/covalynce.db?mode=rwc", dir.display());
    let port = free_port();
    let env = [("PUBLISH_PER_PLATFORM", "8"), ("SHUTDOWN_GRACE_SECS", "20")];
    let mut server = start_server(port, &dir, &db, &sandbox.base, &env).await;
    let c = client();
    signup(&c, &server.base).await;
    let conns = vec![connect(&c, &server.base, "x", "term_x").await, connect(&c, &server.base, "linkedin", "term_li").await];
    // Every publish takes 2 s at the platform, so 8 per platform are in flight at a time.
    for (p, path) in [("x", "/2/tweets"), ("linkedin", "/rest/posts")] {
        fault(&sandbox.base, json!({"platform": p, "kind": "latency", "latency_ms": 2000, "count": 100, "path": path, "method": "POST"}))
            .await;
    }
    let due = now_ms() + 500;
    schedule(&c, &server.base, &conns, 60, "term", |_| due).await;
    tokio::time::sleep(Duration::from_millis(1_300)).await;

    let t = Instant::now();
    server.signal("TERM");
    let st = server.wait_exit(Duration::from_secs(25)).await.expect("the server exits after SIGTERM");
    let took = t.elapsed();
    assert!(st.success(), "a clean exit: {st}");
    let sent = ledger(&sandbox.base).await.len();
    println!("SIGTERM with {sent} requests in flight: exited in {took:?}");
    assert!(sent > 0 && sent < 60, "some requests were in flight, most posts were not sent: {sent}");

    // Look without a dispatcher: every sent post is recorded, the rest wait unsent.
    let mut web = start_server(port, &dir, &db, &sandbox.base, &[("PUBLISH_WORKER", "0")]).await;
    let all = posts(&c, &web.base).await;
    assert_eq!(count(&all, "posted"), sent, "every request in flight was recorded as posted");
    assert_eq!(count(&all, "unconfirmed"), 0, "nothing was left in doubt");
    let waiting: Vec<_> = all.iter().filter(|p| p["status"] == "pending").collect();
    assert_eq!(waiting.len(), 60 - sent, "the rest went back to the queue at once, not after a lease");
    assert!(waiting.iter().all(|p| p["attempts"] == 0), "no attempt counted for posts never sent");
    web.kill9();

    let server = start_server(port, &dir, &db, &sandbox.base, &[]).await;
    let all = settle(&c, &server.base, Duration::from_secs(60)).await;
    assert_eq!(check_exactly_once(&all, &ledger(&sandbox.base).await), (60, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_for_one_account_holds_back_only_that_account_on_every_replica() {
    let sandbox = start_sandbox().await;
    let db = fresh_pg("cooldown").await;
    let mut servers = vec![];
    for i in 0..2 {
        servers.push(start_server(free_port(), &tempfile_dir(&format!("cooldown{i}")), &db, &sandbox.base, &REPLICA_KEYS).await);
    }
    let c = client();
    signup(&c, &servers[0].base).await;
    let a = connect(&c, &servers[0].base, "x", "limited_a").await;
    let b = connect(&c, &servers[0].base, "x", "free_b").await;
    fault(
        &sandbox.base,
        json!({"platform": "x", "kind": "429", "retry_after": 12, "account": "limited_a", "path": "/2/tweets", "method": "POST"}),
    )
    .await;
    let before = now_ms();
    schedule(&c, &servers[0].base, std::slice::from_ref(&a), 1, "first-a", |_| before).await;
    // Wait until X said 429 to account A.
    let end = Instant::now() + Duration::from_secs(15);
    loop {
        let all = posts(&c, &servers[0].base).await;
        if all.iter().any(|p| p["error_code"] == "retrying") {
            break;
        }
        assert!(Instant::now() < end, "the 429 never reached the queue: {all:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let now = now_ms();
    schedule(&c, &servers[1].base, std::slice::from_ref(&a), 10, "after-a", |_| now).await;
    schedule(&c, &servers[1].base, std::slice::from_ref(&b), 10, "after-b", |_| now).await;
    let all = settle(&c, &servers[1].base, Duration::from_secs(60)).await;
    assert_eq!(check_exactly_once(&all, &ledger(&sandbox.base).await), (21, 0, 0));

    let times = ledger_times(&sandbox.base).await;
    let at = |t: String| times[&("x".to_string(), t)];
    let a_times: Vec<i64> = std::iter::once(at("first-a-0".into())).chain((0..10).map(|i| at(format!("after-a-{i}")))).collect();
    let b_times: Vec<i64> = (0..10).map(|i| at(format!("after-b-{i}"))).collect();
    let (a_first, b_last) = (a_times.iter().min().unwrap() - before, b_times.iter().max().unwrap() - before);
    println!("429 with Retry-After 12 s on account A: A's first post after {a_first} ms, B's last after {b_last} ms");
    assert!(a_first >= 11_900, "no post of A left before X's reset, on either replica: {a_first} ms");
    assert!(b_last < 8_000, "B was not held back by A's limit: {b_last} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_replicas_mastodon_post_is_not_asked_again_while_its_request_may_run() {
    let sandbox = start_sandbox().await;
    let db = fresh_pg("paused").await;
    let env = [REPLICA_KEYS[0], REPLICA_KEYS[1], ("PUBLISH_LEASE_SECS", "2"), ("PLATFORM_TIMEOUT_SECS", "12")];
    let holder = start_server(free_port(), &tempfile_dir("paused0"), &db, &sandbox.base, &env).await;
    let c = client();
    signup(&c, &holder.base).await;
    let m = connect(&c, &holder.base, "mastodon", "paused_m").await;
    // Mastodon takes 6 s to store this post and keeps its Idempotency-Key only afterwards.
    fault(
        &sandbox.base,
        json!({"platform": "mastodon", "kind": "slow_processing", "latency_ms": 6000, "path": "/api/v1/statuses", "method": "POST"}),
    )
    .await;
    schedule(&c, &holder.base, std::slice::from_ref(&m), 1, "paused", |_| now_ms()).await;
    let end = Instant::now() + Duration::from_secs(10);
    while posts(&c, &holder.base).await[0]["status"] != "publishing" {
        assert!(Instant::now() < end, "the post was never claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The request is out; the holder freezes before it hears back and its lease runs out.
    let sent = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    holder.signal("STOP");
    let other = start_server(free_port(), &tempfile_dir("paused1"), &db, &sandbox.base, &env).await;
    let all = settle(&c, &other.base, Duration::from_secs(40)).await;
    assert_eq!(all[0]["status"], "posted", "{:?}", all[0]);
    // Count once the first request has surely finished at the platform.
    tokio::time::sleep((sent + Duration::from_secs(8)).saturating_duration_since(Instant::now())).await;
    assert_eq!(ledger(&sandbox.base).await.len(), 1, "posted once although the first request overlapped the lease's end");

    // Woken up, the old holder finds its lease gone and records nothing over the result.
    holder.signal("CONT");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let again = posts(&c, &other.base).await;
    assert_eq!((again[0]["status"].clone(), again[0]["external_id"].clone()), (all[0]["status"].clone(), all[0]["external_id"].clone()));
    assert_eq!(ledger(&sandbox.base).await.len(), 1);
}
