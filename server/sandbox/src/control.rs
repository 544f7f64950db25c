//! The control API tests and demos drive the sandbox with: injected faults and chaos (the
//! `faults` middleware applies them), token expiry and revocation, token lifetimes, the
//! metrics clock, the ledger of everything published, and a reset.

use super::*;

/// Platform-specific rate-limit headers on a 429.
fn rate_headers(platform: &str, retry_after: u64) -> Vec<(&'static str, String)> {
    let reset = (chrono::Utc::now().timestamp() + retry_after as i64).to_string();
    let mut h = vec![("retry-after", retry_after.to_string())];
    match platform {
        "x" => h.extend([("x-rate-limit-limit", "300".into()), ("x-rate-limit-remaining", "0".into()), ("x-rate-limit-reset", reset)]),
        "bluesky" => h.extend([("ratelimit-limit", "3000".into()), ("ratelimit-remaining", "0".into()), ("ratelimit-reset", reset)]),
        "mastodon" => h.extend([
            ("x-ratelimit-limit", "300".into()),
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", (chrono::Utc::now() + chrono::Duration::seconds(retry_after as i64)).to_rfc3339()),
        ]),
        _ => {}
    }
    h
}

/// Applies the next queued fault of the platform this request is for.
pub(crate) async fn faults(State(sb): State<Sandbox>, req: Request, next: Next) -> Response {
    let platform = req.uri().path().trim_start_matches('/').split('/').next().unwrap_or("").to_string();
    let fault = sb.next_fault(&platform, req.method().as_str(), req.uri().path(), req.headers());
    match fault {
        None => next.run(req).await,
        Some(Fault::Status(s)) => {
            let code = StatusCode::from_u16(s).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            (code, Json(envelope(&platform, s, "The sandbox injected this failure."))).into_response()
        }
        Some(Fault::RateLimit(secs)) => {
            let mut r = (StatusCode::TOO_MANY_REQUESTS, Json(envelope(&platform, 429, "Rate limit exceeded."))).into_response();
            for (k, v) in rate_headers(&platform, secs) {
                r.headers_mut().insert(k, v.parse().expect("header value"));
            }
            r
        }
        Some(Fault::Latency(ms)) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        Some(Fault::LostResponse) => {
            // The platform does the work; the answer never arrives (the client times out).
            let _done = next.run(req).await;
            tokio::time::sleep(Duration::from_secs(120)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(Fault::Hang) => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(Fault::SlowProcessing(ms)) => {
            let mut req = req;
            req.extensions_mut().insert(Processing(ms));
            next.run(req).await
        }
    }
}

#[derive(Deserialize)]
struct FaultReq {
    platform: String,
    kind: String,
    #[serde(default)]
    count: Option<usize>,
    #[serde(default)]
    retry_after: Option<u64>,
    #[serde(default)]
    latency_ms: Option<u64>,
    #[serde(default)]
    status: Option<u16>,
    /// Only requests whose path ends with this (e.g. `/2/tweets`) and, if given, with this
    /// method: background calls such as metrics pulls then cannot use up a fault meant for a
    /// publish.
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    method: Option<String>,
    /// Only requests made with this username's token (a rate limit of one account).
    #[serde(default)]
    account: Option<String>,
}

async fn add_fault(State(sb): State<Sandbox>, Json(f): Json<FaultReq>) -> Response {
    let fault = match f.kind.as_str() {
        "5xx" => Fault::Status(f.status.unwrap_or(503)),
        "429" => Fault::RateLimit(f.retry_after.unwrap_or(2)),
        "latency" => Fault::Latency(f.latency_ms.unwrap_or(500)),
        "lost_response" => Fault::LostResponse,
        "slow_processing" => Fault::SlowProcessing(f.latency_ms.unwrap_or(500)),
        other => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": format!("unknown fault kind {other}; use 5xx, 429, latency, lost_response or slow_processing")})),
            )
                .into_response()
        }
    };
    let mut g = sb.lock();
    let q = g.faults.entry(f.platform).or_default();
    for _ in 0..f.count.unwrap_or(1) {
        q.push_back(QueuedFault {
            fault: fault.clone(),
            path: f.path.clone().unwrap_or_default(),
            method: f.method.clone().unwrap_or_default(),
            account: f.account.clone().unwrap_or_default(),
        });
    }
    Json(json!({"queued": q.len()})).into_response()
}

