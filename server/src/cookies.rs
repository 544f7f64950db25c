//! Cookie names and builders in one place.

use covalynce::auth::SessionTokens;
use http::HeaderValue;

pub const ACCESS: &str = "cov_at";
pub const REFRESH: &str = "cov_rt";
pub const CSRF: &str = "cov_csrf";
pub const FLASH: &str = "cov_flash";
pub const OAUTH: &str = "cov_oauth";

/// Reads one cookie from a `Cookie` header.
pub fn get(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// HttpOnly, SameSite=Lax (so the OAuth redirect back still carries them), `Secure` on https.
pub fn build(name: &str, value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"))
        .expect("cookie values are URL-safe ASCII")
}

pub fn clear(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")).expect("static cookie")
}

pub fn session(tokens: &SessionTokens, secure: bool) -> [HeaderValue; 2] {
    [
        build(ACCESS, &tokens.access_token, tokens.expires_in, secure),
        build(REFRESH, &tokens.refresh_token, tokens.refresh_expires_in, secure),
    ]
}

pub fn clear_session() -> [HeaderValue; 2] {
    [clear(ACCESS), clear(REFRESH)]
}

/// Put in a response's extensions by a handler that signed someone in: the request middleware
/// then issues a fresh CSRF cookie, so a token seen before sign-in (planted or leaked) is
/// worthless afterwards.
#[derive(Clone, Copy)]
pub struct RotateCsrf;

/// Marks `resp` as a sign-in (see `RotateCsrf`).
pub fn rotate_csrf(mut resp: axum::response::Response) -> axum::response::Response {
    resp.extensions_mut().insert(RotateCsrf);
    resp
}
