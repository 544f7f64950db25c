//! How long a background job waits before its next try: the one backoff rule of every queue.

use std::time::Duration;

/// Before try number `attempt` (1 = the first retry): `base · 2^(attempt-1)`, scaled by
/// `1 + 0.2·jitter` (`jitter` in [-1, 1], so a burst of failures spreads out), at most `cap`.
pub fn backoff(base: Duration, attempt: u32, cap: Duration, jitter: f64) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let d = base.as_secs_f64() * f64::from(1u32 << exp) * (1.0 + 0.2 * jitter.clamp(-1.0, 1.0));
    Duration::from_secs_f64(d.max(0.0)).min(cap)
}

/// A fresh jitter for `backoff`.
#[cfg(feature = "server")]
pub fn jitter() -> f64 {
    use rand::Rng;
    rand::thread_rng().gen_range(-1.0..=1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_with_bounded_jitter_up_to_the_cap() {
        let (base, cap) = (Duration::from_secs(30), Duration::from_secs(3600));
        assert_eq!(backoff(base, 1, cap, 0.0), Duration::from_secs(30));
        assert_eq!(backoff(base, 0, cap, 0.0), Duration::from_secs(30), "attempt 0 reads as the first");
        assert_eq!(backoff(base, 2, cap, 0.0), Duration::from_secs(60));
        assert_eq!(backoff(base, 4, cap, 0.0), Duration::from_secs(240));
        assert_eq!(backoff(base, 1, cap, 1.0), Duration::from_secs(36));
        assert_eq!(backoff(base, 1, cap, -1.0), Duration::from_secs(24));
        assert_eq!(backoff(base, 1, cap, 7.0), Duration::from_secs(36), "jitter is clamped");
        assert_eq!(backoff(base, 40, cap, 0.0), cap);
        assert_eq!(backoff(base, 8, cap, 1.0), cap, "jitter never pushes past the cap");
    }
}