#[derive(Deserialize)]
struct ChaosReq {
    platform: String,
    rate: f64,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    method: Option<String>,
}

async fn chaos(State(sb): State<Sandbox>, Json(c): Json<ChaosReq>) -> Response {
    if !(0.0..=1.0).contains(&c.rate) {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "rate is a probability from 0 to 1"}))).into_response();
    }
    let mut g = sb.lock();
    if c.rate == 0.0 {
        g.chaos.remove(&c.platform);
    } else {
        g.chaos.insert(c.platform, (c.rate, c.path.unwrap_or_default(), c.method.unwrap_or_default()));
    }
    Json(json!({"ok": true})).into_response()
}

#[derive(Deserialize)]
struct MastodonLimitsReq {
    max_characters: u64,
}

async fn mastodon_limits(State(sb): State<Sandbox>, Json(m): Json<MastodonLimitsReq>) -> Json<serde_json::Value> {
    sb.lock().mastodon_max_chars = m.max_characters;
    Json(json!({"ok": true}))
}

#[derive(Deserialize)]
struct TokenReq {
    platform: String,
    action: String,
}

async fn token_control(State(sb): State<Sandbox>, Json(t): Json<TokenReq>) -> Response {
    let now = sb.now_ms();
    let mut g = sb.lock();
    let mut n = 0;
    for tok in g.tokens.values_mut().filter(|x| x.platform == t.platform) {
        match t.action.as_str() {
            "expire" => tok.expires_at_ms = Some(now - 1),
            "revoke" => tok.revoked = true,
            _ => return (StatusCode::BAD_REQUEST, Json(json!({"error": "action must be expire or revoke"}))).into_response(),
        }
        n += 1;
    }
    if t.action == "revoke" {
        for (p, _, spent) in g.refresh.values_mut() {
            if *p == t.platform {
                *spent = true;
            }
        }
    }
    Json(json!({"affected": n})).into_response()
}

/// Refresh-token requests per platform, so tests can count what reached the platform.
async fn refreshes(State(sb): State<Sandbox>) -> Json<serde_json::Value> {
    Json(json!(sb.lock().refresh_calls))
}

#[derive(Deserialize)]
struct LifetimeReq {
    platform: String,
    access_secs: u64,
}

async fn lifetime(State(sb): State<Sandbox>, Json(l): Json<LifetimeReq>) -> Json<serde_json::Value> {
    sb.lock().lifetimes.insert(l.platform, l.access_secs);
    Json(json!({"ok": true}))
}

#[derive(Deserialize)]
struct AdvanceReq {
    secs: i64,
}

async fn advance(State(sb): State<Sandbox>, Json(a): Json<AdvanceReq>) -> Json<serde_json::Value> {
    let mut g = sb.lock();
    g.clock_offset_ms += a.secs * 1000;
    Json(json!({"offset_secs": g.clock_offset_ms / 1000}))
}

async fn ledger(State(sb): State<Sandbox>) -> Json<serde_json::Value> {
    Json(json!({"posts": sb.ledger()}))
}

async fn reset(State(sb): State<Sandbox>) -> Json<serde_json::Value> {
    *sb.lock() = Inner::default();
    Json(json!({"ok": true}))
}

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/_control/faults", post(add_fault))
        .route("/_control/chaos", post(chaos))
        .route("/_control/mastodon", post(mastodon_limits))
        .route("/_control/tokens", post(token_control))
        .route("/_control/lifetime", post(lifetime))
        .route("/_control/advance", post(advance))
        .route("/_control/ledger", get(ledger))
        .route("/_control/refreshes", get(refreshes))
        .route("/_control/reset", post(reset))
}
