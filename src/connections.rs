//! Connected social accounts: the connect flow (state + PKCE, consent recorded), tokens
//! sealed at rest, refresh with atomic rotation, revoke, and the per-user view. Every read
//! is scoped to the owner: another user's id is simply not found.

use crate::crypto::{random_token, Keys};
use crate::db::{now_ms, opt, Db};
use crate::domain::{ConnectionStatus, Failure, Health, Kind, PlatformId};
use crate::platforms::{AccountProfile, AuthorizeParams, ErrorClass, Grant, PlatformError, Platforms};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

mod picks;
mod report;
pub use picks::Finished;
pub use report::{HealthReport, Integration, Integrations};

/// How long a started connect flow stays valid.
const STATE_TTL_MS: i64 = 10 * 60 * 1000;
/// "Refresh if due" on the connection tools page: tokens this close to expiry (seed 001 §9).
pub const REFRESH_AHEAD_MS: i64 = 2 * 3600 * 1000;
/// How long one refresh may hold a connection before another process may take over (a
/// process that died mid-refresh must not block the account for long).
const REFRESH_LEASE_MS: i64 = 30_000;
/// How often a process waiting for another one's refresh looks again.
const REFRESH_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// When tokens issued at `now` that expire at `expires_at` are renewed: at three quarters of
/// their real lifetime. Never more than once per lifetime (X's 2-hour tokens were refreshed
/// every minute under a fixed 2-hour look-ahead), and early enough that a missed round or a
/// platform outage still finds the token valid.
pub fn refresh_at(now: i64, expires_at: Option<i64>) -> Option<i64> {
    expires_at.map(|e| now + (e - now).max(0) * 3 / 4)
}

/// A connection as the owner sees it. No tokens, ever.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Connection {
    pub id: String,
    pub platform: PlatformId,
    pub external_id: String,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub scopes: Vec<String>,
    pub consent_at: i64,
    pub consent_scopes: Vec<String>,
    pub status: ConnectionStatus,
    pub last_error: Option<String>,
    pub last_used_at: Option<i64>,
    pub token_expires_at: Option<i64>,
    pub created_at: i64,
}

impl Connection {
    /// The account as an adapter is told about it.
    pub fn profile(&self) -> AccountProfile {
        AccountProfile {
            external_id: self.external_id.clone(),
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            avatar_url: self.avatar_url.clone(),
        }
    }

    /// The platform refused this account's tokens: nothing is sent or read until the person
    /// reconnects it.
    pub fn needs_reconnect(&self) -> bool {
        self.status == ConnectionStatus::ReconnectNeeded
    }

