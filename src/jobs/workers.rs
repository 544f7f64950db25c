//! Every background loop of a process, started in one place and stopped one way.
//!
//! | loop | every | what |
//! |---|---|---|
//! | publishing dispatcher | next due post (≤ `poll`) | `publish::queue` |
//! | analytics sync | next due pull | `analytics::store::sync` |
//! | webhook delivery | `WebhookConfig::poll` | due deliveries, a full batch again at once; hourly, 30-day-old log rows go |
//! | token refresh | minute | tokens about to expire |
//! | housekeeping | hour | old sign-in rate-limit counters |
//!
//! `stop` is the one shutdown path: publishing stops claiming, puts back what it had not
//! sent and lets sent requests finish within its grace period; the other loops end at once
//! (their leases lapse, and another process or the next start picks their work up).

use crate::analytics::Analytics;
use crate::auth::Auth;
use crate::connections::Connections;
use crate::publish::Publisher;
use crate::webhooks::Webhooks;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Which queues this process works (a replica may serve pages only).
#[derive(Debug, Clone, Copy)]
pub struct Roles {
    pub publish: bool,
    pub analytics: bool,
}

pub struct Workers {
    publisher: Publisher,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    pub fn start(
        auth: Auth,
        connections: Connections,
        webhooks: Webhooks,
        publisher: Publisher,
        analytics: Analytics,
        roles: Roles,
    ) -> Self {
        let mut handles = vec![every(Duration::from_secs(3600), move || {
            let auth = auth.clone();
            async move {
                if let Err(e) = auth.prune_limits().await {
                    tracing::error!(error = %e, "pruning rate-limit counters failed");
                }
            }
        })];
        handles.push(every(Duration::from_secs(60), move || {
            let connections = connections.clone();
            async move {
                match connections.refresh_due().await {
                    Ok((0, 0)) => {}
                    Ok((ok, failed)) => tracing::info!(refreshed = ok, failed, "token refresh sweep"),
                    Err(e) => tracing::error!(error = %e, "token refresh sweep failed"),
                }
            }
        }));
        handles.push(deliver_webhooks(webhooks));
        if roles.publish {
            handles.push(publisher.spawn_dispatcher());
        }
        if roles.analytics {
            handles.push(analytics.spawn_worker());
        }
        Self { publisher, handles }
    }

    /// Stops every loop; returns how many posts were still being sent when the grace period
    /// ran out (their leases settle them).
    pub async fn stop(self) -> usize {
        let still_sending = self.publisher.stop().await;
        for h in &self.handles {
            h.abort();
        }
        still_sending
    }
}

/// Runs `job` at once, then every `period` (a slow run delays the next, never doubles up).
fn every<F, Fut>(period: Duration, job: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            job().await;
        }
    })
}

fn deliver_webhooks(webhooks: Webhooks) -> JoinHandle<()> {
    const BATCH: usize = 32;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(webhooks.config().poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut pruned_at = tokio::time::Instant::now();
        loop {
            tick.tick().await;
            loop {
                match webhooks.deliver_due(BATCH).await {
                    Ok(n) if n == BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "webhook delivery sweep failed");
                        break;
                    }
                }
            }
            if pruned_at.elapsed() >= Duration::from_secs(3600) {
                pruned_at = tokio::time::Instant::now();
                if let Err(e) = webhooks.prune(Duration::from_secs(30 * 86_400)).await {
                    tracing::error!(error = %e, "webhook log pruning failed");
                }
            }
        }
    })
}
