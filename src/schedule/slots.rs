//! Per-account weekly time slots and "add to queue": the next free slot in the profile's
//! zone, skipping minutes already taken.

use super::*;

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

impl Scheduler {
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
        let conn = self.publisher.account(user_id, connection_id).await?;
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
            resolved.push((self.publisher.account(user_id, &it.connection_id).await?, it));
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
            let conn = self.publisher.account(user_id, id).await?;
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

    pub(super) async fn queue_for(&self, user_id: &str, resolved: Vec<(Connection, QueueItem)>) -> Result<Vec<Post>, PublishError> {
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
        // per account (across replicas on PostgreSQL).
        let keys: Vec<&str> = conns.iter().map(|(c, _)| c.id.as_str()).collect();
        self.db.in_turn(&keys, self.queue_in_turn(user_id, &conns, items)).await
    }

    pub(super) async fn queue_in_turn(
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
                options: Default::default(),
            });
        }
        self.publisher.schedule(user_id, posts).await
    }
}

pub(super) fn slot_from_row(r: &sqlx::any::AnyRow) -> Slot {
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
