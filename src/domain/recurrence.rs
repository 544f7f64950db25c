//! Repeating posts and wall-clock scheduling, pure (the browser can run it too).
//!
//! A series is expanded in the person's time zone so "every day at 09:00" stays 09:00 on the
//! clock across daylight-saving changes (its UTC time moves by an hour instead). The first
//! occurrence is the time the person typed and follows the strict rules in `when.rs`; later
//! ones cannot be asked about one by one, so they follow `local_to_utc_lenient`.

use super::{DomainError, Timezone};
use chrono::{Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};

/// A series may not make more posts than this (a year of daily posts).
pub const MAX_OCCURRENCES: usize = 366;

/// Monday first: weekday numbers are 0 = Monday … 6 = Sunday everywhere.
pub const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
}

impl Freq {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "daily" | "day" => Ok(Self::Daily),
            "weekly" | "week" => Ok(Self::Weekly),
            "monthly" | "month" => Ok(Self::Monthly),
            other => Err(DomainError::new("invalid_freq", format!("\"{other}\" is not a repeat: use daily, weekly or monthly."))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }
}

/// "Every `interval` days/weeks/months, until a date or for `count` times."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    pub freq: Freq,
    pub interval: u32,
    /// Last local date that may have an occurrence (inclusive).
    pub until: Option<NaiveDate>,
    /// Occurrences in total, the first included.
    pub count: Option<u32>,
}

impl Recurrence {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.interval == 0 || self.interval > 365 {
            return Err(DomainError::new("invalid_interval", "Repeat every 1 to 365 days, weeks or months."));
        }
        match (self.until, self.count) {
            (Some(_), Some(_)) | (None, None) => {
                Err(DomainError::new("invalid_end", "Give the series either an end date (until) or a number of posts (count), not both."))
            }
            (None, Some(0)) => Err(DomainError::new("invalid_count", "A series needs at least one post.")),
            (None, Some(n)) if n as usize > MAX_OCCURRENCES => {
                Err(DomainError::new("too_many_occurrences", format!("A series can have at most {MAX_OCCURRENCES} posts.")))
            }
            _ => Ok(()),
        }
    }

    /// The n-th occurrence's wall-clock time (n = 0 is `start`). Months keep the start's day
    /// of the month, or the last day of a shorter month (31 Jan → 28 Feb → 31 Mar).
    fn nth(&self, start: NaiveDateTime, n: u32) -> Option<NaiveDateTime> {
        let steps = n.checked_mul(self.interval)?;
        let date = start.date();
        let d = match self.freq {
            Freq::Daily => date.checked_add_days(Days::new(steps as u64))?,
            Freq::Weekly => date.checked_add_days(Days::new(steps as u64 * 7))?,
            Freq::Monthly => {
                let first = date.with_day(1)?.checked_add_months(Months::new(steps))?;
                let last = last_day_of_month(first);
                first.with_day(date.day().min(last))?
            }
        };
        Some(d.and_time(start.time()))
    }

    /// Every occurrence's local wall-clock time, `start` first. Refuses an end date before
    /// the start and a series longer than `MAX_OCCURRENCES`.
    pub fn local_times(&self, start: NaiveDateTime) -> Result<Vec<NaiveDateTime>, DomainError> {
        self.validate()?;
        if let Some(until) = self.until {
            if until < start.date() {
                return Err(DomainError::new("invalid_until", "The end date is before the first post. Pick a later end date."));
            }
        }
        let mut out = vec![];
        for n in 0.. {
            if let Some(c) = self.count {
                if n >= c {
                    break;
                }
            }
            let Some(t) = self.nth(start, n) else { break };
            if self.until.is_some_and(|u| t.date() > u) {
                break;
            }
            if out.len() == MAX_OCCURRENCES {
                return Err(DomainError::new(
                    "too_many_occurrences",
                    format!("That end date makes more than {MAX_OCCURRENCES} posts. Pick an earlier end date or repeat less often."),
                ));
            }
            out.push(t);
        }
        Ok(out)
    }

    /// UTC milliseconds of every occurrence. The first must be an unambiguous time (or come
    /// with `fold`), exactly like a one-off post; the rest use `local_to_utc_lenient`.
    pub fn expand(&self, tz: &Timezone, start: NaiveDateTime, fold: Option<super::Fold>) -> Result<Vec<i64>, DomainError> {
        let first = super::local_to_utc_ms(tz, start, fold)?;
        let times = self.local_times(start)?;
        Ok(std::iter::once(first).chain(times.iter().skip(1).map(|t| local_to_utc_lenient(tz, *t))).collect())
    }
}

