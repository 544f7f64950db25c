//! The connection troubleshooter (seed 001 §6): an error code or message from a platform
//! becomes an issue type, a severity, likely causes and steps to fix it. Pure rules, so the
//! browser can run them too.

use super::{platform_info, PlatformId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    pub platform: &'static str,
    pub issue_type: &'static str,
    /// high: blocks connecting; medium: may fail; low: usually resolves by itself.
    pub severity: &'static str,
    pub possible_causes: Vec<String>,
    pub solutions: Vec<String>,
    pub docs_url: &'static str,
}

pub fn diagnose(platform: PlatformId, error_code: &str, error_message: &str) -> Diagnosis {
    let info = platform_info(platform);
    let env_prefix = platform.env_prefix();
    let text = format!("{error_code} {error_message}").to_lowercase();
    let has = |keys: &[&str]| keys.iter().any(|k| text.contains(k));
    let name = info.display_name;
    let s = |v: &[&str]| v.iter().map(|x| x.replace("{name}", name).replace("{env}", env_prefix)).collect::<Vec<_>>();
    let (issue_type, severity, causes, solutions) = if has(&["redirect_uri", "redirect uri", "redirect_mismatch", "callback"]) {
        (
            "redirect_uri_mismatch",
            "high",
            s(&[
                "The callback URL registered with {name} differs from the one Covalynce sends",
                "{env}_REDIRECT_URI or BASE_URL points at another host or port",
            ]),
            s(&[
                "Copy the redirect URI shown by the prerequisites check into the {name} developer console exactly",
                "Set {env}_REDIRECT_URI (or BASE_URL) to the address people use to reach Covalynce",
                "Restart Covalynce after changing the configuration",
            ]),
        )
    } else if has(&[
        "invalid_client",
        "unauthorized_client",
        "incorrect_client_credentials",
        "client authentication",
        "client_id",
        "client secret",
        "validating client",
    ]) {
        (
            "invalid_credentials",
            "high",
            s(&[
                "The client ID or secret is wrong or belongs to another app",
                "{env}_CLIENT_ID or {env}_CLIENT_SECRET is not set",
                "The app was deleted or suspended in the {name} developer console",
            ]),
            s(&[
                "Check {env}_CLIENT_ID and {env}_CLIENT_SECRET against the {name} developer console",
                "Make sure there are no extra spaces or quotes around the values",
                "Restart Covalynce after updating the environment",
            ]),
        )
    } else if has(&["429", "rate", "quota", "too many", "throttl", "limit exceeded"]) {
        (
            "rate_limit",
            "low",
            s(&["{name} limits how many requests an app or account may make in a time window"]),
            s(&[
                "Wait for the time the platform asked (Covalynce retries automatically)",
                "Spread scheduled posts out, or ask {name} for a higher quota",
            ]),
        )
    } else if has(&[
        "invalid_grant",
        "expired",
        "revoked",
        "invalid_token",
        "access token",
        "token was invalid",
        "invalid token",
        "reconnect",
        "190",
        "authenticationrequired",
        "401",
        "unauthorized",
    ]) {
        (
            "expired_token",
            "medium",
            s(&["The access was revoked on {name}, the password changed, or the token expired and could not be refreshed"]),
            s(&[
                "Reconnect the account from Sources",
                "If it keeps happening, check that Covalynce still appears in your {name} app permissions",
            ]),
        )
    } else if has(&["permission", "scope", "forbidden", "403", "not authorized", "insufficient"]) {
        (
            "insufficient_permissions",
            "medium",
            s(&["A permission was declined on the consent screen", "The {name} app is not approved for that permission yet"]),
            s(&[
                "Reconnect and accept every permission listed in the consent window",
                "Check the app's permissions or review status in the {name} developer console",
            ]),
        )
    } else if has(&["image format", "media type", "format is not supported", "file size", "larger than", "too large", "aspect ratio"]) {
        (
            "media_rejected",
            "medium",
            s(&["{name} does not take this image's type, size or shape"]),
            s(&["Use a JPEG or PNG within {name}'s limits (see the platform's rules in the editor), then retry", "Try another image"]),
        )
    } else if has(&["timeout", "timed out", "connect", "network", "dns", "unreachable", "reset"]) {
        (
            "network_error",
            "low",
            s(&["{name} or the network between us was unreachable for a moment"]),
            s(&["Try again in a minute", "Check that this server can reach the internet (or the sandbox in demo mode)"]),
        )
    } else {
        (
            "unknown",
            "medium",
            s(&["{name} returned an error we do not recognise"]),
            s(&["Try reconnecting the account", "Check the platform's status page and the error text above"]),
        )
    };
    Diagnosis { platform: platform.as_str(), issue_type, severity, possible_causes: causes, solutions, docs_url: info.docs_url }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_seed_examples() {
        let d = diagnose(PlatformId::X, "invalid_client", "The client_id provided is invalid");
        assert_eq!((d.issue_type, d.severity), ("invalid_credentials", "high"));
        assert!(d.solutions.iter().any(|s| s.contains("TWITTER_CLIENT_ID")));
        assert_eq!(diagnose(PlatformId::Facebook, "", "Error validating access token: Session has expired").issue_type, "expired_token");
        assert_eq!(diagnose(PlatformId::Linkedin, "redirect_uri_mismatch", "").issue_type, "redirect_uri_mismatch");
        assert_eq!(diagnose(PlatformId::X, "429", "Too Many Requests").severity, "low");
        assert_eq!(diagnose(PlatformId::Youtube, "insufficientPermissions", "").issue_type, "insufficient_permissions");
        assert_eq!(diagnose(PlatformId::Mastodon, "", "connection timed out").issue_type, "network_error");
        assert_eq!(diagnose(PlatformId::Bluesky, "weird", "???").issue_type, "unknown");
        assert_eq!(diagnose(PlatformId::X, "", "Value passed for the token was invalid.").issue_type, "expired_token");
        let d = diagnose(PlatformId::Instagram, "400", "The image format is not supported. Only JPEG images can be posted.");
        assert_eq!(d.issue_type, "media_rejected");
        assert!(d.solutions[0].starts_with("Use a JPEG or PNG within Instagram's limits"), "{:?}", d.solutions);
    }
}
