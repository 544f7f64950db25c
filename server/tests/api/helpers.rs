use covalynce::auth::{AuthPolicy, Limit, Limits};
use covalynce::db::Db;
use server::config::Config;
use sqlx::Connection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub struct TestApp {
    pub addr: String,
    /// Keeps cookies, never follows redirects (tests assert them).
    pub client: reqwest::Client,
    pub db: Db,
    pub db_url: String,
    /// The server's own state, for assertions that need the core directly.
    pub state: app::state::AppState,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique() -> String {
    format!("{}_{}_{}", chrono::Utc::now().timestamp(), std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst))
}

pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", unique().replace('_', "-"))
}

pub const PASSWORD: &str = "correct horse battery 9";

/// A fresh database for one test. On PostgreSQL, a new database per test (old leftovers from
/// crashed runs are dropped after an hour); a URL that is set but unreachable fails the test.
pub async fn fresh_database_url() -> String {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(admin_url) => {
            let mut admin = sqlx::postgres::PgConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
            let name = format!("cov_t_{}", unique());
            drop_stale(&mut admin).await;
            sqlx::query(&format!("create database {name}")).execute(&mut admin).await.expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
        None => {
            let dir = std::env::temp_dir().join("covalynce-tests");
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}/{}.db?mode=rwc", dir.display(), unique())
        }
    }
}

async fn drop_stale(admin: &mut sqlx::postgres::PgConnection) {
    use sqlx::Row;
    let cutoff = chrono::Utc::now().timestamp() - 3600;
    let rows = sqlx::query("select datname from pg_database where datname like 'cov_t_%'").fetch_all(&mut *admin).await.unwrap_or_default();
    for r in rows {
        let name: String = r.get(0);
        let ts: i64 = name.trim_start_matches("cov_t_").split('_').next().and_then(|t| t.parse().ok()).unwrap_or(i64::MAX);
        if ts < cutoff {
            let _ = sqlx::query(&format!("drop database if exists {name}")).execute(&mut *admin).await;
        }
    }
}

/// Limits far above what any test reaches (tests share 127.0.0.1 and run in parallel); the
/// hardening tests lower the one they check through `spawn_app_with`.
pub fn test_policy() -> AuthPolicy {
    let roomy = |l: Limit| Limit { max: 100_000, ..l };
    let d = Limits::default();
    AuthPolicy {
        reuse_grace: Duration::ZERO,
        ip_max_failures: 1000,
        // Many test servers share two cores: queue for Argon2 rather than answer 503.
        hash_queue_wait: Duration::from_secs(120),
        limits: Limits {
            signup_per_ip: roomy(d.signup_per_ip),
            signup_per_email: roomy(d.signup_per_email),
            forgot_per_email: roomy(d.forgot_per_email),
            forgot_per_ip: roomy(d.forgot_per_ip),
            webhook_test_per_user: roomy(d.webhook_test_per_user),
            webhook_test_per_target: roomy(d.webhook_test_per_target),
        },
        ..AuthPolicy::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customise: impl FnOnce(&mut Config)) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let base_url = format!("http://127.0.0.1:{port}");
    let data_dir = std::env::temp_dir().join("covalynce-tests").join(format!("data-{}", unique()));
    let mut config = Config {
        bind: listener.local_addr().unwrap(),
        base_url: base_url.clone(),
        database_url: fresh_database_url().await,
        database_max_connections: None,
        data_dir,
        site_root: "target/site".into(),
        jwt_secret: None,
        encryption_key: None,
        smtp_url: None,
        mail_from: "Covalynce <no-reply@localhost>".into(),
        // Tests read reset links from the dev outbox.
        dev_outbox: true,
        trust_proxy: true,
        login_providers: vec![],
        platforms: Default::default(),
        demo: false,
        policy: test_policy(),
        ai_timeout: Duration::from_secs(5),
        ai_allow_private: false,
        queue: covalynce::publish::QueueConfig {
            backoff_base: Duration::from_millis(100),
            poll: Duration::from_millis(50),
            ..Default::default()
        },
        publish_worker: true,
        analytics: covalynce::analytics::SyncConfig { poll: Duration::from_millis(100), ..Default::default() },
        analytics_worker: true,
        platform_timeout: Duration::from_secs(30),
        media: Default::default(),
        webhooks: Default::default(),
    };
    customise(&mut config);
    let db = Db::connect(&config.database_url).await.expect("connect test database");
    let db_url = config.database_url.clone();
    let app = server::Application::build_with(config, db.clone(), listener).await.expect("build app");
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp { addr: base_url, client: client(), db, db_url, state }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).user_agent("covalynce-tests").build().unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(&body).send().await.unwrap()
    }

    /// Signs up through the JSON API and returns the response body.
    pub async fn signup(&self, email: &str) -> serde_json::Value {
        let r = self.post_json("/auth/signup", serde_json::json!({"email": email, "password": PASSWORD, "name": "Ada Lovelace"})).await;
        assert_eq!(r.status(), 201, "signup failed");
        r.json().await.unwrap()
    }

    /// The CSRF token the server issued to this client's cookie jar (from a page render).
    pub async fn csrf(&self) -> String {
        let html = self.client.get(self.url("/forgot")).send().await.unwrap().text().await.unwrap();
        extract_csrf(&html).expect("every page with a form carries a csrf field")
    }

    /// The same server seen from another browser (its own cookie jar, nobody signed in).
    pub fn other_browser(&self) -> TestApp {
        TestApp { addr: self.addr.clone(), client: client(), db: self.db.clone(), db_url: self.db_url.clone(), state: self.state.clone() }
    }

    /// The latest message in the dev outbox for `to`.
    pub async fn last_mail(&self, to: &str) -> Option<covalynce::mail::OutboxMessage> {
        covalynce::mail::outbox(&self.db, Some(to), 1).await.unwrap().into_iter().next()
    }
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[i..].split('"').next()?.to_string())
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

pub async fn error_code(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    (status, v["error"].as_str().unwrap_or("").to_string(), v["message"].as_str().unwrap_or("").to_string())
}

/// Runs a test on a runtime whose threads have 8 MiB stacks, as the server binary's do: Leptos'
/// deeply nested view types need more than the 2 MiB default to render the big pages (the
/// editor) in a debug build. The server's tasks run on those threads.
pub fn big_stack(test: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_stack_size(8 << 20).enable_all().build().unwrap().block_on(test)
}
