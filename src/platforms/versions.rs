//! Versioned values of the platform APIs, in one place: they drift (LinkedIn sunsets each
//! monthly version after about a year; Meta retires Graph versions after two).

/// `LinkedIn-Version` header for `/rest/*` calls (YYYYMM).
pub const LINKEDIN_VERSION: &str = "202601";
/// `X-Restli-Protocol-Version` header for LinkedIn `/rest/*` calls.
pub const LINKEDIN_RESTLI: &str = "2.0.0";
/// Facebook / Instagram Graph API version path segment.
pub const GRAPH_VERSION: &str = "v21.0";
/// Threads Graph API version path segment.
pub const THREADS_VERSION: &str = "v1.0";
/// Pinterest API version path segment.
pub const PINTEREST_VERSION: &str = "v5";
/// Mastodon application name registered on each instance.
pub const MASTODON_APP_NAME: &str = "Covalynce";
