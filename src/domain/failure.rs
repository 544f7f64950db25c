//! What every core error says about itself, so both faces (the JSON API and the server
//! functions) answer any of them the same way. The core says what went wrong (`Kind`, a stable
//! `code`, a message a person can act on); the edge (`app::errors`) decides the HTTP status.

use serde::{Deserialize, Serialize};

/// The kind of refusal, in the core's words rather than HTTP's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The request cannot be used as sent (an expired link, nothing ticked, no consent).
    BadRequest,
    /// Not signed in, or the session ended.
    Unauthenticated,
    /// Signed in, but this is not allowed (a read-only template, a missing platform permission).
    Forbidden,
    /// No such thing for this caller (another user's id included).
    NotFound,
    /// The thing is not in a state where this works (already sent, account needs reconnecting).
    Conflict,
    TooLarge,
    UnsupportedType,
    /// Input the person can fix, field by field.
    Invalid,
    /// Asked too often; `Failure::retry_after` says when to try again.
    RateLimited,
    /// Our fault; the cause is logged, never shown.
    Internal,
    /// A platform or provider refused or failed.
    Upstream,
    /// A platform or provider did not answer in time.
    Timeout,
    /// The person's own account with a provider has run out of credit.
    OutOfCredit,
    /// Busy or not set up right now; trying later may work.
    Unavailable,
}

/// Implemented by every core error type.
pub trait Failure: std::fmt::Display {
    fn kind(&self) -> Kind;
    /// Stable, machine-readable (`email_taken`, `not_found`).
    fn code(&self) -> &str;
    /// Seconds to wait before asking again, where that is known.
    fn retry_after(&self) -> Option<u64> {
        None
    }
    /// The cause behind an `Internal` failure, for the log only.
    fn cause(&self) -> Option<&dyn std::fmt::Debug> {
        None
    }
}

impl Failure for super::DomainError {
    fn kind(&self) -> Kind {
        Kind::Invalid
    }
    fn code(&self) -> &str {
        &self.code
    }
}
