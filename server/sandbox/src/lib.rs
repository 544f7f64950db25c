//! The platform sandbox: a local implementation of the platforms' HTTP contracts (OAuth
//! consent page, token/refresh/revoke, profile, publish, media, metrics, error envelopes and
//! rate-limit headers), with a control API that injects faults and a ledger of everything
//! published. `covalynce sandbox --port N` serves it alone; `serve --demo` mounts it at
//! `/sandbox` and points every platform at it.
//!
//! Control API (JSON): `POST /_control/faults {platform, kind, count?, retry_after?, latency_ms?, path?, method?, account?}`
//! with kind `5xx | 429 | latency | lost_response | slow_processing` (`account`: only requests
//! made with that username's token); `POST /_control/chaos {platform, rate, path?, method?}`
//! gives each matching request that probability of a 503, a 429, a lost answer or a hang
//! past any client timeout (one of the four at random; `rate` 0 stops it); `POST /_control/tokens {platform, action:
//! expire|revoke}`; `POST /_control/lifetime {platform, access_secs}`; `POST /_control/advance
//! {secs}` (metrics grow with time); `GET /_control/ledger`; `POST /_control/reset`.

mod bluesky;
mod control;
mod facebook;
mod instagram;
mod linkedin;
mod mastodon;
mod pinterest;
mod threads;
mod tiktok;
mod x;
mod youtube;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const CLIENT_ID: &str = "covalynce-sandbox";
pub const CLIENT_SECRET: &str = "sandbox-secret";
/// Bluesky app password the sandbox accepts (any handle).
pub const APP_PASSWORD: &str = "sand-box0-app0-pass";

#[derive(Debug, Clone, Serialize)]
pub struct LedgerEntry {
    pub platform: String,
    pub account: String,
    pub post_id: String,
    pub text: String,
    pub images: usize,
    pub at_ms: i64,
}

#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    RateLimit(u64),
    Latency(u64),
    LostResponse,
    /// The platform takes this long between checking the request and storing the post
    /// (Mastodon stores an `Idempotency-Key` only once the post exists, so two requests with
    /// the same key that overlap both post).
    SlowProcessing(u64),
    /// The request never gets through: no answer until the client gives up, nothing done.
    Hang,
}

/// A fault waiting for the next request that matches its filters (empty = any).
#[derive(Clone)]
pub struct QueuedFault {
    fault: Fault,
    path: String,
    method: String,
    account: String,
}

/// How long the handler should take to process (see `Fault::SlowProcessing`).
#[derive(Clone, Copy)]
pub struct Processing(pub u64);

#[derive(Clone)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub display_name: String,
}

#[derive(Clone)]
pub struct Code {
    pub platform: String,
    pub account: Account,
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub client_id: String,
}

#[derive(Clone)]
pub struct Token {
    pub platform: String,
    pub account: Account,
    pub expires_at_ms: Option<i64>,
    pub revoked: bool,
}

#[derive(Clone)]
pub struct Media {
    pub ready_at_ms: i64,
}

#[derive(Default)]
pub struct Inner {
    pub codes: HashMap<String, Code>,
    pub tokens: HashMap<String, Token>,
    /// refresh token → (platform, account, spent)
    pub refresh: HashMap<String, (String, Account, bool)>,
    /// Platform → refresh-token requests received (spent or refused).
    pub refresh_calls: HashMap<String, u64>,
    pub ledger: Vec<LedgerEntry>,
    pub media: HashMap<String, Media>,
    /// Platform → queued faults, each for the next request whose path ends with the filter
    /// and whose method matches (empty = any).
    pub faults: HashMap<String, VecDeque<QueuedFault>>,
    /// The sandbox Mastodon server's `max_characters` (0 = Mastodon's default, 500);
    /// `POST /_control/mastodon {max_characters}`.
    pub mastodon_max_chars: u64,
    /// Platform → standing random faults: (probability, path filter, method filter).
    pub chaos: HashMap<String, (f64, String, String)>,
    pub lifetimes: HashMap<String, u64>,
    pub clock_offset_ms: i64,
    /// Mastodon apps registered through /api/v1/apps: client_id → secret.
    pub apps: HashMap<String, String>,
    /// Idempotency keys already seen: key → response body.
    pub idempotency: HashMap<String, serde_json::Value>,
}

