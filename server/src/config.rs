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
    /// Take the client IP from `X-Forwarded-For` (only behind a proxy you control).
    pub trust_proxy: bool,
    pub login_providers: Vec<ProviderConfig>,
    /// Social platforms this instance can publish to (client credentials + base URLs).
    pub platforms: HashMap<PlatformId, PlatformConfig>,
    /// `serve --demo`: every platform points at the built-in sandbox under `/sandbox`.
    pub demo: bool,
    pub policy: AuthPolicy,
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
        let platforms = PlatformId::ALL.into_iter().filter_map(|p| platform_from_env(p, &base_url).map(|c| (p, c))).collect();
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
            trust_proxy: matches!(var("TRUST_PROXY").as_deref(), Some("1" | "true" | "yes")),
            platforms,
            login_providers,
            demo: false,
            policy: AuthPolicy::default(),
        })
    }

    /// Demo mode: every platform talks to the in-process sandbox at `{base_url}/sandbox`.
    pub fn into_demo(mut self) -> Self {
        self.demo = true;
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
    })
}

/// A platform pointed at a sandbox served at `sbx` (its paths mirror the real hosts).
pub fn sandbox_platform(p: PlatformId, sbx: &str, base_url: &str) -> PlatformConfig {
    let root = format!("{sbx}/{}", p.as_str());
    let (auth_base, api_base) = match p {
        PlatformId::X => (root.clone(), format!("{root}/api")),
        _ => (root.clone(), root.clone()),
    };
    PlatformConfig {
        client_id: crate::sandbox::CLIENT_ID.into(),
        client_secret: crate::sandbox::CLIENT_SECRET.into(),
        redirect_uri: platform_redirect(base_url, p),
        auth_base,
        upload_base: if p == PlatformId::X { api_base.clone() } else { format!("{root}/upload") },
        token_base: api_base.clone(),
        api_base,
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
