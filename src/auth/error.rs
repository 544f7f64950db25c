use crate::domain::{DomainError, Failure, Kind};

/// Everything sign-in and sessions can refuse, each with its kind, a stable code and
/// a message a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// 422: input failed validation.
    #[error("{0}")]
    Invalid(#[from] DomainError),
    /// 409: sign-up with an address that already has an account.
    #[error("An account with this e-mail already exists. Sign in instead, or reset your password.")]
    EmailTaken,
    /// 401: wrong e-mail or password (never says which).
    #[error("That e-mail and password do not match. Check them and try again.")]
    InvalidCredentials,
    /// 429: too many consecutive failures on this account.
    #[error("Too many failed attempts. For your security this account is locked for {}.", human_wait(*retry_after_secs))]
    Locked { retry_after_secs: u64 },
    /// 429: too many failures from this network address.
    #[error("Too many sign-in attempts from your network. Try again in {}.", human_wait(*retry_after_secs))]
    Throttled { retry_after_secs: u64 },
    /// 429: a sign-up, reset-request or webhook-test limit (`AuthPolicy::limits`).
    #[error("{} Try again in {}.", what.message(), human_wait(*retry_after_secs))]
    RateLimited { what: Limited, retry_after_secs: u64 },
    /// 503: every Argon2 slot stayed busy for `AuthPolicy::hash_queue_wait`.
    #[error("The server is busy with other sign-ins right now. Try again in a few seconds.")]
    Busy { retry_after_secs: u64 },
    /// 503: no SMTP server and no dev outbox, so a reset link could not reach anyone.
    #[error("Password reset by e-mail is not configured on this server; ask your admin.")]
    MailNotConfigured,
    /// 401: the session or token is missing, expired or revoked.
    #[error("Your session has ended. Please sign in again.")]
    Unauthenticated,
    /// 401: another request from the same browser rotated this refresh token a moment ago
    /// (parallel requests after the access token expired). Not theft, and not a reason to
    /// sign the browser out: its cookies already hold the new pair.
    #[error("Your session has ended. Please sign in again.")]
    RefreshRace,
    /// 400: a reset link that is unknown, used or expired.
    #[error("This reset link is invalid or has expired. Request a new one.")]
    BadResetToken,
    /// 409: a provider sign-in whose e-mail matches an account but is not verified by the provider.
    #[error("An account with this e-mail already exists, but {0} has not verified the address, so we cannot link them. Sign in with your password first.")]
    UnverifiedLink(String),
    /// 400: the account has no password (provider-only sign-in).
    #[error("This account signs in with {0}. Use that button instead.")]
    UseProvider(String),
    /// 502: the identity provider failed or answered something we cannot use.
    #[error("{0}")]
    Provider(String),
    /// 500: details are logged, never shown.
    #[error("Something went wrong on our side. Please try again.")]
    Internal(#[from] anyhow::Error),
}

internal_error!(AuthError);

impl Failure for AuthError {
    fn kind(&self) -> Kind {
        match self {
            Self::Invalid(_) => Kind::Invalid,
            Self::EmailTaken | Self::UnverifiedLink(_) => Kind::Conflict,
            Self::InvalidCredentials | Self::Unauthenticated | Self::RefreshRace => Kind::Unauthenticated,
            Self::Locked { .. } | Self::Throttled { .. } | Self::RateLimited { .. } => Kind::RateLimited,
            Self::Busy { .. } | Self::MailNotConfigured => Kind::Unavailable,
            Self::BadResetToken | Self::UseProvider(_) => Kind::BadRequest,
            Self::Provider(_) => Kind::Upstream,
            Self::Internal(_) => Kind::Internal,
        }
    }

    fn code(&self) -> &str {
        match self {
            Self::Invalid(e) => &e.code,
            Self::EmailTaken => "email_taken",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Locked { .. } => "account_locked",
            Self::Throttled { .. } => "too_many_attempts",
            Self::RateLimited { .. } => "rate_limited",
            Self::Busy { .. } => "server_busy",
            Self::MailNotConfigured => "mail_not_configured",
            Self::Unauthenticated | Self::RefreshRace => "unauthenticated",
            Self::BadResetToken => "invalid_reset_token",
            Self::UnverifiedLink(_) => "unverified_email",
            Self::UseProvider(_) => "use_provider",
            Self::Provider(_) => "provider_error",
            Self::Internal(_) => "internal",
        }
    }

    fn cause(&self) -> Option<&dyn std::fmt::Debug> {
        self.internal_cause()
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Locked { retry_after_secs }
            | Self::Throttled { retry_after_secs }
            | Self::RateLimited { retry_after_secs, .. }
            | Self::Busy { retry_after_secs } => Some(*retry_after_secs),
            // A configuration gap: asking again within the hour will not help sooner.
            Self::MailNotConfigured => Some(3600),
            _ => None,
        }
    }
}

/// What a `RateLimited` refusal was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Signup,
    PasswordReset,
    WebhookTest,
}

impl Limited {
    fn message(self) -> &'static str {
        match self {
            Self::Signup => "Too many accounts were created from your network or with this e-mail recently.",
            Self::PasswordReset => "Too many password-reset requests for this address or from your network.",
            Self::WebhookTest => "Too many test deliveries for this webhook or from your account.",
        }
    }
}

fn human_wait(secs: u64) -> String {
    let mins = secs.div_ceil(60).max(1);
    if mins == 1 {
        "1 minute".into()
    } else {
        format!("{mins} minutes")
    }
}
