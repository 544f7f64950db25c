//! What the OAuth 2.0 adapters share (RFC 6749): a token endpoint's answer read into a grant,
//! and the stored refresh token a refresh needs. Each adapter keeps its own endpoint, form,
//! client authentication and error rule; only the reading was the same everywhere.

use super::http::{Answer, Classify};
use super::{ErrorClass, Grant, PlatformError};
use serde_json::Value;

/// An `expires_in` (seconds) as a time in epoch milliseconds. Absent, zero or negative says
/// nothing usable: no expiry is recorded.
pub(super) fn expires_in(secs: Option<i64>) -> Option<i64> {
    secs.filter(|s| *s > 0).map(|s| chrono::Utc::now().timestamp_millis() + s * 1000)
}

/// A token answer (§5.1) → grant, with `extra` left for the adapter. An error status, or an
/// `error` member with a 200 (Google and TikTok send those, §5.2), is the adapter's own error.
/// Scopes come space-separated (X, Google) or comma-separated (TikTok, LinkedIn, Pinterest);
/// an empty refresh token counts as none, so `Grant::merged_with` keeps the stored one.
pub(super) fn token_grant(a: &Answer, adapter: &impl Classify, name: &str) -> Result<Grant, PlatformError> {
    let v = a.json();
    if !a.ok() || v["error"].is_string() {
        return Err(adapter.error(a));
    }
    let access = v["access_token"].as_str().filter(|t| !t.is_empty());
    let access = access.ok_or_else(|| PlatformError::unsupported(format!("{name} sent no access token")))?;
    let text = |k: &str| v[k].as_str().filter(|t| !t.is_empty()).map(str::to_string);
    Ok(Grant {
        access_token: access.into(),
        refresh_token: text("refresh_token"),
        expires_at: expires_in(v["expires_in"].as_i64()),
        scopes: v["scope"].as_str().unwrap_or("").split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        extra: Value::Null,
    })
}

/// The refresh token a refresh sends. Without one nothing can renew the access: the person
/// has to connect the account again.
pub(super) fn refresh_token<'g>(grant: &'g Grant, name: &str) -> Result<&'g str, PlatformError> {
    grant.refresh_token.as_deref().filter(|t| !t.is_empty()).ok_or_else(|| {
        PlatformError::new(ErrorClass::Disconnected, format!("{name} gave no refresh token; connect the account again."), None)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;
    impl Classify for Plain {
        fn error(&self, a: &Answer) -> PlatformError {
            PlatformError::new(ErrorClass::Rejected, format!("refused: {}", a.body), Some(a.status))
        }
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer { status, headers: Default::default(), body: body.into() }
    }

    #[test]
    fn a_token_answer_becomes_a_grant_whatever_the_scope_separator() {
        let before = chrono::Utc::now().timestamp_millis();
        let g = token_grant(
            &answer(200, r#"{"access_token":"a","refresh_token":"r","expires_in":7200,"scope":"tweet.read users.read"}"#),
            &Plain,
            "X",
        )
        .unwrap();
        assert_eq!((g.access_token.as_str(), g.refresh_token.as_deref()), ("a", Some("r")));
        assert_eq!(g.scopes, ["tweet.read", "users.read"]);
        let at = g.expires_at.unwrap();
        assert!(at >= before + 7_200_000 && at < before + 7_260_000);
        let g =
            token_grant(&answer(200, r#"{"access_token":"a","scope":"user.info.basic, video.publish","expires_in":0}"#), &Plain, "TikTok")
                .unwrap();
        assert_eq!(g.scopes, ["user.info.basic", "video.publish"]);
        assert_eq!((g.refresh_token, g.expires_at), (None, None));
    }

    #[test]
    fn an_error_answer_is_the_adapters_error_even_with_a_200() {
        let e = token_grant(&answer(400, r#"{"error":"invalid_grant"}"#), &Plain, "X").unwrap_err();
        assert_eq!((e.class, e.status), (ErrorClass::Rejected, Some(400)));
        let e = token_grant(&answer(200, r#"{"error":"invalid_grant","error_description":"Bad code"}"#), &Plain, "TikTok").unwrap_err();
        assert_eq!(e.class, ErrorClass::Rejected);
        let e = token_grant(&answer(200, r#"{"token_type":"bearer"}"#), &Plain, "Google").unwrap_err();
        assert_eq!(e.message, "Google sent no access token");
    }

    #[test]
    fn no_refresh_token_asks_for_a_new_connection() {
        let g = Grant { access_token: "a".into(), refresh_token: Some(String::new()), ..Default::default() };
        let e = refresh_token(&g, "Pinterest").unwrap_err();
        assert_eq!(e.class, ErrorClass::Disconnected);
        assert!(e.message.starts_with("Pinterest gave no refresh token"), "{}", e.message);
        let g = Grant { refresh_token: Some("r".into()), ..g };
        assert_eq!(refresh_token(&g, "Pinterest").unwrap(), "r");
    }
}
