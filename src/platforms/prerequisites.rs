//! "Can this server connect to X?" (seed 001 §7): each setting a platform needs, checked,
//! with what to do when one is missing.

use super::PlatformConfig;
use crate::domain::PlatformId;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    /// `pass` or `fail`.
    pub status: &'static str,
    pub message: String,
}

fn check(name: String, ok: bool, message: String) -> Check {
    Check { name, status: if ok { "pass" } else { "fail" }, message }
}

/// The checks for `p`: its app credentials (where it needs them), a redirect the platform
/// will accept, and whether the adapter is enabled. `cfg` is the platform's configuration, if
/// any; `default_redirect` is where the browser comes back when none is set.
pub fn prerequisites(p: PlatformId, cfg: Option<&PlatformConfig>, default_redirect: &str, enabled: bool) -> Vec<Check> {
    let k = p.env_prefix();
    let mut checks = vec![];
    if p.needs_app_credentials() {
        let id = cfg.is_some_and(|c| !c.client_id.is_empty());
        checks.push(check(
            format!("Environment variable: {k}_CLIENT_ID"),
            id,
            if id { "Set".into() } else { format!("Missing: set {k}_CLIENT_ID from the platform's developer console") },
        ));
        let secret = cfg.is_some_and(|c| !c.client_secret.is_empty());
        checks.push(check(
            format!("Environment variable: {k}_CLIENT_SECRET"),
            secret,
            if secret { "Set".into() } else { format!("Missing: set {k}_CLIENT_SECRET") },
        ));
    } else {
        let why = if p == PlatformId::Bluesky {
            "Not needed: Bluesky uses app passwords"
        } else {
            "Not needed: registered on each Mastodon server automatically"
        };
        checks.push(check("App credentials".into(), true, why.into()));
    }
    if p != PlatformId::Bluesky {
        let redirect = cfg.map(|c| c.redirect_uri.clone()).unwrap_or_else(|| default_redirect.to_string());
        let ok = redirect.starts_with("https://") || redirect.starts_with("http://localhost") || redirect.starts_with("http://127.0.0.1");
        checks.push(check(
            format!("Redirect URI: {k}_REDIRECT_URI"),
            ok,
            if ok { redirect } else { format!("{redirect} (platforms require https outside localhost)") },
        ));
    }
    checks.push(check(
        "Adapter available".into(),
        enabled,
        if enabled { "Ready".into() } else { "This platform is not enabled on this server".into() },
    ));
    checks
}
