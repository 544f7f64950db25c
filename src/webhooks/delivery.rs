//! The delivery queue: `emit` writes one durable row per subscribed endpoint, `deliver_due`
//! claims due rows under a lease, sends them signed and retries with exponential backoff.

use super::endpoints::parse_url;
use super::signing::sign;
use super::*;

pub(super) fn truncate(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(MAX_ERROR_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare from webhook receivers and ignored).
pub(super) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: u64 = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_DELAY))
}

/// A claimed row, held under `lease` until its attempt is recorded.
pub(super) struct Job {
    id: String,
    endpoint_id: String,
    event: String,
    payload: String,
    retry_count: i64,
    lease: i64,
}

/// What one request came to.
pub(super) struct Attempt {
    status: Option<u16>,
    error: Option<String>,
    retry_after: Option<Duration>,
}

impl Attempt {
    pub(super) fn failed(error: impl Into<String>) -> Self {
        Self { status: None, error: Some(truncate(&error.into())), retry_after: None }
    }
    pub(super) fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

impl Webhooks {
    /// Queues `event` for every active endpoint of `user_id` subscribed to it; returns how
    /// many deliveries were queued. Delivery happens in the background worker.
    pub async fn emit(&self, user_id: &str, event: WebhookEvent, data: serde_json::Value) -> Result<usize, WebhookError> {
        let mut conn = self.db().pool().acquire().await?;
        let targets = self.targets(&mut conn, user_id, event).await?;
        if targets.is_empty() {
            return Ok(0);
        }
        // Read first, then a transaction that only writes: on SQLite a transaction that reads
        // before writing fails at once (SQLITE_BUSY_SNAPSHOT) when another write lands between.
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let mut n = 0;
        for endpoint_id in targets {
            n += usize::from(self.queue(&mut tx, user_id, &endpoint_id, event.as_str(), &data, None).await?.is_some());
        }
        tx.commit().await?;
        Ok(n)
    }

    /// `emit` inside the caller's transaction, so the event is queued if and only if the
    /// change it announces commits. On SQLite, call it after the transaction's first write
    /// (see `emit`).
    pub async fn emit_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        user_id: &str,
        event: WebhookEvent,
        data: serde_json::Value,
    ) -> Result<usize, WebhookError> {
        let mut n = 0;
        for endpoint_id in self.targets(&mut *conn, user_id, event).await? {
            n += usize::from(self.queue(&mut *conn, user_id, &endpoint_id, event.as_str(), &data, None).await?.is_some());
        }
        Ok(n)
    }

    /// The user's active endpoints subscribed to `event`.
    pub(super) async fn targets(
        &self,
        conn: &mut sqlx::AnyConnection,
        user_id: &str,
        event: WebhookEvent,
    ) -> Result<Vec<String>, WebhookError> {
        let rows = sqlx::query("select id, events from webhook_endpoints where user_id = $1 and active = 1")
            .bind(user_id)
            .fetch_all(&mut *conn)
            .await?;
        Ok(rows
            .iter()
            .filter(|r| {
                serde_json::from_str::<Vec<String>>(&r.get::<String, _>("events")).unwrap_or_default().iter().any(|e| e == event.as_str())
            })
            .map(|r| r.get("id"))
            .collect())
    }

    /// Inserts one delivery, due now, if the endpoint (still) belongs to `user_id`; `None`
    /// when it does not (deleted meanwhile). `lease` set: the caller sends it right away.
    pub(super) async fn queue(
        &self,
        conn: &mut sqlx::AnyConnection,
        user_id: &str,
        endpoint_id: &str,
        event: &str,
        data: &serde_json::Value,
        lease: Option<i64>,
    ) -> Result<Option<Job>, WebhookError> {
        let id = uuid::Uuid::new_v4().to_string();
        let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let payload = serde_json::json!({"id": id, "event": event, "created_at": created, "data": data}).to_string();
        let now = now_ms();
        // INSERT … SELECT: an endpoint deleted since it was read inserts nothing instead of
        // failing the foreign key.
        let res = sqlx::query(
            "insert into webhook_retries (id, user_id, endpoint_id, event, payload, retry_count, status, next_retry_at, lease_until, created_at, updated_at)
             select $1, user_id, id, $4, $5, 0, 'pending', $6, $7, $6, $6 from webhook_endpoints where id = $3 and user_id = $2",
        )
        .bind(&id)
        .bind(user_id)
        .bind(endpoint_id)
        .bind(event)
        .bind(&payload)
        .bind(now)
        .bind(lease)
        .execute(&mut *conn)
        .await?;
        Ok((res.rows_affected() > 0).then(|| Job {
            id,
            endpoint_id: endpoint_id.into(),
            event: event.into(),
            payload,
            retry_count: 0,
            lease: lease.unwrap_or(0),
        }))
    }

