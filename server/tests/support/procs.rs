//! Real processes for the crash and multi-replica tests and the dispatch benchmark: the
//! `covalynce` binary as server(s) and as the platform sandbox, driven over HTTP.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_covalynce")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub struct Proc {
    child: Child,
    pub base: String,
}

impl Proc {
    /// SIGKILL: no shutdown hooks, no flushing — a crash.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    /// Sends a signal by name (`TERM`, `STOP`, `CONT`) with `kill`, as an orchestrator would.
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill").args(["-s", name, &self.pid().to_string()]).status().is_ok_and(|s| s.success());
        assert!(ok, "kill -s {name} {}", self.pid());
    }
    /// Waits for the process to exit on its own; its exit status, or None if it is still
    /// running after `within`.
    pub async fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

async fn wait_ready(url: &str) {
    let c = reqwest::Client::new();
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end {
        if c.get(url).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{url} did not come up");
}

pub async fn start_sandbox() -> Proc {
    let port = free_port();
    let child = Command::new(bin())
        .args(["sandbox", "--port", &port.to_string()])
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the sandbox");
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&format!("{base}/_control/ledger")).await;
    Proc { child, base }
}

/// A server process on `port` (so a restart keeps the address and the browser cookies).
pub async fn start_server(port: u16, data_dir: &std::path::Path, db_url: &str, sandbox: &str, env: &[(&str, &str)]) -> Proc {
    start_server_cmd(Command::new(bin()), port, data_dir, db_url, sandbox, env).await
}

/// A server process whose clock is off by `skew` (`+45s`, `-30s`, or `@2027-09-15 12:00:00`
/// for a fixed start), through Debian's libfaketime. The library is preloaded into the server
/// itself rather than run through the `faketime` wrapper, so `kill9` kills the server and
/// leaves no orphan behind.
pub async fn start_server_skewed(
    skew: &str,
    port: u16,
    data_dir: &std::path::Path,
    db_url: &str,
    sandbox: &str,
    env: &[(&str, &str)],
) -> Proc {
    let lib = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("libfaketime (Debian package faketime, installed by scripts/install.sh)");
    let mut cmd = Command::new(bin());
    cmd.env("LD_PRELOAD", lib).env("FAKETIME", skew).env("FAKETIME_DONT_RESET", "1");
    start_server_cmd(cmd, port, data_dir, db_url, sandbox, env).await
}

