//! The queue under real conditions, with real processes (`cargo bench -p server --bench replicas`):
//! 1. punctuality: 10,000 posts due within one minute, three server replicas on one
//!    PostgreSQL (`TEST_DATABASE_URL`, default 127.0.0.1:5432/test); lateness is the sandbox's
//!    receive time minus the scheduled time (so a post sent early shows as negative);
//! 2. faults: 2,000 posts while 30 % of publish requests get a 503, a 429, a lost answer or a
//!    hang past the timeout; then counts of posted / unconfirmed / failed and duplicates
//!    (a post the sandbox received more than once).
//!
//! `BENCH_POSTS` (10,000) and `BENCH_FAULT_POSTS` (2,000) scale it down.

#[path = "../tests/support/procs.rs"]
mod procs;

use procs::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Same keys on every replica, as behind a load balancer.
const KEYS: [(&str, &str); 2] = [
    ("JWT_SECRET", "cmVwbGljYS1iZW5jaC1qd3Qtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZnaGlqaw=="),
    ("ENCRYPTION_KEY", "YmVuY2gwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWE="),
];

fn env_n(k: &str, d: usize) -> usize {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

/// The sandbox's ledger: platform post id → how many times and when (first) it arrived,
/// plus (platform, account, text) → how many times.
async fn ledger_raw(sandbox: &str) -> (HashMap<String, i64>, HashMap<(String, String, String), usize>) {
    let v: Value = reqwest::get(format!("{sandbox}/_control/ledger")).await.unwrap().json().await.unwrap();
    let (mut at, mut copies) = (HashMap::new(), HashMap::new());
    for e in v["posts"].as_array().unwrap() {
        at.entry(e["post_id"].as_str().unwrap().to_string()).or_insert(e["at_ms"].as_i64().unwrap());
        let key = (e["platform"].as_str().unwrap().into(), e["account"].as_str().unwrap().into(), e["text"].as_str().unwrap().into());
        *copies.entry(key).or_insert(0) += 1;
    }
    (at, copies)
}

/// Schedules `n` posts (`{tag}-{i}`) across `conns` from 8 clients at once (one client would
/// take minutes for 10,000 and eat the lead time).
async fn schedule_parallel(c: &reqwest::Client, base: &str, conns: &[String], n: usize, tag: &str, at: impl Fn(usize) -> i64) {
    let per = n.div_ceil(8);
    let tasks: Vec<_> = (0..8)
        .map(|k| {
            let (c, base, conns, tag) = (c.clone(), base.to_string(), conns.to_vec(), format!("{tag}{k}"));
            let times: Vec<i64> = (k * per..((k + 1) * per).min(n)).map(&at).collect();
            tokio::spawn(async move {
                let first = times.first().copied().unwrap_or(0);
                schedule(&c, &base, &conns, times.len(), &tag, |i| times.get(i).copied().unwrap_or(first)).await;
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

fn pct(sorted: &[i64], p: f64) -> i64 {
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0)
}

/// Waits until nothing is pending, publishing, or unconfirmed-and-still-being-looked-for
/// (settled = no change in the counts for `quiet`).
async fn wait_settled(c: &reqwest::Client, base: &str, from: i64, within: Duration, quiet: Duration) -> Vec<Value> {
    let end = Instant::now() + within;
    let (mut last, mut since) = (String::new(), Instant::now());
    loop {
        let all = posts_from(c, base, from).await;
        // Ordered, so the same counts always print the same (a HashMap's order changes per map).
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for p in &all {
            *counts.entry(p["status"].as_str().unwrap_or("").to_string()).or_default() += 1;
        }
        let open = counts.get("pending").copied().unwrap_or(0) + counts.get("publishing").copied().unwrap_or(0);
        let key = format!("{counts:?}");
        if key != last {
            (last, since) = (key, Instant::now());
        }
        if (open == 0 && since.elapsed() >= quiet) || Instant::now() > end {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // 1. Punctuality across three replicas.
    let sandbox = start_sandbox().await;
    let db = fresh_pg("bench_replicas").await;
    let env = [KEYS[0], KEYS[1], ("RUST_LOG", "error")];
    let mut servers = vec![];
    for i in 0..3 {
        servers.push(start_server(free_port(), &tempfile_dir(&format!("bench-replica{i}")), &db, &sandbox.base, &env).await);
    }
    let c = client();
    signup(&c, &servers[0].base).await;
    let conns = [
        bluesky_account(&c, &servers[0].base, "burst1.bsky.social").await,
        bluesky_account(&c, &servers[0].base, "burst2.bsky.social").await,
        bluesky_account(&c, &servers[0].base, "burst3.bsky.social").await,
        connect(&c, &servers[0].base, "mastodon", "burst_m").await,
    ];
    let m = env_n("BENCH_POSTS", 10_000);
    let start = now_ms() + 60_000;
    let t = Instant::now();
    schedule_parallel(&c, &servers[0].base, &conns, m, "burst", |i| start + (i as i64 * 60_000 / m as i64)).await;
    println!("scheduled {m} posts in {:?}; due from {} ms from now over one minute", t.elapsed(), start - now_ms());
    let all = wait_settled(&c, &servers[0].base, start, Duration::from_secs(300), Duration::from_secs(1)).await;
    let (at, copies) = ledger_raw(&sandbox.base).await;
    let mut late: Vec<i64> = all.iter().filter_map(|p| Some(at.get(p["external_id"].as_str()?)? - p["scheduled_at"].as_i64()?)).collect();
    late.sort_unstable();
    let early = late.iter().filter(|l| **l < 0).count();
    let earliest = late.first().copied().unwrap_or(0);
    let dups = copies.values().filter(|n| **n > 1).count();
    let posted = all.iter().filter(|p| p["status"] == "posted").count();
    println!(
        "replicas  3 servers, one PostgreSQL: {posted} of {m} posted; lateness (sandbox receive - scheduled) p50 {} ms, p99 {} ms, max {} ms; {early} early (earliest {earliest} ms); {dups} duplicates",
        pct(&late, 0.5),
        pct(&late, 0.99),
        late.last().copied().unwrap_or(0),
    );
    drop(servers);

    // 2. Faults: 30 % of publish requests fail in one of four ways.
    let sandbox = start_sandbox().await;
    let db = fresh_pg("bench_faults").await;
    let env = [
        KEYS[0],
        KEYS[1],
        ("RUST_LOG", "error"),
        ("PLATFORM_TIMEOUT_SECS", "3"),
        ("PUBLISH_BACKOFF_MS", "300"),
        ("PUBLISH_LEASE_SECS", "5"),
        ("PUBLISH_RECONCILE_SECS", "2"),
    ];
    let mut servers = vec![];
    for i in 0..3 {
        servers.push(start_server(free_port(), &tempfile_dir(&format!("bench-faults{i}")), &db, &sandbox.base, &env).await);
    }
    // A new cookie jar: cookies are per host, not per port, and the first run's would mix in.
    let c = client();
    signup(&c, &servers[0].base).await;
    let conns = [
        connect(&c, &servers[0].base, "x", "chaos_x").await,
        bluesky_account(&c, &servers[0].base, "chaos.bsky.social").await,
        connect(&c, &servers[0].base, "mastodon", "chaos_m").await,
        connect(&c, &servers[0].base, "linkedin", "chaos_li").await,
    ];
    for (p, path) in
        [("x", "/2/tweets"), ("bluesky", "/com.atproto.repo.createRecord"), ("mastodon", "/api/v1/statuses"), ("linkedin", "/rest/posts")]
    {
        let r = c
            .post(format!("{}/_control/chaos", sandbox.base))
            .json(&json!({"platform": p, "rate": 0.3, "path": path, "method": "POST"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    let n = env_n("BENCH_FAULT_POSTS", 2_000);
    let from = now_ms() + 30_000;
    schedule_parallel(&c, &servers[0].base, &conns, n, "chaos", |i| from + (i as i64 * 20)).await;
    let t = Instant::now();
    let all = wait_settled(&c, &servers[0].base, from, Duration::from_secs(600), Duration::from_secs(8)).await;
    let (_, copies) = ledger_raw(&sandbox.base).await;
    let mut by: HashMap<(String, String), usize> = HashMap::new();
    for p in &all {
        *by.entry((p["platform"].as_str().unwrap().into(), p["status"].as_str().unwrap().into())).or_default() += 1;
    }
    let count = |s: &str| all.iter().filter(|p| p["status"] == s).count();
    let dups = copies.values().filter(|n| **n > 1).count();
    println!(
        "faults    {n} posts, 30 % of publish requests 503/429/lost/hung, 3 replicas, settled in {:?}: {} posted, {} unconfirmed, {} failed, {} still open; {dups} duplicates",
        t.elapsed(),
        count("posted"),
        count("unconfirmed"),
        count("failed"),
        count("pending") + count("publishing"),
    );
    let mut rows: Vec<_> = by.into_iter().collect();
    rows.sort();
    for ((platform, status), k) in rows {
        println!("          {platform:<9} {status:<12} {k}");
    }
}
