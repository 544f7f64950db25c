//! One send and how its answer reads: the content (the post's image read back from our own
//! store), the request to the platform, and the classification of an error into retry,
//! failed or unconfirmed. The queue (`queue.rs`) claims, leases and records around it.

use super::attempts::{summary, uncertain};
use super::{pid_name, Post, Publisher};
use crate::connections::ConnectError;
use crate::domain::PlatformId;
use crate::platforms::{ErrorClass, MediaFile, PlatformError, PostContent, Published};
use std::sync::atomic::Ordering;

#[derive(Clone)]
pub(super) enum Outcome {
    /// Not sent: back to the queue untouched (shutting down, or the account cools down).
    Released,
    Posted(Published),
    Retry {
        after_ms: i64,
        message: String,
    },
    Failed {
        code: &'static str,
        message: String,
        guidance: String,
        reconnect: bool,
    },
    Unconfirmed(String),
}

impl Publisher {
    async fn content(&self, post: &Post) -> Result<PostContent, PlatformError> {
        let mut images = vec![];
        let platform = PlatformId::parse(&post.platform).ok();
        let by_url = platform.is_some_and(PlatformId::fetches_media);
        if let Some(url) = &post.image_url {
            let file = match url.strip_prefix("/media/") {
                Some(id) => {
                    let (bytes, mime) = self
                        .media
                        .open(id, false)
                        .await
                        .map_err(|_| PlatformError::rejected("The post's image was deleted. Add it again, then retry."))?;
                    // A network that downloads the image gets an address serving a version it
                    // takes (Instagram: JPEG only) when the original does not meet its rules.
                    let public = match platform {
                        Some(p) if by_url && !crate::domain::platform_info(p).limits.takes_image(mime, bytes.len() as u64) => {
                            format!("{}/media/{id}/for/{}", self.base_url, p.as_str())
                        }
                        _ => format!("{}{url}", self.base_url),
                    };
                    MediaFile { bytes: bytes.to_vec(), mime: mime.to_string(), alt: String::new(), url: Some(public) }
                }
                // A web address: platforms that download media get it as it is; the others
                // get the bytes, fetched here, never an empty file.
                None if by_url => MediaFile { bytes: vec![], mime: String::new(), alt: String::new(), url: Some(url.clone()) },
                None => {
                    let (bytes, mime) = self.media.fetch_web(url).await.map_err(|e| PlatformError {
                        message: format!(
                            "The post's image could not be fetched from {url}: {} Upload the image instead, or fix the address.",
                            e.message
                        ),
                        ..e
                    })?;
                    MediaFile { bytes, mime: mime.to_string(), alt: String::new(), url: Some(url.clone()) }
                }
            };
            // Networks sent the bytes get a type and size they take (a 3.6 MB PNG goes to
            // Bluesky as a JPEG under 1,000,000 bytes); the stored original is untouched.
            let file = match platform {
                Some(p) if !by_url && !file.bytes.is_empty() => {
                    let (bytes, mime) = self.media.fit_for(p, file.bytes).await.map_err(|e| match e {
                        crate::media::MediaError::Internal(e) => PlatformError::new(
                            ErrorClass::RetryLater { retry_after_secs: None },
                            format!("Preparing the image failed: {e}"),
                            None,
                        ),
                        e => PlatformError::rejected(format!("The post's image cannot go to {}: {e}", p.display_name())),
                    })?;
                    MediaFile { bytes, mime: mime.to_string(), ..file }
                }
                _ => file,
            };
            images.push(file);
        }
        // The post id as the idempotency key: every attempt at this post is the same post.
        Ok(PostContent {
            text: post.body.clone(),
            images,
            title: post.title.clone(),
            idempotency_key: Some(post.id.clone()),
            options: post.options.clone(),
        })
    }

    /// Not sent because we could not read what sending needs: back to the queue in a second,
    /// without counting an attempt.
    async fn not_ready(&self, post: &Post, e: &(dyn std::fmt::Debug + Sync)) -> Outcome {
        tracing::warn!(post = %post.id, error = ?e, "could not prepare the send; the post goes back to the queue");
        self.put_back(post, self.db.now().await + 1000).await
    }

