use super::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A lower-cased, trimmed e-mail address with one `@`, a non-empty local part and a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_lowercase();
        let err = |m: &str| Err(DomainError::new("invalid_email", m));
        if s.is_empty() {
            return err("Enter your e-mail address.");
        }
        if s.len() > 254 {
            return err("That e-mail address is too long.");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return err("An e-mail address needs an @, like name@example.com.");
        };
        if local.is_empty() || domain.contains('@') || s.chars().any(char::is_whitespace) {
            return err("That does not look like an e-mail address (name@example.com).");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-') || !l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        {
            return err("The part after @ should be a domain like example.com.");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "ada", "@example.com", "ada@", "ada@example", "ada@@example.com", "a b@example.com", "ada@-x.com", "ada@x..com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn accepts_subdomains_and_plus() {
        assert!(Email::parse("ada+news@mail.example.co.uk").is_ok());
    }
}
