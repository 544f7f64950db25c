//! The one edge between core errors and both faces. The core says what went wrong
//! (`covalynce::Failure`: a kind, a code, a message); here each kind gets its HTTP status
//! (`status`), server functions get a typed error (`AppError`, JSON on the wire, the same
//! struct in the browser), and on the server `AppError::of` is the single conversion from
//! any core error, which the JSON API's `ApiError` uses too.

use covalynce::Kind;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// The HTTP status of each kind of refusal: the only such table.
pub fn status(kind: Kind) -> u16 {
    match kind {
        Kind::BadRequest => 400,
        Kind::Unauthenticated => 401,
        Kind::OutOfCredit => 402,
        Kind::Forbidden => 403,
        Kind::NotFound => 404,
        Kind::Conflict => 409,
        Kind::TooLarge => 413,
        Kind::UnsupportedType => 415,
        Kind::Invalid => 422,
        Kind::RateLimited => 429,
        Kind::Internal => 500,
        Kind::Upstream => 502,
        Kind::Unavailable => 503,
        Kind::Timeout => 504,
    }
}

/// What a server function answers when it refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub kind: Kind,
    /// Stable, machine-readable: pages branch on it (`ambiguous_time`, `no_slots`).
    pub code: String,
    /// Text a person can act on.
    pub message: String,
}

impl AppError {
    pub fn new(kind: Kind, code: &str, message: impl Into<String>) -> Self {
        Self { kind, code: code.to_string(), message: message.into() }
    }
}

const INTERNAL: &str = "Something went wrong on our side. Please try again.";

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// The framework's own failures: the request never reached our code, or the answer
    /// could not be read.
    fn from_server_fn_error(e: ServerFnErrorErr) -> Self {
        match e {
            ServerFnErrorErr::Request(_) => {
                Self::new(Kind::Unavailable, "offline", "Could not reach the server. Check your connection and try again.")
            }
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                Self::new(Kind::BadRequest, "bad_request", format!("The form could not be read ({m}). Reload the page and try again."))
            }
            _other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %_other, "server function transport failed");
                Self::new(Kind::Internal, "internal", INTERNAL)
            }
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use covalynce::Failure;

    impl AppError {
        /// Our own fault: `detail` is logged, the person reads the usual apology.
        pub fn internal(detail: &str) -> Self {
            tracing::error!(detail, "server function failed");
            Self::new(Kind::Internal, "internal", INTERNAL).respond()
        }

        /// Any core error as both faces answer it; an internal cause is logged here, once.
        pub fn of(e: &(impl Failure + ?Sized)) -> Self {
            if let Some(cause) = e.cause() {
                tracing::error!(error = ?cause, "request failed");
            }
            Self::new(e.kind(), e.code(), e.to_string())
        }

        /// A refusal decided at the edge (a form field that could not be read, a missing row).
        pub fn refuse(kind: Kind, code: &str, message: impl Into<String>) -> Self {
            Self::new(kind, code, message).respond()
        }

        /// Sets this error's status on the server function's response.
        pub fn respond(self) -> Self {
            if let (Some(r), Ok(code)) =
                (leptos::prelude::use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(status(self.kind)))
            {
                r.set_status(code);
            }
            self
        }
    }

    /// `?` on any core error inside a server function.
    impl<E: Failure> From<E> for AppError {
        fn from(e: E) -> Self {
            Self::of(&e).respond()
        }
    }
}