    /// Tokens the platform lets us refresh are healthy whatever their expiry (the refresh job
    /// renews them at three quarters of their lifetime); the others warn a day before they
    /// run out.
    pub fn health(&self, now_ms: i64) -> Health {
        if self.needs_reconnect() {
            return Health::ReconnectNeeded;
        }
        if crate::domain::platform_info(self.platform).supports_refresh {
            return Health::Healthy;
        }
        match self.token_expires_at {
            Some(e) if e <= now_ms => Health::Expired,
            Some(e) if e - now_ms < 24 * 3_600_000 => Health::ExpiringSoon,
            _ => Health::Healthy,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// 404: no such connection for this user (another user's id included).
    #[error("That account connection was not found.")]
    NotFound,
    /// 400: the person must tick the consent box first.
    #[error("Please confirm you agree to the listed permissions before connecting.")]
    ConsentRequired,
    /// 400: the connect link expired, was used, or belongs to another browser session.
    #[error("This connection attempt expired or was already used. Start connecting again.")]
    BadState,
    /// 400: the platform is not set up on this server.
    #[error("{0} is not set up on this server yet.")]
    NotConfigured(String),
    /// 4xx/502 with the platform's reason.
    #[error("{0}")]
    Platform(#[from] PlatformError),
    /// 400: the account chooser was sent with nothing ticked.
    #[error("Tick at least one of the {0} to connect.")]
    NothingChosen(String),
    /// 422: a platform named with no account connected on it.
    #[error("Connect {} in Sources first.", .0.display_name())]
    NotConnected(PlatformId),
    /// 400: an account that the login did not offer.
    #[error("\"{0}\" was not among the accounts this login offered.")]
    NotOffered(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal(#[from] anyhow::Error),
}

internal_error!(ConnectError);

impl Failure for ConnectError {
    fn kind(&self) -> Kind {
        match self {
            Self::NotFound => Kind::NotFound,
            Self::NotConnected(_) => Kind::Invalid,
            Self::ConsentRequired | Self::BadState | Self::NotConfigured(_) | Self::NothingChosen(_) | Self::NotOffered(_) => {
                Kind::BadRequest
            }
            Self::Platform(p) => match p.class {
                ErrorClass::Rejected => Kind::Invalid,
                ErrorClass::MissingPermission => Kind::Forbidden,
                ErrorClass::Disconnected | ErrorClass::RefreshNeeded => Kind::Conflict,
                ErrorClass::RetryLater { .. } => Kind::Unavailable,
                ErrorClass::Unknown => Kind::Upstream,
            },
            Self::Internal(_) => Kind::Internal,
        }
    }
    fn cause(&self) -> Option<&dyn std::fmt::Debug> {
        self.internal_cause()
    }
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::ConsentRequired => "consent_required",
            Self::BadState => "invalid_state",
            Self::NotConfigured(_) => "platform_not_configured",
            Self::NothingChosen(_) => "nothing_chosen",
            Self::NotOffered(_) => "not_offered",
            Self::NotConnected(_) => "not_connected",
            Self::Platform(p) => match p.class {
                ErrorClass::Rejected => "platform_rejected",
                ErrorClass::MissingPermission => "missing_permission",
                ErrorClass::Disconnected | ErrorClass::RefreshNeeded => "reconnect_needed",
                ErrorClass::RetryLater { .. } => "platform_unavailable",
                ErrorClass::Unknown => "platform_unknown",
            },
            Self::Internal(_) => "internal",
        }
    }
}

/// How often an account's "last used" time is written (see `Connections::touch`).
const TOUCH_EVERY_MS: i64 = 60_000;

#[derive(Clone)]
pub struct Connections {
    db: Db,
    keys: Keys,
    platforms: Platforms,
    /// Told when an account starts needing a reconnect (`account.reconnect_needed`).
    webhooks: Option<crate::webhooks::Webhooks>,
    /// When this process last wrote each account's "last used" time (see `touch`).
    touched: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, i64>>>,
}

/// Two sealed values holding the same (readable) grant, e.g. before and after a re-seal.
fn same_plaintext(keys: &Keys, a: &str, b: &str) -> bool {
    matches!((keys.decrypt(a), keys.decrypt(b)), (Ok(x), Ok(y)) if x == y)
}

fn split(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn from_row(r: &AnyRow) -> Connection {
    let platform: String = r.get("platform");
    Connection {
        id: r.get("id"),
        platform: PlatformId::parse(&platform).unwrap_or(PlatformId::X),
        external_id: r.get("external_id"),
        username: r.get("username"),
        display_name: r.get("display_name"),
        avatar_url: opt(r, "avatar_url"),
        scopes: split(&r.get::<String, _>("scopes")),
        consent_at: r.get("consent_at"),
        consent_scopes: split(&r.get::<String, _>("consent_scopes")),
        status: crate::db::status(r, "status"),
        last_error: opt(r, "last_error"),
        last_used_at: opt(r, "last_used_at"),
        token_expires_at: opt(r, "token_expires_at"),
        created_at: r.get("created_at"),
    }
}

const COLS: &str = "id, platform, external_id, username, display_name, avatar_url, scopes, consent_at, consent_scopes, status, last_error, last_used_at, token_expires_at, created_at";

impl Connections {
    pub fn new(db: Db, keys: Keys, platforms: Platforms) -> Self {
        Self { db, keys, platforms, webhooks: None, touched: Default::default() }
    }

    pub fn with_webhooks(mut self, webhooks: crate::webhooks::Webhooks) -> Self {
        self.webhooks = Some(webhooks);
        self
    }

    pub fn platforms(&self) -> &Platforms {
        &self.platforms
    }

    fn adapter(&self, p: PlatformId) -> Result<std::sync::Arc<dyn crate::platforms::Platform>, ConnectError> {
        self.platforms.get(p).ok_or_else(|| ConnectError::NotConfigured(p.display_name().into()))
    }

    /// Starts an OAuth connect: records consent intent, state and PKCE verifier, and returns
    /// the platform's authorize URL.
    pub async fn start(&self, user_id: &str, platform: PlatformId, consent: bool, instance: Option<&str>) -> Result<String, ConnectError> {
        if !consent {
            return Err(ConnectError::ConsentRequired);
        }
        let adapter = self.adapter(platform)?;
        let state = random_token();
        let verifier = random_token();
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let (url, pending) = adapter
            .authorize_url(&AuthorizeParams { state: state.clone(), code_challenge: challenge, instance: instance.map(str::to_string) })
            .await?;
        sqlx::query("delete from connect_states where created_at < $1").bind(now_ms() - STATE_TTL_MS).execute(self.db.pool()).await?;
        sqlx::query("insert into connect_states (state, user_id, platform, code_verifier, pending_enc, consent_scopes, created_at) values ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&state)
            .bind(user_id)
            .bind(platform.as_str())
            .bind(&verifier)
            .bind(self.keys.encrypt(&pending.to_string()))
            .bind(adapter.scopes().join(" "))
            .bind(now_ms())
            .execute(self.db.pool())
            .await?;
        Ok(url)
    }

    /// Finishes an OAuth connect. The state must belong to this user and platform, be fresh
    /// and unused (it is deleted as it is read, so a replay finds nothing). A login that
    /// manages several accounts of a choosing platform (Facebook Pages) leads to a choice.
    pub async fn finish(&self, user_id: &str, platform: PlatformId, state: &str, code: &str) -> Result<Finished, ConnectError> {
        let row = sqlx::query("delete from connect_states where state = $1 and user_id = $2 and platform = $3 and created_at > $4 returning code_verifier, pending_enc, consent_scopes")
            .bind(state)
            .bind(user_id)
            .bind(platform.as_str())
            .bind(now_ms() - STATE_TTL_MS)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(ConnectError::BadState)?;
        let verifier: String = row.get("code_verifier");
        let pending: serde_json::Value =
            serde_json::from_str(&self.keys.decrypt(&row.get::<String, _>("pending_enc"))?).unwrap_or_default();
        let consent = split(&row.get::<String, _>("consent_scopes"));
        let adapter = self.adapter(platform)?;
        let grant = adapter.exchange_code(code, &verifier, &pending).await?;
        let accounts = adapter.accounts(&grant).await?;
        if adapter.choose_accounts() && accounts.len() > 1 {
            return Ok(Finished::Choose(self.hold_pick(user_id, platform, accounts, &consent).await?));
        }
        Ok(Finished::Connected(self.store_all(user_id, platform, accounts, &consent).await?))
    }

    /// Handle + app-password platforms (Bluesky).
    pub async fn connect_with_password(
        &self,
        user_id: &str,
        platform: PlatformId,
        identifier: &str,
        password: &str,
        consent: bool,
    ) -> Result<Vec<Connection>, ConnectError> {
        if !consent {
            return Err(ConnectError::ConsentRequired);
        }
        let adapter = self.adapter(platform)?;
        let grant = adapter.login(identifier, password).await?;
        let accounts = adapter.accounts(&grant).await?;
        self.store_all(user_id, platform, accounts, &["app-password".to_string()]).await
    }

    async fn store_all(
        &self,
        user_id: &str,
        platform: PlatformId,
        accounts: Vec<(AccountProfile, Grant)>,
        consent: &[String],
    ) -> Result<Vec<Connection>, ConnectError> {
        let mut out = vec![];
        for (profile, account_grant) in accounts {
            out.push(self.upsert(user_id, platform, &profile, &account_grant, consent).await?);
        }
        Ok(out)
    }

    async fn upsert(
        &self,
        user_id: &str,
        platform: PlatformId,
        p: &AccountProfile,
        g: &Grant,
        consent: &[String],
    ) -> Result<Connection, ConnectError> {
        let now = now_ms();
        let sealed = self.keys.encrypt(&serde_json::to_string(g).map_err(anyhow::Error::from)?);
        let id = uuid::Uuid::new_v4().to_string();
        // Reconnecting the same platform account updates it in place (one connection per account).
        let res = sqlx::query(
            "insert into social_accounts (id, user_id, platform, external_id, username, display_name, avatar_url, grant_enc, token_expires_at, scopes, consent_at, consent_scopes, status, created_at, updated_at, token_refresh_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'healthy', $11, $11, $13)
             on conflict (user_id, platform, external_id) do update set
               username = excluded.username, display_name = excluded.display_name, avatar_url = excluded.avatar_url,
               grant_enc = excluded.grant_enc, token_expires_at = excluded.token_expires_at, scopes = excluded.scopes,
               token_refresh_at = excluded.token_refresh_at, refresh_lease_until = null, refresh_lease_owner = null,
               consent_at = excluded.consent_at, consent_scopes = excluded.consent_scopes, status = 'healthy', last_error = null, updated_at = excluded.updated_at",
        )
        .bind(&id)
        .bind(user_id)
        .bind(platform.as_str())
        .bind(&p.external_id)
        .bind(&p.username)
        .bind(&p.display_name)
        .bind(p.avatar_url.as_deref())
        .bind(sealed)
        .bind(g.expires_at)
        .bind(g.scopes.join(" "))
        .bind(now)
        .bind(consent.join(" "))
        .bind(refresh_at(now, g.expires_at))
        .execute(self.db.pool())
        .await;
        res?;
        let row = sqlx::query(&format!("select {COLS} from social_accounts where user_id = $1 and platform = $2 and external_id = $3"))
            .bind(user_id)
            .bind(platform.as_str())
            .bind(&p.external_id)
            .fetch_one(self.db.pool())
            .await?;
        Ok(from_row(&row))
    }

    /// Every account the person has connected on each of `platforms` ("post to X and
    /// Mastodon" means all of their X and Mastodon accounts); a platform with none is refused.
    pub async fn accounts_on(&self, user_id: &str, platforms: &[PlatformId]) -> Result<Vec<String>, ConnectError> {
        if platforms.is_empty() {
            return Ok(vec![]);
        }
        let all = self.list(user_id).await?;
        let mut ids = vec![];
        for p in platforms {
            let mine: Vec<String> = all.iter().filter(|c| c.platform == *p).map(|c| c.id.clone()).collect();
            if mine.is_empty() {
                return Err(ConnectError::NotConnected(*p));
            }
            ids.extend(mine);
        }
        Ok(ids)
    }

    pub async fn list(&self, user_id: &str) -> Result<Vec<Connection>, ConnectError> {
        let rows = sqlx::query(&format!("select {COLS} from social_accounts where user_id = $1 order by created_at"))
            .bind(user_id)
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows.iter().map(from_row).collect())
    }

    pub async fn get(&self, user_id: &str, id: &str) -> Result<Connection, ConnectError> {
        let row = sqlx::query(&format!("select {COLS} from social_accounts where id = $1 and user_id = $2"))
            .bind(id)
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| from_row(&r)).ok_or(ConnectError::NotFound)
    }

    /// The decrypted grant (server-side use only).
    /// The most characters a post to this connection may have (see `platforms::text_limit`);
    /// the grant is only opened where the server sets its own limit.
    pub async fn text_limit(&self, user_id: &str, c: &Connection) -> u32 {
        match c.platform {
            PlatformId::Mastodon => match self.grant(user_id, &c.id).await {
                Ok((_, g, _)) => crate::platforms::text_limit(c.platform, &g),
                Err(_) => crate::domain::platform_info(c.platform).limits.text_max,
            },
            p => crate::domain::platform_info(p).limits.text_max,
        }
    }

    pub async fn grant(&self, user_id: &str, id: &str) -> Result<(Connection, Grant, String), ConnectError> {
        let row = sqlx::query(&format!("select {COLS}, grant_enc from social_accounts where id = $1 and user_id = $2"))
            .bind(id)
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(ConnectError::NotFound)?;
        let sealed: String = row.get("grant_enc");
        let grant: Grant = serde_json::from_str(&self.keys.decrypt(&sealed)?).map_err(anyhow::Error::from)?;
        Ok((from_row(&row), grant, sealed))
    }

    /// Refreshes one connection's tokens, one process at a time (a lease on the row): rotating
    /// refresh tokens are single-use, so a second concurrent refresh would be refused and read
    /// as a disconnection. Callers that find another refresh running wait for it and use what
    /// it stored. A refusal marks the account "reconnect needed" only if it was about the
    /// refresh token stored now, not one that was rotated meanwhile.
    pub async fn refresh(&self, user_id: &str, id: &str) -> Result<Connection, ConnectError> {
        let (_, _, seen) = self.grant(user_id, id).await?;
        let owner = uuid::Uuid::new_v4().to_string();
        loop {
            let now = self.db.now().await;
            let took = sqlx::query(
                "update social_accounts set refresh_lease_until = $1, refresh_lease_owner = $2
                 where id = $3 and user_id = $4 and (refresh_lease_until is null or refresh_lease_until < $5)",
            )
            .bind(now + REFRESH_LEASE_MS)
            .bind(&owner)
            .bind(id)
            .bind(user_id)
            .bind(now)
            .execute(self.db.pool())
            .await?;
            if took.rows_affected() > 0 {
                break;
            }
            tokio::time::sleep(REFRESH_WAIT).await;
            let (conn, _, current) = self.grant(user_id, id).await?;
            if self.rotated(&seen, &current) {
                return Ok(conn);
            }
        }
        let result = self.refresh_leased(user_id, id, &seen).await;
        // Released at once (not left to expire) so waiting callers go on.
        sqlx::query(
            "update social_accounts set refresh_lease_until = null, refresh_lease_owner = null where id = $1 and refresh_lease_owner = $2",
        )
        .bind(id)
        .bind(&owner)
        .execute(self.db.pool())
        .await?;
        result
    }

    /// True when the stored grant is no longer the one sealed as `before` (a re-seal of the
    /// same tokens under a new key by `covalynce rotate-key` does not count).
    fn rotated(&self, before: &str, now: &str) -> bool {
        before != now && !same_plaintext(&self.keys, before, now)
    }

    /// The refresh itself, under the lease. The new grant is stored only if nobody else
    /// rotated it meanwhile (compare-and-swap on the sealed value).
    async fn refresh_leased(&self, user_id: &str, id: &str, seen: &str) -> Result<Connection, ConnectError> {
        let (conn, grant, sealed) = self.grant(user_id, id).await?;
        if self.rotated(seen, &sealed) {
            // Another process refreshed between our first look and our lease.
            return Ok(conn);
        }
        let adapter = self.adapter(conn.platform)?;
        match adapter.refresh(&grant).await {
            Ok(newer) => {
                let merged = grant.merged_with(newer);
                let new_sealed = self.keys.encrypt(&serde_json::to_string(&merged).map_err(anyhow::Error::from)?);
                let now = now_ms();
                let mut expected = sealed;
                for _ in 0..5 {
                    let res = sqlx::query("update social_accounts set grant_enc = $1, token_expires_at = $2, token_refresh_at = $3, status = 'healthy', last_error = null, last_refreshed_at = $4, updated_at = $4 where id = $5 and grant_enc = $6")
                        .bind(&new_sealed)
                        .bind(merged.expires_at)
                        .bind(refresh_at(now, merged.expires_at))
                        .bind(now)
                        .bind(id)
                        .bind(&expected)
                        .execute(self.db.pool())
                        .await?;
                    if res.rows_affected() > 0 {
                        break;
                    }
                    // `covalynce rotate-key` re-sealing the same grant under a new key is not a
                    // concurrent refresh: retry on its value, or the new tokens would be lost.
                    let now_stored: Option<String> = sqlx::query_scalar("select grant_enc from social_accounts where id = $1")
                        .bind(id)
                        .fetch_optional(self.db.pool())
                        .await?;
                    match now_stored {
                        Some(v) if v != expected && same_plaintext(&self.keys, &v, &expected) => expected = v,
                        _ => {
                            tracing::info!(connection = id, "tokens were rotated concurrently; keeping the other refresh");
                            break;
                        }
                    }
                }
                self.get(user_id, id).await
            }
            Err(e) if matches!(e.class, ErrorClass::Disconnected | ErrorClass::RefreshNeeded | ErrorClass::Rejected) => {
                // Re-read before judging: a refusal of a token that was rotated meanwhile (a
                // lease that ran out, an older release without leases) is not a disconnection.
                let (conn, _, current) = self.grant(user_id, id).await?;
                if self.rotated(&sealed, &current) {
                    tracing::info!(connection = id, "refresh refused for a token rotated meanwhile; keeping the newer grant");
                    return Ok(conn);
                }
                self.mark_reconnect_needed(id, &e.message).await?;
                Err(e.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The one place an account becomes "reconnect needed"; the change from healthy (not a
    /// repeat) emits `account.reconnect_needed` to the owner's webhooks.
    pub async fn mark_reconnect_needed(&self, id: &str, reason: &str) -> Result<(), ConnectError> {
        let flipped = sqlx::query("update social_accounts set status = 'reconnect_needed', last_error = $1, updated_at = $2 where id = $3 and status <> 'reconnect_needed' returning user_id, platform, username")
            .bind(reason)
            .bind(now_ms())
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        let Some(row) = flipped else {
            sqlx::query("update social_accounts set last_error = $1, updated_at = $2 where id = $3")
                .bind(reason)
                .bind(now_ms())
                .bind(id)
                .execute(self.db.pool())
                .await?;
            return Ok(());
        };
        if let Some(w) = &self.webhooks {
            let user: String = row.get("user_id");
            let data = serde_json::json!({
                "account": {"id": id, "platform": row.get::<String, _>("platform"), "username": row.get::<String, _>("username")},
                "reason": reason,
            });
            // The account is marked either way; a webhook problem must not fail the refresh.
            if let Err(e) = w.emit(&user, crate::domain::WebhookEvent::AccountReconnectNeeded, data).await {
                tracing::warn!(connection = id, error = %e, "could not queue the account.reconnect_needed webhook");
            }
        }
        Ok(())
    }

    /// Notes that the account was just used. At most once a minute per account: "used 3
    /// minutes ago" needs no finer grain, and a write per post was one of the few durable
    /// writes each send costs SQLite's single writer.
    pub async fn touch(&self, id: &str) -> Result<(), ConnectError> {
        let now = now_ms();
        {
            let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
            if touched.get(id).is_some_and(|t| now - t < TOUCH_EVERY_MS) {
                return Ok(());
            }
            if touched.len() > 10_000 {
                touched.clear();
            }
            touched.insert(id.to_string(), now);
        }
        sqlx::query("update social_accounts set last_used_at = $1 where id = $2").bind(now).bind(id).execute(self.db.pool()).await?;
        Ok(())
    }

    /// Revoking consent: tell the platform (best effort: the person's intent wins even if
    /// the platform is down) and delete the tokens.
    pub async fn revoke(&self, user_id: &str, id: &str) -> Result<Connection, ConnectError> {
        let (conn, grant, _) = self.grant(user_id, id).await?;
        if let Some(a) = self.platforms.get(conn.platform) {
            if let Err(e) = a.revoke(&grant).await {
                tracing::warn!(platform = conn.platform.as_str(), error = %e, "platform revoke failed; deleting the tokens anyway");
            }
        }
        sqlx::query("delete from social_accounts where id = $1 and user_id = $2").bind(id).bind(user_id).execute(self.db.pool()).await?;
        Ok(conn)
    }

    /// Background job: refresh every healthy connection whose renewal time (three quarters
    /// of its token's lifetime) has come and that no process is refreshing now. Returns
    /// (refreshed, failed).
    #[tracing::instrument(name = "token_refresh_sweep", skip_all)]
    pub async fn refresh_due(&self) -> Result<(usize, usize), ConnectError> {
        let now = self.db.now().await;
        let rows = sqlx::query(
            "select id, user_id from social_accounts where status = 'healthy' and token_refresh_at is not null and token_refresh_at <= $1
             and (refresh_lease_until is null or refresh_lease_until < $1)",
        )
        .bind(now)
        .fetch_all(self.db.pool())
        .await?;
        let (mut ok, mut failed) = (0, 0);
        for r in rows {
            let (id, user): (String, String) = (r.get("id"), r.get("user_id"));
            match self.refresh(&user, &id).await {
                Ok(_) => ok += 1,
                Err(e) => {
                    tracing::warn!(connection = %id, error = %e, "token refresh failed");
                    failed += 1;
                }
            }
        }
        Ok((ok, failed))
    }
}