async fn start_server_cmd(
    mut cmd: Command,
    port: u16,
    data_dir: &std::path::Path,
    db_url: &str,
    sandbox: &str,
    env: &[(&str, &str)],
) -> Proc {
    let base = format!("http://127.0.0.1:{port}");
    cmd.arg("serve")
        .env("PORT", port.to_string())
        .env("BASE_URL", &base)
        .env("DATA_DIR", data_dir)
        .env("DATABASE_URL", db_url)
        .env("SANDBOX_URL", sandbox)
        .env("RUST_LOG", "error")
        // Several tests run several servers on one PostgreSQL at once (100 connections).
        .env("DATABASE_MAX_CONNECTIONS", "8")
        .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("start the server");
    wait_ready(&format!("{base}/health")).await;
    Proc { child, base }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub async fn signup(c: &reqwest::Client, base: &str) {
    let email = format!("crash-{}@example.com", uuid_like());
    let r = c
        .post(format!("{base}/auth/signup"))
        .json(&serde_json::json!({"email": email, "password": "correct horse battery 9", "name": "Crash Test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos() ^ (chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) as u128)
    )
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// The browser's OAuth flow against the sandbox: consent form → sandbox consent → callback.
/// Returns the new connection's id.
pub async fn connect(c: &reqwest::Client, base: &str, platform: &str, username: &str) -> String {
    let html = c.get(format!("{base}/forgot")).send().await.unwrap().text().await.unwrap();
    let marker = "name=\"csrf\" value=\"";
    let i = html.find(marker).unwrap() + marker.len();
    let csrf = html[i..].split('"').next().unwrap().to_string();
    let r = c.post(format!("{base}/sources/connect/{platform}")).form(&[("csrf", csrf.as_str()), ("consent", "on")]).send().await.unwrap();
    let authorize = location(&r);
    let q: HashMap<String, String> = url::Url::parse(&authorize).unwrap().query_pairs().into_owned().collect();
    let mut form: Vec<(String, String)> = ["client_id", "redirect_uri", "state", "code_challenge"]
        .iter()
        .filter_map(|k| q.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    form.push(("username".into(), username.into()));
    form.push(("decision".into(), "allow".into()));
    let r = c.post(&authorize).form(&form).send().await.unwrap();
    let back = c.get(location(&r)).send().await.unwrap();
    // Several Pages offered: connect them all.
    if let Some(pick) = back.headers().get("location").and_then(|l| l.to_str().ok()?.strip_prefix("/sources/choose/").map(str::to_string)) {
        let offered: Value = c.get(format!("{base}/integrations/picks/{pick}")).send().await.unwrap().json().await.unwrap();
        let ids: Vec<&str> = offered["accounts"].as_array().unwrap().iter().map(|a| a["external_id"].as_str().unwrap()).collect();
        let r = c.post(format!("{base}/integrations/picks/{pick}")).json(&serde_json::json!({"accounts": ids})).send().await.unwrap();
        assert_eq!(r.status(), 201, "{platform}: chosen accounts connected");
    }
    let v: Value = c.get(format!("{base}/integrations/list")).send().await.unwrap().json().await.unwrap();
    v["integrations"].as_array().unwrap().iter().rfind(|i| i["provider"] == platform).expect("connected")["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// (platform, text) → when the sandbox accepted it (its own, correct clock; UTC ms).
pub async fn ledger_times(sandbox: &str) -> HashMap<(String, String), i64> {
    let v: Value = reqwest::get(format!("{sandbox}/_control/ledger")).await.unwrap().json().await.unwrap();
    v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| ((e["platform"].as_str().unwrap().to_string(), e["text"].as_str().unwrap().to_string()), e["at_ms"].as_i64().unwrap()))
        .collect()
}

/// (platform, text) of everything the sandbox accepted.
pub async fn ledger(sandbox: &str) -> Vec<(String, String)> {
    let v: Value = reqwest::get(format!("{sandbox}/_control/ledger")).await.unwrap().json().await.unwrap();
    v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["platform"].as_str().unwrap().to_string(), e["text"].as_str().unwrap().to_string()))
        .collect()
}

/// Schedules `n` posts (unique texts `{tag}-{i}`) across `conns`, at `at(i)` UTC ms.
pub async fn schedule(c: &reqwest::Client, base: &str, conns: &[String], n: usize, tag: &str, at: impl Fn(usize) -> i64) {
    let mut i = 0;
    while i < n {
        let ids: Vec<&String> = conns.iter().take(n - i).collect();
        let r = c
            .post(format!("{base}/api/posts/publish"))
            .json(&serde_json::json!({"connection_ids": ids, "text": format!("{tag}-{i}"), "scheduled_at": at(i)}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        i += ids.len();
    }
}

/// Every post of the signed-in user.
pub async fn posts(c: &reqwest::Client, base: &str) -> Vec<Value> {
    posts_from(c, base, 0).await
}

/// Posts scheduled at or after `from` (UTC ms): the API lists at most 10,000 at a time.
pub async fn posts_from(c: &reqwest::Client, base: &str, from: i64) -> Vec<Value> {
    let v: Value = c.get(format!("{base}/api/posts?limit=10000&from={from}")).send().await.unwrap().json().await.unwrap();
    v["posts"].as_array().unwrap().clone()
}

/// Waits until no post is pending or publishing; returns them.
pub async fn settle(c: &reqwest::Client, base: &str, within: Duration) -> Vec<Value> {
    let end = Instant::now() + within;
    loop {
        let all = posts(c, base).await;
        let open = all.iter().filter(|p| matches!(p["status"].as_str(), Some("pending" | "publishing"))).count();
        if open == 0 || Instant::now() > end {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// For each post: how many times the sandbox got it. Panics on any duplicate or on a posted
/// post the sandbox never saw; returns (posted, unconfirmed, failed).
pub fn check_exactly_once(posts: &[Value], ledger: &[(String, String)]) -> (usize, usize, usize) {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (p, t) in ledger {
        *seen.entry((p.clone(), t.clone())).or_default() += 1;
    }
    let dupes: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dupes.is_empty(), "published more than once: {dupes:?}");
    let (mut posted, mut unconfirmed, mut failed) = (0, 0, 0);
    for p in posts {
        let key = (p["platform"].as_str().unwrap().to_string(), p["body"].as_str().unwrap().to_string());
        let n = seen.get(&key).copied().unwrap_or(0);
        match p["status"].as_str().unwrap() {
            "posted" => {
                assert_eq!(n, 1, "posted but the platform has it {n} times: {p}");
                posted += 1;
            }
            "unconfirmed" => {
                assert!(n <= 1);
                unconfirmed += 1;
            }
            "failed" => {
                assert_eq!(n, 0, "failed but the platform has it: {p}");
                failed += 1;
            }
            other => panic!("post left {other}: {p}"),
        }
    }
    (posted, unconfirmed, failed)
}

pub fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "postgres://127.0.0.1:5432/test".into())
}

/// A new, empty PostgreSQL database for one test; its URL.
pub async fn fresh_pg(name: &str) -> String {
    use sqlx::Connection;
    let admin = pg_admin_url();
    let mut c = sqlx::postgres::PgConnection::connect(&admin).await.expect("PostgreSQL at TEST_DATABASE_URL (default 127.0.0.1:5432/test)");
    let db = format!("cov_crash_{name}_{}", std::process::id());
    sqlx::query(&format!("drop database if exists {db}")).execute(&mut c).await.unwrap();
    sqlx::query(&format!("create database {db}")).execute(&mut c).await.unwrap();
    let mut u = url::Url::parse(&admin).unwrap();
    u.set_path(&format!("/{db}"));
    u.to_string()
}

/// A fresh data directory for one server process.
pub fn tempfile_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("covalynce-{tag}-{}-{}", std::process::id(), now_ms()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Connects a Bluesky account with the sandbox's app password; its connection id.
pub async fn bluesky_account(c: &reqwest::Client, base: &str, handle: &str) -> String {
    let r = c
        .post(format!("{base}/integrations/bluesky/connect"))
        .json(&serde_json::json!({"identifier": handle, "app_password": sandbox::APP_PASSWORD, "consent": true}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    v["integrations"][0]["id"].as_str().unwrap().to_string()
}
