//! Versioned values of the platform APIs, in one place: they drift (LinkedIn sunsets each
//! monthly version after about a year; Meta retires Graph versions after two). `PINNED`
//! records when each pinned version stops working, so `/health` and the Sources page warn
//! `SUNSET_WARNING_DAYS` ahead instead of publishing breaking on the day.

use chrono::NaiveDate;
use serde::Serialize;

/// `LinkedIn-Version` header for `/rest/*` calls (YYYYMM).
pub const LINKEDIN_VERSION: &str = "202611";
/// `X-Restli-Protocol-Version` header for LinkedIn `/rest/*` calls.
pub const LINKEDIN_RESTLI: &str = "2.0.0";
/// Facebook / Instagram Graph API version path segment.
pub const GRAPH_VERSION: &str = "v24.0";
/// Threads Graph API version path segment.
pub const THREADS_VERSION: &str = "v1.0";
/// Pinterest API version path segment.
pub const PINTEREST_VERSION: &str = "v5";
/// Mastodon application name registered on each instance.
pub const MASTODON_APP_NAME: &str = "Covalynce";

/// Warn this many days before a pinned version's sunset.
pub const SUNSET_WARNING_DAYS: i64 = 60;

/// A pinned API version and the last day the platform promises to serve it.
#[derive(Debug, Clone, Copy)]
pub struct Pinned {
    pub platform: &'static str,
    pub version: &'static str,
    /// `YYYY-MM-DD`.
    pub sunset: &'static str,
}

/// The versions with a known end. LinkedIn: each monthly version lives one year (202611 →
/// November 2027). Meta: a Graph version lives at least two years from its release (v24.0:
/// 8 October 2025). Threads v1.0 and Pinterest v5 have no announced end.
pub const PINNED: [Pinned; 2] = [
    Pinned { platform: "LinkedIn", version: LINKEDIN_VERSION, sunset: "2027-11-30" },
    Pinned { platform: "Facebook and Instagram", version: GRAPH_VERSION, sunset: "2027-10-08" },
];

/// A pinned version close to (or past) its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SunsetWarning {
    pub platform: String,
    pub version: String,
    pub sunset: String,
    /// Negative once the sunset has passed.
    pub days_left: i64,
    pub message: String,
}

/// Every pinned version within `SUNSET_WARNING_DAYS` of its sunset on `today`.
pub fn sunset_warnings(today: NaiveDate) -> Vec<SunsetWarning> {
    PINNED
        .iter()
        .filter_map(|p| {
            let end = NaiveDate::parse_from_str(p.sunset, "%Y-%m-%d").ok()?;
            let days_left = (end - today).num_days();
            (days_left <= SUNSET_WARNING_DAYS).then(|| SunsetWarning {
                platform: p.platform.into(),
                version: p.version.into(),
                sunset: p.sunset.into(),
                days_left,
                message: if days_left < 0 {
                    format!(
                        "{} API version {} was retired on {}: update Covalynce now, publishing there may fail.",
                        p.platform, p.version, p.sunset
                    )
                } else {
                    format!(
                        "{} API version {} is retired on {} ({days_left} days): update Covalynce before then.",
                        p.platform, p.version, p.sunset
                    )
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_start_sixty_days_before_a_sunset() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(sunset_warnings(d("2027-08-01")).is_empty(), "more than 60 days before every sunset");
        let w = sunset_warnings(d("2027-08-09"));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!((w[0].platform.as_str(), w[0].days_left), ("Facebook and Instagram", 60));
        let w = sunset_warnings(d("2027-12-01"));
        assert_eq!(w.len(), 2);
        assert!(w.iter().all(|w| w.days_left < 0 && w.message.contains("was retired")), "{w:?}");
        for p in PINNED {
            assert!(NaiveDate::parse_from_str(p.sunset, "%Y-%m-%d").is_ok(), "{}", p.sunset);
        }
    }
}
