use super::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

/// A handful of passwords that pass the length rule but are guessed first by every attacker.
const COMMON: &[&str] = &[
    "password123",
    "password1234",
    "1234567890",
    "qwertyuiop",
    "123456789a",
    "iloveyou123",
    "passw0rd123",
    "letmein1234",
    "welcome123",
    "administrator",
    "covalynce1",
    "qwerty12345",
];

/// One rule, and whether the candidate meets it. The sign-up page shows these live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordCheck {
    pub label: &'static str,
    pub ok: bool,
}

/// Every rule with its status, in display order. The single source of the password policy:
/// `Password::parse` accepts exactly when all checks pass.
pub fn password_checks(candidate: &str, email: &str) -> Vec<PasswordCheck> {
    let chars = candidate.chars().count();
    let lower = candidate.to_lowercase();
    let local = email.trim().to_lowercase();
    let local = local.split('@').next().unwrap_or("");
    vec![
        PasswordCheck { label: "At least 10 characters", ok: chars >= PASSWORD_MIN },
        PasswordCheck { label: "At most 128 characters", ok: chars <= PASSWORD_MAX },
        PasswordCheck { label: "A letter", ok: candidate.chars().any(char::is_alphabetic) },
        PasswordCheck {
            label: "A number or a symbol",
            ok: candidate.chars().any(|c| c.is_numeric() || (!c.is_alphanumeric() && !c.is_whitespace())),
        },
        PasswordCheck {
            label: "Not a common password or your e-mail name",
            ok: !candidate.is_empty() && !COMMON.contains(&lower.as_str()) && (local.len() < 3 || !lower.contains(local)),
        },
    ]
}

/// A password that meets the policy. Deliberately not `Serialize` and redacted in `Debug`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str, email: &str) -> Result<Self, DomainError> {
        let failed: Vec<&str> = password_checks(raw, email).into_iter().filter(|c| !c.ok).map(|c| c.label).collect();
        if failed.is_empty() {
            Ok(Self(raw.to_string()))
        } else {
            Err(DomainError::new("weak_password", format!("Choose a stronger password: {}.", failed.join("; ").to_lowercase())))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_reasonable_password() {
        assert!(Password::parse("correct horse 7", "ada@example.com").is_ok());
    }

    #[test]
    fn each_rule_can_fail_alone() {
        // (password, e-mail, index of the one rule it breaks)
        let cases = [
            ("short1!", "x@example.com", 0),
            ("onlyletterslong", "x@example.com", 3),
            ("1234567890123", "x@example.com", 2),
            ("password123", "x@example.com", 4),
            ("lovelace-2024", "lovelace@example.com", 4),
        ];
        for (pw, email, rule) in cases {
            let checks = password_checks(pw, email);
            let failing: Vec<usize> = checks.iter().enumerate().filter(|(_, c)| !c.ok).map(|(i, _)| i).collect();
            assert_eq!(failing, vec![rule], "{pw}: {checks:?}");
            assert!(Password::parse(pw, email).is_err());
        }
    }

    #[test]
    fn too_long_is_refused() {
        let long = "a1".repeat(65);
        let err = Password::parse(&long, "x@example.com").unwrap_err();
        assert!(err.message.contains("at most 128"));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let p = Password::parse("correct horse 7", "a@b.co").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
