//! Covalynce core.
//!
//! `domain` compiles everywhere (the browser runs the same validation as the server). With the
//! `server` feature the crate adds storage, crypto, accounts/sessions and outbound HTTP; it never
//! depends on Leptos or axum so it can be tested on its own.

/// For a core error type with an `Internal(anyhow::Error)` variant: `?` on a database error,
/// and that variant as the `Failure::cause` the edge logs. Declared before the modules that use it.
#[cfg(feature = "server")]
macro_rules! internal_error {
    ($t:ty) => {
        impl From<sqlx::Error> for $t {
            fn from(e: sqlx::Error) -> Self {
                Self::Internal(e.into())
            }
        }

        impl $t {
            pub(crate) fn internal_cause(&self) -> Option<&dyn std::fmt::Debug> {
                match self {
                    Self::Internal(e) => Some(e),
                    _ => None,
                }
            }
        }
    };
}

pub mod analytics;
pub mod domain;
pub mod jobs;
pub mod library;

#[cfg(feature = "server")]
pub mod ai;
#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
pub mod connections;
#[cfg(feature = "server")]
pub mod crypto;
#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod drafts;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
pub mod key_rotation;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod media;
#[cfg(feature = "server")]
pub mod oauth_login;
#[cfg(feature = "server")]
pub mod outbound;
#[cfg(feature = "server")]
pub mod platforms;
#[cfg(feature = "server")]
pub mod publish;
#[cfg(feature = "server")]
pub mod schedule;
#[cfg(feature = "server")]
pub mod webhooks;

pub use domain::*;
#[cfg(feature = "server")]
pub use error::Error;