#[derive(Clone)]
pub struct Sandbox {
    pub inner: Arc<Mutex<Inner>>,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Self {
        Self { inner: Arc::new(Mutex::new(Inner::default())) }
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sandbox time: real time plus whatever `/_control/advance` added.
    pub fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis() + self.lock().clock_offset_ms
    }

    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.lock().ledger.clone()
    }

    /// Access-token lifetime per platform (the real one unless shortened for tests).
    pub fn access_ttl(&self, platform: &str, default_secs: u64) -> u64 {
        self.lock().lifetimes.get(platform).copied().unwrap_or(default_secs)
    }

    pub fn issue_token(&self, platform: &str, account: &Account, ttl_secs: Option<u64>) -> String {
        let t = format!("{platform}-at-{}", uuid::Uuid::new_v4().simple());
        let expires_at_ms = ttl_secs.map(|s| self.now_ms() + s as i64 * 1000);
        self.lock().tokens.insert(t.clone(), Token { platform: platform.into(), account: account.clone(), expires_at_ms, revoked: false });
        t
    }

    pub fn issue_refresh(&self, platform: &str, account: &Account) -> String {
        let t = format!("{platform}-rt-{}", uuid::Uuid::new_v4().simple());
        self.lock().refresh.insert(t.clone(), (platform.into(), account.clone(), false));
        t
    }

    /// Spends a refresh token (rotation): the old one stops working.
    pub fn spend_refresh(&self, platform: &str, token: &str) -> Option<Account> {
        let mut g = self.lock();
        *g.refresh_calls.entry(platform.to_string()).or_default() += 1;
        match g.refresh.get_mut(token) {
            Some((p, acc, spent)) if p == platform && !*spent => {
                *spent = true;
                Some(acc.clone())
            }
            _ => None,
        }
    }

    /// The account behind a Bearer token: Err("expired") / Err("invalid").
    pub fn bearer(&self, platform: &str, headers: &HeaderMap) -> Result<Account, &'static str> {
        let t = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).ok_or("invalid")?;
        let now = self.now_ms();
        let g = self.lock();
        let tok = g.tokens.get(t).filter(|t| t.platform == platform).ok_or("invalid")?;
        if tok.revoked {
            return Err("revoked");
        }
        if tok.expires_at_ms.is_some_and(|e| e <= now) {
            return Err("expired");
        }
        Ok(tok.account.clone())
    }

    pub fn new_code(&self, code: Code) -> String {
        let c = format!("code-{}", uuid::Uuid::new_v4().simple());
        self.lock().codes.insert(c.clone(), code);
        c
    }

    /// Takes a code (single use), checking client, redirect URI and PKCE.
    pub fn take_code(
        &self,
        platform: &str,
        code: &str,
        client_id: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Option<Account> {
        let c = self.lock().codes.remove(code)?;
        if c.platform != platform || c.client_id != client_id || redirect_uri.is_some_and(|r| r != c.redirect_uri) {
            return None;
        }
        if let Some(ch) = &c.challenge {
            if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier?.as_bytes())) != *ch {
                return None;
            }
        }
        Some(c.account)
    }

    pub fn record(&self, platform: &str, account: &Account, post_id: &str, text: &str, images: usize) {
        let at_ms = self.now_ms();
        self.lock().ledger.push(LedgerEntry {
            platform: platform.into(),
            account: account.id.clone(),
            post_id: post_id.into(),
            text: text.into(),
            images,
            at_ms,
        });
    }

    /// An account's posts on a platform since `since_ms`, newest first (the platforms'
    /// "my recent posts" reads).
    pub fn posts_of(&self, platform: &str, account_id: &str, since_ms: i64) -> Vec<LedgerEntry> {
        let mut v: Vec<LedgerEntry> = self
            .lock()
            .ledger
            .iter()
            .filter(|e| e.platform == platform && e.account == account_id && e.at_ms >= since_ms)
            .cloned()
            .collect();
        v.reverse();
        v
    }

    /// Metrics that grow with the post's age (deterministic per post id).
    pub fn metrics_for(&self, post_id: &str) -> Option<(i64, i64, i64, i64)> {
        let now = self.now_ms();
        let g = self.lock();
        let e = g.ledger.iter().find(|e| e.post_id == post_id)?;
        let age_min = ((now - e.at_ms) / 60_000).max(0) + 1;
        let seed = post_id.bytes().fold(7i64, |a, b| (a * 31 + b as i64) % 97);
        let views = age_min * (40 + seed);
        Some((views, views / 12, views / 40, views / 80))
    }

    /// A follower count per account that grows with sandbox time (`/_control/advance`).
    pub fn followers_for(&self, account: &Account) -> i64 {
        let base = account.id.bytes().fold(0i64, |a, b| (a * 31 + b as i64) % 900) + 100;
        base + (self.lock().clock_offset_ms / 3_600_000).max(0) * (1 + base % 5)
    }

    pub fn new_media(&self, processing_ms: i64) -> String {
        let id = format!("{}", 1_000_000_000_000 + rand::random::<u32>() as u64);
        let ready_at_ms = self.now_ms() + processing_ms;
        self.lock().media.insert(id.clone(), Media { ready_at_ms });
        id
    }

    pub fn media_ready(&self, id: &str) -> Option<bool> {
        let now = self.now_ms();
        self.lock().media.get(id).map(|m| m.ready_at_ms <= now)
    }

    fn next_fault(&self, platform: &str, method: &str, path: &str, headers: &HeaderMap) -> Option<Fault> {
        let username = self.bearer(platform, headers).map(|a| a.username).unwrap_or_default();
        let mut g = self.lock();
        let matches = |p: &str, m: &str| path.ends_with(p) && (m.is_empty() || m.eq_ignore_ascii_case(method));
        if let Some(q) = g.faults.get_mut(platform) {
            if let Some(i) = q.iter().position(|f| matches(&f.path, &f.method) && (f.account.is_empty() || f.account == username)) {
                return q.remove(i).map(|f| f.fault);
            }
        }
        let (rate, p, m) = g.chaos.get(platform)?;
        (matches(p, m) && rand::random::<f64>() < *rate).then(|| match rand::random::<u8>() % 4 {
            0 => Fault::Status(503),
            1 => Fault::RateLimit(1),
            2 => Fault::LostResponse,
            _ => Fault::Hang,
        })
    }
}

