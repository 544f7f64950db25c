//! Webhook signatures: what `sign` makes, `verify` accepts (also among other comma-separated
//! signatures and with a padded timestamp); a different body, timestamp or secret, or a
//! header the fuzzer made up, never verifies; malformed headers never panic.
#![no_main]

use covalynce::webhooks::{sign, verify};
use libfuzzer_sys::fuzz_target;

#[derive(arbitrary::Arbitrary, Debug)]
struct Input {
    secret: String,
    other_secret: String,
    timestamp: i64,
    other_timestamp: String,
    body: String,
    other_body: String,
    header: String,
}

fuzz_target!(|i: Input| {
    let ts = i.timestamp.to_string();
    let sig = sign(&i.secret, i.timestamp, &i.body);
    assert!(sig.starts_with("v1=") && sig.len() == 3 + 64);
    assert!(verify(&i.secret, &ts, &i.body, &sig), "sign → verify round trip");
    assert!(verify(&i.secret, &format!(" {ts}\n"), &i.body, &sig), "the timestamp is trimmed");
    assert!(verify(&i.secret, &ts, &i.body, &format!("{}, {sig}", i.header)), "one good signature among others");
    assert!(verify(&i.secret, &ts, &i.body, &sig.to_uppercase().replacen("V1=", "v1=", 1)), "hex case does not matter");

    if i.other_body != i.body {
        assert!(!verify(&i.secret, &ts, &i.other_body, &sig), "another body");
    }
    assert_eq!(verify(&i.secret, &i.other_timestamp, &i.body, &sig), i.other_timestamp.trim() == ts, "another timestamp");
    // HMAC pads short keys with zero bytes, so keys differing only in trailing NULs are the
    // same key; any other change of secret must fail.
    if i.other_secret.trim_end_matches('\0') != i.secret.trim_end_matches('\0') && i.other_secret.len() <= 64 && i.secret.len() <= 64 {
        assert!(!verify(&i.other_secret, &ts, &i.body, &sig), "another secret");
    }
    // A header built without the secret does not verify (and parsing it never panics).
    if !i.header.contains(&sig[3..]) && !i.header.to_lowercase().contains(&sig[3..]) {
        assert!(!verify(&i.secret, &ts, &i.body, &i.header));
    }
});
