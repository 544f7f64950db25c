//! Scheduling on top of the publishing queue: the calendar (one date range, shown in the
//! person's zone), moving a post to another day at the same wall-clock time, bulk import
//! from CSV, repeating series and per-account time slots with "add to queue".
//!
//! Everything that creates posts ends in one `Publisher::schedule` call, which validates the
//! whole batch again and stores all of it or nothing. Times are entered and shown in the
//! profile's IANA zone and stored as UTC milliseconds; `domain::when` and
//! `domain::recurrence` hold the daylight-saving rules.

use crate::connections::{Connection, Connections};
use crate::db::{is_unique_violation, opt, Backend, Db};
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
const SNIPPET: usize = 140;
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

/// One post as the calendar shows it, with its local date and time worked out here (the
/// browser has no reliable zone database and its clock may be elsewhere).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CalendarPost {
    pub id: String,
    pub platform: String,
    /// The platform's brand colour, `#RRGGBB`.
    pub color: String,
    pub account_name: String,
    pub status: String,
    /// UTC milliseconds.
    pub scheduled_at: i64,
    /// `2026-11-24` in the person's zone.
    pub local_date: String,
    /// `14:30` in the person's zone.
    pub local_time: String,
    /// The start of the text.
    pub text: String,
    pub draft_id: Option<String>,
    pub recurrence_id: Option<String>,
    pub error_message: Option<String>,
    pub external_url: Option<String>,
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

/// A CSV problem, placed the way a spreadsheet shows it: the header is row 1.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    /// A column name from `CSV_COLUMNS`, or empty for the whole row or file.
    pub column: String,
    pub message: String,
}

fn row_err(row: usize, column: &str, message: impl Into<String>) -> RowError {
    RowError { row, column: column.into(), message: message.into() }
}

/// At most this many problems are listed; the rest are only counted, so a hostile file (a
/// header of 100,000 unknown columns) cannot turn into a reply of megabytes.
pub const MAX_LISTED_PROBLEMS: usize = 100;
/// Longest cell text quoted back in a message.
const QUOTE_MAX: usize = 40;

/// The problems found in a file: the first `MAX_LISTED_PROBLEMS`, and how many more there were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    pub listed: Vec<RowError>,
    pub more: usize,
}

impl Problems {
    fn one(e: RowError) -> Self {
        Self { listed: vec![e], more: 0 }
    }

    fn push(&mut self, e: RowError) {
        if self.listed.len() < MAX_LISTED_PROBLEMS {
            self.listed.push(e);
        } else {
            self.more += 1;
        }
    }

    pub fn total(&self) -> usize {
        self.listed.len() + self.more
    }
}

impl std::ops::Deref for Problems {
    type Target = [RowError];
    fn deref(&self) -> &[RowError] {
        &self.listed
    }
}

/// Cell text as quoted in a message: cut short so an error never echoes a huge cell.
fn quoted(s: &str) -> String {
    if s.chars().count() <= QUOTE_MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(QUOTE_MAX).collect::<String>())
    }
}

pub enum Import {
    Imported(Vec<Post>),
    /// The problems in the file; nothing was stored.
    Refused(Problems),
}

/// What a CSV file is checked against, so checking it is a pure function.
pub struct CsvContext<'a> {
    pub tz: &'a Timezone,
    pub now_ms: i64,
    /// The person's connected accounts.
    pub accounts: &'a [Connection],
}

/// A repeating series as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Series {
    pub id: String,
    pub freq: String,
    pub interval: i64,
    pub until: Option<String>,
    pub count: Option<i64>,
    /// `2026-12-01T09:00` in `timezone`.
    pub start_local: String,
    pub timezone: String,
    pub connection_ids: Vec<String>,
    pub text: String,
    /// `active` or `cancelled`.
    pub status: String,
    pub created_at: i64,
}

impl Series {
    fn from_row(r: &sqlx::any::AnyRow) -> Self {
        let ids: String = r.get("connection_ids");
        Self {
            id: r.get("id"),
            freq: r.get("freq"),
            interval: r.get("every_n"),
            until: opt(r, "until_date"),
            count: opt(r, "occurrences"),
            start_local: r.get("start_local"),
            timezone: r.get("timezone"),
            connection_ids: serde_json::from_str(&ids).unwrap_or_default(),
            text: r.get("body"),
            status: r.get("status"),
            created_at: r.get("created_at"),
        }
    }
}

