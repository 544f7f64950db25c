//! Exactly-once publishing under crashes and replicas, with real processes:
//! - `kill -9` the server several times while it dispatches 2,000 posts, restart it each
//!   time, and check against the sandbox's ledger that every post went out exactly once or is
//!   unconfirmed (never twice, never lost);
//! - three server processes on one PostgreSQL database share 5,000 posts due at the same
//!   moment with zero duplicates;
//! - a replica whose clock runs 45 s ahead (`faketime`) is the only dispatcher, and still no
//!   post leaves before its time (due times and leases follow the database's clock);
//! - a server whose clock reads 15 September 2027 warns on `/health` that the pinned Graph
//!   API version retires within 60 days (and not yet about LinkedIn's);
//! - twenty refreshes of one X account (single-use rotating refresh tokens) at once across
//!   three replicas reach X once, and the account stays healthy.

mod support;

use std::time::{Duration, Instant};
use support::procs::*;

const PLATFORMS: [&str; 4] = ["x", "mastodon", "linkedin", "threads"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_dispatch_never_publishes_twice_or_loses_a_post() {
    let sandbox = start_sandbox().await;
    let dir = tempfile_dir("crash");
    let db = format!("sqlite://{}/covalynce.db?mode=rwc", dir.display());
    let port = free_port();
    // A short lease so a dead worker's posts come back quickly.
    let env = [("PUBLISH_LEASE_SECS", "2"), ("PUBLISH_BACKOFF_MS", "200"), ("PLATFORM_TIMEOUT_SECS", "5")];
    let mut server = start_server(port, &dir, &db, &sandbox.base, &env).await;
    let c = client();
    signup(&c, &server.base).await;
    let mut conns = vec![];
    for p in PLATFORMS {
        conns.push(connect(&c, &server.base, p, &format!("crash_{p}")).await);
    }
    // 2,000 posts due over the next ~10 seconds, so the kills land mid-dispatch.
    let t0 = now_ms() + 1_000;
    schedule(&c, &server.base, &conns, 2_000, "crash", |i| t0 + (i as i64 * 5)).await;

    let started = Instant::now();
    let mut kills = 0;
    while kills < 5 {
        tokio::time::sleep(Duration::from_millis(1_300 + (kills * 311) % 700)).await;
        server.kill9();
        kills += 1;
        server = start_server(port, &dir, &db, &sandbox.base, &env).await;
    }
    let all = settle(&c, &server.base, Duration::from_secs(120)).await;
    assert_eq!(all.len(), 2_000);
    let (posted, unconfirmed, failed) = check_exactly_once(&all, &ledger(&sandbox.base).await);
    println!(
        "crash test: {kills} kill -9s; {posted} posted exactly once, {unconfirmed} unconfirmed, {failed} failed, in {:?}",
        started.elapsed()
    );
    assert_eq!(failed, 0);
    assert!(posted >= 1_900, "almost everything should have gone out: {posted}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_on_postgres_share_5000_due_posts_without_duplicates() {
    let sandbox = start_sandbox().await;
    let db = fresh_pg("replicas").await;
    let dirs: Vec<_> = (0..3).map(|i| tempfile_dir(&format!("replica{i}"))).collect();
    // Same keys everywhere, as replicas behind a load balancer would have.
    let keys = [
        ("JWT_SECRET", "cmVwbGljYS1qd3Qtc2VjcmV0LWZvci10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVmZ2g="),
        ("ENCRYPTION_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
    ];
    let mut servers = vec![];
    for d in &dirs {
        servers.push(start_server(free_port(), d, &db, &sandbox.base, &keys).await);
    }
    let c = client();
    signup(&c, &servers[0].base).await;
    let mut conns = vec![];
    for p in PLATFORMS {
        conns.push(connect(&c, &servers[0].base, p, &format!("replica_{p}")).await);
    }
    let due = now_ms() + 8_000;
    let started = Instant::now();
    schedule(&c, &servers[0].base, &conns, 5_000, "replica", |_| due).await;
    let all = settle(&c, &servers[0].base, Duration::from_secs(180)).await;
    assert_eq!(all.len(), 5_000);
    let sent = ledger(&sandbox.base).await;
    let (posted, unconfirmed, failed) = check_exactly_once(&all, &sent);
    // What a post that is not posted says, and whether the platform has it: the cause, in CI's log.
    let stuck: Vec<String> = all
        .iter()
        .filter(|p| p["status"] != "posted")
        .map(|p| {
            let on_platform = sent.iter().any(|(pl, b)| p["platform"] == pl.as_str() && p["body"] == b.as_str());
            format!("{} {} attempt {} on the platform: {on_platform}: {}", p["platform"], p["status"], p["attempts"], p["error_message"])
        })
        .collect();
    assert_eq!((posted, unconfirmed, failed), (5_000, 0, 0), "not posted: {stuck:#?}");
    use sqlx::Connection;
    let mut pg = sqlx::postgres::PgConnection::connect(&db).await.unwrap();
    let shares: Vec<(Option<String>, i64)> =
        sqlx::query_as("select sent_by, count(*) from posts group by sent_by").fetch_all(&mut pg).await.unwrap();
    println!(
        "replicas: 5000 posts, zero duplicates, in {:?}; per process: {:?}",
        started.elapsed(),
        shares.iter().map(|s| s.1).collect::<Vec<_>>()
    );
    assert!(shares.len() >= 2, "the replicas shared the work: {shares:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_whose_clock_runs_45s_ahead_never_publishes_early() {
    let sandbox = start_sandbox().await;
    let db = fresh_pg("skew").await;
    let keys = [
        ("JWT_SECRET", "c2tldy1qd3Qtc2VjcmV0LWZvci10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVmZ2hpams="),
        ("ENCRYPTION_KEY", "c2tldzAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWI="),
    ];
    // The API replica keeps true time and does not dispatch; the only dispatcher is 45 s ahead.
    let api_env = [keys[0], keys[1], ("PUBLISH_WORKER", "0")];
    let api = start_server(free_port(), &tempfile_dir("skew-api"), &db, &sandbox.base, &api_env).await;
    let _skewed = start_server_skewed("+45s", free_port(), &tempfile_dir("skew-worker"), &db, &sandbox.base, &keys).await;
    let c = client();
    signup(&c, &api.base).await;
    let conns = vec![connect(&c, &api.base, "x", "skew_x").await, connect(&c, &api.base, "mastodon", "skew_m").await];
    // 200 posts due over 10 s, starting 5 s from now: all of them inside the 45 s skew.
    let t0 = now_ms() + 5_000;
    schedule(&c, &api.base, &conns, 200, "skew", |i| t0 + (i as i64 / 2) * 100).await;
    let all = settle(&c, &api.base, Duration::from_secs(120)).await;
    let (posted, _, failed) = check_exactly_once(&all, &ledger(&sandbox.base).await);
    assert_eq!((posted, failed), (200, 0));
    let sent = ledger_times(&sandbox.base).await;
    let mut early = vec![];
    let mut max_late = 0;
    for p in &all {
        let key = (p["platform"].as_str().unwrap().to_string(), p["body"].as_str().unwrap().to_string());
        let (at, due) = (sent[&key], p["scheduled_at"].as_i64().unwrap());
        if at < due {
            early.push(format!("{} {} ms early", key.1, due - at));
        }
        max_late = max_late.max(at - due);
        let published = p["published_at"].as_i64().unwrap();
        assert!((published - at).abs() < 2_000, "published_at is the database's time, not the skewed one: {published} vs {at}");
    }
    println!("skew test: 200 posts by a +45 s replica, {} early, at most {max_late} ms late", early.len());
    assert!(early.is_empty(), "{} posts left early: {:?}", early.len(), &early[..early.len().min(5)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_refreshes_on_three_replicas_make_one_platform_call() {
    let sandbox = start_sandbox().await;
    let db = fresh_pg("refresh").await;
    let keys = [
        ("JWT_SECRET", "cmVmcmVzaC1qd3Qtc2VjcmV0LWZvci10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVmZ2g="),
        ("ENCRYPTION_KEY", "cmVmcmVzaDAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg="),
    ];
    let mut servers = vec![];
    for i in 0..3 {
        servers.push(start_server(free_port(), &tempfile_dir(&format!("refresh{i}")), &db, &sandbox.base, &keys).await);
    }
    // One browser session (cookies are per host, not per port) talks to all three.
    let c = client();
    signup(&c, &servers[0].base).await;
    connect(&c, &servers[0].base, "x", "rotating_x").await;
    // X answers the token request in 800 ms, so all twenty are in flight together.
    let fault = serde_json::json!({"platform": "x", "kind": "latency", "latency_ms": 800, "path": "/oauth2/token"});
    c.post(format!("{}/_control/faults", sandbox.base)).json(&fault).send().await.unwrap();
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let (c, base) = (c.clone(), servers[i % 3].base.clone());
            tokio::spawn(async move {
                let r = c.post(format!("{base}/integrations/x/refresh")).json(&serde_json::json!({})).send().await.unwrap();
                r.json::<serde_json::Value>().await.unwrap()
            })
        })
        .collect();
    for call in calls {
        let a = call.await.unwrap();
        assert_eq!(a["results"][0]["success"], true, "every caller gets the refreshed account: {a}");
    }
    let counts: serde_json::Value = c.get(format!("{}/_control/refreshes", sandbox.base)).send().await.unwrap().json().await.unwrap();
    let list: serde_json::Value = c.get(format!("{}/integrations/list", servers[1].base)).send().await.unwrap().json().await.unwrap();
    let status = list["integrations"][0]["status"].clone();
    println!("refresh test: 20 concurrent refreshes on 3 replicas -> {} call(s) to X, account {status}", counts["x"]);
    assert_eq!(counts["x"], 1, "one refresh reached X");
    assert_eq!(status, "healthy");
    // The stored (rotated) refresh token is the live one: the next refresh works.
    let r: serde_json::Value = c
        .post(format!("{}/integrations/x/refresh", servers[2].base))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["results"][0]["success"], true, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_warns_sixty_days_before_a_pinned_api_version_retires() {
    let sandbox = start_sandbox().await;
    let dir = tempfile_dir("sunset");
    let db = format!("sqlite://{}/covalynce.db?mode=rwc", dir.display());
    let server = start_server_skewed("@2027-09-15 12:00:00", free_port(), &dir, &db, &sandbox.base, &[]).await;
    let h: serde_json::Value = client().get(format!("{}/health", server.base)).send().await.unwrap().json().await.unwrap();
    let warnings = h["api_versions"].as_array().unwrap_or_else(|| panic!("{h}"));
    assert_eq!(warnings.len(), 1, "only Graph v24.0 (8 Oct 2027) is within 60 days: {h}");
    assert_eq!(warnings[0]["platform"], "Facebook and Instagram");
    assert_eq!(warnings[0]["days_left"], 23, "{h}");
    assert!(warnings[0]["message"].as_str().unwrap().contains("2027-10-08"), "{h}");

    // On today's real clock nothing is close to its end, and the field is still there.
    // (When this fails, a pinned version really is near its end: update versions.rs.)
    let dir = tempfile_dir("sunset-now");
    let db = format!("sqlite://{}/covalynce.db?mode=rwc", dir.display());
    let now = start_server(free_port(), &dir, &db, &sandbox.base, &[]).await;
    let h: serde_json::Value = client().get(format!("{}/health", now.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(h["api_versions"], serde_json::json!([]), "{h}");
}
