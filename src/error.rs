//! The refusals most features share (not found, invalid input, a wrong state, a rule, our own
//! fault). Publishing, drafts and webhooks use this type under their own names; features with
//! refusals of their own (sign-in, media, connections, analytics, AI) keep their own enums.

use crate::domain::{DomainError, Failure, Kind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such thing for this caller (another user's id included): "That post".
    #[error("{0} was not found.")]
    NotFound(&'static str),
    /// Input the person can fix.
    #[error("{0}")]
    Invalid(#[from] DomainError),
    /// The thing is past the point where this action makes sense.
    #[error("{0}")]
    Conflict(String),
    /// A rule forbids it; `code` names the rule.
    #[error("{message}")]
    Forbidden { code: &'static str, message: &'static str },
    #[error("Something went wrong on our side. Please try again.")]
    Internal(#[from] anyhow::Error),
}

internal_error!(Error);

/// Input the person can fix: `code` names the field's rule.
pub(crate) fn invalid(code: &str, message: impl Into<String>) -> Error {
    Error::Invalid(DomainError::new(code, message))
}

impl Failure for Error {
    fn kind(&self) -> Kind {
        match self {
            Self::NotFound(_) => Kind::NotFound,
            Self::Invalid(_) => Kind::Invalid,
            Self::Conflict(_) => Kind::Conflict,
            Self::Forbidden { .. } => Kind::Forbidden,
            Self::Internal(_) => Kind::Internal,
        }
    }
    fn cause(&self) -> Option<&dyn std::fmt::Debug> {
        self.internal_cause()
    }
    fn code(&self) -> &str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::Invalid(e) => &e.code,
            Self::Conflict(_) => "conflict",
            Self::Forbidden { code, .. } => code,
            Self::Internal(_) => "internal",
        }
    }
}
