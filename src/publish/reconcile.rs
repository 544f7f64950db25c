//! Settling unconfirmed posts by asking the platform. A post whose answer was lost may or may
//! not be out there; where the platform lists the account's own recent posts (X, Bluesky),
//! the queue looks for the post's text among those made since it was sent:
//! - found: it is `posted`, with the platform's real id and URL;
//! - the list came back whole (`RecentPosts::complete`: the adapter's page was not cut) and
//!   the post is not in it: nothing went out, so it is sent again (or, out of attempts, `failed`,
//!   where "Retry" is safe);
//! - the platform cannot be asked, or keeps failing: it stays unconfirmed for the person.
//!
//! The look waits `reconcile_delay` after the post became unconfirmed, so a platform whose
//! lists lag a little has caught up.

use super::{pid_name, Post, PublishError, Publisher};
use crate::domain::{PostStatus, WebhookEvent};
use crate::platforms::{ErrorClass, RecentPost};
use sqlx::FromRow;

/// Look again this long after a look that could not finish (the platform failed).
const RETRY_LOOK_MS: i64 = 5 * 60_000;
/// Stop looking for a post sent this long ago: whatever the list says, it is too old to tell.
const GIVE_UP_AFTER_MS: i64 = 24 * 3_600_000;
/// Posts made this long before `sending_at` still count (the platform's clock may differ).
const CLOCK_SLACK_MS: i64 = 120_000;