/// Stable account per username, so reconnecting finds the same account.
pub fn account_for(platform: &str, username: &str) -> Account {
    let clean: String = username
        .trim()
        .trim_start_matches('@')
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '.' || *c == '-')
        .take(30)
        .collect();
    let clean = if clean.is_empty() { "sandbox_user".to_string() } else { clean };
    let digest = Sha256::digest(format!("{platform}:{clean}").as_bytes());
    let num = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % 10_000_000_000_000;
    let display = clean.replace(['_', '.', '-'], " ");
    let display = display
        .split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ");
    Account { id: format!("{num}"), username: clean, display_name: display }
}

/// Each platform's error body for a status, in its own envelope.
pub fn envelope(platform: &str, status: u16, msg: &str) -> serde_json::Value {
    let limited = status == 429;
    match platform {
        "x" => {
            json!({"title": if limited { "Too Many Requests" } else { "Service Unavailable" }, "detail": msg, "type": "about:blank", "status": status})
        }
        "bluesky" => json!({"error": if limited { "RateLimitExceeded" } else { "InternalServerError" }, "message": msg}),
        "linkedin" => json!({"status": status, "serviceErrorCode": if limited { 101 } else { 0 }, "message": msg}),
        // Graph API: code 4 = app rate limit, 2 = temporary service problem.
        "facebook" | "instagram" | "threads" => {
            json!({"error": {"message": msg, "type": "OAuthException", "code": if limited { 4 } else { 2 }, "is_transient": true, "fbtrace_id": "SandboxTrace"}})
        }
        "youtube" => {
            json!({"error": {"code": status, "message": msg, "errors": [{"domain": if limited { "youtube.quota" } else { "global" }, "reason": if limited { "rateLimitExceeded" } else { "backendError" }, "message": msg}], "status": if limited { "RESOURCE_EXHAUSTED" } else { "UNAVAILABLE" }}})
        }
        "tiktok" => {
            json!({"data": {}, "error": {"code": if limited { "rate_limit_exceeded" } else { "internal_error" }, "message": msg, "log_id": "sandbox-log"}})
        }
        "pinterest" => json!({"code": if limited { 8 } else { 1 }, "message": msg}),
        _ => json!({"error": msg}),
    }
}

