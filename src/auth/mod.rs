//! Accounts and sessions: password sign-up/sign-in with lockout, provider sign-in linking,
//! JWT access tokens with rotating refresh tokens, password reset, profile.

mod accounts;
mod error;
pub mod jwt;
mod sessions;

pub use accounts::{ExternalIdentity, User};
pub use error::AuthError;
pub use sessions::{AccessClaims, SessionInfo, SessionTokens};

use crate::crypto::Keys;
use crate::db::Db;
use crate::mail::Mailer;
use std::time::Duration;

/// Tunables; `Default` is the production policy.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Consecutive failures before an account backs off.
    pub lockout_threshold: i64,
    /// First lockout length; doubles with each further failure, capped at `lockout_max`.
    pub lockout_base: Duration,
    pub lockout_max: Duration,
    /// Failed sign-ins allowed from one IP per `ip_window`.
    pub ip_max_failures: i64,
    pub ip_window: Duration,
    pub reset_ttl: Duration,
    /// A refresh token presented again within this window after rotation is treated as a
    /// concurrent request from the same browser (two tabs), not as theft.
    pub reuse_grace: Duration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            lockout_threshold: 5,
            lockout_base: Duration::from_secs(60),
            lockout_max: Duration::from_secs(3600),
            ip_max_failures: 30,
            ip_window: Duration::from_secs(15 * 60),
            reset_ttl: Duration::from_secs(3600),
            reuse_grace: Duration::from_secs(10),
        }
    }
}

/// Where a request came from, recorded on sessions and used for the per-IP limit.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

#[derive(Clone)]
pub struct Auth {
    db: Db,
    keys: Keys,
    mailer: Mailer,
    policy: AuthPolicy,
    /// Public base URL, for links in e-mails.
    base_url: String,
    /// A real Argon2 hash of a random password: verifying against it for unknown e-mails
    /// makes their response time match known ones.
    dummy_hash: std::sync::Arc<String>,
}

impl Auth {
    pub fn new(db: Db, keys: Keys, mailer: Mailer, policy: AuthPolicy, base_url: &str) -> Self {
        let dummy_hash = std::sync::Arc::new(accounts::hash_password_blocking(&crate::crypto::random_token()));
        Self { db, keys, mailer, policy, base_url: base_url.trim_end_matches('/').to_string(), dummy_hash }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn policy(&self) -> &AuthPolicy {
        &self.policy
    }
}
