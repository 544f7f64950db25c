//! Repeating series: "post this every …", one post per occurrence and account, with the
//! daylight-saving rules of `domain::recurrence`.

use super::*;

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
    pub(super) fn from_row(r: &sqlx::any::AnyRow) -> Self {
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

impl SeriesInput {
    /// A series made from a draft: the draft's texts, image and title, except where the
    /// request gives its own.
    pub fn fill_from(&mut self, draft: crate::drafts::Draft) {
        for (p, body) in draft.variants {
            self.variants.entry(p).or_insert(body);
        }
        self.image_url = self.image_url.take().or(draft.image_url);
        self.title = self.title.take().or(Some(draft.title));
    }
}

impl Scheduler {
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
            conns.push(self.publisher.account(user_id, cid).await?);
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
                    options: Default::default(),
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

    pub(super) async fn cancel_pending(&self, user_id: &str, series: &str) -> Result<u64, PublishError> {
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
}
