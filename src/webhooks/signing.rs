//! Delivery signatures: what we send in `X-Covalynce-Signature` and how a receiver checks it.

use super::*;

/// `v1=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`: the `X-Covalynce-Signature` value.
/// The secret's bytes (the whole `whsec_…` string) are the key.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    format!("v1={}", hex::encode(mac(secret, &timestamp.to_string(), body)))
}

pub(super) fn mac(secret: &str, timestamp: &str, body: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    m.update(timestamp.as_bytes());
    m.update(b".");
    m.update(body.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// What a receiver does: true when `signature_header` holds a `v1=` signature of
/// `"{timestamp}.{body}"` under `secret` (compared in constant time). Several
/// comma-separated signatures are accepted, so a future secret rotation can send two.
/// Check the timestamp's age separately (`TOLERANCE_SECS`).
pub fn verify(secret: &str, timestamp: &str, body: &str, signature_header: &str) -> bool {
    let expected = mac(secret, timestamp.trim(), body);
    signature_header
        .split(',')
        .filter_map(|s| s.trim().strip_prefix("v1="))
        .filter_map(|h| hex::decode(h).ok())
        .any(|given| crate::crypto::ct_eq(&given, &expected))
}
