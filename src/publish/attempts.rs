//! The attempts log: every request sent for a post and what came of it, in order, plus a
//! marker when the person retries. The end state reads it: once an attempt went unanswered
//! the post may be on the platform, so running out of retries afterwards ends `unconfirmed`,
//! never `failed` (a "Retry" of a failed post would send a second copy). Messages name
//! what happened on each attempt instead of only the last one.

use super::writes::{log_lines, LogLine, Write};
use super::{Post, PublishError, Publisher};
use crate::domain::AttemptOutcome;
use crate::platforms::{ErrorClass, PlatformError, Published};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// One line of the log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attempt {
    /// The post's attempt number (0 for the person's "retry" marker).
    pub attempt: i64,
    /// UTC ms, by the database's clock.
    pub at: i64,
    pub outcome: AttemptOutcome,
    pub message: String,
    pub http_status: Option<i64>,
}

/// What one platform answer was, as the log names it.
fn kind(e: &PlatformError) -> AttemptOutcome {
    match e.class {
        ErrorClass::RetryLater { .. } if e.status == Some(429) => AttemptOutcome::RateLimited,
        ErrorClass::RetryLater { retry_after_secs: Some(_) } => AttemptOutcome::RateLimited,
        ErrorClass::RetryLater { .. } => AttemptOutcome::Unavailable,
        ErrorClass::Unknown => AttemptOutcome::NoAnswer,
        ErrorClass::Rejected => AttemptOutcome::Rejected,
        ErrorClass::Disconnected | ErrorClass::RefreshNeeded => AttemptOutcome::Unauthorized,
        ErrorClass::MissingPermission => AttemptOutcome::MissingPermission,
    }
}

/// "attempt 1: no answer (timed out); attempt 2: platform unavailable, HTTP 503 (…)".
pub(super) fn summary(log: &[Attempt]) -> String {
    log.iter()
        .filter(|a| a.outcome.is_request())
        .map(|a| {
            let status = a.http_status.map(|s| format!(", HTTP {s}")).unwrap_or_default();
            format!("attempt {}: {}{status} ({})", a.attempt, a.outcome.label(), a.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// True when an attempt since the last retry went unanswered: the post may be out there.
pub(super) fn uncertain(log: &[Attempt]) -> bool {
    log.iter().any(|a| a.outcome == AttemptOutcome::NoAnswer)
}

impl Publisher {
    pub(super) async fn log_row(
        &self,
        post_id: &str,
        attempt: i64,
        outcome: AttemptOutcome,
        message: &str,
        status: Option<i64>,
    ) -> Result<(), PublishError> {
        let mut conn = self.db.pool().acquire().await?;
        self.log_row_in(&mut conn, post_id, attempt, outcome, message, status).await
    }

    /// The same, on `conn` (inside the caller's transaction: the log line commits with the
    /// state change it explains, so no reader sees one without the other).
    pub(super) async fn log_row_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        post_id: &str,
        attempt: i64,
        outcome: AttemptOutcome,
        message: &str,
        status: Option<i64>,
    ) -> Result<(), PublishError> {
        let line = LogLine { post_id: post_id.to_string(), attempt, outcome, message: message.to_string(), status };
        log_lines(conn, self.db.now().await, &[&line]).await
    }

    /// Logs one request's result. A logging failure is reported, never fatal to the send.
    pub(super) async fn log_attempt(&self, post: &Post, result: &Result<Published, PlatformError>) {
        let (outcome, message, status) = match result {
            Ok(p) => (AttemptOutcome::Posted, p.url.clone(), None),
            Err(e) => (kind(e), e.message.clone(), e.status.map(i64::from)),
        };
        let line = LogLine { post_id: post.id.clone(), attempt: post.attempts, outcome, message, status };
        if let Err(e) = self.writes.run(Write::Attempt(line)).await {
            tracing::error!(post = %post.id, error = %e, "writing the attempts log failed");
        }
    }

    /// The person retried: earlier attempts no longer decide the end state.
    pub(super) async fn log_retry(&self, post_id: &str) -> Result<(), PublishError> {
        self.log_row(post_id, 0, AttemptOutcome::RetryRequested, "You asked to send it again.", None).await
    }

    /// The whole log of one post, oldest first.
    pub async fn attempt_log(&self, post_id: &str) -> Result<Vec<Attempt>, PublishError> {
        let rows = sqlx::query("select attempt, at, outcome, message, http_status from publish_attempts where post_id = $1 order by seq")
            .bind(post_id)
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows
            .iter()
            .map(|r| Attempt {
                attempt: r.get("attempt"),
                at: r.get("at"),
                outcome: crate::db::status(r, "outcome"),
                message: r.get("message"),
                http_status: crate::db::opt(r, "http_status"),
            })
            .collect())
    }

    /// The attempts since the person last retried, or since the platform's list showed a
    /// lost attempt never went out (what the end state is judged on).
    pub(super) async fn current_round(&self, post_id: &str) -> Vec<Attempt> {
        let log = self.attempt_log(post_id).await.unwrap_or_default();
        let start = log.iter().rposition(|a| a.outcome.starts_round()).map_or(0, |i| i + 1);
        log[start..].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;

    fn a(attempt: i64, outcome: &str, status: Option<i64>) -> Attempt {
        Attempt { attempt, at: 0, outcome: AttemptOutcome::from_stored(outcome), message: "m".into(), http_status: status }
    }

    #[test]
    fn the_summary_names_every_attempt() {
        let log = [a(1, "no_answer", None), a(2, "unavailable", Some(503)), a(3, "rate_limited", Some(429))];
        assert_eq!(
            summary(&log),
            "attempt 1: no answer (m); attempt 2: platform unavailable, HTTP 503 (m); attempt 3: rate limited, HTTP 429 (m)"
        );
        assert!(uncertain(&log));
        assert!(!uncertain(&log[1..]));
    }
}
