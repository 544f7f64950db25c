//! The period a request asks for: date-range shortcuts or explicit dates, resolved in the
//! person's zone, and the equally long period it is compared with.

use super::*;

/// The period asked for and the one it is compared with, as local dates (both inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    pub fn days(&self) -> u64 {
        (self.to - self.from).num_days().max(0) as u64 + 1
    }

    /// The period of equal length that ends the day before this one starts.
    pub fn previous(&self) -> DateRange {
        let to = self.from - Days::new(1);
        DateRange { from: to - Days::new(self.days() - 1), to }
    }

    /// Every date in the period.
    pub fn dates(&self) -> Vec<NaiveDate> {
        self.from.iter_days().take(self.days() as usize).collect()
    }
}

/// Range and filter as a query string carries them; empty values mean "not given" (a GET
/// form submits `from=` when the box is empty).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RangeParams {
    /// `7d`, `30d`, `90d` (also `7`, `30`, `90`) or `custom`; default `30d`.
    #[serde(default)]
    pub range: Option<String>,
    /// YYYY-MM-DD in the profile's time zone, inclusive.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// A platform id (`twitter` is X); empty or `all` = every platform.
    #[serde(default)]
    pub platform: Option<String>,
}

/// What `RangeParams` resolved to.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub range: DateRange,
    /// `7d` | `30d` | `90d` | `custom`.
    pub key: String,
    pub platform: Option<PlatformId>,
}

pub(super) fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub(super) fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, DomainError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| DomainError::new("invalid_date", format!("{field} \"{raw}\" is not a date. Use YYYY-MM-DD, e.g. 2026-11-01.")))
}

impl RangeParams {
    /// `today` is the person's local date. Explicit dates win over a shortcut; a missing
    /// end is today, a missing start is 30 days before the end.
    pub fn resolve(&self, today: NaiveDate) -> Result<Resolved, DomainError> {
        let platform = match given(&self.platform).filter(|p| !p.eq_ignore_ascii_case("all")) {
            Some(p) => Some(PlatformId::parse(p)?),
            None => None,
        };
        let (from, to) = (given(&self.from), given(&self.to));
        if from.is_some() || to.is_some() {
            let to = to.map(|t| parse_date("to", t)).transpose()?.unwrap_or(today);
            let from = match from {
                Some(f) => parse_date("from", f)?,
                None => to - Days::new(29),
            };
            if from > to {
                return Err(DomainError::new("invalid_range", "The start date is after the end date. Swap them, or pick a shortcut."));
            }
            let range = DateRange { from, to };
            if range.days() > MAX_RANGE_DAYS {
                return Err(DomainError::new(
                    "range_too_long",
                    format!("Pick at most {MAX_RANGE_DAYS} days at a time (this range has {}).", range.days()),
                ));
            }
            // A custom range that happens to match a shortcut is that shortcut (the picker shows it selected).
            let key = RANGES
                .iter()
                .find(|(_, n)| to == today && range.days() == *n)
                .map(|(k, _)| k.to_string())
                .unwrap_or_else(|| "custom".into());
            return Ok(Resolved { range, key, platform });
        }
        // "custom" without dates (the picker's choice before any date is typed) is the default.
        let key = match given(&self.range).map(str::to_ascii_lowercase) {
            None => "30d".to_string(),
            Some(k) if k == "custom" => "30d".to_string(),
            Some(k) if k.ends_with('d') => k,
            Some(k) => format!("{k}d"),
        };
        let Some((_, days)) = RANGES.iter().find(|(k, _)| *k == key) else {
            return Err(DomainError::new("invalid_range", "range must be 7d, 30d or 90d, or give from and to as YYYY-MM-DD."));
        };
        Ok(Resolved { range: DateRange { from: today - Days::new(days - 1), to: today }, key, platform })
    }
}
