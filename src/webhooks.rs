//! Outbound webhooks: URLs a user registers for events (a post published or failed, an
//! account needing a reconnect), each delivery signed with the endpoint's secret.
//!
//! `webhook_retries` is the queue and the delivery log at once: `emit` writes one row per
//! subscribed endpoint (durable: a crash loses nothing), and `deliver_due` claims due rows
//! under a lease, so several server processes never send the same delivery at the same
//! time. Failures retry with exponential backoff up to `max_retries`. Receivers get each
//! delivery at least once and dedupe on `X-Covalynce-Delivery`.
//!
//! Server-side request forgery: a URL that resolves to a loopback, private, link-local (cloud
//! metadata) or otherwise non-public address is refused when registered, and checked again
//! at every delivery with the connection pinned to the vetted address, no proxy and no
//! redirects: all of it is `crate::outbound`, shared with every other user-chosen host.

use crate::crypto::{random_token, Keys};
use crate::db::{now_ms, opt, Backend, Db};
use crate::domain::DomainError;
use crate::outbound;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Events a person can subscribe to.
pub const EVENTS: [&str; 5] = ["post.scheduled", "post.published", "post.failed", "post.unconfirmed", "account.reconnect_needed"];
/// Sent by "send test" to one endpoint, whatever it subscribed to.
pub const PING: &str = "ping";
pub const MAX_ENDPOINTS: i64 = 10;
/// Receivers should refuse a timestamp older than this (replayed requests).
pub const TOLERANCE_SECS: i64 = 300;

pub const HEADER_EVENT: &str = "X-Covalynce-Event";
pub const HEADER_DELIVERY: &str = "X-Covalynce-Delivery";
pub const HEADER_TIMESTAMP: &str = "X-Covalynce-Timestamp";
pub const HEADER_SIGNATURE: &str = "X-Covalynce-Signature";

const MAX_URL_LEN: usize = 2000;
const MAX_ERROR_CHARS: usize = 300;
/// No backoff grows past a day, whatever the retry count or Retry-After says.
const MAX_DELAY: Duration = Duration::from_secs(24 * 3600);
const DNS_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Retries after the first attempt before a delivery is marked failed.
    pub max_retries: u32,
    /// The first retry waits this long, each later one twice as long (±20 %).
    pub base_delay: Duration,
    /// Let URLs reach private and loopback addresses (an admin's choice for a closed network).
    pub allow_private: bool,
    /// One delivery attempt, connect to last byte.
    pub timeout: Duration,
    /// How often the worker looks for due deliveries.
    pub poll: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            max_retries: 8,
            base_delay: Duration::from_secs(30),
            allow_private: false,
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(1),
        }
    }
}

/// A registered URL as its owner sees it. The secret is never part of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: i64,
}

/// One line of the delivery log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    pub id: String,
    pub endpoint_id: String,
    pub url: String,
    pub event: String,
    /// `pending | delivered | failed`.
    pub status: String,
    pub retry_count: i64,
    /// Requests sent so far.
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    /// When the next attempt is due (pending only).
    pub next_retry_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// 422: a URL, event list or limit the person can fix.
    #[error("{0}")]
    Invalid(#[from] DomainError),
    /// 404: no such webhook for this user (another user's id included).
    #[error("That webhook was not found.")]
    NotFound,
    /// 500
    #[error("Something went wrong on our side. Please try again.")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for WebhookError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl WebhookError {
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) => 422,
            Self::NotFound => 404,
            Self::Internal(_) => 500,
        }
    }
    pub fn code(&self) -> &str {
        match self {
            Self::Invalid(e) => &e.code,
            Self::NotFound => "not_found",
            Self::Internal(_) => "internal",
        }
    }
}

fn invalid(code: &str, msg: impl Into<String>) -> WebhookError {
    WebhookError::Invalid(DomainError::new(code, msg))
}

// --- signatures

/// `v1=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`: the `X-Covalynce-Signature` value.
/// The secret's bytes (the whole `whsec_…` string) are the key.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    format!("v1={}", hex::encode(mac(secret, &timestamp.to_string(), body)))
}

