//! Settings from the environment (see `.env.example` for every variable). Nothing is
//! required: the defaults run a single-user instance on SQLite in `./data/`.

use covalynce::auth::AuthPolicy;
use covalynce::oauth_login::{Endpoints, ProviderConfig};
use covalynce::platforms::PlatformConfig;
use covalynce::{LoginProvider, PlatformId};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub base_url: String,
    pub database_url: String,
    pub data_dir: PathBuf,
    /// Where the built site (`pkg/` with wasm, js, css) lives.
    pub site_root: String,
    pub jwt_secret: Option<String>,
    pub encryption_key: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Without `SMTP_URL`, keep e-mails (reset links included) in the dev outbox table: on in
    /// demo mode, otherwise only with `MAIL_OUTBOX=1`. Off means password reset is refused.
    pub dev_outbox: bool,
    /// Take the client IP from `X-Forwarded-For` (only behind a proxy you control).
    pub trust_proxy: bool,
    pub login_providers: Vec<ProviderConfig>,
    /// Social platforms this instance can publish to (client credentials + base URLs).
    pub platforms: HashMap<PlatformId, PlatformConfig>,
    /// `serve --demo`: every platform points at the built-in sandbox under `/sandbox`.
    pub demo: bool,
    /// Lockout and rate limits; `ARGON2_MAX_CONCURRENT` and the `LIMIT_*` variables (see
    /// `policy_from_env`) override the defaults.
    pub policy: AuthPolicy,
    /// How long one AI text generation may take (`AI_TIMEOUT_SECS`, default 60).
    pub ai_timeout: std::time::Duration,
    /// Let AI base URLs reach private and loopback addresses (`AI_ALLOW_PRIVATE=1`: a model
    /// server such as Ollama on this machine or network). Off: public addresses only.
    pub ai_allow_private: bool,
    /// Uploads and image generation: `MAX_UPLOAD_BYTES`, `GEMINI_API_BASE`,
    /// `GEMINI_TIMEOUT_SECS`, `S3_*` (files under `<DATA_DIR>/media` when no bucket is set).
    pub media: covalynce::media::MediaConfig,
    /// The publishing queue (`PUBLISH_LEASE_SECS`, `PUBLISH_POLL_MS`, `PUBLISH_MAX_ATTEMPTS`,
    /// `PUBLISH_BACKOFF_MS`, `PUBLISH_MAX_IN_FLIGHT`, `PUBLISH_PER_PLATFORM`,
    /// `SHUTDOWN_GRACE_SECS`, `PUBLISH_RECONCILE_SECS`).
    pub queue: covalynce::publish::QueueConfig,
    /// Run the publishing dispatcher in this process (`PUBLISH_WORKER=0` turns it off).
    pub publish_worker: bool,
    /// The engagement sync schedule (`ANALYTICS_POLL_SECS`, `ANALYTICS_YOUNG_SECS`,
    /// `ANALYTICS_ADULT_SECS`, `ANALYTICS_OLD_SECS`, `ANALYTICS_STOP_AFTER_DAYS`, `ANALYTICS_BATCH`).
    pub analytics: covalynce::analytics::SyncConfig,
    /// Run the engagement sync worker in this process (`ANALYTICS_WORKER=0` turns it off).
    pub analytics_worker: bool,
    /// Outbound webhooks (`WEBHOOK_MAX_RETRIES`, `WEBHOOK_BASE_DELAY_SECS`,
    /// `WEBHOOKS_ALLOW_PRIVATE`, `WEBHOOK_TIMEOUT_SECS`).
    pub webhooks: covalynce::webhooks::WebhookConfig,
    /// How long one request to a platform may take (`PLATFORM_TIMEOUT_SECS`, default 30). A
    /// publish that times out is unconfirmed, never resent.
    pub platform_timeout: std::time::Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("base_url", &self.base_url)
            .field("data_dir", &self.data_dir)
            .field("login_providers", &self.login_providers)
            .finish_non_exhaustive()
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// `1`, `true` or `yes`.
fn flag(name: &str) -> bool {
    matches!(var(name).as_deref(), Some("1" | "true" | "yes"))
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let bind: SocketAddr = var("BIND_ADDR")
            .unwrap_or_else(|| format!("127.0.0.1:{}", var("PORT").unwrap_or_else(|| "3000".into())))
            .parse()
            .map_err(|e| anyhow::anyhow!("BIND_ADDR must look like 127.0.0.1:3000 ({e})"))?;
        let base_url = var("BASE_URL").unwrap_or_else(|| format!("http://localhost:{}", bind.port())).trim_end_matches('/').to_string();
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = var("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}/covalynce.db?mode=rwc", data_dir.display()));
        let login_providers = LoginProvider::ALL.into_iter().filter_map(|p| provider_from_env(p, &base_url)).collect();
        let platforms = match var("SANDBOX_URL") {
            // Every platform at an external sandbox (`covalynce sandbox`): crash tests and
            // benchmarks, where the sandbox must outlive the server.
            #[cfg(feature = "demo")]
            Some(sbx) => PlatformId::ALL.into_iter().map(|p| (p, sandbox_platform(p, sbx.trim_end_matches('/'), &base_url))).collect(),
            #[cfg(not(feature = "demo"))]
            Some(_) => anyhow::bail!("SANDBOX_URL is set. {NO_SANDBOX}"),
            None => PlatformId::ALL.into_iter().filter_map(|p| platform_from_env(p, &base_url).map(|c| (p, c))).collect(),
        };
        Ok(Self {
            bind,
            base_url,
            database_url,
            data_dir,
            site_root: var("SITE_ROOT").or_else(|| var("LEPTOS_SITE_ROOT")).unwrap_or_else(|| "target/site".into()),
            jwt_secret: var("JWT_SECRET"),
            encryption_key: var("ENCRYPTION_KEY"),
            smtp_url: var("SMTP_URL"),
            mail_from: var("MAIL_FROM").unwrap_or_else(|| "Covalynce <no-reply@localhost>".into()),
            dev_outbox: matches!(var("MAIL_OUTBOX").as_deref(), Some("1" | "true" | "yes")),
            trust_proxy: matches!(var("TRUST_PROXY").as_deref(), Some("1" | "true" | "yes")),
            platforms,
            login_providers,
            demo: false,
            policy: policy_from_env()?,
            queue: queue_from_env(),
            platform_timeout: std::time::Duration::from_secs(var("PLATFORM_TIMEOUT_SECS").and_then(|s| s.parse().ok()).unwrap_or(30)),
            publish_worker: !matches!(var("PUBLISH_WORKER").as_deref(), Some("0" | "false" | "no")),
            analytics: analytics_from_env(),
            analytics_worker: !matches!(var("ANALYTICS_WORKER").as_deref(), Some("0" | "false" | "no")),
            ai_timeout: std::time::Duration::from_secs(var("AI_TIMEOUT_SECS").and_then(|s| s.parse().ok()).unwrap_or(60)),
            ai_allow_private: flag("AI_ALLOW_PRIVATE"),
            media: media_from_env()?,
            webhooks: webhooks_from_env()?,
        })
    }

    /// Demo mode: every platform talks to the in-process sandbox at `{base_url}/sandbox`.
    #[cfg(feature = "demo")]
    pub fn into_demo(mut self) -> Self {
        self.demo = true;
        self.dev_outbox = true;
        let sbx = format!("{}/sandbox", self.base_url);
        self.platforms = PlatformId::ALL.into_iter().map(|p| (p, sandbox_platform(p, &sbx, &self.base_url))).collect();
        self
    }
}

