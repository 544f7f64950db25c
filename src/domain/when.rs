//! Local wall-clock times ↔ UTC, with daylight-saving edges made explicit: a local time the
//! clocks skip is refused with a message, one they pass twice must say which it means.

use super::{DomainError, Timezone};
use chrono::{LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};

/// Which of two identical wall-clock times (the hour repeated when clocks go back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fold {
    /// The first pass (still on summer time).
    Earlier,
    /// The second pass (after the clocks went back).
    Later,
}

impl Fold {
    pub fn parse(raw: &str) -> Result<Option<Self>, DomainError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "earlier" | "first" => Ok(Some(Self::Earlier)),
            "later" | "second" => Ok(Some(Self::Later)),
            other => Err(DomainError::new("invalid_fold", format!("\"{other}\" is not a choice: use earlier or later."))),
        }
    }
}

/// `2026-03-29` and `14:30` (or `14:30:00`) → the naive local date-time.
pub fn parse_local(date: &str, time: &str) -> Result<NaiveDateTime, DomainError> {
    let d = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| DomainError::new("invalid_date", format!("\"{}\" is not a date. Use YYYY-MM-DD, e.g. 2026-12-01.", date.trim())))?;
    let t = NaiveTime::parse_from_str(time.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(time.trim(), "%H:%M:%S"))
        .map_err(|_| DomainError::new("invalid_time", format!("\"{}\" is not a time. Use 24-hour HH:MM, e.g. 14:30.", time.trim())))?;
    Ok(d.and_time(t))
}

/// A local time in `tz` as UTC unix milliseconds.
pub fn local_to_utc_ms(tz: &Timezone, local: NaiveDateTime, fold: Option<Fold>) -> Result<i64, DomainError> {
    let zone = tz.tz();
    let shown = local.format("%H:%M on %-d %b %Y");
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.timestamp_millis()),
        LocalResult::Ambiguous(a, b) => match fold {
            Some(Fold::Earlier) => Ok(a.timestamp_millis().min(b.timestamp_millis())),
            Some(Fold::Later) => Ok(a.timestamp_millis().max(b.timestamp_millis())),
            None => Err(DomainError::new(
                "ambiguous_time",
                format!("{shown} happens twice in {tz} (the clocks go back). Choose the earlier or the later one."),
            )),
        },
        LocalResult::None => Err(DomainError::new(
            "nonexistent_time",
            format!("{shown} does not exist in {tz}: the clocks skip that hour. Pick a time after the change."),
        )),
    }
}

/// UTC milliseconds shown in `tz`, e.g. `2026-11-24 14:30`.
pub fn utc_ms_to_local(tz: &Timezone, ms: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&tz.tz()).naive_local())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> Timezone {
        Timezone::parse("Europe/Berlin").unwrap()
    }

    #[test]
    fn a_skipped_time_is_refused_and_a_repeated_one_must_be_chosen() {
        let gap = parse_local("2026-03-29", "02:30").unwrap();
        assert_eq!(local_to_utc_ms(&berlin(), gap, None).unwrap_err().code, "nonexistent_time");
        let twice = parse_local("2026-10-25", "02:30").unwrap();
        let e = local_to_utc_ms(&berlin(), twice, None).unwrap_err();
        assert_eq!(e.code, "ambiguous_time");
        assert!(e.message.contains("happens twice"), "{}", e.message);
        let early = local_to_utc_ms(&berlin(), twice, Some(Fold::Earlier)).unwrap();
        let late = local_to_utc_ms(&berlin(), twice, Some(Fold::Later)).unwrap();
        assert_eq!(late - early, 3_600_000, "one hour apart");
        // 02:30 CEST = 00:30 UTC.
        assert_eq!(early, chrono::DateTime::parse_from_rfc3339("2026-10-25T00:30:00Z").unwrap().timestamp_millis());
    }

    #[test]
    fn ordinary_times_round_trip() {
        let t = parse_local("2026-11-24", "14:30").unwrap();
        let ms = local_to_utc_ms(&berlin(), t, None).unwrap();
        assert_eq!(utc_ms_to_local(&berlin(), ms), Some(t));
        assert!(parse_local("2026-02-30", "10:00").is_err());
        assert!(parse_local("2026-02-03", "25:00").is_err());
        assert_eq!(Fold::parse("Later").unwrap(), Some(Fold::Later));
    }
}
