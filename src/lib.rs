//! Covalynce core.
//!
//! `domain` compiles everywhere (the browser runs the same validation as the server). With the
//! `server` feature the crate adds storage, crypto, accounts/sessions and outbound HTTP; it never
//! depends on Leptos or axum so it can be tested on its own.

pub mod analytics;
pub mod domain;
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
