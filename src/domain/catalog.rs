//! The platform catalogue: what each network needs, asks for and allows, as plain static data.
//!
//! Feeds the quick-connect wizard and config discovery (seed 001 §5, §10), the consent modal
//! (every scope in plain words) and the editor's limits. Values come from
//! `docs/platform-contracts.md`; where it is silent, a `// why` comment names the source.

use super::PlatformId;
use serde::Serialize;

/// How hard connecting is for a non-technical person (seed 001 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

/// One permission the platform will grant, explained for the consent modal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeInfo {
    /// The exact scope string sent to the platform.
    pub scope: &'static str,
    pub title: &'static str,
    /// Plain-language reason, shown before the user consents.
    pub reason: &'static str,
    /// False = asked for, but connecting still works if the user or platform withholds it.
    pub required: bool,
    /// One of "identity", "publishing", "analytics", "media", "pages". Seed 001 §4 only splits
    /// can_post (publishing, media, pages) from can_read (identity, analytics).
    pub category: &'static str,
}

/// What one post may contain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limits {
    /// Main text field: tweet, caption, commentary or description.
    pub text_max: u32,
    /// "chars" | "graphemes" | "x-weighted".
    pub counting: &'static str,
    pub max_images: u8,
    pub max_image_bytes: u64,
    pub image_types: &'static [&'static str],
    /// The platform refuses text-only posts.
    pub requires_media: bool,
}

impl Limits {
    /// An image of this content type and size is taken as it is. No listed types, or a size
    /// of 0, means the platform sets no such rule.
    pub fn takes_image(&self, content_type: &str, len: u64) -> bool {
        (self.image_types.is_empty() || self.image_types.contains(&content_type))
            && (self.max_image_bytes == 0 || len <= self.max_image_bytes)
    }
}

/// Everything the UI and the adapters need to know about a platform before connecting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformInfo {
    pub id: PlatformId,
    pub display_name: &'static str,
    /// simple-icons style slug.
    pub icon: &'static str,
    /// `#RRGGBB`.
    pub brand_color: &'static str,
    pub difficulty: Difficulty,
    pub setup_minutes: u16,
    /// 1 = connect first.
    pub recommended_order: u8,
    pub features: &'static [&'static str],
    /// What the user must already have; empty = nothing special.
    pub requirements: &'static [&'static str],
    /// "oauth2-pkce" | "oauth2" | "app-password" | "oauth2-per-instance".
    pub auth: &'static str,
    pub supports_refresh: bool,
    /// A refresh invalidates the previous refresh credential: always persist the new one.
    pub refresh_rotates: bool,
    /// Typical access-token lifetime; `None` = lives until revoked. Prefer `expires_in` when
    /// the platform sends it.
    pub access_ttl_secs: Option<u64>,
    pub scopes: &'static [ScopeInfo],
    pub limits: Limits,
    pub docs_url: &'static str,
}

const MB: u64 = 1024 * 1024;
const DAY: u64 = 86_400;

mod scopes;
use scopes::*;

