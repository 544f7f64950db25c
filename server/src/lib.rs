#![recursion_limit = "256"]
//! The `covalynce` server: configuration, the axum router (pages, server functions, JSON API,
//! OAuth callbacks) and the process lifecycle. `Application::build` is what `main` and the
//! integration tests both use.

pub mod ai_routes;
pub mod analytics_routes;
pub mod auth_routes;
pub mod config;
pub mod connection_tools;
pub mod cookies;
pub mod drafts_routes;
pub mod error;
pub mod library_routes;
pub mod media_routes;
pub mod middleware;
pub mod page_cache;
pub mod publish_routes;
#[cfg(feature = "demo")]
pub use sandbox;
pub mod schedule_routes;
pub mod sources_routes;
pub mod webhook_routes;

use anyhow::Context;
use app::state::{AppState, SiteConfig};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use config::Config;
use covalynce::auth::Auth;
use covalynce::connections::Connections;
use covalynce::crypto::Keys;
use covalynce::db::Db;
use covalynce::jobs::{Roles, Workers};
use covalynce::mail::Mailer;
use covalynce::oauth_login::LoginProviders;
use covalynce::platforms::{Http, Platforms};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    workers: Workers,
}

impl Application {
    /// Connects the database (applying migrations), loads or creates the instance keys,
    /// binds the listener (port 0 picks a free one) and assembles the router.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind).await.with_context(|| format!("could not listen on {}", config.bind))?;
        // First start: the data directory holds the SQLite file and the generated keys.
        std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
        let db = Db::connect_pooled(&config.database_url, config.database_max_connections).await?;
        Self::build_with(config, db, listener).await
    }

    /// For tests: an already-bound listener (so the public URL can name its port) and an
    /// already-connected database.
    pub async fn build_with(config: Config, db: Db, listener: TcpListener) -> anyhow::Result<Self> {
        let keys = Keys::load_or_create(&config.data_dir, config.jwt_secret.as_deref(), config.encryption_key.as_deref())?;
        let mailer = Mailer::from_config(config.smtp_url.as_deref(), &config.mail_from, config.dev_outbox)?;
        match mailer.kind() {
            "off" => tracing::warn!("e-mail is off: password reset is refused (set SMTP_URL, or MAIL_OUTBOX=1 for a dev outbox)"),
            "outbox" => tracing::warn!("e-mail goes to the dev outbox (`covalynce outbox`), reset links included: not for production"),
            _ => {}
        }
        let auth = {
            let (db, keys, mailer, policy, base) =
                (db.clone(), keys.clone(), mailer.clone(), config.policy.clone(), config.base_url.clone());
            // Auth::new hashes a dummy password (Argon2): keep it off the async runtime.
            tokio::task::spawn_blocking(move || Auth::new(db, keys, mailer, policy, &base)).await?
        };
        let webhooks = covalynce::webhooks::Webhooks::new(db.clone(), keys.clone(), config.webhooks.clone());
        let connections =
            Connections::new(db.clone(), keys.clone(), Platforms::new(config.platforms.clone(), Http::new(config.platform_timeout)))
                .with_webhooks(webhooks.clone());
        let addr = listener.local_addr()?;
        let leptos_options = LeptosOptions::builder()
            .output_name(app::BUNDLE)
            .site_root(config.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .env(leptos::config::Env::PROD)
            .build();
        let media = covalynce::media::Media::from_config(db.clone(), &config.media, &config.data_dir)?;
        let publisher =
            covalynce::publish::Publisher::new(db.clone(), connections.clone(), media.clone(), &config.base_url, config.queue.clone())
                .with_webhooks(webhooks.clone());
        let analytics = covalynce::analytics::Analytics::new(db.clone(), connections.clone(), config.analytics.clone());
        let state = AppState {
            leptos_options,
            auth,
            connections,
            drafts: covalynce::drafts::Drafts::new(db.clone()),
            webhooks,
            ai: covalynce::ai::Ai::new(db.clone(), keys.clone(), config.ai_timeout, config.ai_allow_private),
            library: covalynce::library::Library::new(db.clone()),
            media,
            publisher,
            analytics,
            platform_configs: Arc::new(config.platforms.clone()),
            providers: LoginProviders::new(config.login_providers.clone()),
            page_cache: Default::default(),
            site: Arc::new(SiteConfig {
                base_url: config.base_url.clone(),
                demo: config.demo,
                secure_cookies: config.base_url.starts_with("https://"),
                trust_proxy: config.trust_proxy,
            }),
        };
        let router = router(state.clone());
        // Mounted after the request middleware: the sandbox plays third-party servers, which
        // know nothing of our sessions or CSRF tokens.
        #[cfg(feature = "demo")]
        let router = if config.demo { router.nest("/sandbox", sandbox::router(sandbox::Sandbox::new())) } else { router };
        let workers = Workers::start(
            state.auth.clone(),
            state.connections.clone(),
            state.webhooks.clone(),
            state.publisher.clone(),
            state.analytics.clone(),
            Roles { publish: config.publish_worker, analytics: config.analytics_worker },
        );
        Ok(Self { listener, router, state, workers })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C / SIGTERM. Then the publishing queue stops claiming, puts back
    /// what it had not sent and lets sent requests finish (`SHUTDOWN_GRACE_SECS`) while the
    /// server still answers; then in-flight HTTP requests finish and the process exits.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let workers = self.workers;
        let stopped = async move {
            shutdown_signal().await;
            tracing::info!("shutting down: no new posts are claimed; posts already sent finish first");
            let started = std::time::Instant::now();
            match workers.stop().await {
                0 => tracing::info!(ms = started.elapsed().as_millis() as u64, "publishing queue stopped"),
                n => tracing::warn!(still_sending = n, "grace period over; those posts' leases will settle them"),
            }
        };
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(stopped).await?;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

pub fn router(state: AppState) -> Router {
    // Generated once per process: route-list generation flips a process-wide "suppress
    // resource loading" flag in Leptos, so generating it again while another router serves
    // pages (several apps in one test process) can leave a page's resource pending forever
    // (leptos-rs/leptos#4773).
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(app::App)).clone();
    let opts = state.leptos_options.clone();
    Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .merge(auth_routes::routes())
        .merge(sources_routes::routes())
        .merge(drafts_routes::routes())
        .merge(ai_routes::routes())
        .merge(publish_routes::routes())
        .merge(analytics_routes::routes())
        .merge(schedule_routes::routes())
        .merge(webhook_routes::routes())
        .merge(media_routes::routes(&state))
        .merge(library_routes::routes())
        .merge(connection_tools::routes())
        .leptos_routes(&state, routes, move || app::shell(opts.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::request_context))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        // Outermost last: every request gets an id (or keeps the caller's X-Request-Id), its
        // log lines share a span carrying it, and the response says it back.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The span of one request: method, path (never the query, which may carry OAuth codes)
/// and the request id.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}

async fn root(Extension(rc): Extension<app::state::RequestCtx>) -> Response {
    Redirect::to(if rc.user.is_some() { "/dashboard" } else { "/login" }).into_response()
}

/// Liveness: a database round-trip and the publishing dispatcher's heartbeat. A stalled
/// dispatcher makes the instance unhealthy, so an orchestrator restarts it.
async fn health(State(st): State<AppState>) -> Response {
    let db = sqlx_ping(&st).await;
    if let Err(e) = &db {
        tracing::error!(error = %e, "health check: database unreachable");
    }
    let q = st.publisher.health().await.ok();
    let worker = match &q {
        Some(h) if h.last_tick == 0 => "off",
        Some(h) if h.healthy => "ok",
        _ => "stalled",
    };
    let ok = db.is_ok() && worker != "stalled";
    let body = Json(serde_json::json!({
        "status": if ok { "ok" } else { "unhealthy" },
        "database": if db.is_ok() { "ok" } else { "unreachable" },
        // How e-mail (password-reset links) leaves: smtp, outbox (dev) or off.
        "mail": st.auth.mail_mode(),
        "publisher": {
            "worker": worker,
            "last_tick": q.as_ref().map(|h| h.last_tick),
            "overdue": q.as_ref().map(|h| h.overdue),
            "in_flight": q.as_ref().map(|h| h.in_flight),
        },
        // Pinned platform API versions within 60 days of their sunset (empty when none).
        "api_versions": covalynce::platforms::versions::sunset_warnings(chrono::Utc::now().date_naive()),
    }));
    if ok {
        body.into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}

async fn sqlx_ping(st: &AppState) -> anyhow::Result<()> {
    st.auth.db().ping().await
}
