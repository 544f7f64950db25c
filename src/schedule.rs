//! Scheduling on top of the publishing queue: the calendar (one date range, shown in the
//! person's zone), moving a post to another day at the same wall-clock time, bulk import
//! from CSV, repeating series and per-account time slots with "add to queue".
//!
//! Everything that creates posts ends in one `Publisher::schedule` call, which validates the
//! whole batch again and stores all of it or nothing. Times are entered and shown in the
//! profile's IANA zone and stored as UTC milliseconds; `domain::when` and
//! `domain::recurrence` hold the daylight-saving rules.

use crate::connections::{Connection, Connections};
use crate::db::{is_unique_violation, opt, Db};
use crate::domain::{
    check_length, local_to_utc_lenient, local_to_utc_ms, parse_local, platform_info, utc_ms_to_local, DomainError, Fold, Freq, PlatformId,
    Recurrence, Timezone, WEEKDAYS,
};
use crate::publish::{NewPost, Post, PublishError, Publisher};
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

/// The widest calendar request: a month grid is at most 42 days; a quarter leaves room.
pub const CALENDAR_MAX_DAYS: i64 = 92;
/// More posts than this in one range are cut off (and the answer says so).
const CALENDAR_MAX_POSTS: i64 = 20_000;
/// Characters of each post's text the calendar carries.
use crate::domain::calendar::SNIPPET;
pub use crate::domain::CalendarPost;
/// Rows in one CSV file; `Publisher::schedule` takes at most as many posts in one batch.
pub const MAX_ROWS: usize = 1000;
const MAX_POSTS: usize = 1000;
use crate::publish::MAX_AHEAD_MS;
/// The CSV columns, in the template's order. `image_url` and `dst` may be left out.
pub const CSV_COLUMNS: [&str; 6] = ["date", "time", "accounts", "text", "image_url", "dst"];

fn invalid(code: &str, msg: impl Into<String>) -> PublishError {
    PublishError::Invalid(DomainError::new(code, msg))
}

fn internal(e: impl Into<anyhow::Error>) -> PublishError {
    PublishError::Internal(e.into())
}

/// `2026-11-24` → the date, or a message naming the field.
pub fn parse_date(raw: &str, field: &str) -> Result<NaiveDate, DomainError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        DomainError::new("invalid_date", format!("{field} \"{}\" is not a date. Use YYYY-MM-DD, e.g. 2026-12-01.", raw.trim()))
    })
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Calendar {
    pub timezone: String,
    /// The requested local dates, both included.
    pub from: String,
    pub to: String,
    pub posts: Vec<CalendarPost>,
    /// More posts than one answer carries were in the range.
    pub truncated: bool,
}

/// Cheap to build per request: every field is a handle to shared pools.
#[derive(Clone)]
pub struct Scheduler {
    db: Db,
    connections: Connections,
    publisher: Publisher,
}

impl Scheduler {
    pub fn new(db: Db, connections: Connections, publisher: Publisher) -> Self {
        Self { db, connections, publisher }
    }

    pub async fn timezone(&self, user_id: &str) -> Timezone {
        self.publisher.timezone(user_id).await
    }

    /// Today's date in the person's zone.
    pub async fn today(&self, user_id: &str) -> NaiveDate {
        let tz = self.timezone(user_id).await;
        utc_ms_to_local(&tz, self.db.now().await).map(|t| t.date()).unwrap_or_default()
    }

