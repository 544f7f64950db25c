use super::{Auth, AuthError, ClientInfo, Limit, Limited, SessionTokens};
use crate::crypto::{random_token, token_hash};
use crate::db::{is_unique_violation, now_ms, opt};
use crate::domain::{DisplayName, Email, LoginProvider, Password, Timezone};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sqlx::any::AnyRow;
use sqlx::Row;

pub use crate::domain::User;

/// What a sign-in provider told us about the person.
#[derive(Debug, Clone)]
pub struct ExternalIdentity {
    pub provider: LoginProvider,
    /// The provider's stable id for the person (`sub`, GitHub id, app-scoped Facebook id).
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
}

const USER_COLS: &str = "id, email, name, timezone, avatar_url, password_hash, created_at";

fn user_from_row(r: &AnyRow) -> User {
    User {
        id: r.get("id"),
        email: opt(r, "email"),
        name: r.get("name"),
        timezone: r.get("timezone"),
        avatar_url: opt(r, "avatar_url"),
        has_password: opt::<String>(r, "password_hash").is_some(),
        created_at: r.get("created_at"),
    }
}

pub(crate) fn hash_password_blocking(pw: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(pw.as_bytes(), &salt).expect("argon2 hashing with default params cannot fail").to_string()
}

fn verify_blocking(pw: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

impl Auth {
    /// Argon2 is deliberately slow (tens of ms) and memory-hungry: off the async workers and
    /// behind the process's permit count (see `Auth::argon2`).
    async fn hash_password(&self, pw: String) -> Result<String, AuthError> {
        self.argon2(move || hash_password_blocking(&pw)).await
    }

    async fn verify_password(&self, pw: &str, hash: String) -> Result<bool, AuthError> {
        let pw = pw.to_string();
        self.argon2(move || verify_blocking(&pw, &hash)).await
    }
}

fn default_name(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    let mut chars = local.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => "New user".into(),
    }
}

impl Auth {
    pub async fn signup(
        &self,
        email: &str,
        password: &str,
        name: &str,
        timezone: &str,
        client: &ClientInfo,
    ) -> Result<SessionTokens, AuthError> {
        let email = Email::parse(email)?;
        let password = Password::parse(password, email.as_str())?;
        let name = if name.trim().is_empty() { DisplayName::parse(&default_name(email.as_str()))? } else { DisplayName::parse(name)? };
        // An unknown zone from the browser should not block sign-up: fall back to UTC.
        let timezone = Timezone::parse(timezone).unwrap_or_else(|_| Timezone::utc());
        // Counted after validation (typos cost nothing) and before the Argon2 work.
        let l = &self.policy.limits;
        self.limit_all(
            Limited::Signup,
            &[("signup_ip", &client.ip, l.signup_per_ip), ("signup_email", email.as_str(), l.signup_per_email)],
        )
        .await?;
        let hash = self.hash_password(password.expose().to_string()).await?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_ms();
        // Only `users_email_key` is unique besides the primary key (a fresh UUID).
        let res = sqlx::query(
            "insert into users (id, email, email_verified, password_hash, name, timezone, created_at, updated_at) values ($1, $2, 0, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(email.as_str())
        .bind(&hash)
        .bind(name.as_str())
        .bind(timezone.as_str())
        .bind(now)
        .execute(self.db.pool())
        .await;
        match res {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e, "users_email_key") => return Err(AuthError::EmailTaken),
            Err(e) => return Err(e.into()),
        }
        self.start_session(&id, client).await
    }

    /// Every attempt is counted before the password is checked (per IP and per address, see
    /// `limits.rs`), so parallel guesses cannot exceed the limits; a correct password takes
    /// its counts back.
    pub async fn signin(&self, email: &str, password: &str, client: &ClientInfo) -> Result<SessionTokens, AuthError> {
        let ip_limit = Limit { max: self.policy.ip_max_failures, window: self.policy.ip_window };
        if let Some(retry_after_secs) = self.hit("signin_ip", &client.ip, ip_limit).await? {
            return Err(AuthError::Throttled { retry_after_secs });
        }
        let Ok(email) = Email::parse(email) else {
            return Err(AuthError::InvalidCredentials);
        };
        let attempt = self.claim_attempt(email.as_str()).await?;
        let row =
            sqlx::query("select id, password_hash from users where email = $1").bind(email.as_str()).fetch_optional(self.db.pool()).await?;
        // Unknown e-mails and provider-only accounts cost the same Argon2 work as a real check,
        // so timing does not reveal which e-mails exist.
        let (user_id, hash) = match row {
            Some(r) => (Some(r.get::<String, _>("id")), opt::<String>(&r, "password_hash")),
            None => (None, None),
        };
        let ok = self.verify_password(password, hash.clone().unwrap_or_else(|| self.dummy_hash.to_string())).await? && hash.is_some();
        let Some(user_id) = user_id else {
            return Err(attempt.failed());
        };
        if hash.is_none() {
            let provider = sqlx::query("select provider from identities where user_id = $1 order by created_at limit 1")
                .bind(&user_id)
                .fetch_optional(self.db.pool())
                .await?
                .map(|r| r.get::<String, _>("provider"))
                .and_then(|p| LoginProvider::parse(&p).ok())
                .map(|p| p.display_name().to_string())
                .unwrap_or_else(|| "a sign-in provider".into());
            return Err(AuthError::UseProvider(provider));
        }
        if !ok {
            return Err(attempt.failed());
        }
        self.clear_attempts(email.as_str()).await?;
        self.unhit("signin_ip", &client.ip).await?;
        self.start_session(&user_id, client).await
    }

