//! Per-network choices for one post, beyond its text and media (TikTok's privacy and
//! disclosure, YouTube's privacy, made-for-kids and category, Pinterest's board). One type
//! carries them from the API and the editor to storage (one JSON column,
//! `posts.platform_options`) and to the adapters; each network reads its own part.

use super::{DomainError, PinterestSettings, PlatformId, TiktokSettings, YoutubeSettings};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostOptions {
    /// Required for TikTok (it has no default privacy level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiktok: Option<TiktokSettings>,
    /// Required for YouTube (privacy and made-for-kids have no default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub youtube: Option<YoutubeSettings>,
    /// Optional for Pinterest: without it the Pin goes to the account's first board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinterest: Option<PinterestSettings>,
}

impl PostOptions {
    /// The choices a post to `p` must carry, checked before anything is stored.
    pub fn validate_for(&self, p: PlatformId) -> Result<(), DomainError> {
        match p {
            PlatformId::Tiktok => self.tiktok.clone().unwrap_or_default().validate(),
            PlatformId::Youtube => self.youtube.clone().unwrap_or_default().validate(),
            PlatformId::Pinterest => self.pinterest.as_ref().map_or(Ok(()), PinterestSettings::validate),
            _ => Ok(()),
        }
    }

    /// Only the part `p` reads (what is stored with that network's post).
    pub fn only_for(&self, p: PlatformId) -> PostOptions {
        PostOptions {
            tiktok: self.tiktok.clone().filter(|_| p == PlatformId::Tiktok),
            youtube: self.youtube.clone().filter(|_| p == PlatformId::Youtube),
            pinterest: self.pinterest.clone().filter(|_| p == PlatformId::Pinterest),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == PostOptions::default()
    }
}

/// The stored JSON read back (a row's `platform_options`); none or unreadable means no choices.
impl From<Option<String>> for PostOptions {
    fn from(json: Option<String>) -> Self {
        json.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default()
    }
}
