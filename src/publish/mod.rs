//! Publishing: one publication per (post, account), kept in the database, which is also the
//! job queue (`queue.rs`). Scheduling validates everything before anything is stored, so a
//! batch goes in whole or not at all.

mod attempts;
mod lease;
mod queue;
mod reconcile;
mod send;
mod writes;

pub use attempts::Attempt;
pub use queue::{Health, QueueConfig};

use crate::connections::Connections;
use crate::db::Db;
use crate::domain::{check_length_within, platform_info, PlatformId, PostOptions, PostStatus, WebhookEvent};
use crate::media::Media;
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, Row};
use std::sync::Arc;

/// How far ahead a post may be scheduled.
pub(crate) const MAX_AHEAD_MS: i64 = 2 * 366 * 24 * 3_600_000;
/// A "now" that arrives a little late (slow form, clock skew) is still now.
const PAST_GRACE_MS: i64 = 5 * 60 * 1000;

/// One publication, read straight from its `posts` row (`select *`): a new column is a new
/// field here and nothing else on the way out.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, sqlx::FromRow)]
pub struct Post {
    pub id: String,
    /// Whose post it is: read with the row so a send needs no second look-up. Never sent out
    /// (the caller knows who they are).
    #[serde(skip)]
    pub user_id: String,
    pub batch_id: String,
    pub draft_id: Option<String>,
    pub connection_id: Option<String>,
    pub platform: String,
    pub account_name: String,
    pub body: String,
    pub title: Option<String>,
    pub image_url: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: PostStatus,
    pub scheduled_at: i64,
    pub attempts: i64,
    pub external_id: Option<String>,
    pub external_url: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub guidance: Option<String>,
    pub recurrence_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    /// The person's per-network choices for this post (`tiktok`, …).
    #[serde(flatten)]
    #[sqlx(rename = "platform_options", try_from = "Option<String>")]
    pub options: PostOptions,
    /// Every request sent and what came of it (only on a single post's read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[sqlx(skip)]
    pub attempt_log: Vec<Attempt>,
}

/// The one rule for a publishing time: not (noticeably) past, at most two years ahead; a time
/// a moment ago means now.
fn check_time(at: i64, now: i64) -> Result<i64, PublishError> {
    if at < now - PAST_GRACE_MS {
        return Err(invalid("in_the_past", "That time has already passed. Pick a time in the future, or publish now."));
    }
    if at > now + MAX_AHEAD_MS {
        return Err(invalid("too_far_ahead", "Posts can be scheduled up to two years ahead."));
    }
    Ok(at.max(now))
}

/// One publication to create.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewPost {
    pub connection_id: String,
    pub text: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub draft_id: Option<String>,
    /// UTC milliseconds; `None` = now.
    #[serde(default)]
    pub scheduled_at: Option<i64>,
    #[serde(default)]
    pub recurrence_id: Option<String>,
    /// Per-network choices (TikTok's are required for a TikTok account).
    #[serde(flatten)]
    pub options: PostOptions,
}

/// Publishing refuses with the shared core error.
pub type PublishError = crate::Error;
use crate::error::invalid;

/// "Publish this draft (or text) to these accounts", before it becomes publications.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PublishRequest {
    #[serde(default)]
    pub connection_ids: Vec<String>,
    /// One text for every account (when there is no draft, or to override it).
    #[serde(default)]
    pub text: Option<String>,
    /// Platform id → text, overriding the draft's variant.
    #[serde(default)]
    pub variants: std::collections::HashMap<String, String>,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// UTC ms; `None` = now. The edge resolves it from what the person wrote (an RFC 3339
    /// time, a local time in their zone), so it is never read from a request body.
    #[serde(skip_deserializing)]
    pub scheduled_at: Option<i64>,
    /// Per-network choices for the accounts among `connection_ids` (`tiktok` is required
    /// when there is a TikTok account).
    #[serde(flatten)]
    pub options: PostOptions,
}

