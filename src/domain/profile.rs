use super::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A person's display name: 1–80 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(DomainError::new("invalid_name", "Enter your name."));
        }
        if s.chars().count() > 80 {
            return Err(DomainError::new("invalid_name", "Names can be at most 80 characters."));
        }
        if s.chars().any(char::is_control) {
            return Err(DomainError::new("invalid_name", "Names cannot contain control characters."));
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<DisplayName> for String {
    fn from(v: DisplayName) -> Self {
        v.0
    }
}

/// An IANA time-zone name known to the bundled tz database (e.g. `Europe/Berlin`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timezone(String);

impl Timezone {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        match s.parse::<chrono_tz::Tz>() {
            Ok(tz) => Ok(Self(tz.name().to_string())),
            Err(_) => Err(DomainError::new(
                "invalid_timezone",
                format!("\"{s}\" is not a time zone we know. Pick one from the list, e.g. Europe/Berlin."),
            )),
        }
    }
    pub fn utc() -> Self {
        Self("UTC".into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0.parse().unwrap_or(chrono_tz::UTC)
    }
    /// Every zone name, for pickers.
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|t| t.name())
    }
}

impl TryFrom<String> for Timezone {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Timezone> for String {
    fn from(v: Timezone) -> Self {
        v.0
    }
}
impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones() {
        assert_eq!(Timezone::parse(" Europe/Berlin ").unwrap().as_str(), "Europe/Berlin");
        assert!(Timezone::parse("Mars/Olympus").is_err());
        assert!(Timezone::all_names().any(|n| n == "America/New_York"));
    }

    #[test]
    fn names() {
        assert_eq!(DisplayName::parse("  Ada ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(81)).is_err());
        assert!(DisplayName::parse("a\u{7}b").is_err());
    }
}