fn mac(secret: &str, timestamp: &str, body: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    m.update(timestamp.as_bytes());
    m.update(b".");
    m.update(body.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// What a receiver does: true when `signature_header` holds a `v1=` signature of
/// `"{timestamp}.{body}"` under `secret` (compared in constant time). Several
/// comma-separated signatures are accepted, so a future secret rotation can send two.
/// Check the timestamp's age separately (`TOLERANCE_SECS`).
pub fn verify(secret: &str, timestamp: &str, body: &str, signature_header: &str) -> bool {
    let expected = mac(secret, timestamp.trim(), body);
    signature_header
        .split(',')
        .filter_map(|s| s.trim().strip_prefix("v1="))
        .filter_map(|h| hex::decode(h).ok())
        .any(|given| crate::crypto::ct_eq(&given, &expected))
}

// --- address checks (the rule itself lives in `outbound`)

fn refusal(r: outbound::Refused) -> WebhookError {
    match r {
        outbound::Refused::UnknownHost(_) => invalid("unknown_host", r.to_string()),
        outbound::Refused::Url(_) => invalid("invalid_url", r.to_string()),
        outbound::Refused::Blocked { .. } => invalid("private_address", format!("{r} Webhooks can only go to public addresses.")),
        outbound::Refused::Client(_) => WebhookError::Internal(anyhow::anyhow!(r.to_string())),
    }
}

/// A URL that is well formed: http(s), a host, no credentials, no fragment.
fn parse_url(raw: &str) -> Result<url::Url, WebhookError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(invalid("missing_url", "Enter the URL that should receive the events, like https://example.com/hooks/covalynce."));
    }
    if raw.len() > MAX_URL_LEN {
        return Err(invalid("invalid_url", format!("Keep the URL under {MAX_URL_LEN} characters.")));
    }
    let mut u = url::Url::parse(raw)
        .map_err(|_| invalid("invalid_url", "That is not a web address. Use a full URL like https://example.com/hooks/covalynce."))?;
    match outbound::check_url(&u) {
        Ok(()) => {}
        Err(outbound::UrlProblem::NotHttp) => return Err(invalid("invalid_url", "Webhook URLs must start with https:// (or http://).")),
        Err(outbound::UrlProblem::Credentials) => {
            return Err(invalid(
                "invalid_url",
                "Leave the user name and password out of the URL: check the signature header to know a request came from us.",
            ))
        }
        Err(outbound::UrlProblem::NoHost) => {
            return Err(invalid("invalid_url", "The URL needs a host name, like https://example.com/hooks/covalynce."))
        }
    }
    // A fragment never reaches the server; keeping it would only confuse the list.
    u.set_fragment(None);
    Ok(u)
}