/// The sandbox's version of a platform consent screen.
pub fn consent_page(platform_name: &str, brand: &str, scopes: &[&str], hidden: &[(&str, &str)]) -> Html<String> {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
    let scope_items: String = scopes.iter().map(|s| format!("<li><code>{}</code></li>", esc(s))).collect();
    let hidden_inputs: String =
        hidden.iter().map(|(k, v)| format!(r#"<input type="hidden" name="{}" value="{}">"#, esc(k), esc(v))).collect();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{name} (sandbox) · Authorize Covalynce</title>
<style>body{{font-family:system-ui,sans-serif;background:#f1f5f9;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}}
main{{background:#fff;border-radius:16px;box-shadow:0 10px 30px #0f172a22;padding:32px;max-width:420px;width:100%}}
.badge{{display:inline-block;background:#fef3c7;color:#92400e;border-radius:999px;padding:2px 10px;font-size:12px;font-weight:600}}
h1{{font-size:20px;margin:12px 0}} .brand{{color:{brand}}} label{{display:block;font-size:14px;margin:16px 0 6px;color:#334155}}
input[type=text]{{width:100%;box-sizing:border-box;padding:8px 10px;border:1px solid #cbd5e1;border-radius:8px;font-size:14px}}
ul{{padding-left:20px;color:#334155;font-size:14px}} .row{{display:flex;gap:12px;margin-top:24px}}
button{{flex:1;padding:10px;border-radius:8px;border:0;font-weight:600;font-size:14px;cursor:pointer}}
.ok{{background:{brand};color:#fff}} .no{{background:#e2e8f0;color:#334155}}</style></head>
<body><main><span class="badge">Sandbox · not the real {name}</span>
<h1><span class="brand">{name}</span>: allow Covalynce to use your account?</h1>
<p style="font-size:14px;color:#475569">Covalynce is asking for:</p><ul>{scope_items}</ul>
<form method="post">{hidden_inputs}<label for="username">Sign in to the sandbox as</label>
<input type="text" id="username" name="username" value="sandbox_user" autocomplete="off">
<div class="row"><button class="no" name="decision" value="deny">Cancel</button><button class="ok" name="decision" value="allow">Authorize app</button></div></form></main></body></html>"#,
        name = esc(platform_name),
    ))
}

/// Handles the consent form: a code back to the app, or `access_denied`.
pub fn consent_decision(sb: &Sandbox, platform: &str, form: &HashMap<String, String>, challenge_required: bool) -> Response {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let redirect_uri = get("redirect_uri");
    if redirect_uri.is_empty() {
        return (StatusCode::BAD_REQUEST, "redirect_uri is required").into_response();
    }
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let state = url::form_urlencoded::byte_serialize(get("state").as_bytes()).collect::<String>();
    if get("decision") != "allow" {
        return axum::response::Redirect::to(&format!(
            "{redirect_uri}{sep}error=access_denied&error_description=The+user+denied+access&state={state}"
        ))
        .into_response();
    }
    let challenge = form.get("code_challenge").filter(|c| !c.is_empty()).cloned();
    if challenge_required && challenge.is_none() {
        return (StatusCode::BAD_REQUEST, "code_challenge (S256) is required").into_response();
    }
    let account = account_for(platform, &get("username"));
    let code = sb.new_code(Code {
        platform: platform.into(),
        account,
        redirect_uri: redirect_uri.clone(),
        challenge,
        client_id: get("client_id"),
    });
    axum::response::Redirect::to(&format!("{redirect_uri}{sep}code={code}&state={state}")).into_response()
}

/// The most a request body may carry: platforms take media far above axum's 2 MB default
/// (X images 5 MB, Facebook photos 4 MB); each platform's own limit is checked in its module.
const MAX_BODY_BYTES: usize = 32 << 20;

pub fn router(sb: Sandbox) -> Router {
    Router::new()
        .nest("/x", x::routes())
        .nest("/bluesky", bluesky::routes())
        .nest("/mastodon", mastodon::routes())
        .nest("/linkedin", linkedin::routes())
        .nest("/pinterest", pinterest::routes())
        .nest("/facebook", facebook::routes())
        .nest("/instagram", instagram::routes())
        .nest("/threads", threads::routes())
        .nest("/youtube", youtube::routes())
        .nest("/tiktok", tiktok::routes())
        .layer(axum::middleware::from_fn_with_state(sb.clone(), control::faults))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .merge(control::routes())
        .with_state(sb)
}
