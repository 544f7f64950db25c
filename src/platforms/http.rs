//! The HTTP client every adapter shares, and the error classification that turns transport
//! failures and platform answers into `ErrorClass`es.

use super::{ErrorClass, PlatformError};
use crate::outbound;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Largest platform answer we read (JSON about one post or account is a few KB).
pub const MAX_ANSWER_BYTES: usize = 2 << 20;
const USER_AGENT: &str = "Covalynce/0.1 (+https://github.com/covalynce)";
/// How long a guarded client (and the address check behind it) is reused for one origin.
/// Building one per request cost a TLS setup and a new connection per post: a 10k-post burst
/// on Bluesky and Mastodon ran seconds late. A minute is within ordinary DNS lifetimes.
const GUARDED_TTL: Duration = Duration::from_secs(60);
/// Origins kept at most (a server talks to a few PDSs and instances per account).
const GUARDED_MAX: usize = 512;
/// Redirects followed when fetching what a person linked to.
const MAX_REDIRECTS: usize = 3;

type GuardedCache = Arc<Mutex<HashMap<(String, bool), (Instant, reqwest::Client)>>>;

/// How one platform reads an answer that is not a success: its error shape, its rate-limit
/// headers, which codes mean "reconnect". One per adapter.
pub trait Classify {
    fn error(&self, a: &Answer) -> PlatformError;
}

#[derive(Clone)]
pub struct Http {
    /// For the hosts the admin configured. A host a person chose (a Mastodon instance) goes
    /// through `guarded` instead.
    pub client: reqwest::Client,
    timeout: Duration,
    guarded: GuardedCache,
}

/// A platform's answer, read fully.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }
}

impl Http {
    pub fn new(timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .expect("static reqwest config is valid");
        Self { client, timeout, guarded: GuardedCache::default() }
    }

    /// A client for a host a person chose: resolved, every address public unless
    /// `allow_private`, connections pinned to them (see `outbound`). Reused per origin for
    /// `GUARDED_TTL`, then the host is looked up and checked again.
    pub async fn guarded(&self, url: &str, allow_private: bool) -> Result<reqwest::Client, PlatformError> {
        let u = url::Url::parse(url).map_err(|_| PlatformError::rejected(format!("\"{url}\" is not a server address.")))?;
        let key = (u.origin().ascii_serialization(), allow_private);
        let now = Instant::now();
        if let Some((at, c)) = self.guarded.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            if now.duration_since(*at) < GUARDED_TTL {
                return Ok(c.clone());
            }
        }
        let c = outbound::client_for(&u, allow_private, self.timeout, USER_AGENT).await.map_err(|r| match r {
            outbound::Refused::Blocked { .. } => PlatformError::rejected(format!("{r} Only servers at public addresses can be connected.")),
            outbound::Refused::Client(_) => PlatformError::unsupported(r.to_string()),
            _ => PlatformError::rejected(r.to_string()),
        })?;
        let mut cache = self.guarded.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= GUARDED_MAX {
            cache.retain(|_, (at, _)| now.duration_since(*at) < GUARDED_TTL);
            if cache.len() >= GUARDED_MAX {
                cache.clear();
            }
        }
        cache.insert(key, (now, c.clone()));
        Ok(c)
    }

    /// GETs a page or file a person pointed to, through the guarded client, following at most
    /// `MAX_REDIRECTS` redirects (each hop checked again). `truncate`: keep the first `limit`
    /// bytes of a longer answer; else a longer answer is refused. Returns (body, content type,
    /// final URL); an error is one sentence a person can act on.
    pub async fn fetch_public(
        &self,
        url: &str,
        allow_private: bool,
        limit: usize,
        truncate: bool,
        accept: &str,
    ) -> Result<(Vec<u8>, String, url::Url), PlatformError> {
        let web = outbound::web_url(Some(url)).ok_or_else(|| PlatformError::rejected(format!("\"{url}\" is not a web address.")))?;
        let mut u = url::Url::parse(&web).map_err(|_| PlatformError::rejected(format!("\"{url}\" is not a web address.")))?;
        for _ in 0..=MAX_REDIRECTS {
            let c = self.guarded(u.as_str(), allow_private).await?;
            let host = u.host_str().unwrap_or_default().to_string();
            let gone = |e: reqwest::Error| {
                let why = if e.is_timeout() { "did not answer in time" } else { "could not be reached" };
                PlatformError::new(ErrorClass::RetryLater { retry_after_secs: None }, format!("{host} {why}."), None)
            };
            let mut resp = c.get(u.clone()).header("Accept", accept).send().await.map_err(gone)?;
            let status = resp.status();
            if status.is_redirection() {
                let to = resp.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
                u = to
                    .and_then(|to| u.join(to).ok())
                    .ok_or_else(|| PlatformError::rejected(format!("{host} sent a redirect without a valid address.")))?;
                continue;
            }
            if !status.is_success() {
                return Err(PlatformError::new(ErrorClass::Rejected, format!("{host} answered {status}."), Some(status.as_u16())));
            }
            let ctype = resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
            let body = if truncate {
                outbound::read_head(&mut resp, limit).await
            } else {
                outbound::read_capped(resp, limit).await.map_err(|e| match e {
                    outbound::ReadError::TooLarge { limit } => {
                        PlatformError::rejected(format!("The file at {host} is larger than {}.", outbound::mb(limit)))
                    }
                    outbound::ReadError::Transport(e) => gone(e),
                })?
            };
            return Ok((body, ctype, u));
        }
        Err(PlatformError::rejected(format!("{url} redirects more than {MAX_REDIRECTS} times.")))
    }

    /// Sends, and hands back the answer only when it is a success; any other answer becomes
    /// the platform's own error, read by that adapter's one rule (`Classify`).
    pub async fn call(&self, req: reqwest::RequestBuilder, p: &impl Classify) -> Result<Answer, PlatformError> {
        let a = self.send(req).await?;
        if a.ok() {
            Ok(a)
        } else {
            Err(p.error(&a))
        }
    }

    /// Sends and reads the whole answer. A request that never connected certainly did not
    /// reach the platform (retry-later); one that timed out after sending may have been
    /// accepted (unknown).
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<Answer, PlatformError> {
        let resp = req.send().await.map_err(transport_error)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = outbound::text_capped(resp, MAX_ANSWER_BYTES).await.map_err(|e| match e {
            // Whatever was sent may have been accepted: never resend on this.
            outbound::ReadError::TooLarge { limit } => PlatformError::new(
                ErrorClass::Unknown,
                format!("The platform's answer was larger than {}; we stopped reading it.", outbound::mb(limit)),
                Some(status),
            ),
            outbound::ReadError::Transport(e) => transport_error(e),
        })?;
        Ok(Answer { status, headers, body })
    }
}

