//! Every permission each platform grants, explained in plain words for the consent modal.

use super::ScopeInfo;

pub(super) const X_SCOPES: &[ScopeInfo] = &[
    ScopeInfo {
        scope: "users.read",
        title: "See your profile",
        reason: "Lets Covalynce show which X account is connected, with its name and picture.",
        required: true,
        category: "identity",
    },
    ScopeInfo {
        scope: "tweet.read",
        title: "Read your posts",
        reason: "Lets Covalynce confirm your posts went out and show how they are doing.",
        required: true,
        category: "analytics",
    },
    ScopeInfo {
        scope: "tweet.write",
        title: "Publish posts",
        reason: "Lets Covalynce publish the posts and threads you approve to your X account.",
        required: true,
        category: "publishing",
    },
    ScopeInfo {
        scope: "media.write",
        title: "Upload images and video",
        reason: "Lets Covalynce attach the images and videos you choose to your posts.",
        required: true,
        category: "media",
    },
    ScopeInfo {
        scope: "offline.access",
        title: "Stay connected",
        reason: "Keeps you connected so scheduled posts go out while you are away, without \
                 signing in again every two hours.",
        required: true,
        category: "identity",
    },
];

pub(super) const FACEBOOK_SCOPES: &[ScopeInfo] = &[
    ScopeInfo {
        scope: "public_profile",
        title: "See your name",
        reason: "Lets Covalynce show whose Facebook account was used to connect your Pages.",
        required: true,
        category: "identity",
    },
    ScopeInfo {
        scope: "pages_show_list",
        title: "List your Pages",
        reason: "Lets Covalynce show the Facebook Pages you manage so you can pick where to post.",
        required: true,
        category: "pages",
    },
    ScopeInfo {
        scope: "pages_manage_posts",
        title: "Publish to your Pages",
        reason: "Lets Covalynce publish the posts, photos and videos you approve to your Page.",
        required: true,
        category: "publishing",
    },
    ScopeInfo {
        scope: "pages_read_engagement",
        title: "Read your Page's posts",
        reason: "Lets Covalynce read your Page's posts and their reactions, which Facebook \
                 requires before it allows posting.",
        required: true,
        category: "pages",
    },
    ScopeInfo {
        scope: "read_insights",
        title: "Read Page statistics",
        reason: "Lets Covalynce show how many people saw and clicked your Page's posts.",
        required: false,
        category: "analytics",
    },
    ScopeInfo {
        scope: "business_management",
        title: "Reach Business Manager Pages",
        reason: "Lets Covalynce find Pages that belong to your business in Meta Business \
                 Manager.",
        required: false,
        category: "pages",
    },
];

// Instagram API with Facebook Login (contracts §4): matches seed 001's "connected to a
// Facebook Page" requirement and reuses the Meta app.
pub(super) const INSTAGRAM_SCOPES: &[ScopeInfo] = &[
    ScopeInfo {
        scope: "instagram_basic",
        title: "See your Instagram profile",
        reason: "Lets Covalynce show which Instagram account is connected, with its username \
                 and picture.",
        required: true,
        category: "identity",
    },
    ScopeInfo {
        scope: "instagram_content_publish",
        title: "Publish posts",
        reason: "Lets Covalynce publish the photos, carousels, Reels and Stories you approve.",
        required: true,
        category: "publishing",
    },
    ScopeInfo {
        scope: "pages_show_list",
        title: "List your Pages",
        reason: "Lets Covalynce find the Facebook Page your Instagram account is linked to.",
        required: true,
        category: "pages",
    },
    ScopeInfo {
        scope: "pages_read_engagement",
        title: "Read the linked Page",
        reason: "Lets Covalynce look up the Instagram account attached to your Facebook Page.",
        required: true,
        category: "pages",
    },
    ScopeInfo {
        scope: "instagram_manage_insights",
        title: "Read post statistics",
        reason: "Lets Covalynce show views, likes, comments and saves for your posts.",
        required: false,
        category: "analytics",
    },
    ScopeInfo {
        scope: "business_management",
        title: "Reach Business Manager Pages",
        reason: "Lets Covalynce find your account when its Page belongs to Meta Business \
                 Manager.",
        required: false,
        category: "pages",
    },
];

pub(super) const LINKEDIN_SCOPES: &[ScopeInfo] = &[
    ScopeInfo {
        scope: "openid",
        title: "Confirm it is you",
        reason: "Lets Covalynce confirm which LinkedIn member is connecting.",
        required: true,
        category: "identity",
    },
    ScopeInfo {
        scope: "profile",
        title: "See your name and photo",
        reason: "Lets Covalynce show your LinkedIn name and photo next to the connection.",
        required: true,
        category: "identity",
    },
    ScopeInfo {
        scope: "email",
        title: "See your email address",
        reason: "Lets Covalynce tell apart several LinkedIn accounts by their email address.",
        required: false,
        category: "identity",
    },
    ScopeInfo {
        scope: "w_member_social",
        title: "Post as you",
        reason: "Lets Covalynce publish the updates you approve to your LinkedIn profile.",
        required: true,
        category: "publishing",
    },
    ScopeInfo {
        scope: "w_organization_social",
        title: "Post as your Company Page",
        reason: "Lets Covalynce publish the updates you approve to Company Pages you administer.",
        required: false,
        category: "pages",
    },
    ScopeInfo {
        scope: "rw_organization_admin",
        title: "List your Company Pages",
        reason: "Lets Covalynce list the Company Pages you administer so you can pick one.",
        required: false,
        category: "pages",
    },
    ScopeInfo {
        scope: "r_organization_social",
        title: "Read Company Page posts",
        reason: "Lets Covalynce show reactions and statistics for your Company Page posts.",
        required: false,
        category: "analytics",
    },
    ScopeInfo {
        scope: "r_member_postAnalytics",
        title: "Read your post statistics",
        reason: "Lets Covalynce show impressions and reactions for posts on your profile.",
        required: false,
        category: "analytics",
    },
];