/// "Post this every …": one post per occurrence and account.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SeriesInput {
    #[serde(default)]
    pub connection_ids: Vec<String>,
    /// One text for every account.
    #[serde(default)]
    pub text: Option<String>,
    /// Platform id → text, preferred over `text`.
    #[serde(default)]
    pub variants: HashMap<String, String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub draft_id: Option<String>,
    /// First occurrence, `2026-12-01T09:00` in the profile's zone.
    #[serde(default, alias = "local_time", alias = "start_local")]
    pub start: String,
    /// For a first occurrence the clocks pass twice: `earlier` or `later`.
    #[serde(default)]
    pub fold: Option<String>,
    /// daily | weekly | monthly
    #[serde(default)]
    pub freq: String,
    #[serde(default)]
    pub interval: Option<u32>,
    /// Last local date (YYYY-MM-DD, inclusive).
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub count: Option<u32>,
}

/// A weekly time an account likes to post at.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Slot {
    pub id: String,
    pub connection_id: String,
    pub platform: String,
    pub account_name: String,
    /// 0 = Monday … 6 = Sunday.
    pub weekday: i64,
    pub weekday_name: String,
    /// `HH:MM` in the owner's zone.
    pub local_time: String,
}

/// "Add to queue": the text, and the account whose next free slot it takes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueueItem {
    #[serde(default)]
    pub connection_id: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub draft_id: Option<String>,
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
        let zone = tz.tz();
        let posts = rows
            .iter()
            .take(CALENDAR_MAX_POSTS as usize)
            .map(|r| {
                let at: i64 = r.get("scheduled_at");
                let local = chrono::DateTime::from_timestamp_millis(at).map(|t| t.with_timezone(&zone).naive_local()).unwrap_or_default();
                let mut text: String = r.get("snippet");
                if text.chars().count() > SNIPPET {
                    text = text.chars().take(SNIPPET - 1).collect::<String>() + "…";
                }
                let platform: String = r.get("platform");
                CalendarPost {
                    id: r.get("id"),
                    color: PlatformId::parse(&platform).map(|p| platform_info(p).brand_color).unwrap_or("#64748b").to_string(),
                    platform,
                    account_name: r.get("account_name"),
                    status: r.get("status"),
                    scheduled_at: at,
                    local_date: local.format("%Y-%m-%d").to_string(),
                    local_time: local.format("%H:%M").to_string(),
                    text,
                    draft_id: opt(r, "draft_id"),
                    recurrence_id: opt(r, "recurrence_id"),
                    error_message: opt(r, "error_message"),
                    external_url: opt(r, "external_url"),
                }
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
        if post.status != "pending" {
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

    // ---- CSV bulk import ----

    /// Checks every row; stores all of them in one batch, or nothing with every problem.
    pub async fn import_csv(&self, user_id: &str, bytes: &[u8]) -> Result<Import, PublishError> {
        let tz = self.timezone(user_id).await;
        let accounts = self.connections.list(user_id).await.map_err(internal)?;
        let cx = CsvContext { tz: &tz, now_ms: self.db.now().await, accounts: &accounts };
        match parse_csv(bytes, &cx) {
            Err(errors) => Ok(Import::Refused(errors)),
            Ok(items) => Ok(Import::Imported(self.publisher.schedule(user_id, items).await?)),
        }
    }

    /// A template filled with the person's own accounts and two dates ahead, so it imports
    /// as it is.
    pub async fn template_csv(&self, user_id: &str) -> Result<String, PublishError> {
        let tz = self.timezone(user_id).await;
        let accounts = self.connections.list(user_id).await.map_err(internal)?;
        Ok(template_csv(&tz, self.db.now().await, &accounts))
    }

    // ---- repeating series ----

    pub async fn create_series(&self, user_id: &str, input: SeriesInput) -> Result<(Series, Vec<Post>), PublishError> {
        let freq = Freq::parse(&input.freq)?;
        let until = match input.until.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => Some(parse_date(u, "The end date")?),
            None => None,
        };
        let rule = Recurrence { freq, interval: input.interval.unwrap_or(1), until, count: input.count };
        rule.validate()?;
        let start = parse_local_string(&input.start)?;
        let tz = self.timezone(user_id).await;
        let times = rule.expand(&tz, start, Fold::parse(input.fold.as_deref().unwrap_or(""))?)?;
        if input.connection_ids.is_empty() {
            return Err(invalid("no_accounts", "Choose at least one account to post to."));
        }
        let mut conns = vec![];
        for cid in &input.connection_ids {
            conns.push(self.account(user_id, cid).await?);
        }
        let total = times.len() * conns.len();
        if total > MAX_POSTS {
            return Err(invalid(
                "too_many",
                format!(
                    "This series makes {total} posts ({} dates × {} accounts); at most {MAX_POSTS} at once. End it sooner or choose fewer accounts.",
                    times.len(),
                    conns.len()
                ),
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let mut items = Vec::with_capacity(total);
        for at in &times {
            for c in &conns {
                let text = input.variants.get(c.platform.as_str()).cloned().or_else(|| input.text.clone()).unwrap_or_default();
                items.push(NewPost {
                    connection_id: c.id.clone(),
                    text,
                    title: input.title.clone(),
                    image_url: input.image_url.clone(),
                    draft_id: input.draft_id.clone(),
                    scheduled_at: Some(*at),
                    recurrence_id: Some(id.clone()),
                });
            }
        }
        let body = input.text.clone().or_else(|| input.variants.values().next().cloned()).unwrap_or_default();
        // Posts first: `schedule` validates all of them, and a refused series leaves no row.
        let posts = self.publisher.schedule(user_id, items).await?;
        let now = self.db.now().await;
        let ids = serde_json::to_string(&input.connection_ids).map_err(internal)?;
        let stored = sqlx::query(
            "insert into recurrences (id, user_id, freq, every_n, until_date, occurrences, start_local, timezone, connection_ids, body, status, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $11)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(freq.as_str())
        .bind(rule.interval as i64)
        .bind(until.map(|u| u.to_string()))
        .bind(rule.count.map(|c| c as i64))
        .bind(start.format("%Y-%m-%dT%H:%M").to_string())
        .bind(tz.as_str())
        .bind(ids)
        .bind(body)
        .bind(now)
        .execute(self.db.pool())
        .await;
        if let Err(e) = stored {
            // Without its series row nobody could cancel these as a series: take them back.
            let _ = self.cancel_pending(user_id, &id).await;
            return Err(e.into());
        }
        Ok((self.series(user_id, &id).await?, posts))
    }

    pub async fn series(&self, user_id: &str, id: &str) -> Result<Series, PublishError> {
        let row = sqlx::query("select * from recurrences where id = $1 and user_id = $2")
            .bind(id)
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| Series::from_row(&r)).ok_or(PublishError::NotFound("That series"))
    }

    pub async fn list_series(&self, user_id: &str) -> Result<Vec<Series>, PublishError> {
        let rows = sqlx::query("select * from recurrences where user_id = $1 order by created_at desc, id")
            .bind(user_id)
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows.iter().map(Series::from_row).collect())
    }

    /// Stops a series: its pending posts are cancelled; what already went out stays.
    /// Returns the series and how many posts were cancelled.
    pub async fn cancel_series(&self, user_id: &str, id: &str) -> Result<(Series, u64), PublishError> {
        self.series(user_id, id).await?;
        sqlx::query("update recurrences set status = 'cancelled', updated_at = $1 where id = $2 and user_id = $3")
            .bind(self.db.now().await)
            .bind(id)
            .bind(user_id)
            .execute(self.db.pool())
            .await?;
        let n = self.cancel_pending(user_id, id).await?;
        Ok((self.series(user_id, id).await?, n))
    }

    async fn cancel_pending(&self, user_id: &str, series: &str) -> Result<u64, PublishError> {
        let drafts = sqlx::query(
            "update posts set status = 'cancelled', updated_at = $1 where user_id = $2 and recurrence_id = $3 and status = 'pending'
             returning draft_id",
        )
        .bind(self.db.now().await)
        .bind(user_id)
        .bind(series)
        .fetch_all(self.db.pool())
        .await?;
        let n = drafts.len() as u64;
        let drafts: HashSet<String> = drafts.iter().filter_map(|r| opt::<String>(r, "draft_id")).collect();
        for d in drafts {
            self.publisher.refresh_draft_status(&d).await?;
        }
        Ok(n)
    }

    // ---- time slots and the queue ----

    pub async fn slots(&self, user_id: &str, connection_id: Option<&str>) -> Result<Vec<Slot>, PublishError> {
        let rows = sqlx::query(
            "select s.id, s.connection_id, s.weekday, s.local_time, a.platform, a.username
             from time_slots s join social_accounts a on a.id = s.connection_id
             where s.user_id = $1 and ($2 = '' or s.connection_id = $2)
             order by a.created_at, s.connection_id, s.weekday, s.local_time",
        )
        .bind(user_id)
        .bind(connection_id.unwrap_or(""))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.iter().map(slot_from_row).collect())
    }

    /// `weekday` is 0–6 (Monday = 0) or a day name; `time` is `HH:MM` in the person's zone.
    pub async fn add_slot(&self, user_id: &str, connection_id: &str, weekday: &str, time: &str) -> Result<Slot, PublishError> {
        let conn = self.account(user_id, connection_id).await?;
        let day = parse_weekday(weekday)?;
        let t = NaiveTime::parse_from_str(time.trim(), "%H:%M")
            .map_err(|_| DomainError::new("invalid_time", format!("\"{}\" is not a time. Use 24-hour HH:MM, e.g. 09:30.", time.trim())))?;
        let id = uuid::Uuid::new_v4().to_string();
        let r = sqlx::query(
            "insert into time_slots (id, user_id, connection_id, weekday, local_time, created_at) values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(&conn.id)
        .bind(day)
        .bind(t.format("%H:%M").to_string())
        .bind(self.db.now().await)
        .execute(self.db.pool())
        .await;
        match r {
            Ok(_) => {}
            // The only unique constraint on the table.
            Err(e) if is_unique_violation(&e, "time_slots_unique") => {
                return Err(PublishError::Conflict(format!(
                    "@{} already has a slot on {} at {}.",
                    conn.username,
                    WEEKDAYS[day as usize],
                    t.format("%H:%M")
                )))
            }
            Err(e) => return Err(e.into()),
        }
        self.slots(user_id, Some(&conn.id))
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| internal(anyhow::anyhow!("slot vanished after insert")))
    }

    pub async fn delete_slot(&self, user_id: &str, id: &str) -> Result<(), PublishError> {
        let r = sqlx::query("delete from time_slots where id = $1 and user_id = $2").bind(id).bind(user_id).execute(self.db.pool()).await?;
        if r.rows_affected() == 0 {
            return Err(PublishError::NotFound("That time slot"));
        }
        Ok(())
    }

    /// Schedules the post at the account's next free slot: the first slot time after now,
    /// in the person's zone, that no pending post of that account already holds.
    pub async fn add_to_queue(&self, user_id: &str, item: QueueItem) -> Result<Post, PublishError> {
        let mut posts = self.queue(user_id, vec![item]).await?;
        posts.pop().ok_or_else(|| internal(anyhow::anyhow!("schedule returned no post")))
    }

    /// Several posts into their accounts' queues at once (a draft to each chosen account):
    /// all or nothing, one batch. Every account must have time slots.
    pub async fn queue(&self, user_id: &str, items: Vec<QueueItem>) -> Result<Vec<Post>, PublishError> {
        let mut resolved = vec![];
        for it in items {
            resolved.push((self.account(user_id, &it.connection_id).await?, it));
        }
        self.queue_for(user_id, resolved).await
    }

    /// A draft into each account's queue: each gets the draft's text for its platform.
    pub async fn queue_draft(
        &self,
        user_id: &str,
        draft: &crate::drafts::Draft,
        connection_ids: &[String],
    ) -> Result<Vec<Post>, PublishError> {
        let mut resolved = vec![];
        for id in connection_ids {
            let conn = self.account(user_id, id).await?;
            let item = QueueItem {
                connection_id: conn.id.clone(),
                text: draft.variants.get(conn.platform.as_str()).cloned().unwrap_or_default(),
                title: Some(draft.title.clone()),
                image_url: draft.image_url.clone(),
                draft_id: Some(draft.id.clone()),
            };
            resolved.push((conn, item));
        }
        self.queue_for(user_id, resolved).await
    }

    async fn account(&self, user_id: &str, id: &str) -> Result<Connection, PublishError> {
        self.connections.get(user_id, id).await.map_err(|_| PublishError::NotFound("That account"))
    }

    async fn queue_for(&self, user_id: &str, resolved: Vec<(Connection, QueueItem)>) -> Result<Vec<Post>, PublishError> {
        let mut conns = vec![];
        let mut items = vec![];
        for (conn, it) in resolved {
            items.push(it);
            let slots = self.slots(user_id, Some(&conn.id)).await?;
            let weekly: Vec<(u32, NaiveTime)> = slots
                .iter()
                .filter_map(|s| NaiveTime::parse_from_str(&s.local_time, "%H:%M").ok().map(|t| (s.weekday as u32, t)))
                .collect();
            if weekly.is_empty() {
                return Err(invalid(
                    "no_slots",
                    format!(
                        "{} @{} has no posting times yet. Add the days and times it posts at (Queue page), then add to its queue.",
                        conn.platform.display_name(),
                        conn.username
                    ),
                ));
            }
            conns.push((conn, weekly));
        }
        // Two calls racing for one account would both see the same free slot: one at a time
        // per account. On PostgreSQL the turn is an advisory lock per account, so it holds
        // across replicas (taken in id order: two calls never wait on each other crosswise);
        // SQLite's file belongs to one process, so a process-wide mutex does.
        match self.db.backend() {
            Backend::Sqlite => {
                static QUEUE: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
                let _turn = QUEUE.get_or_init(|| tokio::sync::Mutex::new(())).lock().await;
                self.queue_in_turn(user_id, &conns, items).await
            }
            Backend::Postgres => {
                let mut ids: Vec<&str> = conns.iter().map(|(c, _)| c.id.as_str()).collect();
                ids.sort_unstable();
                ids.dedup();
                let mut lock = self.db.pool().acquire().await?;
                // Should this call be dropped mid-way (the client went away), the connection is
                // closed rather than pooled, and closing it releases the locks.
                lock.close_on_drop();
                for id in &ids {
                    sqlx::query("select 1 as ok from (select pg_advisory_lock(hashtext($1))) t").bind(*id).fetch_one(&mut *lock).await?;
                }
                let queued = self.queue_in_turn(user_id, &conns, items).await;
                for id in &ids {
                    sqlx::query("select 1 as ok from (select pg_advisory_unlock(hashtext($1))) t").bind(*id).fetch_one(&mut *lock).await?;
                }
                queued
            }
        }
    }

    async fn queue_in_turn(
        &self,
        user_id: &str,
        conns: &[(Connection, Vec<(u32, NaiveTime)>)],
        items: Vec<QueueItem>,
    ) -> Result<Vec<Post>, PublishError> {
        let tz = self.timezone(user_id).await;
        let now = self.db.now().await;
        // Minutes already held per account: its pending posts, and what this call assigns.
        let mut taken: HashMap<String, HashSet<i64>> = HashMap::new();
        let mut posts = vec![];
        for ((conn, weekly), item) in conns.iter().zip(items) {
            if !taken.contains_key(&conn.id) {
                let held: HashSet<i64> = sqlx::query(
                    "select scheduled_at from posts where user_id = $1 and connection_id = $2 and status in ('pending', 'publishing') and scheduled_at > $3",
                )
                .bind(user_id)
                .bind(&conn.id)
                .bind(now)
                .fetch_all(self.db.pool())
                .await?
                .iter()
                .map(|r| r.get::<i64, _>("scheduled_at") / 60_000)
                .collect();
                taken.insert(conn.id.clone(), held);
            }
            let held = taken.get_mut(&conn.id).expect("inserted above");
            let at = next_free_slot(&tz, now, weekly, held).ok_or_else(|| {
                invalid(
                    "queue_full",
                    format!("Every slot of @{} for the coming year is taken. Add more slots or pick a time.", conn.username),
                )
            })?;
            held.insert(at / 60_000);
            posts.push(NewPost {
                connection_id: conn.id.clone(),
                text: item.text,
                title: item.title,
                image_url: item.image_url,
                draft_id: item.draft_id,
                scheduled_at: Some(at),
                recurrence_id: None,
            });
        }
        self.publisher.schedule(user_id, posts).await
    }
}

fn slot_from_row(r: &sqlx::any::AnyRow) -> Slot {
    let weekday: i64 = r.get("weekday");
    Slot {
        id: r.get("id"),
        connection_id: r.get("connection_id"),
        platform: r.get("platform"),
        account_name: r.get("username"),
        weekday,
        weekday_name: WEEKDAYS.get(weekday as usize).copied().unwrap_or("").to_string(),
        local_time: r.get("local_time"),
    }
}

/// `0`–`6` (Monday = 0) or a day name such as `mon` / `Monday`.
pub fn parse_weekday(raw: &str) -> Result<i64, DomainError> {
    let s = raw.trim().to_ascii_lowercase();
    if let Ok(n) = s.parse::<i64>() {
        if (0..7).contains(&n) {
            return Ok(n);
        }
    } else if s.len() >= 3 {
        if let Some(i) = WEEKDAYS.iter().position(|d| d.to_ascii_lowercase().starts_with(&s)) {
            return Ok(i as i64);
        }
    }
    Err(DomainError::new("invalid_weekday", format!("\"{}\" is not a weekday. Use 0 (Monday) to 6 (Sunday) or a day name.", raw.trim())))
}

/// The first weekly slot after `now_ms` whose minute is not in `taken` (UTC minutes), up to
/// a year ahead. Slot times are local; a slot the clocks skip that day moves after the gap.
pub fn next_free_slot(tz: &Timezone, now_ms: i64, weekly: &[(u32, NaiveTime)], taken: &HashSet<i64>) -> Option<i64> {
    let today = utc_ms_to_local(tz, now_ms)?.date();
    let mut sorted = weekly.to_vec();
    sorted.sort();
    for offset in 0..=371u64 {
        let day = today + Days::new(offset);
        let wd = day.weekday().num_days_from_monday();
        for (_, t) in sorted.iter().filter(|(d, _)| *d == wd) {
            let at = local_to_utc_lenient(tz, day.and_time(*t));
            if at > now_ms && !taken.contains(&(at / 60_000)) {
                return Some(at);
            }
        }
    }
    None
}

/// An account as the CSV names it: the platform id when it is the only account of that
/// platform, else `platform:username`.
fn account_token(c: &Connection, all: &[Connection]) -> String {
    if all.iter().filter(|o| o.platform == c.platform).count() > 1 {
        format!("{}:{}", c.platform.as_str(), c.username)
    } else {
        c.platform.as_str().to_string()
    }
}

/// One `accounts` entry → a connected account, or what is wrong with it.
fn resolve_account<'a>(token: &str, accounts: &'a [Connection]) -> Result<&'a Connection, String> {
    let (p, user) = match token.split_once(':') {
        Some((p, u)) => (p.trim(), Some(u.trim().trim_start_matches('@'))),
        None => (token.trim(), None),
    };
    let pid = PlatformId::parse(p).map_err(|_| {
        let ids: Vec<&str> = PlatformId::ALL.iter().map(|p| p.as_str()).collect();
        format!("\"{token}\" is not a platform. Use one of {} (or platform:username).", ids.join(", "))
    })?;
    let name = pid.display_name();
    let mine: Vec<&Connection> = accounts.iter().filter(|c| c.platform == pid).collect();
    if mine.is_empty() {
        return Err(format!("No {name} account is connected. Connect it in Sources, or take it out of this row."));
    }
    let list = || mine.iter().map(|c| format!("@{}", c.username)).collect::<Vec<_>>().join(", ");
    let found = match user {
        None if mine.len() == 1 => mine[0],
        None => return Err(format!("You have {} {name} accounts ({}): write {}:username to pick one.", mine.len(), list(), pid.as_str())),
        Some(u) => match mine.iter().find(|c| c.username.eq_ignore_ascii_case(u)) {
            Some(c) => c,
            None => return Err(format!("No connected {name} account is @{u}. Yours: {}.", list())),
        },
    };
    if found.status == "reconnect_needed" {
        return Err(format!("Reconnect {name} (@{}) in Sources before scheduling to it.", found.username));
    }
    Ok(found)
}

