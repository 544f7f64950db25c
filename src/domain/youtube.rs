//! YouTube's upload choices: who can see the video (privacy status, no default), whether it
//! is made for kids (required by YouTube under COPPA, no default) and its category.

use super::DomainError;
use serde::{Deserialize, Serialize};

/// YouTube's privacy statuses with the words shown in the editor.
pub const YOUTUBE_PRIVACY: [(&str, &str); 3] = [("public", "Public"), ("unlisted", "Unlisted"), ("private", "Private")];

/// The video categories YouTube lets uploads use (`assignable`), id and name.
pub const YOUTUBE_CATEGORIES: [(&str, &str); 15] = [
    ("1", "Film & Animation"),
    ("2", "Autos & Vehicles"),
    ("10", "Music"),
    ("15", "Pets & Animals"),
    ("17", "Sports"),
    ("19", "Travel & Events"),
    ("20", "Gaming"),
    ("22", "People & Blogs"),
    ("23", "Comedy"),
    ("24", "Entertainment"),
    ("25", "News & Politics"),
    ("26", "Howto & Style"),
    ("27", "Education"),
    ("28", "Science & Technology"),
    ("29", "Nonprofits & Activism"),
];

/// "People & Blogs", YouTube's own default for uploads.
pub const YOUTUBE_DEFAULT_CATEGORY: &str = "22";

/// What the person chose for one YouTube video.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YoutubeSettings {
    /// One of `YOUTUBE_PRIVACY`: public, unlisted or private.
    #[serde(default)]
    pub privacy_status: String,
    /// Required: `None` means the person has not said yet.
    #[serde(default)]
    pub made_for_kids: Option<bool>,
    /// One of `YOUTUBE_CATEGORIES`; empty means People & Blogs.
    #[serde(default)]
    pub category_id: String,
}

impl YoutubeSettings {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.privacy_status.is_empty() {
            return Err(DomainError::new("youtube_privacy_required", "Choose who can see the YouTube video: Public, Unlisted or Private."));
        }
        if !YOUTUBE_PRIVACY.iter().any(|(v, _)| *v == self.privacy_status) {
            return Err(DomainError::new(
                "youtube_privacy_invalid",
                format!("\"{}\" is not a YouTube privacy setting. Choose Public, Unlisted or Private.", self.privacy_status),
            ));
        }
        if self.made_for_kids.is_none() {
            return Err(DomainError::new(
                "youtube_made_for_kids_required",
                "Say whether the YouTube video is made for kids: YouTube requires it (COPPA).",
            ));
        }
        if !YOUTUBE_CATEGORIES.iter().any(|(id, _)| *id == self.category()) {
            return Err(DomainError::new(
                "youtube_category_invalid",
                format!("\"{}\" is not a YouTube category you can choose. Pick one from the list.", self.category_id),
            ));
        }
        Ok(())
    }

    /// The category to send: the chosen one, or People & Blogs.
    pub fn category(&self) -> &str {
        let c = self.category_id.trim();
        if c.is_empty() {
            YOUTUBE_DEFAULT_CATEGORY
        } else {
            c
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privacy_and_made_for_kids_must_be_chosen_and_the_category_known() {
        let s =
            |p: &str, kids: Option<bool>, c: &str| YoutubeSettings { privacy_status: p.into(), made_for_kids: kids, category_id: c.into() };
        assert_eq!(s("", Some(false), "").validate().unwrap_err().code, "youtube_privacy_required");
        assert_eq!(s("PUBLIC", Some(false), "").validate().unwrap_err().code, "youtube_privacy_invalid");
        let e = s("public", None, "").validate().unwrap_err();
        assert_eq!(e.code, "youtube_made_for_kids_required");
        assert!(e.message.contains("made for kids"), "{}", e.message);
        assert_eq!(s("unlisted", Some(true), "99").validate().unwrap_err().code, "youtube_category_invalid");
        assert!(s("private", Some(true), "27").validate().is_ok());
        let d = s("public", Some(false), "");
        assert!(d.validate().is_ok());
        assert_eq!(d.category(), "22", "empty category = People & Blogs");
    }
}
