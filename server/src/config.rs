//! Settings from the environment (see `.env.example` for every variable). Nothing is
//! required: the defaults run a single-user instance on SQLite in `./data/`.

use covalynce::auth::AuthPolicy;
use covalynce::oauth_login::{Endpoints, ProviderConfig};
use covalynce::platforms::PlatformConfig;
use covalynce::{LoginProvider, PlatformId};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub base_url: String,
    pub database_url: String,
    /// Connections this process opens to PostgreSQL at most (`DATABASE_MAX_CONNECTIONS`,
    /// default 16): replicas × this must stay under the database's `max_connections`.
    pub database_max_connections: Option<u32>,
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

/// A yes/no setting, spelled one way everywhere: `1 true yes on` or `0 false no off` (any
/// case). Unset is `default`; anything else stops the start, naming the variable.
fn flag(name: &str, default: bool) -> anyhow::Result<bool> {
    let Some(v) = var(name) else { return Ok(default) };
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => anyhow::bail!("{name} must be true or false (got {v:?})"),
    }
}

/// A whole number in `range`; unset is `None`; anything else stops the start.
fn number(name: &str, range: RangeInclusive<u64>) -> anyhow::Result<Option<u64>> {
    var(name)
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| anyhow::anyhow!("{name} must be a whole number from {} to {} (got {v:?})", range.start(), range.end()))
        })
        .transpose()
}

fn secs(name: &str, range: RangeInclusive<u64>) -> anyhow::Result<Option<Duration>> {
    Ok(number(name, range)?.map(Duration::from_secs))
}

fn millis(name: &str, range: RangeInclusive<u64>) -> anyhow::Result<Option<Duration>> {
    Ok(number(name, range)?.map(Duration::from_millis))
}

const DAY: u64 = 86_400;

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
            None => {
                let mut m = HashMap::new();
                for p in PlatformId::ALL {
                    if let Some(c) = platform_from_env(p, &base_url)? {
                        m.insert(p, c);
                    }
                }
                m
            }
        };
        Ok(Self {
            bind,
            base_url,
            database_url,
            database_max_connections: number("DATABASE_MAX_CONNECTIONS", 1..=1_000)?.map(|n| n as u32),
            data_dir,
            site_root: var("SITE_ROOT").or_else(|| var("LEPTOS_SITE_ROOT")).unwrap_or_else(|| "target/site".into()),
            jwt_secret: var("JWT_SECRET"),
            encryption_key: var("ENCRYPTION_KEY"),
            smtp_url: var("SMTP_URL"),
            mail_from: var("MAIL_FROM").unwrap_or_else(|| "Covalynce <no-reply@localhost>".into()),
            dev_outbox: flag("MAIL_OUTBOX", false)?,
            trust_proxy: flag("TRUST_PROXY", false)?,
            platforms,
            login_providers,
            demo: false,
            policy: policy_from_env()?,
            queue: queue_from_env()?,
            platform_timeout: secs("PLATFORM_TIMEOUT_SECS", 1..=600)?.unwrap_or(Duration::from_secs(30)),
            publish_worker: flag("PUBLISH_WORKER", true)?,
            analytics: analytics_from_env()?,
            analytics_worker: flag("ANALYTICS_WORKER", true)?,
            ai_timeout: secs("AI_TIMEOUT_SECS", 1..=600)?.unwrap_or(Duration::from_secs(60)),
            ai_allow_private: flag("AI_ALLOW_PRIVATE", false)?,
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
fn platform_from_env(p: PlatformId, base_url: &str) -> anyhow::Result<Option<PlatformConfig>> {
    let k = p.env_prefix();
    let needs_client = p.needs_app_credentials();
    let client_id = var(&format!("{k}_CLIENT_ID"));
    if needs_client && client_id.is_none() {
        return Ok(None);
    }
    let (auth, api, upload) = production_bases(p);
    Ok(Some(PlatformConfig {
        client_id: client_id.unwrap_or_default(),
        client_secret: var(&format!("{k}_CLIENT_SECRET")).unwrap_or_default(),
        redirect_uri: var(&format!("{k}_REDIRECT_URI")).unwrap_or_else(|| platform_redirect(base_url, p)),
        auth_base: var(&format!("{k}_AUTH_BASE")).unwrap_or_else(|| auth.into()),
        api_base: var(&format!("{k}_API_BASE")).unwrap_or_else(|| api.into()),
        upload_base: var(&format!("{k}_UPLOAD_BASE")).unwrap_or_else(|| upload.into()),
        token_base: var(&format!("{k}_TOKEN_BASE")).unwrap_or_else(|| token_base(p).unwrap_or(api).into()),
        allow_private: p == PlatformId::Mastodon && flag("MASTODON_ALLOW_PRIVATE", false)?,
        member_analytics: p == PlatformId::Linkedin && flag("LINKEDIN_MEMBER_ANALYTICS", false)?,
        audited: p == PlatformId::Tiktok && flag("TIKTOK_AUDITED", false)?,
    }))
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

/// Upload limit, Gemini endpoint, the object store (S3 when `S3_BUCKET` is set) and whether
/// web images may come from private addresses.
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
    m.gemini_timeout = secs("GEMINI_TIMEOUT_SECS", 1..=600)?.unwrap_or(m.gemini_timeout);
    m.allow_private = flag("MEDIA_ALLOW_PRIVATE", false)?;
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
    let num = |k: &str| number(k, 1..=1_000_000);
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
            limit.max = n as i64;
        }
    }
    Ok(p)
}