/// Filters for listing posts.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostQuery {
    pub status: Option<String>,
    /// UTC ms, inclusive.
    pub from: Option<i64>,
    /// UTC ms, exclusive.
    pub to: Option<i64>,
    pub draft_id: Option<String>,
    pub batch_id: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Clone)]
pub struct Publisher {
    db: Db,
    connections: Connections,
    media: Media,
    /// Public URL of this instance: media URLs handed to platforms that fetch by URL.
    base_url: String,
    cfg: QueueConfig,
    state: Arc<queue::Shared>,
    /// The dispatcher's writes from the send on, grouped (`writes.rs`).
    writes: Arc<crate::jobs::Group<writes::Write, writes::Written>>,
    webhooks: Option<crate::webhooks::Webhooks>,
}

impl Publisher {
    pub fn new(db: Db, connections: Connections, media: Media, base_url: &str, cfg: QueueConfig) -> Self {
        let state = Arc::new(queue::Shared::new());
        let writer =
            writes::Writer { db: db.clone(), worker_id: state.worker_id.clone(), lease: cfg.lease, reconcile_delay: cfg.reconcile_delay };
        let writes = crate::jobs::Group::new(db.write_group(), move |items| {
            let w = writer.clone();
            Box::pin(async move { w.flush(items).await })
        });
        Self {
            db,
            connections,
            media,
            base_url: base_url.trim_end_matches('/').to_string(),
            cfg,
            state,
            writes: Arc::new(writes),
            webhooks: None,
        }
    }

    /// Outbound events (post.scheduled / published / failed / unconfirmed) go through these.
    pub fn with_webhooks(mut self, w: crate::webhooks::Webhooks) -> Self {
        self.webhooks = Some(w);
        self
    }

    /// Queues the person's webhooks for a post (best effort: a webhook problem never
    /// changes what happened to the post).
    pub(crate) async fn emit(&self, user_id: &str, event: WebhookEvent, post: &Post) {
        if let Some(w) = &self.webhooks {
            let data = serde_json::json!({
                "post_id": post.id, "batch_id": post.batch_id, "draft_id": post.draft_id, "platform": post.platform,
                "account": post.account_name, "status": post.status, "scheduled_at": post.scheduled_at,
                "external_id": post.external_id, "url": post.external_url, "error": post.error_message, "guidance": post.guidance,
            });
            if let Err(e) = w.emit(user_id, event, data).await {
                tracing::warn!(post = %post.id, event = %event, error = %e, "queueing a webhook failed");
            }
        }
    }