/// Text as compared: links dropped (X shortens them to t.co), then letters and digits only,
/// lower-cased, so spacing, entities and punctuation a platform rewrites do not matter.
fn comparable(text: &str) -> String {
    // X returns text with &amp; &lt; &gt; escaped.
    let text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'");
    text.split_whitespace()
        .filter(|w| !(w.starts_with("http://") || w.starts_with("https://")))
        .flat_map(|w| w.chars())
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// True when `theirs` is the post we sent as `ours`.
pub(super) fn same_post(ours: &str, theirs: &str) -> bool {
    let (a, b) = (comparable(ours), comparable(theirs));
    if a.is_empty() {
        // Nothing but links or symbols: only the exact text will do.
        return ours.trim() == theirs.trim();
    }
    a == b
}

impl Publisher {
    /// One pass: claims up to `limit` unconfirmed posts due for a look (a 5-minute lease on
    /// the look itself, so replicas never look twice at once) and settles what it can.
    /// Returns (found, sent again).
    pub async fn reconcile_unconfirmed(&self, limit: usize) -> Result<(usize, usize), PublishError> {
        let now = self.db.now().await;
        let lock = self.db.skip_locked();
        let rows = sqlx::query(&format!(
            "update posts set reconcile_after = $1 where id in (
                 select id from posts where status = 'unconfirmed' and reconcile_after <= $2 order by reconcile_after limit $3 {lock})
             returning *"
        ))
        .bind(now + RETRY_LOOK_MS)
        .bind(now)
        .bind(limit as i64)
        .fetch_all(self.db.pool())
        .await?;
        let (mut found, mut again) = (0, 0);
        for r in &rows {
            let post = Post::from_row(r)?;
            let user = &post.user_id;
            let sent_at = crate::db::opt::<i64>(r, "sending_at").unwrap_or(post.updated_at);
            match self.look(user, &post, sent_at, now).await {
                Look::Found(p) => found += self.settle_found(user, &post, p).await? as usize,
                Look::Absent => again += self.settle_absent(user, &post).await? as usize,
                Look::CannotAsk => self.stop_looking(&post.id).await?,
                Look::TryLater if now - sent_at > GIVE_UP_AFTER_MS => self.stop_looking(&post.id).await?,
                Look::TryLater => {}
            }
        }
        Ok((found, again))
    }

    async fn look(&self, user: &str, post: &Post, sent_at: i64, now: i64) -> Look {
        let Some(conn_id) = &post.connection_id else { return Look::CannotAsk };
        let Ok((conn, grant, _)) = self.connections.grant(user, conn_id).await else { return Look::CannotAsk };
        let Some(adapter) = self.connections.platforms().get(conn.platform) else { return Look::CannotAsk };
        if now - sent_at > GIVE_UP_AFTER_MS {
            return Look::CannotAsk;
        }
        let account = conn.profile();
        match adapter.recent_posts(&grant, &account, sent_at - CLOCK_SLACK_MS).await {
            Ok(None) => Look::CannotAsk,
            Ok(Some(list)) => match list.posts.into_iter().find(|p| same_post(&post.body, &p.text)) {
                Some(p) => Look::Found(p),
                None if list.complete => Look::Absent,
                // The page may have been cut before the post: the person decides.
                None => Look::CannotAsk,
            },
            Err(e) => {
                tracing::warn!(post = %post.id, error = %e, "looking for an unconfirmed post failed");
                match e.class {
                    ErrorClass::RetryLater { .. } | ErrorClass::Unknown | ErrorClass::RefreshNeeded => Look::TryLater,
                    _ => Look::CannotAsk,
                }
            }
        }
    }

    async fn settle_found(&self, user: &str, post: &Post, p: RecentPost) -> Result<bool, PublishError> {
        let now = self.db.now().await;
        let mut tx = self.db.pool().begin().await?;
        let done = sqlx::query(
            "update posts set status = 'posted', external_id = $2, external_url = $3, published_at = coalesce(sending_at, $4), updated_at = $4,
                    error_code = null, error_message = null, guidance = null, lease_owner = null, lease_until = null, reconcile_after = null
             where id = $1 and status = 'unconfirmed'",
        )
        .bind(&post.id)
        .bind(&p.external_id)
        .bind(&p.url)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            let msg = format!("Found on {} among the account's recent posts: {}", pid_name(&post.platform), p.url);
            self.log_row_in(&mut tx, &post.id, post.attempts, crate::domain::AttemptOutcome::Found, &msg, None).await?;
        }
        tx.commit().await?;
        if done {
            self.settled(user, post).await?;
        }
        Ok(done)
    }

    /// The platform listed the account's posts and ours is not there: it never went out.
    async fn settle_absent(&self, user: &str, post: &Post) -> Result<bool, PublishError> {
        let now = self.db.now().await;
        let name = pid_name(&post.platform);
        let q = if post.attempts < self.cfg.max_attempts {
            "update posts set status = 'pending', run_at = $2, sending_at = null, reconcile_after = null, lease_owner = null, lease_until = null,
                    error_code = 'retrying', error_message = $3, guidance = null, updated_at = $2
             where id = $1 and status = 'unconfirmed'"
        } else {
            "update posts set status = 'failed', reconcile_after = null, lease_owner = null, lease_until = null,
                    error_code = 'retry_exhausted', error_message = $3, guidance = 'It is not on the platform, so Retry sends it once.', updated_at = $2
             where id = $1 and status = 'unconfirmed'"
        };
        let msg = format!("Not among the account's posts on {name}: the lost attempt never went out.");
        let mut tx = self.db.pool().begin().await?;
        let done = sqlx::query(q).bind(&post.id).bind(now).bind(&msg).execute(&mut *tx).await?.rows_affected() == 1;
        if done {
            self.log_row_in(&mut tx, &post.id, post.attempts, crate::domain::AttemptOutcome::NotFound, &msg, None).await?;
        }
        tx.commit().await?;
        if done {
            if post.attempts < self.cfg.max_attempts {
                self.state.wake.notify_one();
                if let Some(d) = &post.draft_id {
                    self.refresh_draft_status(d).await?;
                }
            } else {
                self.settled(user, post).await?;
            }
        }
        Ok(done)
    }

    /// A final state was reached: the draft's status follows, webhooks go out.
    async fn settled(&self, user: &str, post: &Post) -> Result<(), PublishError> {
        if let Some(d) = &post.draft_id {
            self.refresh_draft_status(d).await?;
        }
        if let Ok(p) = self.get(user, &post.id).await {
            let event = if p.status == PostStatus::Posted { WebhookEvent::PostPublished } else { WebhookEvent::PostFailed };
            self.emit(user, event, &p).await;
        }
        Ok(())
    }

    async fn stop_looking(&self, id: &str) -> Result<(), PublishError> {
        sqlx::query("update posts set reconcile_after = null where id = $1").bind(id).execute(self.db.pool()).await?;
        Ok(())
    }
}

enum Look {
    Found(RecentPost),
    Absent,
    CannotAsk,
    TryLater,
}

#[cfg(test)]
mod tests {
    use super::same_post;

    #[test]
    fn posts_match_through_shortened_links_and_rewritten_spacing() {
        assert!(same_post("Launch day! Read more https://example.com/a?b=1", "Launch day!  Read more https://t.co/xyz"));
        assert!(same_post("Fish &amp; chips\n\ntonight", "Fish & chips tonight"));
        assert!(!same_post("Launch day", "Launch day two"));
        assert!(same_post("https://example.com", " https://example.com "));
        assert!(!same_post("https://example.com", "https://t.co/abc"));
    }
}
