use super::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The social networks Covalynce publishes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformId {
    X,
    Facebook,
    Instagram,
    Linkedin,
    Youtube,
    Tiktok,
    Pinterest,
    Threads,
    Bluesky,
    Mastodon,
}

impl PlatformId {
    pub const ALL: [PlatformId; 10] = [
        Self::X,
        Self::Facebook,
        Self::Instagram,
        Self::Linkedin,
        Self::Youtube,
        Self::Tiktok,
        Self::Pinterest,
        Self::Threads,
        Self::Bluesky,
        Self::Mastodon,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::X => "x",
            Self::Facebook => "facebook",
            Self::Instagram => "instagram",
            Self::Linkedin => "linkedin",
            Self::Youtube => "youtube",
            Self::Tiktok => "tiktok",
            Self::Pinterest => "pinterest",
            Self::Threads => "threads",
            Self::Bluesky => "bluesky",
            Self::Mastodon => "mastodon",
        }
    }

    /// "X", "LinkedIn", "Facebook": the name without its qualifier, where space is short.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::X => "X",
            Self::Facebook => "Facebook",
            other => other.display_name(),
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Self::X => "X (Twitter)",
            Self::Facebook => "Facebook Pages",
            Self::Instagram => "Instagram",
            Self::Linkedin => "LinkedIn",
            Self::Youtube => "YouTube",
            Self::Tiktok => "TikTok",
            Self::Pinterest => "Pinterest",
            Self::Threads => "Threads",
            Self::Bluesky => "Bluesky",
            Self::Mastodon => "Mastodon",
        }
    }

    /// Whether this instance needs its own app registration (client id and secret) here.
    /// Bluesky signs in with app passwords; Mastodon apps are registered on each server.
    pub fn needs_app_credentials(self) -> bool {
        !matches!(self, Self::Bluesky | Self::Mastodon)
    }

    /// The platform downloads a post's media from a public address itself (Instagram and
    /// Threads containers, TikTok `PULL_FROM_URL`, Pinterest `image_url`); the others are
    /// sent the bytes.
    pub fn fetches_media(self) -> bool {
        matches!(self, Self::Instagram | Self::Threads | Self::Tiktok | Self::Pinterest)
    }

    /// Prefix of this platform's configuration variables (seed 001 §7 names X "TWITTER").
    pub fn env_prefix(self) -> &'static str {
        match self {
            Self::X => "TWITTER",
            Self::Facebook => "FACEBOOK",
            Self::Instagram => "INSTAGRAM",
            Self::Linkedin => "LINKEDIN",
            Self::Youtube => "YOUTUBE",
            Self::Tiktok => "TIKTOK",
            Self::Pinterest => "PINTEREST",
            Self::Threads => "THREADS",
            Self::Bluesky => "BLUESKY",
            Self::Mastodon => "MASTODON",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_lowercase();
        let s = if s == "twitter" { "x".to_string() } else { s };
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| DomainError::new("unknown_platform", format!("\"{raw}\" is not a supported platform.")))
    }
}

impl fmt::Display for PlatformId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identity providers for signing in (not for publishing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoginProvider {
    Google,
    Facebook,
    Linkedin,
    Github,
}

impl LoginProvider {
    pub const ALL: [LoginProvider; 4] = [Self::Google, Self::Facebook, Self::Linkedin, Self::Github];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::Facebook => "facebook",
            Self::Linkedin => "linkedin",
            Self::Github => "github",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Self::Google => "Google",
            Self::Facebook => "Facebook",
            Self::Linkedin => "LinkedIn",
            Self::Github => "GitHub",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw.trim().to_lowercase())
            .ok_or_else(|| DomainError::new("unknown_provider", format!("\"{raw}\" is not a sign-in provider we support.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_platform_names() {
        assert_eq!(PlatformId::X.short_name(), "X");
        assert_eq!(PlatformId::Facebook.short_name(), "Facebook");
        assert_eq!(PlatformId::Linkedin.short_name(), "LinkedIn");
    }

    #[test]
    fn round_trips() {
        for p in PlatformId::ALL {
            assert_eq!(PlatformId::parse(p.as_str()).unwrap(), p);
        }
        assert_eq!(PlatformId::parse("Twitter").unwrap(), PlatformId::X);
        assert!(PlatformId::parse("myspace").is_err());
        for p in LoginProvider::ALL {
            assert_eq!(LoginProvider::parse(p.as_str()).unwrap(), p);
        }
    }
}
