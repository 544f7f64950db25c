//! Accounts and sessions: password sign-up/sign-in with lockout, provider sign-in linking,
//! JWT access tokens with rotating refresh tokens, password reset, profile.

mod accounts;
mod error;
pub mod jwt;
mod limits;
mod sessions;

pub use accounts::{ExternalIdentity, User};
pub use error::{AuthError, Limited};
pub use limits::{Limit, Limits};
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
    /// Argon2 runs at most this many at once in the process (each takes ~19 MiB and a core);
    /// the rest wait up to `hash_queue_wait`, then get a 503 with Retry-After.
    pub hash_concurrency: usize,
    pub hash_queue_wait: Duration,
    /// Sign-up, reset-request and webhook-test limits (per IP, per address, per user).
    pub limits: Limits,
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
            hash_concurrency: std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(4),
            hash_queue_wait: Duration::from_secs(3),
            limits: Limits::default(),
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
    /// Permits for Argon2 work (`AuthPolicy::hash_concurrency`): one `Auth` per process.
    hashers: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Auth {
    pub fn new(db: Db, keys: Keys, mailer: Mailer, policy: AuthPolicy, base_url: &str) -> Self {
        let dummy_hash = std::sync::Arc::new(accounts::hash_password_blocking(&crate::crypto::random_token()));
        let hashers = std::sync::Arc::new(tokio::sync::Semaphore::new(policy.hash_concurrency.max(1)));
        Self { db, keys, mailer, policy, base_url: base_url.trim_end_matches('/').to_string(), dummy_hash, hashers }
    }

    /// How this instance sends e-mail, for `/health`: `smtp`, `outbox` (dev) or `off`.
    pub fn mail_mode(&self) -> &'static str {
        self.mailer.kind()
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