    /// "Send test": a `ping` to one endpoint, sent now, once (a failed test is not retried
    /// later: the person is looking at the result). Returns the delivery as recorded.
    pub async fn ping(&self, user_id: &str, endpoint_id: &str) -> Result<Delivery, WebhookError> {
        let mut conn = self.db().pool().acquire().await?;
        let data = serde_json::json!({"message": "A test delivery from Covalynce. If you can read this, your endpoint works."});
        let lease = now_ms() + self.lease_ms();
        let job =
            self.queue(&mut conn, user_id, endpoint_id, PING, &data, Some(lease)).await?.ok_or(WebhookError::NotFound("That webhook"))?;
        drop(conn);
        let id = job.id.clone();
        self.attempt(job).await?;
        self.delivery(user_id, &id).await
    }

    /// Claims up to `limit` due deliveries and sends them concurrently; returns how many
    /// were attempted. Safe to run in several processes at once.
    pub async fn deliver_due(&self, limit: usize) -> Result<usize, WebhookError> {
        let now = now_ms();
        let lease = now + self.lease_ms();
        // PostgreSQL: SKIP LOCKED lets concurrent claimers take disjoint rows without waiting.
        let lock = self.db().skip_locked();
        let rows = sqlx::query(&format!(
            "update webhook_retries set lease_until = $1, updated_at = $2 where id in (
               select id from webhook_retries
               where status = 'pending' and next_retry_at <= $2 and (lease_until is null or lease_until < $2)
               order by next_retry_at limit $3 {lock})
             returning id, endpoint_id, event, payload, retry_count"
        ))
        .bind(lease)
        .bind(now)
        .bind(limit as i64)
        .fetch_all(self.db().pool())
        .await?;
        let mut set = tokio::task::JoinSet::new();
        for r in rows {
            let job = Job {
                id: r.get("id"),
                endpoint_id: r.get("endpoint_id"),
                event: r.get("event"),
                payload: r.get("payload"),
                retry_count: r.get("retry_count"),
                lease,
            };
            let me = self.clone();
            set.spawn(async move { me.attempt(job).await });
        }
        let mut attempted = 0;
        while let Some(res) = set.join_next().await {
            match res {
                Ok(Ok(())) => attempted += 1,
                Ok(Err(e)) => tracing::error!(error = %e, "webhook delivery could not be recorded"),
                Err(e) => tracing::error!(error = %e, "webhook delivery task failed"),
            }
        }
        Ok(attempted)
    }

    /// Sends one claimed delivery and records the outcome.
    #[tracing::instrument(name = "webhook_delivery", skip_all, fields(delivery = %job.id, event = %job.event, retry = job.retry_count))]
    pub(super) async fn attempt(&self, job: Job) -> Result<(), WebhookError> {
        let ep = sqlx::query("select url, secret, active from webhook_endpoints where id = $1")
            .bind(&job.endpoint_id)
            .fetch_optional(self.db().pool())
            .await?;
        // Deleted meanwhile: the cascade took this row with it.
        let Some(ep) = ep else { return Ok(()) };
        let outcome = if ep.get::<i64, _>("active") == 0 {
            Attempt::failed("This webhook is turned off.")
        } else {
            let secret = self.inner.keys.decrypt(&ep.get::<String, _>("secret"))?;
            self.send(&ep.get::<String, _>("url"), &secret, &job).await
        };
        self.record(&job, outcome).await
    }

    pub(super) async fn send(&self, url: &str, secret: &str, job: &Job) -> Attempt {
        let u = match parse_url(url) {
            Ok(u) => u,
            Err(e) => return Attempt::failed(e.to_string()),
        };
        // Checked again now: the name may resolve elsewhere than when it was registered.
        let addrs = match self.vet(&u).await {
            Ok(a) => a,
            Err(e) => return Attempt::failed(e.to_string()),
        };
        let timeout = self.inner.cfg.timeout;
        let client = match outbound::pinned_client(&u, &addrs, timeout, concat!("Covalynce-Webhooks/", env!("CARGO_PKG_VERSION"))) {
            Ok(c) => c,
            Err(e) => return Attempt::failed(e.to_string()),
        };
        let ts = chrono::Utc::now().timestamp();
        let resp = client
            .post(u)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(HEADER_EVENT, &job.event)
            .header(HEADER_DELIVERY, &job.id)
            .header(HEADER_TIMESTAMP, ts.to_string())
            .header(HEADER_SIGNATURE, sign(secret, ts, &job.payload))
            .body(job.payload.clone())
            .send()
            .await;
        match resp {
            Ok(mut r) => {
                let status = r.status();
                let retry_after = retry_after(r.headers());
                let error = if status.is_success() {
                    None
                } else if status.is_redirection() {
                    let to = r.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("elsewhere");
                    Some(truncate(&format!(
                        "HTTP {}: redirected to {to}. Webhooks do not follow redirects; register the final URL.",
                        status.as_u16()
                    )))
                } else {
                    // A little of the body helps the person see why; never all of it.
                    let snippet = outbound::read_head(&mut r, 1024).await;
                    let text = String::from_utf8_lossy(&snippet).split_whitespace().collect::<Vec<_>>().join(" ");
                    Some(truncate(&if text.is_empty() {
                        format!("HTTP {}", status.as_u16())
                    } else {
                        format!("HTTP {}: {text}", status.as_u16())
                    }))
                };
                Attempt { status: Some(status.as_u16()), error, retry_after }
            }
            Err(e) if e.is_timeout() => Attempt::failed(format!("No answer within {} seconds.", timeout.as_secs_f64())),
            Err(e) if e.is_connect() => Attempt::failed(format!("Could not connect: {}", root_cause(&e))),
            Err(e) => Attempt::failed(format!("The request failed: {}", root_cause(&e))),
        }
    }

    /// Writes the outcome, only while this worker still holds the lease (a worker that
    /// overran it must not overwrite the one that took over).
    pub(super) async fn record(&self, job: &Job, a: Attempt) -> Result<(), WebhookError> {
        let now = now_ms();
        let status = a.status.map(i64::from);
        let res = if a.ok() {
            sqlx::query("update webhook_retries set status = 'delivered', delivered_at = $1, updated_at = $1, lease_until = null, last_status_code = $2, last_error = null where id = $3 and lease_until = $4")
                .bind(now)
                .bind(status)
                .bind(&job.id)
                .bind(job.lease)
                .execute(self.db().pool())
                .await?
        } else if job.event == PING || job.retry_count >= i64::from(self.inner.cfg.max_retries) {
            sqlx::query("update webhook_retries set status = 'failed', updated_at = $1, lease_until = null, last_status_code = $2, last_error = $3 where id = $4 and lease_until = $5")
                .bind(now)
                .bind(status)
                .bind(&a.error)
                .bind(&job.id)
                .bind(job.lease)
                .execute(self.db().pool())
                .await?
        } else {
            let retry = job.retry_count + 1;
            let mut delay = crate::jobs::backoff(self.inner.cfg.base_delay, retry as u32, MAX_DELAY, crate::jobs::jitter());
            if let Some(ra) = a.retry_after.filter(|ra| *ra > delay) {
                delay = ra;
            }
            sqlx::query("update webhook_retries set retry_count = $1, next_retry_at = $2, updated_at = $3, lease_until = null, last_status_code = $4, last_error = $5 where id = $6 and lease_until = $7")
                .bind(retry)
                .bind(now + delay.as_millis() as i64)
                .bind(now)
                .bind(status)
                .bind(&a.error)
                .bind(&job.id)
                .bind(job.lease)
                .execute(self.db().pool())
                .await?
        };
        if res.rows_affected() == 0 {
            tracing::info!(delivery = %job.id, "webhook lease expired before the attempt was recorded; another worker owns it now");
        }
        Ok(())
    }

    /// Deletes finished deliveries older than `keep` (the log would otherwise grow forever).
    pub async fn prune(&self, keep: Duration) -> Result<u64, WebhookError> {
        let res = sqlx::query("delete from webhook_retries where status <> 'pending' and updated_at < $1")
            .bind(now_ms() - keep.as_millis() as i64)
            .execute(self.db().pool())
            .await?;
        Ok(res.rows_affected())
    }
}

/// The innermost error message (reqwest's own says only "error sending request").
pub(super) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
