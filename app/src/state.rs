//! Server-only state shared by the axum router and the server functions.

use covalynce::auth::{AccessClaims, Auth, ClientInfo};
use covalynce::connections::Connections;
use covalynce::drafts::Drafts;
use covalynce::oauth_login::LoginProviders;
use leptos::config::LeptosOptions;
use std::collections::HashMap;
use std::sync::Arc;

use crate::api::Flash;

/// The page Content-Security-Policy. Scripts run only from our origin or with this response's
/// nonce (the hydration loader and Leptos' inline resource data carry it), plus WebAssembly
/// compilation; no inline script otherwise, no plugins, no framing. Styles allow inline
/// `style` attributes (progress bars, brand colours), which cannot run code.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob: https:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
         frame-ancestors 'none'"
    )
}

/// The script nonce of a rendered page: its first `nonce="…"`, on the hydration script in
/// `<head>`, which comes before any text a user wrote (and such text has its quotes escaped).
pub fn nonce_in_page(html: &str) -> Option<&str> {
    let rest = &html[html.find("nonce=\"")? + "nonce=\"".len()..];
    Some(&rest[..rest.find('"')?])
}

/// The nonce in a policy made by `content_security_policy`.
pub fn nonce_in_policy(policy: &str) -> Option<&str> {
    let rest = &policy[policy.find("'nonce-")? + "'nonce-".len()..];
    Some(&rest[..rest.find('\'')?])
}

#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub auth: Auth,
    pub connections: Connections,
    pub drafts: Drafts,
    /// Outbound webhooks: `emit` queues an event for the user's endpoints.
    pub webhooks: covalynce::webhooks::Webhooks,
    pub ai: covalynce::ai::Ai,
    pub publisher: covalynce::publish::Publisher,
    pub analytics: covalynce::analytics::Analytics,
    pub library: covalynce::library::Library,
    /// Uploaded and generated images (object store + `images` table).
    pub media: covalynce::media::Media,
    /// Each platform's app registration (for the prerequisites check; secrets stay here).
    pub platform_configs: Arc<HashMap<covalynce::PlatformId, covalynce::platforms::PlatformConfig>>,
    pub providers: LoginProviders,
    pub site: Arc<SiteConfig>,
    /// Rendered public pages for anonymous visitors (see the server's page cache).
    pub page_cache: PageCache,
}

/// Path and query → rendered HTML with a placeholder where the visitor's CSRF token goes.
pub type PageCache = Arc<std::sync::RwLock<HashMap<String, Arc<CachedPage>>>>;

/// A rendered public page and the script nonce it was rendered with (replaced per response).
pub struct CachedPage {
    pub html: String,
    pub nonce: String,
}

#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Public URL, e.g. `http://localhost:3000`.
    pub base_url: String,
    /// `serve --demo`: shown as a banner everywhere.
    pub demo: bool,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
    /// Take the client IP from `X-Forwarded-For`.
    pub trust_proxy: bool,
}

/// What the request middleware learned about the caller; put in request extensions before
/// any page or server function runs.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub user: Option<AccessClaims>,
    pub csrf: String,
    pub client: ClientInfo,
    pub flash: Option<Flash>,
}
