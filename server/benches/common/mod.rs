//! What the HTTP latency benches share: a signed-up user, the timing loop, and running the
//! same bench on SQLite and on a fresh PostgreSQL database.

// Each bench uses what it needs of this module.
#![allow(dead_code)]
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

/// `main` of a bench: [`on_both_backends`] on a runtime with the server's 8 MiB worker stacks
/// (deep views render on them; debug builds need the room).
pub fn main_on_both_backends<F, Fut>(name: &str, run: F)
where
    F: Fn(&'static str, Option<String>) -> Fut,
    Fut: Future<Output = ()>,
{
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(8 << 20).build().unwrap();
    rt.block_on(on_both_backends(name, run));
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

/// A number from the environment, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The real server in this process on a fresh data dir and database, on a free port.
pub struct Bench {
    pub base: String,
    pub state: app::state::AppState,
    pub db: covalynce::db::Db,
    label: &'static str,
    dir: std::path::PathBuf,
    database_url: Option<String>,
}

pub async fn start(bench: &str, label: &'static str, database_url: Option<String>) -> Bench {
    let dir = std::env::temp_dir().join(format!("covalynce-bench-{bench}-{}-{label}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_var("DATA_DIR", &dir);
    std::env::set_var("BIND_ADDR", "127.0.0.1:0");
    match &database_url {
        Some(u) => std::env::set_var("DATABASE_URL", u),
        None => std::env::remove_var("DATABASE_URL"),
    }
    let config = server::config::Config::from_env().unwrap();
    let app = server::Application::build(config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let db = state.auth.db().clone();
    tokio::spawn(app.run_until_stopped());
    Bench { base, state, db, label, dir, database_url }
}

impl Bench {
    /// Closes the pool and removes the data dir, unless `BENCH_KEEP=1`.
    pub async fn finish(self) {
        println!();
        self.db.close().await;
        if keep() {
            println!("{}: kept {}", self.label, self.database_url.unwrap_or_else(|| format!("{}", self.dir.display())));
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
