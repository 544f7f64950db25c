//! Outbound webhooks: URLs a user registers for events (a post published or failed, an
//! account needing a reconnect), each delivery signed with the endpoint's secret.
//!
//! `webhook_retries` is the queue and the delivery log at once: `emit` writes one row per
//! subscribed endpoint (durable: a crash loses nothing), and `deliver_due` claims due rows
//! under a lease, so several server processes never send the same delivery at the same
//! time. Failures retry with exponential backoff up to `max_retries`. Receivers get each
//! delivery at least once and dedupe on `X-Covalynce-Delivery`.
//!
//! Server-side request forgery: a URL that resolves to a loopback, private, link-local (cloud
//! metadata) or otherwise non-public address is refused when registered, and checked again
//! at every delivery with the connection pinned to the vetted address, no proxy and no
//! redirects: all of it is `crate::outbound`, shared with every other user-chosen host.

use crate::crypto::{random_token, Keys};
use crate::db::{now_ms, opt, Db};
use crate::domain::{DeliveryStatus, WebhookEvent};
use crate::outbound;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Sent by "send test" to one endpoint, whatever it subscribed to.
pub const PING: &str = "ping";
pub const MAX_ENDPOINTS: i64 = 10;
/// Receivers should refuse a timestamp older than this (replayed requests).
pub const TOLERANCE_SECS: i64 = 300;

pub const HEADER_EVENT: &str = "X-Covalynce-Event";
pub const HEADER_DELIVERY: &str = "X-Covalynce-Delivery";
pub const HEADER_TIMESTAMP: &str = "X-Covalynce-Timestamp";
pub const HEADER_SIGNATURE: &str = "X-Covalynce-Signature";

const MAX_URL_LEN: usize = 2000;
const MAX_ERROR_CHARS: usize = 300;
/// No backoff grows past a day, whatever the retry count or Retry-After says.
const MAX_DELAY: Duration = Duration::from_secs(24 * 3600);
const DNS_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Retries after the first attempt before a delivery is marked failed.
    pub max_retries: u32,
    /// The first retry waits this long, each later one twice as long (±20 %).
    pub base_delay: Duration,
    /// Let URLs reach private and loopback addresses (an admin's choice for a closed network).
    pub allow_private: bool,
    /// One delivery attempt, connect to last byte.
    pub timeout: Duration,
    /// How often the worker looks for due deliveries.
    pub poll: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            max_retries: 8,
            base_delay: Duration::from_secs(30),
            allow_private: false,
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(1),
        }
    }
}

/// A registered URL as its owner sees it. The secret is never part of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: i64,
}

/// One line of the delivery log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    pub id: String,
    pub endpoint_id: String,
    pub url: String,
    pub event: String,
    pub status: DeliveryStatus,
    pub retry_count: i64,
    /// Requests sent so far.
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    /// When the next attempt is due (pending only).
    pub next_retry_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub delivered_at: Option<i64>,
}

/// Webhooks refuse with the shared core error.
pub type WebhookError = crate::Error;
use crate::error::invalid;

// --- storage and delivery

#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    keys: Keys,
    cfg: WebhookConfig,
}

impl Webhooks {
    pub fn new(db: Db, keys: Keys, cfg: WebhookConfig) -> Self {
        Self { inner: Arc::new(Inner { db, keys, cfg }) }
    }

    pub fn config(&self) -> &WebhookConfig {
        &self.inner.cfg
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    /// A claimed row is someone else's after this long: one attempt plus DNS, with margin.
    fn lease_ms(&self) -> i64 {
        (self.inner.cfg.timeout * 2 + DNS_TIMEOUT + Duration::from_secs(30)).as_millis() as i64
    }
}

mod delivery;
mod endpoints;
mod signing;
pub use signing::{sign, verify};

#[cfg(test)]
mod tests;