    /// Posts scheduled on the local dates `from..=to` (cancelled ones left out), oldest
    /// first. Only that range is read: one indexed range scan on (user_id, scheduled_at).
    pub async fn calendar(&self, user_id: &str, from: &str, to: &str) -> Result<Calendar, PublishError> {
        let (from, to) = (parse_date(from, "from")?, parse_date(to, "to")?);
        if to < from {
            return Err(invalid("invalid_range", "\"to\" is before \"from\". Give the first and the last day to show."));
        }
        if (to - from).num_days() >= CALENDAR_MAX_DAYS {
            return Err(invalid("range_too_long", format!("Ask for at most {CALENDAR_MAX_DAYS} days at a time.")));
        }
        let tz = self.timezone(user_id).await;
        let start = local_to_utc_lenient(&tz, from.and_time(NaiveTime::MIN));
        let end = local_to_utc_lenient(&tz, (to + Days::new(1)).and_time(NaiveTime::MIN));
        // The length is a literal: PostgreSQL's substr takes an integer, and binds are bigint.
        let sql = format!(
            "select id, platform, account_name, status, scheduled_at, substr(body, 1, {}) as snippet, draft_id, recurrence_id,
                    error_message, external_url
             from posts where user_id = $1 and scheduled_at >= $2 and scheduled_at < $3 and status <> 'cancelled'
             order by scheduled_at, id limit $4",
            SNIPPET + 1
        );
        let rows = sqlx::query(&sql).bind(user_id).bind(start).bind(end).bind(CALENDAR_MAX_POSTS + 1).fetch_all(self.db.pool()).await?;
        let truncated = rows.len() as i64 > CALENDAR_MAX_POSTS;
        let posts = rows
            .iter()
            .take(CALENDAR_MAX_POSTS as usize)
            .map(|r| CalendarPost {
                draft_id: opt(r, "draft_id"),
                recurrence_id: opt(r, "recurrence_id"),
                error_message: opt(r, "error_message"),
                external_url: opt(r, "external_url"),
                ..CalendarPost::new(
                    r.get("id"),
                    r.get("platform"),
                    r.get("account_name"),
                    crate::db::status(r, "status"),
                    r.get("scheduled_at"),
                    r.get("snippet"),
                    &tz,
                )
            })
            .collect();
        Ok(Calendar { timezone: tz.as_str().to_string(), from: from.to_string(), to: to.to_string(), posts, truncated })
    }

    /// Posts still waiting to go out, any date (the calendar's empty state).
    pub async fn pending_count(&self, user_id: &str) -> Result<i64, PublishError> {
        let row = sqlx::query("select count(*) as n from posts where user_id = $1 and status = 'pending'")
            .bind(user_id)
            .fetch_one(self.db.pool())
            .await?;
        Ok(row.get("n"))
    }

    /// Moves a pending post to `date`, at the same local time unless `time` (HH:MM) is given:
    /// the calendar's drag and drop and its "Move to…" form.
    pub async fn move_post(&self, user_id: &str, id: &str, date: &str, time: &str, fold: &str) -> Result<Post, PublishError> {
        let post = self.publisher.get(user_id, id).await?;
        if post.status != crate::domain::PostStatus::Pending {
            return Err(PublishError::Conflict(format!("This post is {} and can no longer be moved.", post.status)));
        }
        let tz = self.timezone(user_id).await;
        let date = parse_date(date, "The date")?;
        let time = if time.trim().is_empty() {
            utc_ms_to_local(&tz, post.scheduled_at).map(|t| t.time()).unwrap_or_default()
        } else {
            parse_local("2000-01-01", time)?.time()
        };
        let at = local_to_utc_ms(&tz, date.and_time(time), Fold::parse(fold)?)?;
        self.publisher.reschedule(user_id, id, at).await
    }
}

/// `2026-11-24T09:00` → the naive local time, for callers that take one string.
pub fn parse_local_string(raw: &str) -> Result<NaiveDateTime, DomainError> {
    let (date, time) = raw
        .trim()
        .split_once(['T', ' '])
        .ok_or_else(|| DomainError::new("invalid_time", "Give the local time as YYYY-MM-DDTHH:MM, e.g. 2026-12-01T09:00."))?;
    parse_local(date, time)
}

mod csv_import;
mod series;
mod slots;
pub use csv_import::*;
pub use series::*;
pub use slots::*;

#[cfg(test)]
mod tests;