fn transport_error(e: reqwest::Error) -> PlatformError {
    if e.is_connect() {
        PlatformError::new(ErrorClass::RetryLater { retry_after_secs: None }, "The platform could not be reached.", None)
    } else if e.is_timeout() {
        PlatformError::new(ErrorClass::Unknown, "The platform did not answer in time; the post may or may not have gone out.", None)
    } else if e.is_builder() || e.is_request() && e.url().is_none() {
        PlatformError::unsupported(format!("Could not build the request: {e}"))
    } else {
        PlatformError::new(ErrorClass::Unknown, "The connection broke while talking to the platform.", None)
    }
}

/// `Retry-After` in seconds, or an epoch reset header (`x-rate-limit-reset`, `RateLimit-Reset`),
/// or an ISO-8601 reset (Mastodon).
pub fn retry_after(a: &Answer) -> Option<u64> {
    if let Some(v) = a.header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(v);
    }
    let now = chrono::Utc::now().timestamp();
    for h in ["x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"] {
        if let Some(v) = a.header(h) {
            if let Ok(epoch) = v.trim().parse::<i64>() {
                return Some((epoch - now).max(1) as u64);
            }
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v.trim()) {
                return Some((t.timestamp() - now).max(1) as u64);
            }
        }
    }
    None
}

/// The classification most platforms share: 401 → refresh, 429/5xx → retry later,
/// 403 → disconnected when the message is about permissions, else rejected.
pub fn classify_common(a: &Answer, message: String) -> PlatformError {
    let class = match a.status {
        401 => ErrorClass::RefreshNeeded,
        429 => ErrorClass::RetryLater { retry_after_secs: retry_after(a) },
        500..=599 => ErrorClass::RetryLater { retry_after_secs: retry_after(a) },
        _ => ErrorClass::Rejected,
    };
    PlatformError::new(class, message, Some(a.status))
}
