//! The dispatcher's writes, grouped: the claim, the point of no return (`sending_at`), the
//! attempts log and the outcome. Every post still waits for its own write before it goes on
//! (its send waits for `sending_at` to be committed, its webhook for the stored outcome), but
//! writes made at the same moment share one transaction (`jobs::Group`): on SQLite, one
//! commit and one turn at the single writer's lock for many posts instead of four each, and
//! the dispatcher's writes never wait behind each other in SQLite's sleeping busy handler.
//! PostgreSQL writes each on its own, side by side (`Db::write_group`).

use super::send::Outcome;
use super::{pid_name, Post, PublishError};
use crate::db::Db;
use crate::domain::AttemptOutcome;
use sqlx::FromRow;
use std::time::Duration;

/// One write of a claimed post, by the worker that holds it.
pub(super) enum Write {
    /// Due posts, up to `limit`, leased to this worker.
    Claim { limit: usize },
    /// The point of no return: compare-and-swap on the lease.
    Sending { post_id: String },
    /// One line of the attempts log.
    Attempt(LogLine),
    /// The outcome, if this worker still holds the post.
    Outcome { post: Box<Post>, outcome: Box<Outcome> },
}

pub(super) struct LogLine {
    pub post_id: String,
    pub attempt: i64,
    pub outcome: AttemptOutcome,
    pub message: String,
    pub status: Option<i64>,
}

/// What a write did: `Sending(false)` = another worker owns the post now (do not send);
/// `Stored(None)` = the outcome was not ours to store.
#[derive(Debug)]
pub(super) enum Written {
    Claimed(Vec<Post>),
    Sending(bool),
    Logged,
    Stored(Option<Box<Post>>),
}

/// What the group's writes need to know besides the items.
#[derive(Clone)]
pub(super) struct Writer {
    pub db: Db,
    pub worker_id: String,
    pub lease: Duration,
    pub reconcile_delay: Duration,
}