/// Production hosts (platform-contracts.md §0): (auth_base, api_base, upload_base).
pub fn production_bases(p: PlatformId) -> (&'static str, &'static str, &'static str) {
    match p {
        PlatformId::X => ("https://x.com", "https://api.x.com", "https://api.x.com"),
        PlatformId::Facebook | PlatformId::Instagram => {
            ("https://www.facebook.com", "https://graph.facebook.com", "https://graph-video.facebook.com")
        }
        PlatformId::Linkedin => ("https://www.linkedin.com", "https://api.linkedin.com", "https://api.linkedin.com"),
        PlatformId::Youtube => ("https://accounts.google.com", "https://www.googleapis.com", "https://www.googleapis.com/upload"),
        PlatformId::Tiktok => ("https://www.tiktok.com", "https://open.tiktokapis.com", "https://open-upload.tiktokapis.com"),
        PlatformId::Pinterest => ("https://www.pinterest.com", "https://api.pinterest.com", "https://api.pinterest.com"),
        PlatformId::Threads => ("https://threads.net", "https://graph.threads.net", "https://graph.threads.net"),
        PlatformId::Bluesky => ("https://bsky.social", "https://bsky.social", "https://video.bsky.app"),
        PlatformId::Mastodon => ("https://mastodon.social", "https://mastodon.social", "https://mastodon.social"),
    }
}