fn last_day_of_month(first: NaiveDate) -> u32 {
    first.checked_add_months(Months::new(1)).and_then(|n| n.pred_opt()).map(|d| d.day()).unwrap_or(28)
}

/// A local time as UTC milliseconds without asking: a time the clocks skip moves to the first
/// valid minute after the gap (02:30 on a spring-forward night → 03:00), and a time they pass
/// twice takes the earlier pass (still on summer time). Used for repeats, time slots and day
/// boundaries, where there is nobody to ask.
pub fn local_to_utc_lenient(tz: &Timezone, local: NaiveDateTime) -> i64 {
    let zone = tz.tz();
    let mut t = local;
    // Gaps are at most a day long (Samoa skipped 30 Dec 2011), so this always ends.
    for _ in 0..=(26 * 60) {
        match zone.from_local_datetime(&t) {
            LocalResult::Single(x) => return x.timestamp_millis(),
            LocalResult::Ambiguous(a, b) => return a.timestamp_millis().min(b.timestamp_millis()),
            LocalResult::None => t += chrono::Duration::minutes(1),
        }
    }
    local.and_utc().timestamp_millis()
}

/// Monday of the week `d` is in.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    d - Days::new(d.weekday().num_days_from_monday() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{parse_local, utc_ms_to_local, Fold};

    fn tz(name: &str) -> Timezone {
        Timezone::parse(name).unwrap()
    }
    fn at(date: &str, time: &str) -> NaiveDateTime {
        parse_local(date, time).unwrap()
    }
    fn rule(freq: Freq, interval: u32, until: Option<&str>, count: Option<u32>) -> Recurrence {
        Recurrence { freq, interval, until: until.map(|u| NaiveDate::parse_from_str(u, "%Y-%m-%d").unwrap()), count }
    }
    fn local(tz: &Timezone, ms: i64) -> String {
        utc_ms_to_local(tz, ms).unwrap().format("%Y-%m-%d %H:%M").to_string()
    }
    fn utc(ms: i64) -> String {
        chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%d %H:%M").to_string()
    }

    #[test]
    fn daily_keeps_the_wall_clock_time_across_a_dst_change() {
        let berlin = tz("Europe/Berlin");
        let out = rule(Freq::Daily, 1, None, Some(4)).expand(&berlin, at("2026-03-27", "09:00"), None).unwrap();
        let shown: Vec<String> = out.iter().map(|ms| local(&berlin, *ms)).collect();
        assert_eq!(shown, ["2026-03-27 09:00", "2026-03-28 09:00", "2026-03-29 09:00", "2026-03-30 09:00"]);
        // In UTC the post moves an hour earlier once summer time starts on the 29th.
        assert_eq!(utc(out[1]), "2026-03-28 08:00");
        assert_eq!(utc(out[2]), "2026-03-29 07:00");
    }

    #[test]
    fn a_skipped_time_moves_after_the_gap_and_a_repeated_one_takes_the_earlier() {
        let berlin = tz("Europe/Berlin");
        let spring = rule(Freq::Daily, 1, None, Some(3)).expand(&berlin, at("2026-03-28", "02:30"), None).unwrap();
        assert_eq!(local(&berlin, spring[1]), "2026-03-29 03:00", "02:30 does not exist that night");
        assert_eq!(local(&berlin, spring[2]), "2026-03-30 02:30");
        let autumn = rule(Freq::Daily, 1, None, Some(2)).expand(&berlin, at("2026-10-24", "02:30"), None).unwrap();
        assert_eq!(utc(autumn[1]), "2026-10-25 00:30", "the first 02:30, still CEST (UTC+2)");
        // The first occurrence itself follows the strict rules: refused or asked about.
        let r = rule(Freq::Daily, 1, None, Some(2));
        assert_eq!(r.expand(&berlin, at("2026-03-29", "02:30"), None).unwrap_err().code, "nonexistent_time");
        assert_eq!(r.expand(&berlin, at("2026-10-25", "02:30"), None).unwrap_err().code, "ambiguous_time");
        let later = r.expand(&berlin, at("2026-10-25", "02:30"), Some(Fold::Later)).unwrap();
        assert_eq!(utc(later[0]), "2026-10-25 01:30");
    }

    #[test]
    fn weekly_until_is_inclusive_and_crosses_the_autumn_change_in_new_york() {
        let ny = tz("America/New_York");
        let out = rule(Freq::Weekly, 1, Some("2026-11-13"), None).expand(&ny, at("2026-10-23", "18:00"), None).unwrap();
        let shown: Vec<String> = out.iter().map(|ms| local(&ny, *ms)).collect();
        assert_eq!(shown, ["2026-10-23 18:00", "2026-10-30 18:00", "2026-11-06 18:00", "2026-11-13 18:00"]);
        assert_eq!(utc(out[1]), "2026-10-30 22:00", "EDT, UTC-4");
        assert_eq!(utc(out[2]), "2026-11-06 23:00", "EST, UTC-5");
        let every_two = rule(Freq::Weekly, 2, Some("2026-11-13"), None).local_times(at("2026-10-23", "18:00")).unwrap();
        assert_eq!(every_two.len(), 2);
    }

    #[test]
    fn monthly_on_the_31st_uses_the_last_day_of_shorter_months() {
        let r = rule(Freq::Monthly, 1, None, Some(5));
        let days: Vec<String> = r.local_times(at("2028-01-31", "10:00")).unwrap().iter().map(|t| t.format("%m-%d").to_string()).collect();
        assert_eq!(days, ["01-31", "02-29", "03-31", "04-30", "05-31"], "2028 is a leap year; the 31st comes back");
        let r = rule(Freq::Monthly, 3, Some("2027-12-31"), None);
        let days: Vec<String> = r.local_times(at("2027-01-30", "10:00")).unwrap().iter().map(|t| t.format("%m-%d").to_string()).collect();
        assert_eq!(days, ["01-30", "04-30", "07-30", "10-30"]);
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        let s = at("2026-12-01", "09:00");
        assert_eq!(rule(Freq::Daily, 1, None, None).local_times(s).unwrap_err().code, "invalid_end");
        assert_eq!(rule(Freq::Daily, 1, Some("2026-12-05"), Some(3)).local_times(s).unwrap_err().code, "invalid_end");
        assert_eq!(rule(Freq::Daily, 0, None, Some(3)).local_times(s).unwrap_err().code, "invalid_interval");
        assert_eq!(rule(Freq::Daily, 1, None, Some(0)).local_times(s).unwrap_err().code, "invalid_count");
        assert_eq!(rule(Freq::Daily, 1, None, Some(367)).local_times(s).unwrap_err().code, "too_many_occurrences");
        assert_eq!(rule(Freq::Daily, 1, Some("2026-11-30"), None).local_times(s).unwrap_err().code, "invalid_until");
        assert_eq!(rule(Freq::Daily, 1, Some("2028-01-01"), None).local_times(s).unwrap_err().code, "too_many_occurrences");
        assert_eq!(rule(Freq::Daily, 1, None, Some(366)).local_times(s).unwrap().len(), 366);
        assert_eq!(rule(Freq::Daily, 1, Some("2026-12-01"), None).local_times(s).unwrap().len(), 1, "until = start day");
        assert_eq!(Freq::parse("Weekly").unwrap(), Freq::Weekly);
        assert!(Freq::parse("hourly").is_err());
    }

    #[test]
    fn lenient_conversion_and_week_start() {
        // Midnight does not exist in Santiago on its spring-forward day: the day starts at 01:00.
        let santiago = tz("America/Santiago");
        let ms = local_to_utc_lenient(&santiago, at("2026-09-06", "00:00"));
        assert_eq!(local(&santiago, ms), "2026-09-06 01:00");
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(week_start(d), NaiveDate::from_ymd_opt(2026, 10, 26).unwrap(), "1 Nov 2026 is a Sunday");
        assert_eq!(week_start(week_start(d)), week_start(d));
    }
}
