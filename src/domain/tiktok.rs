//! TikTok's Direct Post rules: the person chooses who sees the post (there is no default),
//! whether others may comment, duet and stitch, and says whether it is commercial content.
//! The choices that are possible right now come from TikTok's `creator_info` at publish time;
//! here is what can be checked before that.

use super::DomainError;
use serde::{Deserialize, Serialize};

/// TikTok's privacy levels with the words its guidelines ask apps to show.
pub const TIKTOK_PRIVACY: [(&str, &str); 4] = [
    ("PUBLIC_TO_EVERYONE", "Everyone"),
    ("MUTUAL_FOLLOW_FRIENDS", "Friends"),
    ("FOLLOWER_OF_CREATOR", "Followers"),
    ("SELF_ONLY", "Only me"),
];

/// What the person chose for one TikTok post.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TiktokSettings {
    /// One of `TIKTOK_PRIVACY`; must also be among the creator's current options.
    pub privacy_level: String,
    #[serde(default)]
    pub allow_comments: bool,
    #[serde(default)]
    pub allow_duet: bool,
    #[serde(default)]
    pub allow_stitch: bool,
    /// Commercial content: promotes the creator's own business ("Your brand").
    #[serde(default)]
    pub your_brand: bool,
    /// Commercial content: a paid partnership ("Branded content").
    #[serde(default)]
    pub branded_content: bool,
}

impl TiktokSettings {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.privacy_level.is_empty() {
            return Err(DomainError::new(
                "tiktok_privacy_required",
                "Choose who can see the TikTok post: TikTok asks you to pick it each time.",
            ));
        }
        if !TIKTOK_PRIVACY.iter().any(|(v, _)| *v == self.privacy_level) {
            return Err(DomainError::new(
                "tiktok_privacy_invalid",
                format!("\"{}\" is not a TikTok privacy level. Choose Everyone, Friends, Followers or Only me.", self.privacy_level),
            ));
        }
        if self.branded_content && self.privacy_level == "SELF_ONLY" {
            return Err(DomainError::new(
                "tiktok_branded_private",
                "Branded content cannot be private on TikTok. Choose who else can see it, or untick Branded content.",
            ));
        }
        Ok(())
    }

    /// The words for a privacy level ("Only me").
    pub fn privacy_label(level: &str) -> &'static str {
        TIKTOK_PRIVACY.iter().find(|(v, _)| *v == level).map_or("Unknown", |(_, l)| l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privacy_must_be_chosen_and_branded_content_cannot_be_private() {
        let s = |p: &str, branded: bool| TiktokSettings { privacy_level: p.into(), branded_content: branded, ..Default::default() };
        assert_eq!(s("", false).validate().unwrap_err().code, "tiktok_privacy_required");
        assert_eq!(s("PUBLIC", false).validate().unwrap_err().code, "tiktok_privacy_invalid");
        assert_eq!(s("SELF_ONLY", true).validate().unwrap_err().code, "tiktok_branded_private");
        assert!(s("SELF_ONLY", false).validate().is_ok());
        assert!(s("FOLLOWER_OF_CREATOR", true).validate().is_ok());
        assert_eq!(TiktokSettings::privacy_label("MUTUAL_FOLLOW_FRIENDS"), "Friends");
    }
}
