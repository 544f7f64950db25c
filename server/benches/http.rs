//! `/login` server-side rendering throughput against a bare axum route that returns the same
//! bytes, measured in one run with the same in-process load generator.
//!
//! cargo bench -p server --bench http   (env: BENCH_SECS, BENCH_CONCURRENCY)

use axum::routing::get;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn load(url: String, secs: u64, concurrency: usize) -> (f64, Vec<Duration>) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = vec![];
    for _ in 0..concurrency {
        let (client, url, done) = (client.clone(), url.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = vec![];
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = client.get(&url).send().await.unwrap();
                assert!(r.status().is_success());
                let _ = r.bytes().await.unwrap();
                lat.push(t.elapsed());
                done.fetch_add(1, Ordering::Relaxed);
            }
            lat
        }));
    }
    let start = Instant::now();
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    (done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64(), all)
}

fn pct(v: &[Duration], p: f64) -> f64 {
    v[((v.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let secs: u64 = std::env::var("BENCH_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let conc: usize = std::env::var("BENCH_CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
    let dir = std::env::temp_dir().join(format!("covalynce-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_var("DATA_DIR", &dir);
    std::env::set_var("BIND_ADDR", "127.0.0.1:0");
    let config = server::config::Config::from_env().unwrap();
    let app = server::Application::build(config).await.unwrap();
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let login = format!("http://127.0.0.1:{port}/login");
    let body = reqwest::get(&login).await.unwrap().text().await.unwrap();
    assert!(body.contains("Welcome back"));

    let bare = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_port = bare.local_addr().unwrap().port();
    let bytes = Arc::new(body.clone());
    let router = axum::Router::new().route(
        "/login",
        get(move || {
            let b = bytes.clone();
            async move { ([("content-type", "text/html; charset=utf-8")], (*b).clone()) }
        }),
    );
    tokio::spawn(async move { axum::serve(bare, router).await.unwrap() });
    let bare_url = format!("http://127.0.0.1:{bare_port}/login");

    // Warm both, then alternate so neither gets a cooler machine.
    load(login.clone(), 1, conc).await;
    load(bare_url.clone(), 1, conc).await;
    let (ssr, ssr_lat) = load(login, secs, conc).await;
    let (raw, raw_lat) = load(bare_url, secs, conc).await;
    println!("page bytes: {}", body.len());
    println!("concurrency {conc}, {secs}s each");
    println!("/login SSR : {ssr:>8.0} req/s  p50 {:.2} ms  p99 {:.2} ms", pct(&ssr_lat, 0.5), pct(&ssr_lat, 0.99));
    println!("bare axum  : {raw:>8.0} req/s  p50 {:.2} ms  p99 {:.2} ms", pct(&raw_lat, 0.5), pct(&raw_lat, 0.99));
    println!("ratio SSR/bare: {:.2}", ssr / raw);
    let _ = std::fs::remove_dir_all(dir);
}
