//! Social platform adapters: one `Platform` trait, one file per network. Each adapter speaks
//! the real API (platform-contracts.md) against configurable base URLs, so the same code
//! talks to the real networks or to the local sandbox.

mod bluesky;
mod facebook;
mod http;
mod instagram;
mod linkedin;
mod mastodon;
mod meta;
mod oauth;
mod pinterest;
mod prerequisites;
mod threads;
mod tiktok;
pub mod versions;
pub use prerequisites::{prerequisites, Check};
mod x;
mod youtube;

pub use http::{Classify, Http};

use crate::domain::PlatformId;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Tokens for one connection. `extra` holds platform specifics (Bluesky DID and PDS,
/// Mastodon instance and its registered app).
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Grant {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Unix ms; `None` = does not expire.
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub extra: serde_json::Value,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant").field("expires_at", &self.expires_at).field("scopes", &self.scopes).finish_non_exhaustive()
    }
}

impl Grant {
    /// A refreshed grant replaces this one, but an empty refresh token in the answer never
    /// erases the stored one (several platforms omit it when it did not rotate).
    pub fn merged_with(&self, newer: Grant) -> Grant {
        let refresh_token = newer.refresh_token.filter(|t| !t.is_empty()).or_else(|| self.refresh_token.clone());
        let scopes = if newer.scopes.is_empty() { self.scopes.clone() } else { newer.scopes };
        let extra = if newer.extra.is_null() { self.extra.clone() } else { newer.extra };
        Grant { refresh_token, scopes, extra, ..newer }
    }
}

/// One account the person can publish as (an X user, a Facebook Page, …).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccountProfile {
    pub external_id: String,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
}

/// An image (or video, on the video platforms) ready to upload: bytes and their content type (already validated).
#[derive(Clone)]
pub struct MediaFile {
    pub bytes: Vec<u8>,
    pub mime: String,
    pub alt: String,
    /// Public URL of the same file, for platforms that fetch media themselves (Instagram,
    /// Threads, TikTok photos, Pinterest by URL). `None` when the file is not published yet.
    pub url: Option<String>,
}

#[derive(Clone, Default)]
pub struct PostContent {
    pub text: String,
    pub images: Vec<MediaFile>,
    /// Used by platforms that need one (Pinterest pin title, YouTube video title).
    pub title: Option<String>,
    /// Same key = same post, on platforms that honour one (see `publish_is_idempotent`).
    pub idempotency_key: Option<String>,
    /// The person's per-network choices (TikTok: who sees it and what others may do).
    pub options: crate::domain::PostOptions,
}

/// What an account may choose for a post right now (TikTok's `creator_info`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatorOptions {
    pub nickname: String,
    /// Privacy levels allowed now, in the platform's words (`SELF_ONLY`, …).
    pub privacy_levels: Vec<String>,
    pub comment_disabled: bool,
    pub duet_disabled: bool,
    pub stitch_disabled: bool,
    pub max_video_secs: Option<i64>,
    /// False for an app the platform has not audited: only private posts are possible.
    pub audited: bool,
}

/// A place a post can go inside one account (a Pinterest board).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub id: String,
    pub name: String,
}

/// Platforms whose publish call takes an idempotency key (Mastodon's `Idempotency-Key`, kept
/// for an hour): sending the same post again with the same key returns the first post instead
/// of a second one, so a lost answer can be settled by asking again.
pub fn publish_is_idempotent(p: PlatformId) -> bool {
    matches!(p, PlatformId::Mastodon)
}

/// The most characters a post to this account may have: the server's own limit where the
/// platform lets each server choose (Mastodon's `max_characters`, read at connect), else the
/// platform's.
pub fn text_limit(p: PlatformId, grant: &Grant) -> u32 {
    let own = grant.extra["limits"]["max_characters"].as_u64().filter(|n| (1..=1_000_000).contains(n));
    match (p, own) {
        (PlatformId::Mastodon, Some(n)) => n as u32,
        _ => crate::domain::platform_info(p).limits.text_max,
    }
}

/// Whose requests a platform's publishing rate limit counts, so a 429 holds back only what
/// it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateScope {
    /// One account's (X per user, Mastodon and Bluesky per account, LinkedIn per member,
    /// Meta per Page / Instagram account, TikTok and Pinterest per user token).
    Account,
    /// The whole app's: YouTube's Data API quota belongs to the Google Cloud project.
    App,
}