    /// Validates every item first; stores all of them in one transaction or none.
    pub async fn schedule(&self, user_id: &str, items: Vec<NewPost>) -> Result<Vec<Post>, PublishError> {
        if items.is_empty() {
            return Err(invalid("no_accounts", "Choose at least one account to publish to."));
        }
        if items.len() > 1000 {
            return Err(invalid("too_many", "Schedule at most 1000 posts at once."));
        }
        let now = self.db.now().await;
        let mut rows = Vec::with_capacity(items.len());
        // An empty id from a form or API client means "none", not a row called "".
        let items: Vec<NewPost> = items
            .into_iter()
            .map(|mut it| {
                it.draft_id = it.draft_id.filter(|d| !d.trim().is_empty());
                it.image_url = it.image_url.filter(|u| !u.trim().is_empty());
                it
            })
            .collect();
        for it in &items {
            let conn = self.account(user_id, &it.connection_id).await?;
            let name = conn.platform.display_name();
            if conn.needs_reconnect() {
                return Err(invalid(
                    "reconnect_needed",
                    format!("Reconnect {name} ({}) in Sources before publishing to it.", conn.username),
                ));
            }
            let text = it.text.trim().to_string();
            let limits = &platform_info(conn.platform).limits;
            if text.is_empty() && it.image_url.is_none() {
                return Err(invalid("empty_post", format!("The {name} post is empty. Write something or add an image.")));
            }
            let c = check_length_within(conn.platform, &text, self.connections.text_limit(user_id, &conn).await);
            if c.over() {
                return Err(invalid("over_limit", format!("The {name} post is {} over its limit of {}.", -c.remaining, c.limit)));
            }
            it.options.validate_for(conn.platform)?;
            if limits.requires_media && it.image_url.is_none() {
                return Err(invalid("media_required", format!("{name} only publishes posts with an image or video. Add one first.")));
            }
            if let Some(u) = &it.image_url {
                if let Some(id) = crate::domain::ImageRef::parse(u)?.upload_id() {
                    // Image ids are public (platforms fetch them), so knowing one proves nothing:
                    // only the caller's own uploads can be attached.
                    self.media.get(user_id, id).await.map_err(|e| match e {
                        crate::media::MediaError::NotFound(what) => PublishError::NotFound(what),
                        e => PublishError::Internal(e.into()),
                    })?;
                }
            }
            if let Some(d) = it.draft_id.as_deref() {
                // Every id in a body is looked up as the caller: another person's draft is "not found".
                let mine = sqlx::query("select 1 from drafts where id = $1 and user_id = $2")
                    .bind(d)
                    .bind(user_id)
                    .fetch_optional(self.db.pool())
                    .await?;
                if mine.is_none() {
                    return Err(PublishError::NotFound("That draft"));
                }
            }
            let at = check_time(it.scheduled_at.unwrap_or(now), now)?;
            rows.push((conn, text, at));
        }
        let batch = uuid::Uuid::new_v4().to_string();
        let mut tx = self.db.pool().begin().await?;
        let mut ids = vec![];
        for ((conn, text, at), it) in rows.iter().zip(&items) {
            let id = uuid::Uuid::new_v4().to_string();
            sqlx::query(
                "insert into posts (id, user_id, batch_id, draft_id, connection_id, platform, account_name, body, title, image_url, status, scheduled_at, run_at, recurrence_id, created_at, updated_at, platform_options)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $11, $12, $13, $13, $14)",
            )
            .bind(&id)
            .bind(user_id)
            .bind(&batch)
            .bind(it.draft_id.as_deref())
            .bind(&conn.id)
            .bind(conn.platform.as_str())
            .bind(&conn.username)
            .bind(text)
            .bind(it.title.as_deref())
            .bind(it.image_url.as_deref())
            .bind(*at)
            .bind(it.recurrence_id.as_deref())
            .bind(now)
            .bind(Some(it.options.only_for(conn.platform)).filter(|o| !o.is_empty()).and_then(|o| serde_json::to_string(&o).ok()))
            .execute(&mut *tx)
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        let drafts: Vec<String> = items.iter().filter_map(|i| i.draft_id.clone()).collect();
        for d in drafts {
            self.refresh_draft_status(&d).await?;
        }
        // Wake this process's dispatcher: a post due now goes out now, not at the next poll.
        self.state.wake.notify_one();
        let posts = self.list(user_id, &PostQuery { batch_id: Some(batch), limit: Some(1000), ..Default::default() }).await?;
        for p in posts.iter().filter(|p| p.scheduled_at > now + 60_000) {
            self.emit(user_id, WebhookEvent::PostScheduled, p).await;
        }
        Ok(posts)
    }

    /// The caller's connected account `id`. Only a missing row is "not found": a database
    /// that did not answer is our failure, and saying "not found" would send the person
    /// looking for an account that is there.
    pub(crate) async fn account(&self, user_id: &str, id: &str) -> Result<crate::connections::Connection, PublishError> {
        self.connections.get(user_id, id).await.map_err(|e| match e {
            crate::connections::ConnectError::NotFound => PublishError::NotFound("That account"),
            e => PublishError::Internal(e.into()),
        })
    }

    /// One publication per chosen account; each gets its platform's text: an explicit
    /// variant, else the shared text, else the draft's variant for that platform.
    pub async fn publish(
        &self,
        user_id: &str,
        draft: Option<&crate::drafts::Draft>,
        req: PublishRequest,
    ) -> Result<Vec<Post>, PublishError> {
        let mut items = vec![];
        for cid in &req.connection_ids {
            let conn = self.account(user_id, cid).await?;
            let p = conn.platform.as_str();
            let text = req
                .variants
                .get(p)
                .cloned()
                .or_else(|| req.text.clone())
                .or_else(|| draft.and_then(|d| d.variants.get(p).cloned()))
                .unwrap_or_default();
            items.push(NewPost {
                connection_id: cid.clone(),
                text,
                title: req.title.clone().or_else(|| draft.map(|d| d.title.clone())),
                image_url: req.image_url.clone().or_else(|| draft.and_then(|d| d.image_url.clone())),
                draft_id: draft.map(|d| d.id.clone()),
                scheduled_at: req.scheduled_at,
                recurrence_id: None,
                options: req.options.clone(),
            });
        }
        self.schedule(user_id, items).await
    }

    /// The person's profile time zone (UTC when unset).
    pub async fn timezone(&self, user_id: &str) -> crate::domain::Timezone {
        let tz: Option<String> = sqlx::query("select timezone from users where id = $1")
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await
            .ok()
            .flatten()
            .map(|r| r.get("timezone"));
        tz.and_then(|t| crate::domain::Timezone::parse(&t).ok()).unwrap_or_else(crate::domain::Timezone::utc)
    }

    /// `2026-12-01T09:00` (or with a space) in the person's zone → UTC ms, with the DST rules.
    pub async fn local_to_utc(&self, user_id: &str, local: &str, fold: &str) -> Result<i64, PublishError> {
        let (date, time) = local
            .trim()
            .split_once(['T', ' '])
            .ok_or_else(|| invalid("invalid_time", "Give the local time as YYYY-MM-DDTHH:MM, e.g. 2026-12-01T09:00."))?;
        let naive = crate::domain::parse_local(date, time)?;
        let fold = crate::domain::Fold::parse(fold)?;
        Ok(crate::domain::local_to_utc_ms(&self.timezone(user_id).await, naive, fold)?)
    }

    /// The per-network choices of this account's most recent post that carried any (the
    /// editor preselects them, e.g. the last Pinterest board); default when there is none.
    pub async fn last_options(&self, user_id: &str, connection_id: &str) -> Result<PostOptions, PublishError> {
        let json: Option<String> = sqlx::query_scalar(
            "select platform_options from posts where user_id = $1 and connection_id = $2 and platform_options is not null
             order by created_at desc limit 1",
        )
        .bind(user_id)
        .bind(connection_id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default())
    }

    /// One of `user_id`'s posts, with its attempts log.
    pub async fn get(&self, user_id: &str, id: &str) -> Result<Post, PublishError> {
        let row =
            sqlx::query("select * from posts where id = $1 and user_id = $2").bind(id).bind(user_id).fetch_optional(self.db.pool()).await?;
        let mut post = row.map(|r| Post::from_row(&r)).transpose()?.ok_or(PublishError::NotFound("That post"))?;
        post.attempt_log = self.attempt_log(id).await?;
        Ok(post)
    }

    /// Oldest scheduled first within the range.
    pub async fn list(&self, user_id: &str, q: &PostQuery) -> Result<Vec<Post>, PublishError> {
        let status = match q.status.as_deref().filter(|s| !s.is_empty() && *s != "all") {
            Some(s) => PostStatus::parse(s).map_err(PublishError::Invalid)?.as_str(),
            None => "",
        };
        let rows = sqlx::query(
            "select * from posts where user_id = $1
               and ($2 = '' or status = $2)
               and scheduled_at >= $3 and scheduled_at < $4
               and ($5 = '' or draft_id = $5)
               and ($6 = '' or batch_id = $6)
             order by scheduled_at, id limit $7",
        )
        .bind(user_id)
        .bind(status)
        .bind(q.from.unwrap_or(0))
        .bind(q.to.unwrap_or(i64::MAX))
        .bind(q.draft_id.as_deref().unwrap_or(""))
        .bind(q.batch_id.as_deref().unwrap_or(""))
        .bind(q.limit.unwrap_or(500).clamp(1, 10_000))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.iter().map(Post::from_row).collect::<Result<_, _>>()?)
    }