/// Token endpoint hosts that differ from the API host.
fn token_base(p: PlatformId) -> Option<&'static str> {
    match p {
        PlatformId::Youtube => Some("https://oauth2.googleapis.com"),
        // Bluesky has no token host: its `token_base` is the PLC directory for DID documents.
        PlatformId::Bluesky => Some("https://plc.directory"),
        _ => None,
    }
}

/// Where the browser comes back after connecting a platform.
pub fn platform_redirect(base_url: &str, p: PlatformId) -> String {
    format!("{base_url}/api/oauth/{}/callback", p.as_str())
}

/// `<PREFIX>_CLIENT_ID` enables an OAuth platform. Bluesky (app passwords) and Mastodon
/// (apps registered per instance) need no credentials and are always available.
fn platform_from_env(p: PlatformId, base_url: &str) -> Option<PlatformConfig> {
    let k = p.env_prefix();
    let needs_client = !matches!(p, PlatformId::Bluesky | PlatformId::Mastodon);
    let client_id = var(&format!("{k}_CLIENT_ID"));
    if needs_client && client_id.is_none() {
        return None;
    }
    let (auth, api, upload) = production_bases(p);
    Some(PlatformConfig {
        client_id: client_id.unwrap_or_default(),
        client_secret: var(&format!("{k}_CLIENT_SECRET")).unwrap_or_default(),
        redirect_uri: var(&format!("{k}_REDIRECT_URI")).unwrap_or_else(|| platform_redirect(base_url, p)),
        auth_base: var(&format!("{k}_AUTH_BASE")).unwrap_or_else(|| auth.into()),
        api_base: var(&format!("{k}_API_BASE")).unwrap_or_else(|| api.into()),
        upload_base: var(&format!("{k}_UPLOAD_BASE")).unwrap_or_else(|| upload.into()),
        token_base: var(&format!("{k}_TOKEN_BASE")).unwrap_or_else(|| token_base(p).unwrap_or(api).into()),
        allow_private: p == PlatformId::Mastodon && flag("MASTODON_ALLOW_PRIVATE"),
        member_analytics: p == PlatformId::Linkedin && flag("LINKEDIN_MEMBER_ANALYTICS"),
        audited: p == PlatformId::Tiktok && flag("TIKTOK_AUDITED"),
    })
}

/// What a production build says when asked for the sandbox (`--demo`, `sandbox`, `SANDBOX_URL`).
#[cfg(not(feature = "demo"))]
pub const NO_SANDBOX: &str = "This build has no platform sandbox: production builds leave it out (build with the `demo` feature).";

/// A platform pointed at a sandbox served at `sbx` (its paths mirror the real hosts).
#[cfg(feature = "demo")]
pub fn sandbox_platform(p: PlatformId, sbx: &str, base_url: &str) -> PlatformConfig {
    let root = format!("{sbx}/{}", p.as_str());
    let (auth_base, api_base) = match p {
        PlatformId::X => (root.clone(), format!("{root}/api")),
        _ => (root.clone(), root.clone()),
    };
    PlatformConfig {
        client_id: sandbox::CLIENT_ID.into(),
        client_secret: sandbox::CLIENT_SECRET.into(),
        redirect_uri: platform_redirect(base_url, p),
        auth_base,
        upload_base: if p == PlatformId::X { api_base.clone() } else { format!("{root}/upload") },
        // Bluesky has no token host; its `token_base` is the PLC directory (the sandbox's).
        token_base: if p == PlatformId::Bluesky { format!("{root}/plc") } else { api_base.clone() },
        api_base,
        // Bluesky reaches the PDS a DID document names, and linked pages for link cards,
        // through the guarded client: in the sandbox those are local addresses.
        allow_private: p == PlatformId::Bluesky,
        member_analytics: false,
        // The sandbox plays an audited TikTok app, so every privacy level can be tried.
        audited: true,
    }
}