pub fn rate_limit_scope(p: PlatformId) -> RateScope {
    match p {
        PlatformId::Youtube => RateScope::App,
        _ => RateScope::Account,
    }
}

/// One of the account's own posts as the platform lists it (to settle a lost answer).
#[derive(Debug, Clone, PartialEq)]
pub struct RecentPost {
    pub external_id: String,
    pub url: String,
    pub text: String,
}

/// The account's posts made since a time, from one page of the platform's list.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentPosts {
    pub posts: Vec<RecentPost>,
    /// The page holds every post made since then: it was not full, or it reached back past
    /// that time. Only then does "not in it" prove a post was never made.
    pub complete: bool,
}

impl RecentPosts {
    /// From one page of `raw` items, newest first by creation, asked for at most `limit`:
    /// `at` reads an item's creation time (UTC ms), `post` turns one into a `RecentPost`
    /// (`None` skips it). Items made before `since_ms` are left out.
    pub fn from_page<T>(
        raw: &[T],
        limit: usize,
        since_ms: i64,
        at: impl Fn(&T) -> Option<i64>,
        post: impl FnMut(&T) -> Option<RecentPost>,
    ) -> Self {
        let reached_back = raw.iter().any(|r| at(r).is_some_and(|t| t < since_ms));
        let posts = raw.iter().filter(|r| at(r).is_none_or(|t| t >= since_ms)).filter_map(post).collect();
        Self { posts, complete: raw.len() < limit || reached_back }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Published {
    pub external_id: String,
    pub url: String,
}

/// Engagement numbers. `None` = this platform does not report that metric (not zero).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Metrics {
    pub views: Option<i64>,
    pub impressions: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    pub saves: Option<i64>,
}

/// What a caller should do about a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum ErrorClass {
    /// The access token expired: refresh once and retry.
    RefreshNeeded,
    /// Certainly not accepted (connection refused, 5xx, 429): retry later, after
    /// `retry_after_secs` when the platform said so.
    RetryLater { retry_after_secs: Option<u64> },
    /// The platform refused the content itself; retrying the same post cannot help.
    Rejected,
    /// Access was revoked or lost: the person must reconnect.
    Disconnected,
    /// The account is fine but this endpoint needs a permission the grant lacks (often one
    /// the platform gives only to approved apps): what it reads is unavailable, the account
    /// keeps publishing. Never a reason to mark it "reconnect needed".
    MissingPermission,
    /// The request was sent but no answer came back: it may have been accepted. Never
    /// resend automatically.
    Unknown,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("{message}")]
pub struct PlatformError {
    pub class: ErrorClass,
    /// The platform's own message, or ours when it gave none.
    pub message: String,
    pub status: Option<u16>,
}

impl PlatformError {
    pub fn new(class: ErrorClass, message: impl Into<String>, status: Option<u16>) -> Self {
        Self { class, message: message.into(), status }
    }
    pub fn rejected(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Rejected, message, None)
    }
    /// Our own configuration or the answer's shape is wrong: not the person's content.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Rejected, message, None)
    }
}

/// Where a platform lives and how this instance is registered with it.
#[derive(Clone, Default)]
pub struct PlatformConfig {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// Authorize page host (e.g. `https://x.com`).
    pub auth_base: String,
    /// API host (e.g. `https://api.x.com`).
    pub api_base: String,
    /// Uploads/video host where the platform has a separate one.
    pub upload_base: String,
    /// OAuth token endpoint host where it differs from the API host (Google, Threads).
    pub token_base: String,
    /// Mastodon: instances people type may be at private or loopback addresses, over http
    /// and on any port (`MASTODON_ALLOW_PRIVATE=1`, an admin's choice for a closed network).
    pub allow_private: bool,
    /// LinkedIn: the app is approved for the Member Post Analytics product
    /// (`LINKEDIN_MEMBER_ANALYTICS=1`): ask for `r_member_postAnalytics` and read member post
    /// statistics through `memberCreatorPostAnalytics`.
    pub member_analytics: bool,
    /// TikTok: the app passed TikTok's audit (`TIKTOK_AUDITED=1`). Until then TikTok only
    /// lets it post privately (`SELF_ONLY`), so that is the only choice offered.
    pub audited: bool,
}

