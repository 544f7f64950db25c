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
use crate::platforms::Published;
use sqlx::FromRow;
use std::collections::{HashMap, HashSet};
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
    /// Sends, log lines and posted outcomes are one statement each for the whole group.
    pub async fn flush(&self, items: Vec<Write>) -> Result<Vec<Written>, PublishError> {
        let mut conn = self.db.pool().acquire().await?;
        if items.len() == 1 {
            return Ok(vec![self.write(&mut conn, &items[0]).await?]);
        }
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let (mut sending, mut lines, mut posted) = (vec![], vec![], vec![]);
        for w in &items {
            match w {
                Write::Sending { post_id } => sending.push(post_id.as_str()),
                Write::Attempt(line) => lines.push(line),
                Write::Outcome { post, outcome } => {
                    if let Outcome::Posted(p) = &**outcome {
                        posted.push((&**post, p));
                    }
                }
                Write::Claim { .. } => {}
            }
        }
        let marked = self.mark_sending(&mut tx, &sending).await?;
        log_lines(&mut tx, self.db.now().await, &lines).await?;
        let mut stored = self.record_posted(&mut tx, &posted).await?;
        let mut out = Vec::with_capacity(items.len());
        for w in &items {
            out.push(match w {
                Write::Sending { post_id } => Written::Sending(marked.contains(post_id)),
                Write::Attempt(_) => Written::Logged,
                Write::Outcome { post, outcome } if matches!(**outcome, Outcome::Posted(_)) => {
                    Written::Stored(stored.remove(&post.id).map(Box::new))
                }
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
                log_lines(conn, self.db.now().await, &[line]).await?;
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
    async fn mark_sending(&self, conn: &mut sqlx::AnyConnection, ids: &[&str]) -> Result<HashSet<String>, PublishError> {
        if ids.is_empty() {
            return Ok(HashSet::new());
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
        Ok(q.fetch_all(&mut *conn).await?.into_iter().collect())
    }

    /// Stores the outcome if this worker still holds the post (also after the sweep called
    /// it unconfirmed: the real answer is better than a guess). Returns the stored row.
    async fn record(&self, conn: &mut sqlx::AnyConnection, post: &Post, outcome: &Outcome) -> Result<Option<Post>, PublishError> {
        let now = self.db.now().await;
        let owner = &self.worker_id;
        let mine = "id = $1 and lease_owner = $2 and status in ('publishing', 'unconfirmed') returning *";
        let row = match outcome {
            Outcome::Released => return Ok(None),
            Outcome::Posted(p) => return Ok(self.record_posted(conn, &[(post, p)]).await?.remove(&post.id)),
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

    /// Posted outcomes, one statement for all of them; returns the stored rows of the posts
    /// this worker still held. A database trigger starts measuring each post in the same
    /// statement. (A Rust hand-off in an explicit transaction was tried: it holds the shared
    /// roll-up rows across round trips, and three replicas then left 2 of 5,000 posts
    /// unconfirmed.)
    async fn record_posted(
        &self,
        conn: &mut sqlx::AnyConnection,
        posted: &[(&Post, &Published)],
    ) -> Result<HashMap<String, Post>, PublishError> {
        if posted.is_empty() {
            return Ok(HashMap::new());
        }
        let values = (0..posted.len()).map(|i| format!("(${}, ${}, ${})", 3 * i + 3, 3 * i + 4, 3 * i + 5)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "with v (id, external_id, external_url) as (values {values})
             update posts set status = 'posted', external_id = (select v.external_id from v where v.id = posts.id),
                    external_url = (select v.external_url from v where v.id = posts.id), published_at = $1, updated_at = $1,
                    error_code = null, error_message = null, guidance = null, lease_owner = null, lease_until = null
             where id in (select id from v) and lease_owner = $2 and status in ('publishing', 'unconfirmed') returning *"
        );
        let mut q = sqlx::query(&sql).bind(self.db.now().await).bind(&self.worker_id);
        for (post, p) in posted {
            q = q.bind(&post.id).bind(&p.external_id).bind(&p.url);
        }
        let rows = q.fetch_all(&mut *conn).await?;
        Ok(rows.iter().map(Post::from_row).map(|p| p.map(|p| (p.id.clone(), p))).collect::<Result<_, _>>()?)
    }
}

/// Appends lines to posts' attempts logs, one statement for all (one worker holds a post at a
/// time and a post writes one line at a time, so the next sequence numbers cannot race).
pub(super) async fn log_lines(conn: &mut sqlx::AnyConnection, at: i64, lines: &[&LogLine]) -> Result<(), PublishError> {
    if lines.is_empty() {
        return Ok(());
    }
    let values = (0..lines.len())
        .map(|i| {
            let b = 5 * i + 2;
            format!(
                "(${b}, (select coalesce(max(seq), 0) + 1 from publish_attempts where post_id = ${b}), ${}, $1, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("insert into publish_attempts (post_id, seq, attempt, at, outcome, message, http_status) values {values}");
    let mut q = sqlx::query(&sql).bind(at);
    for l in lines {
        q = q.bind(&l.post_id).bind(l.attempt).bind(l.outcome.as_str()).bind(&l.message).bind(l.status);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}
