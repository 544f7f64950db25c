//! Integration tests: the real server on port 0, a real database (SQLite by default,
//! PostgreSQL when `TEST_DATABASE_URL` is set), real HTTP.

mod ai;
mod analytics;
mod auth_api;
mod bluesky;
mod connection_tools;
mod drafts;
mod fake_idp;
mod hardening;
mod hardening_auth;
mod hardening_outbound;
mod helpers;
mod key_rotation;
mod library;
mod mastodon_limits;
mod media;
mod oauth;
mod pages;
mod pinterest_boards;
mod platforms_linkedin_pinterest;
mod platforms_meta;
mod platforms_video;
mod publish;
mod reconcile;
mod reconcile_more;
mod scheduling;
mod sources;
mod tiktok;
mod webhooks;
mod youtube_options;
