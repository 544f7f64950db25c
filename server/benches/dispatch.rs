//! Publishing throughput and punctuality, with real processes (`cargo bench --bench dispatch`):
//! 1. posts/s the queue dispatches to the sandbox vs a bare client loop posting the same
//!    payloads to the same sandbox with the same concurrency, with the platform answering at
//!    once and with 100 ms of injected latency on every post (a real platform's pace);
//! 2. lateness p50/p99 when 10,000 posts fall due within the same minute, and the server's
//!    peak RSS during that burst.
//!
//! SQLite, the default backend.

#[path = "../tests/support/procs.rs"]
mod procs;

use procs::*;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 16;

async fn bare_loop(sandbox: &str, n: usize) -> f64 {
    let c = reqwest::Client::new();
    let s: Value = c
        .post(format!("{sandbox}/bluesky/xrpc/com.atproto.server.createSession"))
        .json(&json!({"identifier": "bare.bsky.social", "password": sandbox::APP_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (jwt, did) = (s["accessJwt"].as_str().unwrap().to_string(), s["did"].as_str().unwrap().to_string());
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = vec![];
    for _ in 0..CONCURRENCY {
        let (c, jwt, did, next, sandbox) = (c.clone(), jwt.clone(), did.clone(), next.clone(), sandbox.to_string());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let record = json!({"$type": "app.bsky.feed.post", "text": format!("bare-{i}"), "createdAt": chrono::Utc::now().to_rfc3339(), "langs": ["en"]});
                let r = c
                    .post(format!("{sandbox}/bluesky/xrpc/com.atproto.repo.createRecord"))
                    .bearer_auth(&jwt)
                    .json(&json!({"repo": did, "collection": "app.bsky.feed.post", "record": record}))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// The next `n` posts to the Bluesky sandbox wait `ms` before they are answered.
async fn slow_posts(sandbox: &str, n: usize, ms: u64) {
    if ms == 0 {
        return;
    }
    let body = json!({"platform": "bluesky", "kind": "latency", "latency_ms": ms, "count": n, "path": "/com.atproto.repo.createRecord"});
    let r = reqwest::Client::new().post(format!("{sandbox}/_control/faults")).json(&body).send().await.unwrap();
    assert!(r.status().is_success());
}

/// Waits until no post due from `from` (UTC ms) is still pending or publishing, reading the
/// server's database file.
async fn wait_until_sent(watch: &sqlx::SqlitePool, from: i64, within: Duration) {
    let end = Instant::now() + within;
    loop {
        let open: i64 = sqlx::query_scalar("select count(*) from posts where run_at >= $1 and status in ('pending', 'publishing')")
            .bind(from)
            .fetch_one(watch)
            .await
            .unwrap();
        if open == 0 || Instant::now() > end {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A `/proc/<pid>/status` field in kB (`VmRSS`, `VmHWM`).
fn proc_status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn pct(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sandbox = start_sandbox().await;
    let dir = std::env::temp_dir().join(format!("covalynce-bench-dispatch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}/covalynce.db?mode=rwc", dir.display());
    let per_platform = CONCURRENCY.to_string();
    let env = [("PUBLISH_PER_PLATFORM", per_platform.as_str()), ("RUST_LOG", "error")];
    let server = start_server(free_port(), &dir, &db, &sandbox.base, &env).await;
    let c = client();
    signup(&c, &server.base).await;

    // Progress is read from the database file, not the API: listing thousands of posts a few
    // times a second would be much of what is measured.
    let watch = sqlx::SqlitePool::connect(&format!("sqlite://{}/covalynce.db?mode=ro", dir.display())).await.unwrap();

    // 1. Throughput: posts due at once vs the bare loop, at 0 and 100 ms platform latency.
    let conn = bluesky_account(&c, &server.base, "queue.bsky.social").await;
    let mut from = 0;
    for (n, latency_ms) in [(2_000, 0), (1_000, 100)] {
        slow_posts(&sandbox.base, n, latency_ms).await;
        let bare = bare_loop(&sandbox.base, n).await;
        slow_posts(&sandbox.base, n, latency_ms).await;
        let due = now_ms() + 4_000;
        let tag = format!("tput{latency_ms}");
        schedule(&c, &server.base, std::slice::from_ref(&conn), n, &tag, |_| due).await;
        wait_until_sent(&watch, due, Duration::from_secs(300)).await;
        let run: Vec<Value> = procs::posts_from(&c, &server.base, from)
            .await
            .into_iter()
            .filter(|p| p["body"].as_str().is_some_and(|b| b.starts_with(&format!("{tag}-"))))
            .collect();
        assert_eq!(run.iter().filter(|p| p["status"] == "posted").count(), n, "every post of the run went out");
        let last = run.iter().filter_map(|p| p["published_at"].as_i64()).max().unwrap();
        let ours = n as f64 / ((last - due) as f64 / 1000.0);
        println!(
            "dispatch  {n} posts, platform latency {latency_ms:>3} ms: queue {ours:.0} posts/s, bare client loop {bare:.0} posts/s, ratio {:.2}",
            ours / bare
        );
        from = due + 1;
    }

    // 2. 10,000 posts due within one minute.
    let conns = [
        conn.clone(),
        bluesky_account(&c, &server.base, "burst1.bsky.social").await,
        bluesky_account(&c, &server.base, "burst2.bsky.social").await,
        connect(&c, &server.base, "mastodon", "burst_m").await,
    ];
    let m = 10_000;
    let start = now_ms() + 20_000;
    let t = Instant::now();
    schedule(&c, &server.base, &conns, m, "burst", |i| start + (i as i64 * 60_000 / m as i64)).await;
    println!("scheduled {m} posts in {:?}", t.elapsed());
    // The peak is the kernel's high-water mark, reset once the posts are in: every byte the
    // dispatch touched counts, even between samples.
    let pid = server.pid();
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    wait_until_sent(&watch, start, Duration::from_secs(240)).await;
    let peak = proc_status_kb(pid, "VmHWM");
    let burst: Vec<Value> = procs::posts_from(&c, &server.base, start)
        .await
        .into_iter()
        .filter(|p| p["body"].as_str().is_some_and(|b| b.starts_with("burst")))
        .collect();
    let mut late: Vec<i64> = burst.iter().filter_map(|p| Some(p["published_at"].as_i64()? - p["scheduled_at"].as_i64()?)).collect();
    late.sort_unstable();
    println!(
        "lateness  {} of {m} posted; p50 {} ms, p99 {} ms, max {} ms; server RSS peak {:.1} MB",
        late.len(),
        pct(&late, 0.5),
        pct(&late, 0.99),
        late.last().copied().unwrap_or(0),
        peak as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