impl Writer {
    /// Writes a group in one transaction (alone: without one), answering each item in order.
    pub async fn flush(&self, items: Vec<Write>) -> Result<Vec<Written>, PublishError> {
        let mut conn = self.db.pool().acquire().await?;
        if items.len() == 1 {
            return Ok(vec![self.write(&mut conn, &items[0]).await?]);
        }
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        // All the group's sends in one statement.
        let sending: Vec<&str> = items
            .iter()
            .filter_map(|w| match w {
                Write::Sending { post_id } => Some(post_id.as_str()),
                _ => None,
            })
            .collect();
        let marked = self.mark_sending(&mut tx, &sending).await?;
        let mut out = Vec::with_capacity(items.len());
        for w in &items {
            out.push(match w {
                Write::Sending { post_id } => Written::Sending(marked.contains(post_id)),
                w => self.write(&mut tx, w).await?,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn write(&self, conn: &mut sqlx::AnyConnection, w: &Write) -> Result<Written, PublishError> {
        Ok(match w {
            Write::Claim { limit } => Written::Claimed(self.claim(conn, *limit).await?),
            Write::Sending { post_id } => Written::Sending(self.mark_sending(conn, &[post_id]).await?.contains(post_id)),
            Write::Attempt(line) => {
                log_line(conn, self.db.now().await, line).await?;
                Written::Logged
            }
            Write::Outcome { post, outcome } => Written::Stored(self.record(conn, post, outcome).await?.map(Box::new)),
        })
    }

    /// One statement moves due `pending` rows to `publishing` under this worker's lease
    /// (PostgreSQL adds `FOR UPDATE SKIP LOCKED`, so several processes never claim the same
    /// row; SQLite has a single writer), skipping posts whose account or app cools down.
    async fn claim(&self, conn: &mut sqlx::AnyConnection, limit: usize) -> Result<Vec<Post>, PublishError> {
        let now = self.db.now().await;
        let lock = self.db.skip_locked();
        let sql = format!(
            "update posts set status = 'publishing', lease_owner = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3
             where id in (select id from posts where status = 'pending' and run_at <= $3
                          and not exists (select 1 from rate_cooldowns c where c.until_ms > $3
                                          and (c.scope = posts.connection_id or c.scope = 'app:' || posts.platform))
                          order by run_at limit $4 {lock})
             returning *"
        );
        let rows = sqlx::query(&sql)
            .bind(&self.worker_id)
            .bind(now + self.lease.as_millis() as i64)
            .bind(now)
            .bind(limit as i64)
            .fetch_all(&mut *conn)
            .await?;
        Ok(rows.iter().map(Post::from_row).collect::<Result<_, _>>()?)
    }

    /// Sets `sending_at` on those of `ids` this worker still holds and has not sent; returns them.
    async fn mark_sending(&self, conn: &mut sqlx::AnyConnection, ids: &[&str]) -> Result<Vec<String>, PublishError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let list = (0..ids.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "update posts set sending_at = $1, sent_by = $2
             where id in ({list}) and lease_owner = $2 and status = 'publishing' and sending_at is null returning id"
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql).bind(self.db.now().await).bind(&self.worker_id);
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&mut *conn).await?)
    }

    /// Stores the outcome if this worker still holds the post (also after the sweep called
    /// it unconfirmed: the real answer is better than a guess). Returns the stored row.
    async fn record(&self, conn: &mut sqlx::AnyConnection, post: &Post, outcome: &Outcome) -> Result<Option<Post>, PublishError> {
        let now = self.db.now().await;
        let owner = &self.worker_id;
        let mine = "id = $1 and lease_owner = $2 and status in ('publishing', 'unconfirmed') returning *";
        let row = match outcome {
            Outcome::Released => return Ok(None),
            // A database trigger starts measuring the post in the same statement. A Rust
            // hand-off in an explicit transaction was tried: it holds the shared rollup rows
            // across round trips, and three replicas then left 2 of 5,000 posts unconfirmed.
            Outcome::Posted(p) => sqlx::query(&format!(
                "update posts set status = 'posted', external_id = $3, external_url = $4, published_at = $5, updated_at = $5,
                        error_code = null, error_message = null, guidance = null, lease_owner = null, lease_until = null where {mine}"
            ))
            .bind(&post.id)
            .bind(owner)
            .bind(&p.external_id)
            .bind(&p.url)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?,
            Outcome::Retry { after_ms, message } => sqlx::query(&format!(
                "update posts set status = 'pending', run_at = $3, sending_at = null, lease_owner = null, lease_until = null,
                        error_code = 'retrying', error_message = $4, updated_at = $5 where {mine}"
            ))
            .bind(&post.id)
            .bind(owner)
            .bind(now + after_ms)
            .bind(format!("Attempt {} did not go through ({message}); trying again shortly.", post.attempts))
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?,
            Outcome::Failed { code, message, guidance, .. } => sqlx::query(&format!(
                "update posts set status = 'failed', error_code = $3, error_message = $4, guidance = $5, lease_owner = null, lease_until = null, updated_at = $6 where {mine}"
            ))
            .bind(&post.id)
            .bind(owner)
            .bind(*code)
            .bind(message)
            .bind(guidance)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?,
            Outcome::Unconfirmed(message) if message.is_empty() => return Ok(None),
            Outcome::Unconfirmed(message) => sqlx::query(&format!(
                "update posts set status = 'unconfirmed', error_code = 'unknown', error_message = $3, guidance = $4, lease_owner = null, lease_until = null,
                        updated_at = $5, reconcile_after = $6 where {mine}"
            ))
            .bind(&post.id)
            .bind(owner)
            .bind(message)
            .bind(format!("It may have been published. Check your {} account before retrying.", pid_name(&post.platform)))
            .bind(now)
            .bind(now + self.reconcile_delay.as_millis() as i64)
            .fetch_optional(&mut *conn)
            .await?,
        };
        Ok(row.map(|r| Post::from_row(&r)).transpose()?)
    }
}

/// Appends one line to a post's attempts log (one worker holds a post at a time, so the next
/// sequence number cannot race).
pub(super) async fn log_line(conn: &mut sqlx::AnyConnection, at: i64, line: &LogLine) -> Result<(), PublishError> {
    sqlx::query(
        "insert into publish_attempts (post_id, seq, attempt, at, outcome, message, http_status)
         values ($1, (select coalesce(max(seq), 0) + 1 from publish_attempts where post_id = $1), $2, $3, $4, $5, $6)",
    )
    .bind(&line.post_id)
    .bind(line.attempt)
    .bind(at)
    .bind(line.outcome.as_str())
    .bind(&line.message)
    .bind(line.status)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