/// Checks a whole CSV file and turns it into posts, or lists every problem at once
/// (row 1 is the header). Pure: the caller supplies the zone, the clock and the accounts.
pub fn parse_csv(bytes: &[u8], cx: &CsvContext) -> Result<Vec<NewPost>, Problems> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(Problems::one(row_err(1, "", "The file is not UTF-8 text. Save it as \"CSV UTF-8\" and upload it again.")));
    };
    // Spreadsheets often start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Problems::one(row_err(1, "", "The file is empty. Download the template and fill it in.")));
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        _ => {
            return Err(Problems::one(row_err(
                1,
                "",
                "The first row could not be read. It must name the columns: date,time,accounts,text.",
            )))
        }
    };
    let mut errors = Problems::default();
    let mut col: HashMap<&'static str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let n = name.trim().to_ascii_lowercase();
        match CSV_COLUMNS.iter().find(|c| **c == n) {
            Some(c) if col.contains_key(c) => errors.push(row_err(1, c, format!("The column \"{c}\" appears twice."))),
            Some(c) => {
                col.insert(c, i);
            }
            None if n.is_empty() => {}
            None => {
                let name = quoted(name.trim());
                errors.push(row_err(1, &name, format!("\"{name}\" is not a column we know. Use {}.", CSV_COLUMNS.join(", "))))
            }
        }
    }
    for c in &CSV_COLUMNS[..4] {
        if !col.contains_key(c) {
            errors.push(row_err(1, c, format!("The column \"{c}\" is missing. The first row must be: {}.", CSV_COLUMNS.join(","))));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let today = utc_ms_to_local(cx.tz, cx.now_ms).map(|t| t.date()).unwrap_or_default();
    let mut items = vec![];
    let mut rows = 0usize;
    for (i, rec) in records.enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(row_err(row, "", format!("This row could not be read ({e}). Check its quotes.")));
                continue;
            }
        };
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        rows += 1;
        if rows > MAX_ROWS {
            errors.push(row_err(row, "", format!("A file can have at most {MAX_ROWS} posts. Split it and import the rest separately.")));
            break;
        }
        let get = |c: &str| col.get(c).and_then(|i| rec.get(*i)).unwrap_or("").trim().to_string();
        let (date_raw, time_raw, dst_raw) = (get("date"), get("time"), get("dst"));
        let mut bad = false;
        let mut fail = |column: &str, message: String| {
            errors.push(row_err(row, column, message));
            bad = true;
        };

        let date = match parse_date(&date_raw, "The date") {
            Ok(d) => Some(d),
            Err(_) if date_raw.is_empty() => {
                fail("date", "The date is missing. Use YYYY-MM-DD, e.g. 2026-12-01.".into());
                None
            }
            Err(e) => {
                fail("date", e.message);
                None
            }
        };
        let time = match parse_local("2000-01-01", &time_raw) {
            Ok(t) => Some(t.time()),
            Err(_) if time_raw.is_empty() => {
                fail("time", "The time is missing. Use 24-hour HH:MM, e.g. 14:30.".into());
                None
            }
            Err(e) => {
                fail("time", e.message);
                None
            }
        };
        let fold = match Fold::parse(&dst_raw) {
            Ok(f) => f,
            Err(_) => {
                fail("dst", format!("\"{dst_raw}\" is not a choice: leave it empty, or write earlier or later."));
                None
            }
        };
        let mut at = None;
        if let (Some(d), Some(t)) = (date, time) {
            match local_to_utc_ms(cx.tz, d.and_time(t), fold) {
                Ok(ms) if ms < cx.now_ms => fail(
                    if d < today { "date" } else { "time" },
                    format!("{date_raw} {time_raw} has already passed in {}. Pick a time in the future.", cx.tz),
                ),
                Ok(ms) if ms > cx.now_ms + MAX_AHEAD_MS => fail("date", "Posts can be scheduled up to two years ahead.".into()),
                Ok(ms) => at = Some(ms),
                Err(e) if e.code == "ambiguous_time" => fail("time", format!("{} Write earlier or later in the dst column.", e.message)),
                Err(e) => fail("time", e.message),
            }
        }

        let mut conns: Vec<&Connection> = vec![];
        let raw_accounts = get("accounts");
        for token in raw_accounts.split(';').map(str::trim).filter(|t| !t.is_empty()) {
            match resolve_account(token, cx.accounts) {
                Ok(c) if conns.iter().any(|x| x.id == c.id) => {}
                Ok(c) => conns.push(c),
                Err(m) => fail("accounts", m),
            }
        }
        if raw_accounts.split(';').all(|t| t.trim().is_empty()) {
            fail("accounts", "Name at least one account, e.g. x or linkedin (several: x;linkedin).".into());
        }

        let text = get("text");
        let image = get("image_url");
        if text.is_empty() && image.is_empty() {
            fail("text", "The text is empty. Write the post (or give an image_url).".into());
        }
        for c in &conns {
            let check = check_length(c.platform, &text);
            if check.over() {
                fail(
                    "text",
                    format!(
                        "{} characters: {} over {}'s limit of {}.",
                        check.count,
                        -check.remaining,
                        c.platform.display_name(),
                        check.limit
                    ),
                );
            }
        }
        if image.is_empty() {
            for c in conns.iter().filter(|c| platform_info(c.platform).limits.requires_media) {
                fail("image_url", format!("{} only publishes posts with an image or video: add an image_url.", c.platform.display_name()));
            }
        } else if !valid_image_url(&image) {
            fail(
                "image_url",
                format!("\"{image}\" is not an image address. Use an https:// address or an uploaded image's /media/… address."),
            );
        }

        if let (false, Some(at)) = (bad, at) {
            for c in conns {
                items.push(NewPost {
                    connection_id: c.id.clone(),
                    text: text.clone(),
                    image_url: Some(image.clone()).filter(|i| !i.is_empty()),
                    scheduled_at: Some(at),
                    ..Default::default()
                });
            }
        }
    }
    if rows == 0 && errors.is_empty() {
        errors.push(row_err(2, "", "The file has a header but no posts. Add one row per post under it."));
    }
    if errors.is_empty() && items.len() > MAX_POSTS {
        errors.push(row_err(
            1,
            "accounts",
            format!("These rows make {} posts (rows × accounts); import at most {MAX_POSTS} at once. Split the file.", items.len()),
        ));
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

fn valid_image_url(u: &str) -> bool {
    if let Some(rest) = u.strip_prefix("/media/") {
        return !rest.is_empty() && !rest.contains(['/', '?', '#', ' ']);
    }
    url::Url::parse(u).is_ok_and(|p| p.scheme() == "https" && p.host_str().is_some_and(|h| !h.is_empty()))
}

/// The template: the header and two example rows dated tomorrow and the day after, naming
/// the person's own accounts (platforms that need no image first) or x/linkedin.
pub fn template_csv(tz: &Timezone, now_ms: i64, accounts: &[Connection]) -> String {
    let today = utc_ms_to_local(tz, now_ms).map(|t| t.date()).unwrap_or_default();
    let mut usable: Vec<&Connection> = accounts.iter().filter(|c| c.status != "reconnect_needed").collect();
    usable.sort_by_key(|c| platform_info(c.platform).limits.requires_media);
    let tokens: Vec<String> = usable.iter().take(2).map(|c| account_token(c, accounts)).collect();
    let (first, both) = match tokens.as_slice() {
        [] => ("x".to_string(), "x;linkedin".to_string()),
        [one] => (one.clone(), one.clone()),
        [a, b, ..] => (a.clone(), format!("{a};{b}")),
    };
    let needs_image = |list: &[&Connection]| list.iter().any(|c| platform_info(c.platform).limits.requires_media);
    let image = if needs_image(&usable.iter().take(2).copied().collect::<Vec<_>>()) { "https://example.com/photo.jpg" } else { "" };
    let day = |n: u64| (today + Days::new(n)).format("%Y-%m-%d").to_string();
    let mut w = csv::Writer::from_writer(vec![]);
    let rows: [[String; 6]; 3] = [
        CSV_COLUMNS.map(str::to_string),
        [day(1), "09:00".into(), first, "Good morning! Our new guide is out today.".into(), image.into(), String::new()],
        [
            day(2),
            "12:30".into(),
            both,
            "Lunch-break reading: three ways to plan a week of posts in ten minutes.".into(),
            image.into(),
            String::new(),
        ],
    ];
    for r in rows {
        let _ = w.write_record(&r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// `2026-11-24T09:00` → the naive local time, for callers that take one string.
pub fn parse_local_string(raw: &str) -> Result<NaiveDateTime, DomainError> {
    let (date, time) = raw
        .trim()
        .split_once(['T', ' '])
        .ok_or_else(|| DomainError::new("invalid_time", "Give the local time as YYYY-MM-DDTHH:MM, e.g. 2026-12-01T09:00."))?;
    parse_local(date, time)
}

#[cfg(test)]
mod tests;
