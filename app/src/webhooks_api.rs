//! Server functions for the Webhooks card in Settings: thin wrappers over
//! `covalynce::webhooks`, the same core code the JSON API (`/api/webhooks`) uses. Times are
//! turned into words here, on the server: the browser build has no clock to use.

use crate::errors::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    /// "5 min ago".
    pub added: String,
}

/// The answer to adding a webhook: the only time the secret leaves the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedWebhook {
    pub webhook: WebhookView,
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: String,
    pub url: String,
    pub event: String,
    pub status: covalynce::DeliveryStatus,
    pub attempts: i64,
    /// "HTTP 200", the receiver's error, or why we could not send.
    pub result: String,
    /// "5 min ago".
    pub when: String,
    /// "next try in 2 min" while pending.
    pub next: Option<String>,
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use covalynce::webhooks::{Delivery, Endpoint};

    pub fn endpoint_view(e: Endpoint, now: i64) -> WebhookView {
        WebhookView { added: crate::components::ago(e.created_at, now), id: e.id, url: e.url, events: e.events }
    }

    /// "in 2 min" style text for a time ahead of `now`.
    pub fn until(then_ms: i64, now_ms: i64) -> String {
        let s = ((then_ms - now_ms) / 1000).max(0);
        match s {
            0..=59 => "in under a minute".into(),
            60..=3599 => format!("in {} min", s / 60),
            _ => format!("in {} h", s / 3600),
        }
    }

    pub fn delivery_view(d: Delivery, now: i64) -> DeliveryView {
        let result = match (&d.last_error, d.last_status_code) {
            (Some(e), _) => e.clone(),
            (None, Some(code)) => format!("HTTP {code}"),
            (None, None) => "Not sent yet".into(),
        };
        DeliveryView {
            when: crate::components::ago(d.created_at, now),
            next: d.next_retry_at.map(|t| format!("next try {}", until(t, now))),
            id: d.id,
            url: d.url,
            event: d.event,
            status: d.status,
            attempts: d.attempts,
            result,
        }
    }
}

#[server(prefix = "/sfn", endpoint = "list_webhooks", input = server_fn::codec::GetUrl)]
pub async fn list_webhooks() -> Result<Vec<WebhookView>, AppError> {
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let now = covalynce::db::now_ms();
    Ok(st.webhooks.list(&me.sub).await?.into_iter().map(|e| endpoint_view(e, now)).collect())
}

/// The latest 50 deliveries, newest first.
#[server(prefix = "/sfn", endpoint = "webhook_deliveries", input = server_fn::codec::GetUrl)]
pub async fn webhook_deliveries() -> Result<Vec<DeliveryView>, AppError> {
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let now = covalynce::db::now_ms();
    Ok(st.webhooks.deliveries(&me.sub, 50).await?.into_iter().map(|d| delivery_view(d, now)).collect())
}

/// `events` is comma-separated event names.
#[server(prefix = "/sfn", endpoint = "create_webhook")]
pub async fn create_webhook(csrf: String, url: String, events: String) -> Result<CreatedWebhook, AppError> {
    let _ = csrf;
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let events: Vec<String> = events.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_string).collect();
    let (ep, secret) = st.webhooks.create(&me.sub, &url, &events).await?;
    Ok(CreatedWebhook { webhook: endpoint_view(ep, covalynce::db::now_ms()), secret })
}

#[server(prefix = "/sfn", endpoint = "delete_webhook")]
pub async fn delete_webhook(csrf: String, id: String) -> Result<(), AppError> {
    let _ = csrf;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    st.webhooks.delete(&me.sub, &id).await.map_err(AppError::from)
}

/// Sends a `ping` now and returns how it went.
#[server(prefix = "/sfn", endpoint = "test_webhook")]
pub async fn test_webhook(csrf: String, id: String) -> Result<DeliveryView, AppError> {
    let _ = csrf;
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    limit_test(&st, &me.sub, &id).await?;
    let d = st.webhooks.ping(&me.sub, &id).await?;
    Ok(delivery_view(d, covalynce::db::now_ms()))
}

/// The "send test" limits (`Auth::limit_webhook_test`) for endpoint `id`, keyed on its URL;
/// the JSON route and the server function both call this before pinging.
#[cfg(feature = "ssr")]
pub async fn limit_test(st: &crate::state::AppState, user_id: &str, id: &str) -> Result<(), covalynce::auth::AuthError> {
    // An unknown id has no URL: key on the id (the ping that follows answers 404).
    let url = st.webhooks.list(user_id).await.ok().and_then(|l| l.into_iter().find(|e| e.id == id)).map(|e| e.url);
    st.auth.limit_webhook_test(user_id, url.as_deref().unwrap_or(id)).await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn times_ahead_read_naturally() {
        assert_eq!(ssr::until(30_000, 0), "in under a minute");
        assert_eq!(ssr::until(5 * 60_000, 0), "in 5 min");
        assert_eq!(ssr::until(2 * 3_600_000, 0), "in 2 h");
    }
}