    /// Only a post that has not started can be cancelled.
    pub async fn cancel(&self, user_id: &str, id: &str) -> Result<Post, PublishError> {
        let p = self.get(user_id, id).await?;
        let r = sqlx::query("update posts set status = 'cancelled', updated_at = $1 where id = $2 and user_id = $3 and status = 'pending'")
            .bind(self.db.now().await)
            .bind(id)
            .bind(user_id)
            .execute(self.db.pool())
            .await?;
        if r.rows_affected() == 0 {
            return Err(PublishError::Conflict(format!("This post is {} and can no longer be cancelled.", p.status)));
        }
        if let Some(d) = &p.draft_id {
            self.refresh_draft_status(d).await?;
        }
        self.get(user_id, id).await
    }

    /// Moves a pending post (the calendar's drag and drop).
    pub async fn reschedule(&self, user_id: &str, id: &str, at: i64) -> Result<Post, PublishError> {
        let p = self.get(user_id, id).await?;
        let now = self.db.now().await;
        let at = check_time(at, now)?;
        let r = sqlx::query(
            "update posts set scheduled_at = $1, run_at = $1, updated_at = $2 where id = $3 and user_id = $4 and status = 'pending'",
        )
        .bind(at)
        .bind(now)
        .bind(id)
        .bind(user_id)
        .execute(self.db.pool())
        .await?;
        if r.rows_affected() == 0 {
            return Err(PublishError::Conflict(format!("This post is {} and can no longer be moved.", p.status)));
        }
        self.state.wake.notify_one();
        self.get(user_id, id).await
    }