/// Events named in a request: known, at least one, in the canonical order.
fn clean_events(raw: &[String]) -> Result<Vec<String>, WebhookError> {
    for e in raw {
        if !EVENTS.contains(&e.trim()) {
            return Err(invalid("unknown_event", format!("\"{}\" is not an event. Choose from {}.", e.trim(), EVENTS.join(", "))));
        }
    }
    let out: Vec<String> = EVENTS.iter().filter(|e| raw.iter().any(|r| r.trim() == **e)).map(|e| e.to_string()).collect();
    if out.is_empty() {
        return Err(invalid("no_events", "Choose at least one event to send."));
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(MAX_ERROR_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// How long to wait before retry number `retry_count` (1 = the first retry):
/// `base · 2^(retry_count-1)`, scaled by `1 + 0.2·jitter` with `jitter` in [-1, 1].
pub fn backoff(base: Duration, retry_count: u32, jitter: f64) -> Duration {
    let exp = retry_count.saturating_sub(1).min(30);
    let d = base.as_secs_f64() * f64::from(1u32 << exp) * (1.0 + 0.2 * jitter.clamp(-1.0, 1.0));
    Duration::from_secs_f64(d.max(0.0)).min(MAX_DELAY)
}

/// `Retry-After` in seconds (the HTTP-date form is rare from webhook receivers and ignored).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: u64 = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_DELAY))
}

// --- storage and delivery

#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    keys: Keys,
    cfg: WebhookConfig,
}

/// A claimed row, held under `lease` until its attempt is recorded.
struct Job {
    id: String,
    endpoint_id: String,
    event: String,
    payload: String,
    retry_count: i64,
    lease: i64,
}

/// What one request came to.
struct Attempt {
    status: Option<u16>,
    error: Option<String>,
    retry_after: Option<Duration>,
}

impl Attempt {
    fn failed(error: impl Into<String>) -> Self {
        Self { status: None, error: Some(truncate(&error.into())), retry_after: None }
    }
    fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

const DELIVERY_COLS: &str = "r.id, r.endpoint_id, e.url, r.event, r.status, r.retry_count, r.last_status_code, r.last_error, r.next_retry_at, r.created_at, r.updated_at, r.delivered_at";

fn delivery_from_row(r: &AnyRow) -> Delivery {
    let status: String = r.get("status");
    let retry_count: i64 = r.get("retry_count");
    // Each retry follows a failed attempt; a finished delivery also counts its last one.
    let attempts = retry_count + i64::from(status != "pending");
    Delivery {
        id: r.get("id"),
        endpoint_id: r.get("endpoint_id"),
        url: r.get("url"),
        event: r.get("event"),
        next_retry_at: (status == "pending").then(|| r.get("next_retry_at")),
        status,
        retry_count,
        attempts,
        last_status_code: opt(r, "last_status_code"),
        last_error: opt(r, "last_error"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
        delivered_at: opt(r, "delivered_at"),
    }
}

fn endpoint_from_row(r: &AnyRow) -> Endpoint {
    Endpoint {
        id: r.get("id"),
        url: r.get("url"),
        events: serde_json::from_str(&r.get::<String, _>("events")).unwrap_or_default(),
        active: r.get::<i64, _>("active") != 0,
        created_at: r.get("created_at"),
    }
}

impl Webhooks {
    pub fn new(db: Db, keys: Keys, cfg: WebhookConfig) -> Self {
        Self { inner: Arc::new(Inner { db, keys, cfg }) }
    }

    pub fn config(&self) -> &WebhookConfig {
        &self.inner.cfg
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    /// A claimed row is someone else's after this long: one attempt plus DNS, with margin.
    fn lease_ms(&self) -> i64 {
        (self.inner.cfg.timeout * 2 + DNS_TIMEOUT + Duration::from_secs(30)).as_millis() as i64
    }

    /// The addresses `u` resolves to, each public unless the admin allows private ones.
    async fn vet(&self, u: &url::Url) -> Result<Vec<SocketAddr>, WebhookError> {
        outbound::vet(u, self.inner.cfg.allow_private).await.map_err(refusal)
    }

    /// Registers `url` for `events`. Returns the endpoint and its signing secret, which is
    /// stored sealed and never shown again.
    pub async fn create(&self, user_id: &str, url: &str, events: &[String]) -> Result<(Endpoint, String), WebhookError> {
        let u = parse_url(url)?;
        let events = clean_events(events)?;
        self.vet(&u).await?;
        let count: i64 = sqlx::query_scalar("select count(*) from webhook_endpoints where user_id = $1")
            .bind(user_id)
            .fetch_one(self.db().pool())
            .await?;
        if count >= MAX_ENDPOINTS {
            return Err(invalid(
                "too_many_webhooks",
                format!("You can have up to {MAX_ENDPOINTS} webhooks. Delete one you no longer use, then add this one."),
            ));
        }
        let secret = format!("whsec_{}", random_token());
        let ep = Endpoint { id: uuid::Uuid::new_v4().to_string(), url: u.to_string(), events, active: true, created_at: now_ms() };
        sqlx::query("insert into webhook_endpoints (id, user_id, url, secret, events, active, created_at, updated_at) values ($1, $2, $3, $4, $5, 1, $6, $6)")
            .bind(&ep.id)
            .bind(user_id)
            .bind(&ep.url)
            .bind(self.inner.keys.encrypt(&secret))
            .bind(serde_json::to_string(&ep.events).map_err(anyhow::Error::from)?)
            .bind(ep.created_at)
            .execute(self.db().pool())
            .await?;
        Ok((ep, secret))
    }

    pub async fn list(&self, user_id: &str) -> Result<Vec<Endpoint>, WebhookError> {
        let rows =
            sqlx::query("select id, url, events, active, created_at from webhook_endpoints where user_id = $1 order by created_at, id")
                .bind(user_id)
                .fetch_all(self.db().pool())
                .await?;
        Ok(rows.iter().map(endpoint_from_row).collect())
    }

    /// Deletes the endpoint and its delivery log (pending deliveries are dropped).
    pub async fn delete(&self, user_id: &str, id: &str) -> Result<(), WebhookError> {
        let res = sqlx::query("delete from webhook_endpoints where id = $1 and user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(self.db().pool())
            .await?;
        if res.rows_affected() == 0 {
            return Err(WebhookError::NotFound);
        }
        Ok(())
    }

    /// The delivery log, newest first.
    pub async fn deliveries(&self, user_id: &str, limit: i64) -> Result<Vec<Delivery>, WebhookError> {
        let rows = sqlx::query(&format!(
            "select {DELIVERY_COLS} from webhook_retries r join webhook_endpoints e on e.id = r.endpoint_id
             where r.user_id = $1 and e.user_id = $1 order by r.created_at desc, r.id desc limit $2"
        ))
        .bind(user_id)
        .bind(limit.clamp(1, 500))
        .fetch_all(self.db().pool())
        .await?;
        Ok(rows.iter().map(delivery_from_row).collect())
    }

    pub async fn delivery(&self, user_id: &str, id: &str) -> Result<Delivery, WebhookError> {
        let row = sqlx::query(&format!(
            "select {DELIVERY_COLS} from webhook_retries r join webhook_endpoints e on e.id = r.endpoint_id where r.id = $1 and r.user_id = $2"
        ))
        .bind(id)
        .bind(user_id)
        .fetch_optional(self.db().pool())
        .await?;
        row.map(|r| delivery_from_row(&r)).ok_or(WebhookError::NotFound)
    }

    /// Queues `event` for every active endpoint of `user_id` subscribed to it; returns how
    /// many deliveries were queued. Delivery happens in the background worker.
    pub async fn emit(&self, user_id: &str, event: &str, data: serde_json::Value) -> Result<usize, WebhookError> {
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
            n += usize::from(self.queue(&mut tx, user_id, &endpoint_id, event, &data, None).await?.is_some());
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
        event: &str,
        data: serde_json::Value,
    ) -> Result<usize, WebhookError> {
        let mut n = 0;
        for endpoint_id in self.targets(&mut *conn, user_id, event).await? {
            n += usize::from(self.queue(&mut *conn, user_id, &endpoint_id, event, &data, None).await?.is_some());
        }
        Ok(n)
    }

    /// The user's active endpoints subscribed to `event`.
    async fn targets(&self, conn: &mut sqlx::AnyConnection, user_id: &str, event: &str) -> Result<Vec<String>, WebhookError> {
        if !EVENTS.contains(&event) {
            return Err(invalid("unknown_event", format!("\"{event}\" is not a webhook event.")));
        }
        let rows = sqlx::query("select id, events from webhook_endpoints where user_id = $1 and active = 1")
            .bind(user_id)
            .fetch_all(&mut *conn)
            .await?;
        Ok(rows
            .iter()
            .filter(|r| serde_json::from_str::<Vec<String>>(&r.get::<String, _>("events")).unwrap_or_default().iter().any(|e| e == event))
            .map(|r| r.get("id"))
            .collect())
    }

    /// Inserts one delivery, due now, if the endpoint (still) belongs to `user_id`; `None`
    /// when it does not (deleted meanwhile). `lease` set: the caller sends it right away.
    async fn queue(
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
        let job = self.queue(&mut conn, user_id, endpoint_id, PING, &data, Some(lease)).await?.ok_or(WebhookError::NotFound)?;
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
        // SQLite has one writer, so a single UPDATE is already atomic.
        let lock = match self.db().backend() {
            Backend::Postgres => "for update skip locked",
            Backend::Sqlite => "",
        };
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
    async fn attempt(&self, job: Job) -> Result<(), WebhookError> {
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

    async fn send(&self, url: &str, secret: &str, job: &Job) -> Attempt {
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
    async fn record(&self, job: &Job, a: Attempt) -> Result<(), WebhookError> {
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
            let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
            let mut delay = backoff(self.inner.cfg.base_delay, retry as u32, jitter);
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
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests;
