//! How a connection reads over the JSON API (seed 000 `/integrations/*`), typed: the account
//! (`Integration`) and its health with what to do about it (`HealthReport`).

use super::Connection;
use crate::domain::{ConnectionStatus, Health};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Integration {
    pub id: String,
    pub provider: &'static str,
    pub platform_name: &'static str,
    pub account_id: String,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub permissions: Vec<String>,
    pub consent_given: bool,
    /// RFC 3339.
    pub consent_timestamp: Option<String>,
    pub status: ConnectionStatus,
    pub is_active: bool,
    pub last_error: Option<String>,
    pub last_used_at: Option<i64>,
    pub token_expires_at: Option<i64>,
}

impl From<&Connection> for Integration {
    fn from(c: &Connection) -> Self {
        Self {
            id: c.id.clone(),
            provider: c.platform.as_str(),
            platform_name: c.platform.display_name(),
            account_id: c.external_id.clone(),
            username: c.username.clone(),
            display_name: c.display_name.clone(),
            avatar_url: c.avatar_url.clone(),
            permissions: c.scopes.clone(),
            // A connection exists only after the person ticked the consent box.
            consent_given: true,
            consent_timestamp: chrono::DateTime::from_timestamp_millis(c.consent_at).map(|t| t.to_rfc3339()),
            status: c.status,
            is_active: !c.needs_reconnect(),
            last_error: c.last_error.clone(),
            last_used_at: c.last_used_at,
            token_expires_at: c.token_expires_at,
        }
    }
}

/// `{"integrations": [...]}`.
#[derive(Debug, Clone, Serialize)]
pub struct Integrations {
    pub integrations: Vec<Integration>,
}

impl Integrations {
    pub fn of(list: &[Connection]) -> Self {
        Self { integrations: list.iter().map(Integration::from).collect() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    pub platform: &'static str,
    pub account_id: String,
    pub is_connected: bool,
    pub is_expired: bool,
    /// One decimal; negative once expired.
    pub expires_in_hours: Option<f64>,
    pub health_status: Health,
    /// What the person should do, in words.
    pub warnings: Vec<String>,
}

impl HealthReport {
    pub fn of(c: &Connection, now_ms: i64) -> Self {
        let hours = c.token_expires_at.map(|e| ((e - now_ms) as f64 / 3_600_000.0 * 10.0).round() / 10.0);
        let status = c.health(now_ms);
        let warnings = match status {
            Health::ReconnectNeeded => {
                vec![c.last_error.clone().unwrap_or_else(|| "The platform no longer accepts this connection.".into())]
            }
            Health::Expired => vec!["The access token has expired and this platform cannot refresh it: reconnect.".into()],
            Health::ExpiringSoon => vec![format!("The token expires in {:.1} hours; reconnect before then.", hours.unwrap_or_default())],
            Health::Healthy => vec![],
        };
        Self {
            platform: c.platform.as_str(),
            account_id: c.id.clone(),
            is_connected: !c.needs_reconnect(),
            is_expired: hours.is_some_and(|h| h <= 0.0),
            expires_in_hours: hours,
            health_status: status,
            warnings,
        }
    }
}