fn analytics_from_env() -> anyhow::Result<covalynce::analytics::SyncConfig> {
    let d = covalynce::analytics::SyncConfig::default();
    Ok(covalynce::analytics::SyncConfig {
        poll: secs("ANALYTICS_POLL_SECS", 1..=DAY)?.unwrap_or(d.poll),
        young: secs("ANALYTICS_YOUNG_SECS", 1..=30 * DAY)?.unwrap_or(d.young),
        adult: secs("ANALYTICS_ADULT_SECS", 1..=30 * DAY)?.unwrap_or(d.adult),
        old: secs("ANALYTICS_OLD_SECS", 1..=30 * DAY)?.unwrap_or(d.old),
        stop_after: number("ANALYTICS_STOP_AFTER_DAYS", 1..=3650)?.map(|n| Duration::from_secs(n * DAY)).unwrap_or(d.stop_after),
        batch_per_platform: number("ANALYTICS_BATCH", 1..=10_000)?.map(|n| n as usize).unwrap_or(d.batch_per_platform),
        ..d
    })
}

fn queue_from_env() -> anyhow::Result<covalynce::publish::QueueConfig> {
    let d = covalynce::publish::QueueConfig::default();
    Ok(covalynce::publish::QueueConfig {
        lease: secs("PUBLISH_LEASE_SECS", 1..=3600)?.unwrap_or(d.lease),
        poll: millis("PUBLISH_POLL_MS", 1..=60_000)?.unwrap_or(d.poll),
        max_attempts: number("PUBLISH_MAX_ATTEMPTS", 1..=100)?.map(|n| n as i64).unwrap_or(d.max_attempts),
        backoff_base: millis("PUBLISH_BACKOFF_MS", 1..=3_600_000)?.unwrap_or(d.backoff_base),
        max_in_flight: number("PUBLISH_MAX_IN_FLIGHT", 1..=100_000)?.map(|n| n as usize).unwrap_or(d.max_in_flight),
        per_platform: number("PUBLISH_PER_PLATFORM", 1..=10_000)?.map(|n| n as usize).unwrap_or(d.per_platform),
        stall_after: secs("PUBLISH_STALL_SECS", 1..=DAY)?.unwrap_or(d.stall_after),
        // A request runs at most the platform timeout, so that is how long one may still be
        // in flight after its sender's lease ran out.
        send_horizon: secs("PLATFORM_TIMEOUT_SECS", 1..=600)?.unwrap_or(d.send_horizon),
        shutdown_grace: secs("SHUTDOWN_GRACE_SECS", 0..=3600)?.unwrap_or(d.shutdown_grace),
        reconcile_delay: secs("PUBLISH_RECONCILE_SECS", 0..=DAY)?.unwrap_or(d.reconcile_delay),
    })
}

/// Webhook retries and the private-address rule. Private targets stay refused unless the
/// admin says otherwise (e.g. every receiver lives on the same closed network).
fn webhooks_from_env() -> anyhow::Result<covalynce::webhooks::WebhookConfig> {
    let mut w = covalynce::webhooks::WebhookConfig::default();
    if let Some(n) = number("WEBHOOK_MAX_RETRIES", 0..=20)? {
        w.max_retries = n as u32;
    }
    w.base_delay = secs("WEBHOOK_BASE_DELAY_SECS", 1..=3600)?.unwrap_or(w.base_delay);
    w.timeout = secs("WEBHOOK_TIMEOUT_SECS", 1..=60)?.unwrap_or(w.timeout);
    w.allow_private = flag("WEBHOOKS_ALLOW_PRIVATE", false)?;
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test owns its variable names: tests run in parallel in one process.
    fn with(name: &str, value: &str) -> String {
        std::env::set_var(name, value);
        name.to_string()
    }

    #[test]
    fn a_yes_no_setting_has_one_spelling_and_refuses_anything_else() {
        assert!(flag(&with("CFG_TEST_FLAG_ON", "Yes"), false).unwrap());
        assert!(!flag(&with("CFG_TEST_FLAG_OFF", "off"), true).unwrap());
        assert!(flag("CFG_TEST_FLAG_UNSET", true).unwrap(), "unset is the default");
        let e = flag(&with("CFG_TEST_FLAG_BAD", "maybe"), false).unwrap_err().to_string();
        assert_eq!(e, "CFG_TEST_FLAG_BAD must be true or false (got \"maybe\")");
    }

    #[test]
    fn a_number_outside_its_range_stops_the_start() {
        assert_eq!(secs(&with("CFG_TEST_SECS", "45"), 1..=60).unwrap(), Some(Duration::from_secs(45)));
        assert_eq!(number("CFG_TEST_NUM_UNSET", 1..=60).unwrap(), None);
        let e = number(&with("CFG_TEST_NUM_BIG", "61"), 1..=60).unwrap_err().to_string();
        assert_eq!(e, "CFG_TEST_NUM_BIG must be a whole number from 1 to 60 (got \"61\")");
        assert!(millis(&with("CFG_TEST_MS_TEXT", "fast"), 1..=1000).is_err());
    }
}