    /// Sends a failed post again, or an unconfirmed one after the person checked that it
    /// did not appear (`confirmed_missing`): we never resend an unconfirmed post by ourselves.
    pub async fn retry(&self, user_id: &str, id: &str, confirmed_missing: bool) -> Result<Post, PublishError> {
        let p = self.get(user_id, id).await?;
        match p.status {
            PostStatus::Failed => {}
            PostStatus::Unconfirmed if confirmed_missing => {}
            PostStatus::Unconfirmed => {
                return Err(PublishError::Conflict(format!(
                    "This post may already be on {}. Check there first; if it is missing, confirm and retry.",
                    pid_name(&p.platform)
                )))
            }
            s => return Err(PublishError::Conflict(format!("This post is {s}; only failed or unconfirmed posts can be retried."))),
        }
        let now = self.db.now().await;
        sqlx::query(
            "update posts set status = 'pending', run_at = $1, attempts = 0, sending_at = null, lease_owner = null, lease_until = null,
                    error_code = null, error_message = null, guidance = null, updated_at = $1
             where id = $2 and user_id = $3 and status = $4",
        )
        .bind(now)
        .bind(id)
        .bind(user_id)
        .bind(p.status.as_str())
        .execute(self.db.pool())
        .await?;
        self.log_retry(id).await?;
        self.state.wake.notify_one();
        self.get(user_id, id).await
    }

    /// A draft's status follows its publications: any still to go → scheduled; else any
    /// failed → failed; else published. One statement that reads the posts as they are when
    /// it runs (PostgreSQL: after taking the draft's row lock), so two posts finishing at once
    /// cannot leave a stale status behind.
    pub(crate) async fn refresh_draft_status(&self, draft_id: &str) -> Result<(), PublishError> {
        let sql = "update drafts set status = case
                when exists (select 1 from posts where draft_id = $1 and status in ('pending', 'publishing')) then 'scheduled'
                when exists (select 1 from posts where draft_id = $1 and status = 'failed') then 'failed'
                when exists (select 1 from posts where draft_id = $1 and status in ('posted', 'unconfirmed')) then 'published'
                else status end
            where id = $1";
        let mut tx = self.db.pool().begin().await?;
        self.db.lock_row(&mut tx, "drafts", draft_id).await?;
        sqlx::query(sql).bind(draft_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn pid_name(p: &str) -> &'static str {
    PlatformId::parse(p).map(|p| p.display_name()).unwrap_or("the platform")
}
