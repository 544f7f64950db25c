use super::delivery::truncate;
use super::endpoints::{clean_events, parse_url, refusal};
use super::*;
use crate::Failure;
use std::net::Ipv4Addr;

#[test]
fn refusals_say_what_and_why() {
    let e = refusal(outbound::Refused::Blocked { host: None, ip: "10.0.0.5".parse().unwrap(), reason: outbound::PRIVATE });
    assert_eq!(e.to_string(), "That address points into a private network (10.0.0.5). Webhooks can only go to public addresses.");
    assert_eq!((e.kind(), e.code()), (crate::Kind::Invalid, "private_address"));
}

#[test]
fn urls_are_checked() {
    assert!(parse_url("ftp://example.com/x").is_err());
    assert!(parse_url("https://user:pw@example.com/x").is_err());
    assert!(parse_url("example.com/hook").is_err());
    assert!(parse_url("").is_err());
    assert_eq!(parse_url(" https://Example.com/hook#frag ").unwrap().as_str(), "https://example.com/hook");
    // Obfuscated IPv4 forms are normalised, so the address check sees the real address.
    assert_eq!(parse_url("http://2130706433/").unwrap().host(), Some(url::Host::Ipv4(Ipv4Addr::LOCALHOST)));
    assert_eq!(parse_url("http://0x7f.1/").unwrap().host(), Some(url::Host::Ipv4(Ipv4Addr::LOCALHOST)));
}

#[test]
fn events_are_known_and_ordered() {
    let ev = |v: &[&str]| clean_events(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(ev(&["post.failed", "post.published", "post.failed"]).unwrap(), vec!["post.published", "post.failed"]);
    assert_eq!(ev(&[]).unwrap_err().code(), "no_events");
    assert_eq!(ev(&["post.deleted"]).unwrap_err().code(), "unknown_event");
    assert_eq!(ev(&["ping"]).unwrap_err().code(), "unknown_event");
}

#[test]
fn sign_and_verify() {
    let body = r#"{"event":"ping"}"#;
    let sig = sign("whsec_abc", 1_700_000_000, body);
    assert!(sig.starts_with("v1=") && sig.len() == 3 + 64);
    assert!(verify("whsec_abc", "1700000000", body, &sig));
    assert!(verify("whsec_abc", "1700000000", body, &format!("v1=00, {sig}")), "any listed signature may match");
    assert!(!verify("whsec_abd", "1700000000", body, &sig), "another secret");
    assert!(!verify("whsec_abc", "1700000001", body, &sig), "another timestamp");
    assert!(!verify("whsec_abc", "1700000000", r#"{"event":"pong"}"#, &sig), "another body");
    assert!(!verify("whsec_abc", "1700000000", body, &sig[3..]), "the scheme prefix is required");
    // Computed independently (Python's hmac module), so receivers in any language agree.
    assert_eq!(sign("whsec_test", 1_700_000_000, body), "v1=aa8efe37b751e71157c508c5ac4acb1e9fe5225db98355dfc00f4b680afbc447");
}

#[test]
fn errors_are_truncated() {
    let long = "x".repeat(1000);
    assert_eq!(truncate(&long).chars().count(), MAX_ERROR_CHARS + 1);
    assert_eq!(truncate("  short "), "short");
}