    pub async fn user(&self, user_id: &str) -> Result<User, AuthError> {
        let row = sqlx::query(&format!("select {USER_COLS} from users where id = $1")).bind(user_id).fetch_optional(self.db.pool()).await?;
        row.map(|r| user_from_row(&r)).ok_or(AuthError::Unauthenticated)
    }

    pub async fn update_profile(&self, user_id: &str, name: &str, timezone: &str) -> Result<User, AuthError> {
        let name = DisplayName::parse(name)?;
        let tz = Timezone::parse(timezone)?;
        sqlx::query("update users set name = $1, timezone = $2, updated_at = $3 where id = $4")
            .bind(name.as_str())
            .bind(tz.as_str())
            .bind(now_ms())
            .bind(user_id)
            .execute(self.db.pool())
            .await?;
        self.user(user_id).await
    }

    /// Always succeeds from the caller's point of view, so the form cannot be used to find
    /// out which addresses have accounts. Returns whether a mail went out (for logs/tests).
    pub async fn request_password_reset(&self, email: &str, client: &ClientInfo) -> Result<bool, AuthError> {
        // Without SMTP or a dev outbox the link could only sit in our database: say so.
        if matches!(self.mailer, crate::mail::Mailer::Off) {
            return Err(AuthError::MailNotConfigured);
        }
        let l = &self.policy.limits;
        self.limit_all(Limited::PasswordReset, &[("forgot_ip", &client.ip, l.forgot_per_ip)]).await?;
        let email = Email::parse(email)?;
        // Per address whether or not it has an account, so the limit reveals nothing.
        self.limit_all(Limited::PasswordReset, &[("forgot_email", email.as_str(), l.forgot_per_email)]).await?;
        let Some(row) = sqlx::query("select id from users where email = $1").bind(email.as_str()).fetch_optional(self.db.pool()).await?
        else {
            return Ok(false);
        };
        let user_id: String = row.get("id");
        let token = random_token();
        let now = now_ms();
        sqlx::query("insert into password_resets (token_hash, user_id, created_at, expires_at) values ($1, $2, $3, $4)")
            .bind(token_hash(&token))
            .bind(&user_id)
            .bind(now)
            .bind(now + self.policy.reset_ttl.as_millis() as i64)
            .execute(self.db.pool())
            .await?;
        let link = format!("{}/reset?token={token}", self.base_url);
        let mins = self.policy.reset_ttl.as_secs() / 60;
        let body = format!(
            "Someone asked to reset the password of your Covalynce account.\n\nChoose a new password here (the link works once, for {mins} minutes):\n{link}\n\nIf it was not you, ignore this e-mail; your password stays the same."
        );
        // Sent in the background: answering only after an SMTP round-trip would tell, by
        // timing or by an error, which addresses have accounts.
        let (mailer, db, to) = (self.mailer.clone(), self.db.clone(), email.as_str().to_string());
        let send = async move {
            if let Err(e) = mailer.send(&db, &to, "Reset your Covalynce password", &body).await {
                tracing::error!(error = ?e, "could not send the password-reset e-mail");
            }
        };
        match self.mailer {
            // The dev outbox is a local insert: do it inline so the link is there when the
            // page says so (and tests can read it).
            crate::mail::Mailer::Outbox | crate::mail::Mailer::Off => send.await,
            crate::mail::Mailer::Smtp { .. } => {
                tokio::spawn(send);
            }
        }
        Ok(true)
    }