/// All platforms, in recommended connection order.
pub static CATALOG: [PlatformInfo; 10] = [
    PlatformInfo {
        id: PlatformId::X,
        display_name: "X (Twitter)",
        icon: "x",
        brand_color: "#000000",
        difficulty: Difficulty::Easy,
        setup_minutes: 2,
        recommended_order: 1,
        features: &["Post tweets", "Post threads", "Upload images and video", "Auto-scheduling"],
        requirements: &[],
        auth: "oauth2-pkce",
        supports_refresh: true,
        refresh_rotates: true,
        access_ttl_secs: Some(7_200),
        scopes: X_SCOPES,
        limits: Limits {
            text_max: 280,
            counting: "x-weighted",
            max_images: 4,
            // why: X media docs cap images at 5 MB (GIFs 15 MB).
            max_image_bytes: 5 * MB,
            image_types: &["image/jpeg", "image/png", "image/gif", "image/webp"],
            requires_media: false,
        },
        docs_url: "https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code",
    },
    PlatformInfo {
        id: PlatformId::Facebook,
        display_name: "Facebook Pages",
        icon: "facebook",
        brand_color: "#1877F2",
        difficulty: Difficulty::Easy,
        setup_minutes: 3,
        recommended_order: 2,
        features: &["Post to Pages", "Share photos and videos", "Auto-scheduling", "Analytics"],
        // Facebook's API cannot post to personal profiles, only to Pages.
        requirements: &["A Facebook Page you manage"],
        auth: "oauth2",
        supports_refresh: false,
        refresh_rotates: false,
        // Page tokens minted from a long-lived user token never expire.
        access_ttl_secs: None,
        scopes: FACEBOOK_SCOPES,
        limits: Limits {
            // why: Facebook's documented post length limit.
            text_max: 63_206,
            counting: "chars",
            // why: no documented cap for attached_media; 10 keeps multi-photo posts sane.
            max_images: 10,
            // why: Graph API photo guidance: under 4 MB.
            max_image_bytes: 4 * MB,
            image_types: &["image/jpeg", "image/png", "image/gif", "image/webp"],
            requires_media: false,
        },
        docs_url: "https://developers.facebook.com/docs/pages-api",
    },
    PlatformInfo {
        id: PlatformId::Instagram,
        display_name: "Instagram",
        icon: "instagram",
        brand_color: "#E4405F",
        difficulty: Difficulty::Medium,
        setup_minutes: 5,
        recommended_order: 3,
        features: &["Photos and videos", "Carousels", "Reels", "Stories", "Auto-scheduling"],
        requirements: &[
            "An Instagram professional account (Business or Creator)",
            "That Instagram account linked to a Facebook Page you manage",
        ],
        auth: "oauth2",
        // Facebook Login variant: no refresh grant, re-login before the 60 days end.
        supports_refresh: false,
        refresh_rotates: false,
        access_ttl_secs: Some(60 * DAY),
        scopes: INSTAGRAM_SCOPES,
        limits: Limits {
            // why: Instagram's documented caption limit.
            text_max: 2_200,
            counting: "chars",
            // why: content publishing docs allow 10 items per carousel.
            max_images: 10,
            // why: content publishing image spec: JPEG only, 8 MB max.
            max_image_bytes: 8 * MB,
            image_types: &["image/jpeg"],
            requires_media: true,
        },
        docs_url: "https://developers.facebook.com/docs/instagram-platform/content-publishing",
    },
    PlatformInfo {
        id: PlatformId::Linkedin,
        display_name: "LinkedIn",
        icon: "linkedin",
        brand_color: "#0A66C2",
        difficulty: Difficulty::Easy,
        setup_minutes: 2,
        recommended_order: 4,
        features: &["Post updates", "Post as your Company Page", "Share images and video", "Auto-scheduling"],
        requirements: &["To post as a Company Page: an admin role on that Page"],
        auth: "oauth2",
        // Refresh tokens go only to approved Community Management partners, and their 365-day
        // expiry never resets; plan for a reconnect every 60 days.
        supports_refresh: false,
        refresh_rotates: false,
        access_ttl_secs: Some(60 * DAY),
        scopes: LINKEDIN_SCOPES,
        limits: Limits {
            // why: LinkedIn's documented post commentary limit.
            text_max: 3_000,
            counting: "chars",
            // contracts §2: multiImage takes up to 20 (unverified).
            max_images: 20,
            // why: LinkedIn documents a pixel cap (36,152,320 px), not bytes; 5 MB is the
            // widely used upload limit.
            max_image_bytes: 5 * MB,
            image_types: &["image/jpeg", "image/png", "image/gif"],
            requires_media: false,
        },
        docs_url: "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/\
                   shares/posts-api",
    },
    PlatformInfo {
        id: PlatformId::Youtube,
        display_name: "YouTube",
        icon: "youtube",
        brand_color: "#FF0000",
        difficulty: Difficulty::Medium,
        setup_minutes: 4,
        recommended_order: 5,
        features: &["Upload videos", "Shorts", "Custom thumbnails", "Titles and descriptions"],
        requirements: &["A YouTube channel on your Google account"],
        auth: "oauth2",
        supports_refresh: true,
        refresh_rotates: false,
        access_ttl_secs: Some(3_600),
        scopes: YOUTUBE_SCOPES,
        limits: Limits {
            // why: Data API caps the description at 5000 bytes (title 100 chars); the editor
            // counts chars, the adapter must also check UTF-8 bytes.
            text_max: 5_000,
            counting: "chars",
            // Video only: the Data API has no image or text posts.
            max_images: 0,
            max_image_bytes: 0,
            image_types: &[],
            requires_media: true,
        },
        docs_url: "https://developers.google.com/youtube/v3/guides/uploading_a_video",
    },
    PlatformInfo {
        id: PlatformId::Pinterest,
        display_name: "Pinterest",
        icon: "pinterest",
        brand_color: "#BD081C",
        difficulty: Difficulty::Easy,
        setup_minutes: 3,
        recommended_order: 6,
        features: &["Create Pins", "Upload images", "Choose boards", "Auto-scheduling"],
        requirements: &["A Pinterest account with at least one board"],
        auth: "oauth2",
        supports_refresh: true,
        // Continuous refresh (a new refresh token each time) is becoming Pinterest's default;
        // treating it as rotating is the safe reading.
        refresh_rotates: true,
        access_ttl_secs: Some(30 * DAY),
        scopes: PINTEREST_SCOPES,
        limits: Limits {
            // why: Pin description limit (title is a separate 100-char field).
            text_max: 800,
            counting: "chars",
            // why: carousel Pins take up to 5 images.
            max_images: 5,
            // why: Pinterest's image spec: 20 MB.
            max_image_bytes: 20 * MB,
            image_types: &["image/jpeg", "image/png", "image/webp"],
            requires_media: true,
        },
        docs_url: "https://developers.pinterest.com/docs/api/v5/",
    },
    PlatformInfo {
        id: PlatformId::Threads,
        display_name: "Threads",
        icon: "threads",
        brand_color: "#000000",
        difficulty: Difficulty::Easy,
        setup_minutes: 3,
        recommended_order: 7,
        features: &["Post text", "Photos and videos", "Carousels", "Auto-scheduling"],
        requirements: &["A Threads profile (created from your Instagram account)"],
        auth: "oauth2",
        supports_refresh: true,
        // th_refresh_token replaces the long-lived token itself.
        refresh_rotates: true,
        access_ttl_secs: Some(60 * DAY),
        scopes: THREADS_SCOPES,
        limits: Limits {
            // contracts §5 marks 500 unverified; it is Meta's documented limit.
            text_max: 500,
            counting: "chars",
            // why: Threads carousels take up to 20 items.
            max_images: 20,
            // why: Threads image spec: JPEG/PNG, 8 MB.
            max_image_bytes: 8 * MB,
            image_types: &["image/jpeg", "image/png"],
            requires_media: false,
        },
        docs_url: "https://developers.facebook.com/docs/threads",
    },
    PlatformInfo {
        id: PlatformId::Bluesky,
        display_name: "Bluesky",
        icon: "bluesky",
        brand_color: "#0085FF",
        difficulty: Difficulty::Easy,
        setup_minutes: 3,
        recommended_order: 8,
        features: &["Post text", "Post threads", "Upload images", "Auto-scheduling"],
        requirements: &[
            "A Bluesky account",
            "An app password from Bluesky's Settings > Privacy and security > App passwords \
             (never your main password)",
        ],
        auth: "app-password",
        supports_refresh: true,
        refresh_rotates: true,
        // why: the reference PDS issues 120-minute access JWTs; read `exp` to be sure.
        access_ttl_secs: Some(7_200),
        scopes: &[],
        limits: Limits {
            text_max: 300,
            counting: "graphemes",
            max_images: 4,
            // contracts §9: app limit ~1,000,000 bytes (unverified).
            max_image_bytes: 1_000_000,
            image_types: &["image/jpeg", "image/png", "image/webp"],
            requires_media: false,
        },
        docs_url: "https://docs.bsky.app/docs/get-started",
    },
    PlatformInfo {
        id: PlatformId::Mastodon,
        display_name: "Mastodon",
        icon: "mastodon",
        brand_color: "#6364FF",
        difficulty: Difficulty::Medium,
        setup_minutes: 3,
        recommended_order: 9,
        features: &["Post text", "Upload images", "Content warnings", "Auto-scheduling"],
        requirements: &["A Mastodon account", "Your server's address, e.g. mastodon.social"],
        auth: "oauth2-per-instance",
        supports_refresh: false,
        refresh_rotates: false,
        access_ttl_secs: None,
        scopes: MASTODON_SCOPES,
        limits: Limits {
            // Defaults; each server may differ (read /api/v2/instance).
            text_max: 500,
            counting: "chars",
            max_images: 4,
            // why: Mastodon 4.x default MAX_IMAGE_SIZE (16 MB); older servers used 10 MB.
            max_image_bytes: 16 * MB,
            image_types: &["image/jpeg", "image/png", "image/gif", "image/webp"],
            requires_media: false,
        },
        docs_url: "https://docs.joinmastodon.org/client/token/",
    },
    PlatformInfo {
        id: PlatformId::Tiktok,
        display_name: "TikTok",
        icon: "tiktok",
        brand_color: "#000000",
        difficulty: Difficulty::Hard,
        setup_minutes: 10,
        recommended_order: 10,
        features: &["Upload videos", "Photo carousels", "Privacy controls", "Auto-scheduling"],
        requirements: &["A TikTok account", "Until this server's TikTok app passes TikTok's audit, posts are visible only to you"],
        auth: "oauth2",
        supports_refresh: true,
        refresh_rotates: true,
        // Docs disagree (24 h vs 2 h); the shorter keeps refresh scheduling safe.
        access_ttl_secs: Some(7_200),
        scopes: TIKTOK_SCOPES,
        limits: Limits {
            // why: TikTok's documented video caption limit (photo descriptions allow 4000).
            text_max: 2_200,
            counting: "chars",
            // why: photo posts take up to 35 images, JPEG/WebP, 20 MB each.
            max_images: 35,
            max_image_bytes: 20 * MB,
            image_types: &["image/jpeg", "image/webp"],
            requires_media: true,
        },
        docs_url: "https://developers.tiktok.com/doc/content-posting-api-get-started",
    },
];