impl std::fmt::Debug for PlatformConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformConfig")
            .field("client_id", &self.client_id)
            .field("auth_base", &self.auth_base)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

impl PlatformConfig {
    fn join(base: &str, path: &str) -> String {
        format!("{}{path}", base.trim_end_matches('/'))
    }
    pub fn api_url(&self, path: &str) -> String {
        Self::join(&self.api_base, path)
    }
    pub fn auth_url(&self, path: &str) -> String {
        Self::join(&self.auth_base, path)
    }
    pub fn upload_url(&self, path: &str) -> String {
        Self::join(&self.upload_base, path)
    }
    /// The token host, or the API host where the platform has no separate one.
    pub fn token_url(&self, path: &str) -> String {
        Self::join(if self.token_base.is_empty() { &self.api_base } else { &self.token_base }, path)
    }

    /// The platform's OAuth consent page at `path` on the auth host: our app (under the name
    /// the platform gives the client id: `client_id`, TikTok's `client_key`), our redirect,
    /// `response_type=code`, the `scope` (joined as the platform wants), `state`, then `extra`.
    pub fn consent_url(
        &self,
        path: &str,
        client_key: &str,
        scope: &str,
        state: &str,
        extra: &[(&str, &str)],
    ) -> Result<String, PlatformError> {
        let mut u = url::Url::parse(&self.auth_url(path)).map_err(|e| PlatformError::unsupported(e.to_string()))?;
        u.query_pairs_mut()
            .append_pair(client_key, &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", scope)
            .append_pair("state", state)
            .extend_pairs(extra);
        Ok(u.to_string())
    }
}

/// What the connect flow hands to `authorize_url`.
#[derive(Debug, Clone)]
pub struct AuthorizeParams {
    pub state: String,
    /// PKCE S256 challenge (sent only where the platform takes one).
    pub code_challenge: String,
    /// Mastodon: the instance URL the person chose.
    pub instance: Option<String>,
}

#[async_trait::async_trait]
pub trait Platform: Send + Sync {
    fn id(&self) -> PlatformId;

    /// The scopes this adapter asks for (also listed, with reasons, in the catalogue).
    fn scopes(&self) -> Vec<&'static str>;

    /// The URL to send the browser to. Mastodon registers the app on the instance first
    /// (and returns the registration in `extra` for the callback).
    async fn authorize_url(&self, p: &AuthorizeParams) -> Result<(String, serde_json::Value), PlatformError>;

    /// Code → tokens. `pending` is what `authorize_url` returned in its second value.
    async fn exchange_code(&self, code: &str, code_verifier: &str, pending: &serde_json::Value) -> Result<Grant, PlatformError>;

    /// Handle + app password platforms (Bluesky). Others: unsupported.
    async fn login(&self, _identifier: &str, _password: &str) -> Result<Grant, PlatformError> {
        Err(PlatformError::unsupported("This platform connects through its own sign-in page."))
    }

    /// New tokens from the refresh token. Platforms without refresh return `RefreshNeeded`
    /// only when they truly cannot continue.
    async fn refresh(&self, grant: &Grant) -> Result<Grant, PlatformError>;

    /// Tells the platform to forget the grant, where it offers that.
    async fn revoke(&self, grant: &Grant) -> Result<(), PlatformError>;

    /// The accounts this grant can publish as (one, or several Pages), each with the grant
    /// to use for it.
    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError>;

    /// Whether the person chooses which of several accounts to connect after login (Facebook
    /// Pages: a login may manage dozens, and connecting a client's Page by accident is costly).
    fn choose_accounts(&self) -> bool {
        false
    }

    async fn publish(&self, grant: &Grant, account: &AccountProfile, post: &PostContent) -> Result<Published, PlatformError>;

