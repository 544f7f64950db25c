use super::{Auth, AuthError, ClientInfo};
use crate::crypto::{random_token, token_hash};
use crate::db::{now_ms, opt};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// The JWT access token's claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    /// Session (refresh-token family) id, so revoking a session ends its access tokens too.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

/// What a successful sign-in or refresh hands to the client (as cookies, or JSON for API
/// clients). Deliberately not `Debug`: it holds bearer secrets.
#[derive(Clone, Serialize)]
pub struct SessionTokens {
    pub user_id: String,
    pub session_id: String,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds until the session ends without activity.
    pub refresh_expires_in: u64,
}

impl SessionTokens {
    /// The claims inside `access_token`, without decoding it again or asking the database
    /// (the session was just created or rotated, so it is live).
    pub fn claims(&self) -> AccessClaims {
        let now = chrono::Utc::now().timestamp();
        AccessClaims { sub: self.user_id.clone(), sid: self.session_id.clone(), iat: now, exp: now + self.expires_in as i64 }
    }
}

/// A signed-in device, for the sessions list in Settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SessionInfo {
    pub id: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

impl Auth {
    pub(super) async fn start_session(&self, user_id: &str, client: &ClientInfo) -> Result<SessionTokens, AuthError> {
        let sid = uuid::Uuid::new_v4().to_string();
        let now = now_ms();
        let refresh = random_token();
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "insert into sessions (id, user_id, user_agent, ip, created_at, last_seen_at, expires_at) values ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(&sid)
        .bind(user_id)
        .bind(truncate(&client.user_agent, 300))
        .bind(truncate(&client.ip, 64))
        .bind(now)
        .bind(now + self.policy.refresh_ttl.as_millis() as i64)
        .execute(&mut *tx)
        .await?;
        sqlx::query("insert into refresh_tokens (token_hash, session_id, created_at) values ($1, $2, $3)")
            .bind(token_hash(&refresh))
            .bind(&sid)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.issue(user_id, &sid, refresh)
    }

    fn issue(&self, user_id: &str, sid: &str, refresh: String) -> Result<SessionTokens, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let ttl = self.policy.access_ttl.as_secs();
        let claims = AccessClaims { sub: user_id.into(), sid: sid.into(), iat: now, exp: now + ttl as i64 };
        let access = super::jwt::encode(&claims, &self.keys.jwt)?;
        Ok(SessionTokens {
            user_id: user_id.into(),
            session_id: sid.into(),
            access_token: access,
            refresh_token: refresh,
            expires_in: ttl,
            refresh_expires_in: self.policy.refresh_ttl.as_secs(),
        })
    }

    /// Verifies an access token's signature and expiry, then that its session is still live
    /// (one primary-key read), so logout takes effect at once rather than at token expiry.
    pub async fn authenticate(&self, access_token: &str) -> Result<AccessClaims, AuthError> {
        let claims: AccessClaims = super::jwt::decode(access_token, &self.keys.jwt).ok_or(AuthError::Unauthenticated)?;
        let live = sqlx::query("select 1 as one from sessions where id = $1 and user_id = $2 and revoked_at is null and expires_at > $3")
            .bind(&claims.sid)
            .bind(&claims.sub)
            .bind(now_ms())
            .fetch_optional(self.db.pool())
            .await?;
        live.map(|_| claims).ok_or(AuthError::Unauthenticated)
    }

    /// Rotates a refresh token: the presented one is spent and a new pair is issued. Presenting
    /// a spent token again (outside a short grace for parallel tabs) means it was copied, so
    /// the whole session is revoked.
    pub async fn refresh(&self, refresh_token: &str) -> Result<SessionTokens, AuthError> {
        let hash = token_hash(refresh_token);
        let now = now_ms();
        let row = sqlx::query(
            "select t.session_id, t.used_at, s.user_id, s.revoked_at, s.expires_at from refresh_tokens t join sessions s on s.id = t.session_id where t.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(AuthError::Unauthenticated)?;
        let sid: String = row.get("session_id");
        let uid: String = row.get("user_id");
        if opt::<i64>(&row, "revoked_at").is_some() || row.get::<i64, _>("expires_at") <= now {
            return Err(AuthError::Unauthenticated);
        }
        if let Some(used) = opt::<i64>(&row, "used_at") {
            if now - used >= self.policy.reuse_grace.as_millis() as i64 {
                self.revoke_session_row(&sid, "reuse_detected").await?;
                tracing::warn!(session = %sid, "refresh token reuse detected; session revoked");
                return Err(AuthError::Unauthenticated);
            }
            return Err(AuthError::RefreshRace);
        }
        let new_refresh = random_token();
        let mut tx = self.db.pool().begin().await?;
        let spent = sqlx::query("update refresh_tokens set used_at = $1 where token_hash = $2 and used_at is null")
            .bind(now)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        if spent.rows_affected() != 1 {
            return Err(AuthError::RefreshRace);
        }
        sqlx::query("insert into refresh_tokens (token_hash, session_id, created_at) values ($1, $2, $3)")
            .bind(token_hash(&new_refresh))
            .bind(&sid)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // Sliding expiry: an active device stays signed in.
        sqlx::query("update sessions set last_seen_at = $1, expires_at = $2 where id = $3")
            .bind(now)
            .bind(now + self.policy.refresh_ttl.as_millis() as i64)
            .bind(&sid)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.issue(&uid, &sid, new_refresh)
    }

    async fn revoke_session_row(&self, sid: &str, reason: &str) -> Result<(), AuthError> {
        sqlx::query("update sessions set revoked_at = $1, revoked_reason = $2 where id = $3 and revoked_at is null")
            .bind(now_ms())
            .bind(reason)
            .bind(sid)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Ends one of the user's sessions. Another user's session id is treated as unknown.
    pub async fn logout(&self, user_id: &str, session_id: &str) -> Result<bool, AuthError> {
        let res = sqlx::query(
            "update sessions set revoked_at = $1, revoked_reason = 'logout' where id = $2 and user_id = $3 and revoked_at is null",
        )
        .bind(now_ms())
        .bind(session_id)
        .bind(user_id)
        .execute(self.db.pool())
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// "Log out everywhere": every session of the user, this one included. Returns how many ended.
    pub async fn logout_all(&self, user_id: &str) -> Result<u64, AuthError> {
        let res =
            sqlx::query("update sessions set revoked_at = $1, revoked_reason = 'logout_all' where user_id = $2 and revoked_at is null")
                .bind(now_ms())
                .bind(user_id)
                .execute(self.db.pool())
                .await?;
        Ok(res.rows_affected())
    }

    pub async fn sessions(&self, user_id: &str) -> Result<Vec<SessionInfo>, AuthError> {
        let rows = sqlx::query(
            "select id, user_agent, ip, created_at, last_seen_at from sessions where user_id = $1 and revoked_at is null and expires_at > $2 order by last_seen_at desc",
        )
        .bind(user_id)
        .bind(now_ms())
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| SessionInfo {
                id: r.get("id"),
                user_agent: opt(r, "user_agent").unwrap_or_default(),
                ip: opt(r, "ip").unwrap_or_default(),
                created_at: r.get("created_at"),
                last_seen_at: r.get("last_seen_at"),
            })
            .collect())
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
