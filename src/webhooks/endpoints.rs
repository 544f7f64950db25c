//! Endpoint management: registering a URL (checked for SSRF when registered), listing and
//! deleting endpoints, and reading the delivery log.

use super::*;

pub(super) fn refusal(r: outbound::Refused) -> WebhookError {
    match r {
        outbound::Refused::UnknownHost(_) => invalid("unknown_host", r.to_string()),
        outbound::Refused::Url(_) => invalid("invalid_url", r.to_string()),
        outbound::Refused::Blocked { .. } => invalid("private_address", format!("{r} Webhooks can only go to public addresses.")),
        outbound::Refused::Client(_) => WebhookError::Internal(anyhow::anyhow!(r.to_string())),
    }
}

/// A URL that is well formed: http(s), a host, no credentials, no fragment.
pub(super) fn parse_url(raw: &str) -> Result<url::Url, WebhookError> {
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
pub(super) fn clean_events(raw: &[String]) -> Result<Vec<String>, WebhookError> {
    for e in raw {
        if WebhookEvent::parse(e.trim()).is_err() {
            let all: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
            return Err(invalid("unknown_event", format!("\"{}\" is not an event. Choose from {}.", e.trim(), all.join(", "))));
        }
    }
    let out: Vec<String> = WebhookEvent::ALL.iter().filter(|e| raw.iter().any(|r| r.trim() == e.as_str())).map(|e| e.to_string()).collect();
    if out.is_empty() {
        return Err(invalid("no_events", "Choose at least one event to send."));
    }
    Ok(out)
}

pub(super) const DELIVERY_COLS: &str = "r.id, r.endpoint_id, e.url, r.event, r.status, r.retry_count, r.last_status_code, r.last_error, r.next_retry_at, r.created_at, r.updated_at, r.delivered_at";

pub(super) fn delivery_from_row(r: &AnyRow) -> Delivery {
    let status: DeliveryStatus = crate::db::status(r, "status");
    let retry_count: i64 = r.get("retry_count");
    // Each retry follows a failed attempt; a finished delivery also counts its last one.
    let attempts = retry_count + i64::from(status != DeliveryStatus::Pending);
    Delivery {
        id: r.get("id"),
        endpoint_id: r.get("endpoint_id"),
        url: r.get("url"),
        event: r.get("event"),
        next_retry_at: (status == DeliveryStatus::Pending).then(|| r.get("next_retry_at")),
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

pub(super) fn endpoint_from_row(r: &AnyRow) -> Endpoint {
    Endpoint {
        id: r.get("id"),
        url: r.get("url"),
        events: serde_json::from_str(&r.get::<String, _>("events")).unwrap_or_default(),
        active: r.get::<i64, _>("active") != 0,
        created_at: r.get("created_at"),
    }
}

impl Webhooks {
    /// The addresses `u` resolves to, each public unless the admin allows private ones.
    pub(super) async fn vet(&self, u: &url::Url) -> Result<Vec<SocketAddr>, WebhookError> {
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
            return Err(WebhookError::NotFound("That webhook"));
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
        row.map(|r| delivery_from_row(&r)).ok_or(WebhookError::NotFound("That webhook"))
    }
}