/// The catalogue entry for `id`.
pub fn platform_info(id: PlatformId) -> &'static PlatformInfo {
    CATALOG.iter().find(|p| p.id == id).expect("every PlatformId has a catalogue entry (checked by tests)")
}

/// All platforms, the one to connect first first.
pub fn catalog_in_order() -> impl Iterator<Item = &'static PlatformInfo> {
    // CATALOG is stored in recommended order (checked by tests).
    CATALOG.iter()
}

/// The picture shape a network shows best in the feed: pixels, and the ratio as Gemini's
/// `imageConfig.aspectRatio` names it. Text cards and generated images use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FeedImage {
    pub width: u32,
    pub height: u32,
    pub aspect: &'static str,
}

/// Without a platform: Instagram's portrait, which crops well everywhere else.
pub const DEFAULT_FEED_IMAGE: FeedImage = FeedImage { width: 1080, height: 1350, aspect: "4:5" };

pub fn feed_image(id: PlatformId) -> FeedImage {
    match id {
        PlatformId::Instagram => DEFAULT_FEED_IMAGE,
        // why: link-card / in-feed landscape that X, LinkedIn, Facebook, Bluesky, Mastodon and
        // Threads all show uncropped.
        PlatformId::X | PlatformId::Linkedin | PlatformId::Facebook | PlatformId::Bluesky | PlatformId::Mastodon | PlatformId::Threads => {
            FeedImage { width: 1200, height: 675, aspect: "16:9" }
        }
        // why: Pinterest recommends 2:3 Pins.
        PlatformId::Pinterest => FeedImage { width: 1000, height: 1500, aspect: "2:3" },
        // Full-screen vertical.
        PlatformId::Tiktok | PlatformId::Youtube => FeedImage { width: 1080, height: 1920, aspect: "9:16" },
    }
}

#[cfg(test)]
mod tests;