/// `AUTH_<P>_CLIENT_ID` + `AUTH_<P>_CLIENT_SECRET` enable a provider; endpoints default to
/// production and can be overridden (`AUTH_GOOGLE_ISSUER`, `AUTH_GITHUB_API_BASE`, …).
fn provider_from_env(p: LoginProvider, base_url: &str) -> Option<ProviderConfig> {
    let key = p.as_str().to_uppercase();
    let client_id = var(&format!("AUTH_{key}_CLIENT_ID"))?;
    let client_secret = var(&format!("AUTH_{key}_CLIENT_SECRET")).unwrap_or_default();
    let redirect_uri = var(&format!("AUTH_{key}_REDIRECT_URI")).unwrap_or_else(|| format!("{base_url}/auth/{}/callback", p.as_str()));
    let endpoints = match ProviderConfig::default_endpoints(p) {
        Endpoints::Oidc { issuer } => Endpoints::Oidc { issuer: var(&format!("AUTH_{key}_ISSUER")).unwrap_or(issuer) },
        Endpoints::Facebook { dialog_base, graph_base, version } => Endpoints::Facebook {
            dialog_base: var("AUTH_FACEBOOK_DIALOG_BASE").unwrap_or(dialog_base),
            graph_base: var("AUTH_FACEBOOK_GRAPH_BASE").unwrap_or(graph_base),
            version: var("AUTH_FACEBOOK_API_VERSION").unwrap_or(version),
        },
        Endpoints::Github { auth_base, api_base } => Endpoints::Github {
            auth_base: var("AUTH_GITHUB_AUTH_BASE").unwrap_or(auth_base),
            api_base: var("AUTH_GITHUB_API_BASE").unwrap_or(api_base),
        },
    };
    Some(ProviderConfig { provider: p, client_id, client_secret, redirect_uri, endpoints })
}

/// Upload limit, Gemini endpoint and the object store (S3 when `S3_BUCKET` is set).
fn media_from_env() -> anyhow::Result<covalynce::media::MediaConfig> {
    let mut m = covalynce::media::MediaConfig::default();
    if let Some(v) = var("MAX_UPLOAD_BYTES") {
        m.max_upload_bytes = v
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| anyhow::anyhow!("MAX_UPLOAD_BYTES must be a number of bytes, e.g. 10485760 for 10 MB (got {v})"))?;
    }
    if let Some(v) = var("GEMINI_API_BASE") {
        m.gemini_base = v.trim_end_matches('/').to_string();
    }
    if let Some(v) = var("GEMINI_TIMEOUT_SECS") {
        let secs = v
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| anyhow::anyhow!("GEMINI_TIMEOUT_SECS must be whole seconds (got {v})"))?;
        m.gemini_timeout = std::time::Duration::from_secs(secs);
    }
    m.s3 = var("S3_BUCKET").map(|bucket| covalynce::media::S3Config {
        bucket,
        endpoint: var("S3_ENDPOINT"),
        region: var("S3_REGION").or_else(|| var("AWS_REGION")),
        access_key_id: var("AWS_ACCESS_KEY_ID"),
        secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
    });
    Ok(m)
}

/// `ARGON2_MAX_CONCURRENT` (default 2 × cores) and `LIMIT_<RULE>` = how many per window.
fn policy_from_env() -> anyhow::Result<AuthPolicy> {
    let mut p = AuthPolicy::default();
    let num = |k: &str| -> anyhow::Result<Option<i64>> {
        var(k)
            .map(|v| {
                v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| anyhow::anyhow!("{k} must be a whole number above 0 (got {v})"))
            })
            .transpose()
    };
    if let Some(n) = num("ARGON2_MAX_CONCURRENT")? {
        p.hash_concurrency = n as usize;
    }
    let l = &mut p.limits;
    for (k, limit) in [
        ("LIMIT_SIGNUP_PER_IP_HOUR", &mut l.signup_per_ip),
        ("LIMIT_SIGNUP_PER_EMAIL_HOUR", &mut l.signup_per_email),
        ("LIMIT_FORGOT_PER_EMAIL_HOUR", &mut l.forgot_per_email),
        ("LIMIT_FORGOT_PER_IP_HOUR", &mut l.forgot_per_ip),
        ("LIMIT_WEBHOOK_TEST_PER_USER_MIN", &mut l.webhook_test_per_user),
        ("LIMIT_WEBHOOK_TEST_PER_TARGET_MIN", &mut l.webhook_test_per_target),
    ] {
        if let Some(n) = num(k)? {
            limit.max = n;
        }
    }
    Ok(p)
}