    async fn metrics(&self, grant: &Grant, account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError>;

    /// The account's own posts made since `since_ms` (UTC ms), newest first, and whether the
    /// page holds them all: after a lost answer, the queue looks for its post there. `None` =
    /// this platform cannot be asked.
    async fn recent_posts(&self, _grant: &Grant, _account: &AccountProfile, _since_ms: i64) -> Result<Option<RecentPosts>, PlatformError> {
        Ok(None)
    }

    /// The choices this account has for a post right now (TikTok); `None` = nothing to choose.
    async fn creator_options(&self, _grant: &Grant, _account: &AccountProfile) -> Result<Option<CreatorOptions>, PlatformError> {
        Ok(None)
    }

    /// The boards this account can post to (Pinterest); `None` = the platform has none.
    async fn boards(&self, _grant: &Grant, _account: &AccountProfile) -> Result<Option<Vec<Board>>, PlatformError> {
        Ok(None)
    }

    /// The account's follower count, where the platform reports one (`None` = it does not).
    async fn followers(&self, _grant: &Grant, _account: &AccountProfile) -> Result<Option<i64>, PlatformError> {
        Ok(None)
    }
}

/// Every configured adapter.
#[derive(Clone, Default)]
pub struct Platforms {
    map: HashMap<PlatformId, Arc<dyn Platform>>,
}

impl Platforms {
    /// Builds an adapter for each platform with a config (key = platform).
    pub fn new(configs: HashMap<PlatformId, PlatformConfig>, http: Http) -> Self {
        let mut map: HashMap<PlatformId, Arc<dyn Platform>> = HashMap::new();
        for (id, cfg) in configs {
            let adapter: Arc<dyn Platform> = match id {
                PlatformId::X => Arc::new(x::X::new(cfg, http.clone())),
                PlatformId::Bluesky => Arc::new(bluesky::Bluesky::new(cfg, http.clone())),
                PlatformId::Mastodon => Arc::new(mastodon::Mastodon::new(cfg, http.clone())),
                PlatformId::Linkedin => Arc::new(linkedin::Linkedin::new(cfg, http.clone())),
                PlatformId::Pinterest => Arc::new(pinterest::Pinterest::new(cfg, http.clone())),
                PlatformId::Facebook => Arc::new(facebook::Facebook::new(cfg, http.clone())),
                PlatformId::Instagram => Arc::new(instagram::Instagram::new(cfg, http.clone())),
                PlatformId::Threads => Arc::new(threads::Threads::new(cfg, http.clone())),
                PlatformId::Youtube => Arc::new(youtube::YouTube::new(cfg, http.clone())),
                PlatformId::Tiktok => Arc::new(tiktok::TikTok::new(cfg, http.clone())),
            };
            map.insert(id, adapter);
        }
        Self { map }
    }

    pub fn get(&self, id: PlatformId) -> Option<Arc<dyn Platform>> {
        self.map.get(&id).cloned()
    }

    pub fn configured(&self) -> Vec<PlatformId> {
        PlatformId::ALL.into_iter().filter(|p| self.map.contains_key(p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_whole_when_not_full_or_when_it_reaches_back_past_since() {
        let post = |t: &i64| Some(RecentPost { external_id: t.to_string(), url: String::new(), text: String::new() });
        let at = |t: &i64| Some(*t);
        let p = RecentPosts::from_page(&[30, 20, 10], 3, 15, at, post);
        assert_eq!((p.posts.len(), p.complete), (2, true), "the page went past `since`");
        let p = RecentPosts::from_page(&[30, 20, 16], 3, 15, at, post);
        assert_eq!((p.posts.len(), p.complete), (3, false), "full and all since: there may be more");
        let p = RecentPosts::from_page(&[30, 20], 3, 15, at, post);
        assert!(p.complete, "not full: nothing more to list");
    }

    #[test]
    fn refresh_never_erases_the_stored_refresh_token() {
        let old = Grant { access_token: "a1".into(), refresh_token: Some("r1".into()), scopes: vec!["x".into()], ..Default::default() };
        let same = old.merged_with(Grant { access_token: "a2".into(), refresh_token: Some(String::new()), ..Default::default() });
        assert_eq!((same.access_token.as_str(), same.refresh_token.as_deref()), ("a2", Some("r1")));
        assert_eq!(same.scopes, vec!["x".to_string()]);
        let rotated = old.merged_with(Grant { access_token: "a3".into(), refresh_token: Some("r2".into()), ..Default::default() });
        assert_eq!(rotated.refresh_token.as_deref(), Some("r2"));
    }
}
