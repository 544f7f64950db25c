//! One post as the calendar and the queue show it: the one shape for the JSON API and the
//! pages, with its local date and time worked out on the server (the browser has no reliable
//! zone database and its clock may be elsewhere).

use super::{platform_info, utc_ms_to_local, PlatformId, PostStatus, Timezone};
use serde::{Deserialize, Serialize};

/// Characters of a post's text shown on the calendar.
pub const SNIPPET: usize = 140;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CalendarPost {
    pub id: String,
    pub platform: String,
    /// The platform's brand colour, `#RRGGBB`.
    pub color: String,
    pub account_name: String,
    pub status: PostStatus,
    /// UTC milliseconds.
    pub scheduled_at: i64,
    /// `2026-11-24` in the person's zone.
    pub local_date: String,
    /// `14:30` in the person's zone.
    pub local_time: String,
    /// The start of the text (`SNIPPET` characters, `…` when cut).
    pub text: String,
    pub draft_id: Option<String>,
    pub recurrence_id: Option<String>,
    pub error_message: Option<String>,
    pub external_url: Option<String>,
}

impl CalendarPost {
    /// A post at `scheduled_at`, placed in `tz`; `body` may be the whole text or its start.
    /// The optional links start empty (set them with struct update syntax).
    pub fn new(
        id: String,
        platform: String,
        account_name: String,
        status: PostStatus,
        scheduled_at: i64,
        body: String,
        tz: &Timezone,
    ) -> Self {
        let local = utc_ms_to_local(tz, scheduled_at).unwrap_or_default();
        let text = if body.chars().count() > SNIPPET { body.chars().take(SNIPPET - 1).collect::<String>() + "…" } else { body };
        let color = PlatformId::parse(&platform).map(|p| platform_info(p).brand_color).unwrap_or("#64748b");
        Self {
            id,
            color: color.to_string(),
            platform,
            account_name,
            status,
            scheduled_at,
            local_date: local.format("%Y-%m-%d").to_string(),
            local_time: local.format("%H:%M").to_string(),
            text,
            draft_id: None,
            recurrence_id: None,
            error_message: None,
            external_url: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_to_the_snippet_with_an_ellipsis_and_placed_in_the_persons_zone() {
        let tz = Timezone::parse("Europe/Berlin").unwrap();
        // 2026-11-24 13:30 UTC = 14:30 in Berlin.
        let p = CalendarPost::new("p".into(), "x".into(), "ada".into(), PostStatus::Pending, 1_795_527_000_000, "a".repeat(200), &tz);
        assert_eq!((p.local_date.as_str(), p.local_time.as_str()), ("2026-11-24", "14:30"));
        assert_eq!(p.text.chars().count(), SNIPPET);
        assert!(p.text.ends_with('…'));
        assert_eq!(p.color, platform_info(PlatformId::X).brand_color);
    }
}