pub(super) const YOUTUBE_SCOPES: &[ScopeInfo] = &[
    ScopeInfo {
        scope: "https://www.googleapis.com/auth/youtube.readonly",
        title: "See your channel",
        reason: "Lets Covalynce show your channel name and read view and like counts for your \
                 videos.",
        required: true,
        category: "identity",
    },
    ScopeInfo {
        scope: "https://www.googleapis.com/auth/youtube.upload",
        title: "Upload videos",
        reason: "Lets Covalynce upload the videos you approve, with their titles and \
                 descriptions, to your channel.",
        required: true,
        category: "publishing",
    },
    ScopeInfo {
        scope: "https://www.googleapis.com/auth/yt-analytics.readonly",
        title: "Read channel analytics",
        reason: "Lets Covalynce show deeper statistics such as watch time for your channel.",
        required: false,
        category: "analytics",
    },
];

pub(super) const TIKTOK_SCOPES: &[ScopeInfo] = &[
    ScopeInfo {
        scope: "user.info.basic",
        title: "See your profile",
        reason: "Lets Covalynce show which TikTok account is connected, with its name and \
                 picture.",
        required: true,
        category: "identity",
    },
    ScopeInfo {
        scope: "user.info.profile",
        title: "See your username",
        reason: "Lets Covalynce build working links to the videos it posts for you.",
        required: false,
        category: "identity",
    },
    ScopeInfo {
        scope: "video.publish",
        title: "Post videos and photos",
        reason: "Lets Covalynce post the videos and photo sets you approve to your TikTok \
                 profile.",
        required: true,
        category: "publishing",
    },
    ScopeInfo {
        scope: "video.upload",
        title: "Send drafts",
        reason: "Lets Covalynce send a video to your TikTok inbox so you can finish it in the \
                 app.",
        required: false,
        category: "media",
    },
    ScopeInfo {
        scope: "video.list",
        title: "Read video statistics",
        reason: "Lets Covalynce show views, likes, comments and shares for your videos.",
        required: false,
        category: "analytics",
    },
];

pub(super) const PINTEREST_SCOPES: &[ScopeInfo] = &[
    ScopeInfo {
        scope: "user_accounts:read",
        title: "See your account",
        reason: "Lets Covalynce show which Pinterest account is connected and its statistics.",
        required: true,
        category: "identity",
    },
    ScopeInfo {
        scope: "boards:read",
        title: "List your boards",
        reason: "Lets Covalynce show your boards so you can choose where each Pin goes.",
        required: true,
        category: "pages",
    },
    ScopeInfo {
        scope: "pins:write",
        title: "Create Pins",
        reason: "Lets Covalynce create the Pins you approve on the boards you choose.",
        required: true,
        category: "publishing",
    },
    ScopeInfo {
        scope: "boards:write",
        title: "Create boards",
        reason: "Lets Covalynce create a new board for you when you ask it to.",
        required: false,
        category: "pages",
    },
    ScopeInfo {
        scope: "pins:read",
        title: "Read Pin statistics",
        reason: "Lets Covalynce show impressions, saves and clicks for your Pins.",
        required: false,
        category: "analytics",
    },
];

pub(super) const THREADS_SCOPES: &[ScopeInfo] = &[
    ScopeInfo {
        scope: "threads_basic",
        title: "See your Threads profile",
        reason: "Lets Covalynce show which Threads profile is connected, with its username and \
                 picture.",
        required: true,
        category: "identity",
    },
    ScopeInfo {
        scope: "threads_content_publish",
        title: "Publish posts",
        reason: "Lets Covalynce publish the posts, photos and videos you approve to Threads.",
        required: true,
        category: "publishing",
    },
    ScopeInfo {
        scope: "threads_manage_replies",
        title: "Post replies",
        reason: "Lets Covalynce post a multi-part thread by replying to your own first post.",
        required: false,
        category: "publishing",
    },
    ScopeInfo {
        scope: "threads_manage_insights",
        title: "Read post statistics",
        reason: "Lets Covalynce show views, likes, replies and reposts for your posts.",
        required: false,
        category: "analytics",
    },
];

// Granular scopes (Mastodon 3.x+); `profile` would be narrower but only exists from 4.3.
pub(super) const MASTODON_SCOPES: &[ScopeInfo] = &[
    ScopeInfo {
        scope: "read:accounts",
        title: "See your profile",
        reason: "Lets Covalynce show which Mastodon account is connected, with its name and \
                 picture.",
        required: true,
        category: "identity",
    },
    ScopeInfo {
        scope: "write:statuses",
        title: "Publish posts",
        reason: "Lets Covalynce publish the posts you approve to your Mastodon account.",
        required: true,
        category: "publishing",
    },
    ScopeInfo {
        scope: "write:media",
        title: "Upload images",
        reason: "Lets Covalynce attach the images you choose, with their descriptions, to your \
                 posts.",
        required: true,
        category: "media",
    },
    ScopeInfo {
        scope: "read:statuses",
        title: "Read your posts",
        reason: "Lets Covalynce show boosts, favourites and replies for your posts.",
        required: false,
        category: "analytics",
    },
];