    /// Sets a new password from a one-time link, signs out every device, clears the lockout.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Result<(), AuthError> {
        let hash = token_hash(token.trim());
        let now = now_ms();
        let row = sqlx::query("select p.user_id, u.email from password_resets p join users u on u.id = p.user_id where p.token_hash = $1 and p.used_at is null and p.expires_at > $2")
            .bind(&hash)
            .bind(now)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(AuthError::BadResetToken)?;
        let user_id: String = row.get("user_id");
        let email: Option<String> = opt(&row, "email");
        let pw = Password::parse(new_password, email.as_deref().unwrap_or(""))?;
        let new_hash = self.hash_password(pw.expose().to_string()).await?;
        let mut tx = self.db.pool().begin().await?;
        // Claim the token first: a second concurrent use finds it used and changes nothing.
        let claimed = sqlx::query("update password_resets set used_at = $1 where token_hash = $2 and used_at is null")
            .bind(now)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        if claimed.rows_affected() != 1 {
            return Err(AuthError::BadResetToken);
        }
        // Following the e-mailed link proves the mailbox: the address counts as verified.
        sqlx::query("update users set password_hash = $1, email_verified = 1, updated_at = $2 where id = $3")
            .bind(&new_hash)
            .bind(now)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        // Any other reset link still in a mailbox dies with this one.
        sqlx::query("update password_resets set used_at = $1 where user_id = $2 and used_at is null")
            .bind(now)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("update sessions set revoked_at = $1, revoked_reason = 'password_reset' where user_id = $2 and revoked_at is null")
            .bind(now)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // A new password ends any lockout on the address.
        if let Some(e) = &email {
            self.clear_attempts(e).await?;
        }
        Ok(())
    }

    /// Signs in with a provider identity: the linked user, else the user with the same
    /// *verified* e-mail (linked now), else a new user.
    pub async fn provider_signin(&self, ident: &ExternalIdentity, client: &ClientInfo) -> Result<(SessionTokens, bool), AuthError> {
        let provider = ident.provider.as_str();
        if let Some(r) = sqlx::query("select user_id from identities where provider = $1 and subject = $2")
            .bind(provider)
            .bind(&ident.subject)
            .fetch_optional(self.db.pool())
            .await?
        {
            let uid: String = r.get("user_id");
            return Ok((self.start_session(&uid, client).await?, false));
        }
        let email = ident.email.as_deref().and_then(|e| Email::parse(e).ok());
        let now = now_ms();
        if let Some(email) = &email {
            if let Some(r) = sqlx::query("select id, email_verified from users where email = $1")
                .bind(email.as_str())
                .fetch_optional(self.db.pool())
                .await?
            {
                if !ident.email_verified {
                    return Err(AuthError::UnverifiedLink(ident.provider.display_name().into()));
                }
                let uid: String = r.get("id");
                if r.get::<i64, _>("email_verified") == 0 {
                    // Nobody ever proved owning this address, so whoever set the password may
                    // not be its owner (pre-account takeover): the provider's proof wins, the
                    // unproven password and its sessions go. The owner can set a new password
                    // through the reset link, which proves the mailbox.
                    sqlx::query("update users set password_hash = null where id = $1").bind(&uid).execute(self.db.pool()).await?;
                    sqlx::query(
                        "update sessions set revoked_at = $1, revoked_reason = 'provider_link' where user_id = $2 and revoked_at is null",
                    )
                    .bind(now)
                    .bind(&uid)
                    .execute(self.db.pool())
                    .await?;
                }
                self.link_identity(&uid, ident, now).await?;
                sqlx::query("update users set email_verified = 1 where id = $1").bind(&uid).execute(self.db.pool()).await?;
                return Ok((self.start_session(&uid, client).await?, false));
            }
        }
        let uid = uuid::Uuid::new_v4().to_string();
        let name = ident
            .name
            .as_deref()
            .and_then(|n| DisplayName::parse(n).ok())
            .or_else(|| email.as_ref().and_then(|e| DisplayName::parse(&default_name(e.as_str())).ok()))
            .unwrap_or_else(|| DisplayName::parse("New user").expect("constant name is valid"));
        // An unverified provider e-mail is not stored as the account e-mail: it could belong to someone else.
        let account_email = if ident.email_verified { email.as_ref().map(|e| e.as_str().to_string()) } else { None };
        let res = sqlx::query(
            "insert into users (id, email, email_verified, password_hash, name, timezone, avatar_url, created_at, updated_at) values ($1, $2, $3, null, $4, 'UTC', $5, $6, $6)",
        )
        .bind(&uid)
        .bind(account_email)
        .bind(i64::from(ident.email_verified))
        .bind(name.as_str())
        .bind(ident.avatar_url.as_deref())
        .bind(now)
        .execute(self.db.pool())
        .await;
        match res {
            Ok(_) => {}
            // Lost a race with a concurrent sign-up for the same address: ask to retry.
            Err(e) if is_unique_violation(&e, "users_email_key") => return Err(AuthError::EmailTaken),
            Err(e) => return Err(e.into()),
        }
        self.link_identity(&uid, ident, now).await?;
        Ok((self.start_session(&uid, client).await?, true))
    }

    async fn link_identity(&self, user_id: &str, ident: &ExternalIdentity, now: i64) -> Result<(), AuthError> {
        let res = sqlx::query("insert into identities (provider, subject, user_id, email, created_at) values ($1, $2, $3, $4, $5)")
            .bind(ident.provider.as_str())
            .bind(&ident.subject)
            .bind(user_id)
            .bind(ident.email.as_deref())
            .bind(now)
            .execute(self.db.pool())
            .await;
        match res {
            Ok(_) => Ok(()),
            // Two concurrent first sign-ins with the same identity: the other one linked it.
            Err(e) if is_unique_violation(&e, "identities_pkey") => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Linked providers, for the settings page.
    pub async fn identities(&self, user_id: &str) -> Result<Vec<String>, AuthError> {
        let rows = sqlx::query("select provider from identities where user_id = $1 order by provider")
            .bind(user_id)
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows.iter().map(|r| r.get("provider")).collect())
    }
}