fn analytics_from_env() -> covalynce::analytics::SyncConfig {
    use std::time::Duration;
    let d = covalynce::analytics::SyncConfig::default();
    let secs =
        |k: &str, dflt: Duration| var(k).and_then(|v| v.parse::<u64>().ok()).filter(|n| *n > 0).map(Duration::from_secs).unwrap_or(dflt);
    covalynce::analytics::SyncConfig {
        poll: secs("ANALYTICS_POLL_SECS", d.poll),
        young: secs("ANALYTICS_YOUNG_SECS", d.young),
        adult: secs("ANALYTICS_ADULT_SECS", d.adult),
        old: secs("ANALYTICS_OLD_SECS", d.old),
        stop_after: var("ANALYTICS_STOP_AFTER_DAYS")
            .and_then(|v| v.parse::<u64>().ok())
            .map(|n| Duration::from_secs(n * 86_400))
            .unwrap_or(d.stop_after),
        batch_per_platform: var("ANALYTICS_BATCH").and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(d.batch_per_platform),
        ..d
    }
}

fn queue_from_env() -> covalynce::publish::QueueConfig {
    use std::time::Duration;
    let d = covalynce::publish::QueueConfig::default();
    let num = |k: &str| var(k).and_then(|v| v.parse::<u64>().ok());
    covalynce::publish::QueueConfig {
        lease: num("PUBLISH_LEASE_SECS").map(Duration::from_secs).unwrap_or(d.lease),
        poll: num("PUBLISH_POLL_MS").map(Duration::from_millis).unwrap_or(d.poll),
        max_attempts: num("PUBLISH_MAX_ATTEMPTS").map(|n| n as i64).unwrap_or(d.max_attempts),
        backoff_base: num("PUBLISH_BACKOFF_MS").map(Duration::from_millis).unwrap_or(d.backoff_base),
        max_in_flight: num("PUBLISH_MAX_IN_FLIGHT").map(|n| n as usize).unwrap_or(d.max_in_flight),
        per_platform: num("PUBLISH_PER_PLATFORM").map(|n| n as usize).unwrap_or(d.per_platform),
        stall_after: num("PUBLISH_STALL_SECS").map(Duration::from_secs).unwrap_or(d.stall_after),
        // A request runs at most the platform timeout, so that is how long one may still be
        // in flight after its sender's lease ran out.
        send_horizon: num("PLATFORM_TIMEOUT_SECS").map(Duration::from_secs).unwrap_or(d.send_horizon),
        shutdown_grace: num("SHUTDOWN_GRACE_SECS").map(Duration::from_secs).unwrap_or(d.shutdown_grace),
        reconcile_delay: num("PUBLISH_RECONCILE_SECS").map(Duration::from_secs).unwrap_or(d.reconcile_delay),
    }
}

/// Webhook retries and the private-address rule. Private targets stay refused unless the
/// admin says otherwise (e.g. every receiver lives on the same closed network).
fn webhooks_from_env() -> anyhow::Result<covalynce::webhooks::WebhookConfig> {
    let mut w = covalynce::webhooks::WebhookConfig::default();
    let num = |k: &str, min: u64, max: u64| -> anyhow::Result<Option<u64>> {
        var(k)
            .map(|v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| anyhow::anyhow!("{k} must be a whole number from {min} to {max} (got {v})"))
            })
            .transpose()
    };
    if let Some(n) = num("WEBHOOK_MAX_RETRIES", 0, 20)? {
        w.max_retries = n as u32;
    }
    if let Some(n) = num("WEBHOOK_BASE_DELAY_SECS", 1, 3600)? {
        w.base_delay = std::time::Duration::from_secs(n);
    }
    if let Some(n) = num("WEBHOOK_TIMEOUT_SECS", 1, 60)? {
        w.timeout = std::time::Duration::from_secs(n);
    }
    w.allow_private = flag("WEBHOOKS_ALLOW_PRIVATE");
    Ok(w)
}
