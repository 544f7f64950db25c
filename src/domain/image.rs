//! The one rule for the image a draft or post carries, so a draft can never hold an image
//! that publishing later refuses: one of the person's uploads (`/media/{id}`, its thumbnail
//! `/media/{id}/thumb`) or a public `https://` address. Whether an upload is the caller's own
//! is checked where the database is (publishing).

use super::DomainError;

/// Longest image address accepted (browsers and CDNs cap URLs near here).
pub const IMAGE_URL_MAX: usize = 2_048;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// An upload, by its id.
    Upload(String),
    /// A public web address the platform fetches.
    Web(String),
}

impl ImageRef {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let u = raw.trim();
        let bad = || DomainError::new("invalid_image_url", "The image must be an uploaded image or an https:// address.");
        if u.is_empty() || u.len() > IMAGE_URL_MAX || u.chars().any(char::is_control) {
            return Err(bad());
        }
        if let Some(rest) = u.strip_prefix("/media/") {
            let id = rest.strip_suffix("/thumb").unwrap_or(rest);
            return if !id.is_empty() && !id.contains(['/', '?', '#', '\\', ' ']) { Ok(Self::Upload(id.to_string())) } else { Err(bad()) };
        }
        let host = u.get(..8).filter(|s| s.eq_ignore_ascii_case("https://")).map(|_| &u[8..]).ok_or_else(bad)?;
        let host = host.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || host.contains('@') {
            return Err(bad());
        }
        Ok(Self::Web(u.to_string()))
    }

    /// What a preview shows: an upload's thumbnail, or the address as it is.
    pub fn thumb_url(&self) -> String {
        match self {
            Self::Upload(id) => format!("/media/{id}/thumb"),
            Self::Web(u) => u.clone(),
        }
    }

    /// The upload's id, when it is one.
    pub fn upload_id(&self) -> Option<&str> {
        match self {
            Self::Upload(id) => Some(id),
            Self::Web(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_and_https_addresses_are_images_and_nothing_else_is() {
        assert_eq!(ImageRef::parse("/media/abc").unwrap().upload_id(), Some("abc"));
        assert_eq!(ImageRef::parse("/media/abc/thumb").unwrap().upload_id(), Some("abc"));
        assert_eq!(ImageRef::parse("/media/abc/thumb").unwrap().thumb_url(), "/media/abc/thumb");
        assert_eq!(ImageRef::parse(" https://cdn.example/a.png ").unwrap(), ImageRef::Web("https://cdn.example/a.png".into()));
        for bad in [
            "",
            "http://cdn.example/a.png",
            "/etc/passwd",
            "/media/",
            "/media/a/b",
            "https://",
            "https:///x",
            "https://u@evil/x",
            "javascript:alert(1)",
            "https://a\nb",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} is not an image");
        }
        assert!(ImageRef::parse(&format!("https://cdn.example/{}", "a".repeat(IMAGE_URL_MAX))).is_err());
    }
}