    pub(super) async fn attempt(&self, post: &Post) -> Outcome {
        let name = pid_name(&post.platform);
        let reconnect = |msg: String| Outcome::Failed {
            code: "disconnected",
            message: msg,
            guidance: format!("Reconnect your {name} account in Sources, then retry this post."),
            reconnect: true,
        };
        let Some(conn_id) = post.connection_id.clone() else {
            return reconnect(format!("The {name} account this post was for has been disconnected."));
        };
        // Only a missing account is a disconnection; a database hiccup puts the post back.
        let user = &post.user_id;
        let (conn, mut grant) = match self.connections.grant(user, &conn_id).await {
            Ok((c, g, _)) => (c, g),
            Err(ConnectError::NotFound) => return reconnect(format!("The {name} account this post was for has been disconnected.")),
            Err(e) => return self.not_ready(post, &e).await,
        };
        if conn.needs_reconnect() {
            return reconnect(conn.last_error.clone().unwrap_or_else(|| format!("{name} needs you to sign in again.")));
        }
        let Some(adapter) = self.connections.platforms().get(conn.platform) else {
            return Outcome::Failed {
                code: "not_configured",
                message: format!("{name} is not set up on this server."),
                guidance: "Ask the administrator to configure it, then retry.".into(),
                reconnect: false,
            };
        };
        let content = match self.content(post).await {
            Ok(c) => c,
            // An image host that is down for now: nothing was sent, so ask again later.
            Err(e) if matches!(e.class, ErrorClass::RetryLater { .. }) && post.attempts < self.cfg.max_attempts => {
                return Outcome::Retry { after_ms: self.backoff_ms(post.attempts), message: e.message }
            }
            Err(e) => {
                return Outcome::Failed {
                    code: "rejected",
                    message: e.message,
                    guidance: "Fix the post, then retry.".into(),
                    reconnect: false,
                }
            }
        };
        let account = conn.profile();
        // Shutting down: what has not left yet goes back to the queue instead.
        if self.state.stopped.load(Ordering::SeqCst) {
            let _ = self.release(post, self.db.now().await).await;
            return Outcome::Released;
        }
        match self.mark_sending(post).await {
            Ok(true) => {}
            // Someone else owns it now; leave it to them.
            Ok(false) => return Outcome::Unconfirmed(String::new()),
            Err(e) => return Outcome::Retry { after_ms: 1_000, message: e.to_string() },
        }
        let mut result = adapter.publish(&grant, &account, &content).await;
        self.log_attempt(post, &result).await;
        if matches!(&result, Err(e) if e.class == ErrorClass::RefreshNeeded) {
            // A 401 means the platform did not take the post, so one resend is safe.
            match self.connections.refresh(user, &conn_id).await {
                Ok(_) => match self.connections.grant(user, &conn_id).await {
                    Ok((_, g, _)) => {
                        grant = g;
                        result = adapter.publish(&grant, &account, &content).await;
                        self.log_attempt(post, &result).await;
                    }
                    Err(_) => return reconnect(format!("{name} signed this account out.")),
                },
                Err(e) => return reconnect(format!("{name} refused to renew access: {e}")),
            }
        }
        let _ = self.connections.touch(&conn_id).await;
        match result {
            Ok(p) => Outcome::Posted(p),
            Err(e) => self.classify(post, e).await,
        }
    }

    async fn classify(&self, post: &Post, e: PlatformError) -> Outcome {
        let name = pid_name(&post.platform);
        match e.class {
            ErrorClass::RetryLater { retry_after_secs } if post.attempts < self.cfg.max_attempts => {
                let backoff = self.backoff_ms(post.attempts);
                let after_ms = match retry_after_secs {
                    Some(s) => {
                        let wait = (s as i64) * 1000;
                        // Every post of this account (or app) waits too, in every process.
                        self.cool_down(post, wait).await;
                        wait.max(250)
                    }
                    None => backoff,
                };
                Outcome::Retry { after_ms, message: e.message }
            }
            // Out of attempts: if any of them went unanswered the post may be out there, so it
            // is not "failed" (a retry of a failed post would send a second copy).
            ErrorClass::RetryLater { .. } => {
                let log = self.current_round(&post.id).await;
                if uncertain(&log) {
                    Outcome::Unconfirmed(format!("No attempt was confirmed, and one went unanswered: {}.", summary(&log)))
                } else {
                    Outcome::Failed {
                        code: "retry_exhausted",
                        message: format!("{name} did not take the post: {}.", summary(&log)),
                        guidance: format!("{name} kept failing after {} attempts. Retry later.", post.attempts),
                        reconnect: false,
                    }
                }
            }
            // Asking again with the same idempotency key cannot post twice: it returns the
            // first post if the lost request created one.
            ErrorClass::Unknown if idempotent(post) && post.attempts < self.cfg.max_attempts => {
                Outcome::Retry { after_ms: self.backoff_ms(post.attempts), message: e.message }
            }
            ErrorClass::Unknown if post.attempts > 1 => {
                Outcome::Unconfirmed(format!("No attempt was confirmed: {}.", summary(&self.current_round(&post.id).await)))
            }
            ErrorClass::Unknown => Outcome::Unconfirmed(e.message),
            ErrorClass::Disconnected | ErrorClass::RefreshNeeded => Outcome::Failed {
                code: "disconnected",
                message: e.message,
                guidance: format!("Reconnect your {name} account in Sources, then retry this post."),
                reconnect: true,
            },
            ErrorClass::Rejected => {
                let d = PlatformId::parse(&post.platform)
                    .map(|p| crate::domain::diagnose(p, &e.status.map(|s| s.to_string()).unwrap_or_default(), &e.message));
                // An error the table does not know gets the general advice below, not the
                // table's "reconnect" (the account works; the post was refused).
                let guidance = d
                    .ok()
                    .filter(|d| d.issue_type != "unknown")
                    .and_then(|d| d.solutions.first().cloned())
                    .unwrap_or_else(|| format!("Edit the post to meet {name}'s rules, then retry."));
                Outcome::Failed { code: "rejected", message: e.message, guidance, reconnect: false }
            }
            // The account still works; this kind of post needs a permission it was not given.
            ErrorClass::MissingPermission => Outcome::Failed {
                code: "missing_permission",
                message: e.message,
                guidance: format!("{name} needs a permission this connection lacks; reconnect the account and grant it, then retry."),
                reconnect: false,
            },
        }
    }

    /// The jobs' backoff from `backoff_base`, at most 15 minutes.
    fn backoff_ms(&self, attempt: i64) -> i64 {
        let cap = std::time::Duration::from_secs(15 * 60);
        crate::jobs::backoff(self.cfg.backoff_base, attempt.clamp(0, 64) as u32, cap, crate::jobs::jitter()).as_millis() as i64
    }
}

fn idempotent(post: &Post) -> bool {
    PlatformId::parse(&post.platform).is_ok_and(crate::platforms::publish_is_idempotent)
}
