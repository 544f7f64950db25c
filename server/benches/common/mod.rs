//! What the HTTP latency benches share: a signed-up user, the timing loop, and running the
//! same bench on SQLite and on a fresh PostgreSQL database.

use std::future::Future;
use std::time::{Duration, Instant};

/// Signs up through the JSON API; returns a client carrying the session and the user id.
pub async fn user(base: &str, tag: &str) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let email = format!("{tag}-{}@example.com", uuid::Uuid::new_v4());
    let r = client
        .post(format!("{base}/auth/signup"))
        .json(&serde_json::json!({"email": email, "password": "correct horse battery 9", "name": "Bench User"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "signup");
    let me: serde_json::Value = client.get(format!("{base}/auth/me")).send().await.unwrap().json().await.unwrap();
    (client, me["id"].as_str().unwrap().to_string())
}

/// p50, p95 and max in ms of `requests` GETs of `url`, one at a time, after `warmup` unmeasured ones.
pub async fn latencies(client: &reqwest::Client, url: &str, warmup: usize, requests: usize) -> (f64, f64, f64) {
    for _ in 0..warmup {
        client.get(url).send().await.unwrap().bytes().await.unwrap();
    }
    let mut lat = Vec::with_capacity(requests);
    for _ in 0..requests {
        let t = Instant::now();
        let r = client.get(url).send().await.unwrap();
        assert!(r.status().is_success());
        r.bytes().await.unwrap();
        lat.push(t.elapsed());
    }
    lat.sort();
    (pct(&lat, 0.5), pct(&lat, 0.95), pct(&lat, 1.0))
}

fn pct(v: &[Duration], p: f64) -> f64 {
    v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

/// `BENCH_KEEP=1` keeps the databases for a look afterwards.
pub fn keep() -> bool {
    std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1")
}

/// Runs `run(label, database_url)` on SQLite, then on a new PostgreSQL database created through
/// `BENCH_PG_ADMIN_URL` (default the local test server; unreachable → skipped) and dropped after.
pub async fn on_both_backends<F, Fut>(name: &str, run: F)
where
    F: Fn(&'static str, Option<String>) -> Fut,
    Fut: Future<Output = ()>,
{
    run("sqlite", None).await;
    let admin = std::env::var("BENCH_PG_ADMIN_URL").unwrap_or_else(|_| "postgres://127.0.0.1:5432/test".into());
    use sqlx::Connection;
    match sqlx::postgres::PgConnection::connect(&admin).await {
        Err(e) => println!("postgres: skipped ({admin} unreachable: {e})"),
        Ok(mut conn) => {
            let db = format!("cov_bench_{name}_{}", std::process::id());
            sqlx::query(&format!("create database {db}")).execute(&mut conn).await.unwrap();
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&format!("/{db}"));
            run("postgres", Some(url.to_string())).await;
            if !keep() {
                let _ = sqlx::query(&format!("drop database {db} with (force)")).execute(&mut conn).await;
            }
        }
    }
}
