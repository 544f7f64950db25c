//! Counting post text the way each platform does (the catalogue says which way): plain
//! characters, grapheme clusters (Bluesky), or X's weighted count (twitter-text v3: URLs
//! count 23, most Latin text 1 per character, CJK and emoji 2).

use super::{platform_info, PlatformId};
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// X counts every URL as this many characters (t.co wrapping).
pub const X_URL_LENGTH: u32 = 23;

/// Code points X weighs as 1; everything else weighs 2 (twitter-text v3 config).
const X_LIGHT_RANGES: [(u32, u32); 4] = [(0, 4351), (8192, 8205), (8208, 8223), (8242, 8247)];

fn is_emoji_grapheme(g: &str) -> bool {
    g.chars().any(|c| {
        let u = c as u32;
        (0x1F000..=0x1FAFF).contains(&u) || (0x2600..=0x27BF).contains(&u) || u == 0xFE0F || u == 0x200D
    })
}

fn x_weight(segment: &str) -> u32 {
    segment
        .graphemes(true)
        .map(|g| {
            if is_emoji_grapheme(g) {
                2
            } else {
                g.chars().map(|c| if X_LIGHT_RANGES.iter().any(|(a, b)| (*a..=*b).contains(&(c as u32))) { 1 } else { 2 }).sum()
            }
        })
        .sum()
}

/// X's weighted length of `text`.
pub fn x_weighted_length(text: &str) -> u32 {
    let mut total = 0;
    for token in text.split_inclusive(char::is_whitespace) {
        let word = token.trim_end_matches(char::is_whitespace);
        let trailing = &token[word.len()..];
        let lower = word.to_ascii_lowercase();
        if (lower.starts_with("https://") || lower.starts_with("http://")) && word.len() > 8 {
            total += X_URL_LENGTH;
        } else {
            total += x_weight(word);
        }
        total += x_weight(trailing);
    }
    total
}

/// Length in the unit `counting` names (`chars`, `graphemes` or `x-weighted`).
pub fn count_as(counting: &str, text: &str) -> u32 {
    match counting {
        "x-weighted" => x_weighted_length(text),
        "graphemes" => text.graphemes(true).count() as u32,
        _ => text.chars().count() as u32,
    }
}

/// A post's length against a platform's limit, for counters and validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LengthCheck {
    pub count: u32,
    pub limit: u32,
    /// Characters left; negative when over.
    pub remaining: i64,
}

impl LengthCheck {
    pub fn over(&self) -> bool {
        self.remaining < 0
    }
}

pub fn check_length(platform: PlatformId, text: &str) -> LengthCheck {
    check_length_within(platform, text, platform_info(platform).limits.text_max)
}

/// The same count against an account's own limit (a Mastodon server's `max_characters`).
pub fn check_length_within(platform: PlatformId, text: &str, limit: u32) -> LengthCheck {
    let count = count_as(platform_info(platform).limits.counting, text);
    LengthCheck { count, limit, remaining: limit as i64 - count as i64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_counts_urls_as_23() {
        assert_eq!(x_weighted_length("Read https://example.com/a/very/long/path?with=query"), 5 + X_URL_LENGTH);
        assert_eq!(x_weighted_length("http://x.co"), X_URL_LENGTH);
        assert_eq!(x_weighted_length("https:// alone"), 14, "a bare scheme is not a link");
    }

    #[test]
    fn x_weighs_cjk_and_emoji_double() {
        assert_eq!(x_weighted_length("hello"), 5);
        assert_eq!(x_weighted_length("日本語"), 6);
        assert_eq!(x_weighted_length("👍"), 2);
        assert_eq!(x_weighted_length("👨‍👩‍👧‍👦"), 2, "a ZWJ family is one emoji");
        assert_eq!(x_weighted_length("café – “quotes”"), 15, "Latin-1, en dash and curly quotes weigh 1");
    }

    #[test]
    fn bluesky_counts_graphemes_and_others_chars() {
        assert_eq!(count_as("graphemes", "e\u{301}👨‍👩‍👧"), 2);
        assert_eq!(count_as("chars", "e\u{301}"), 2);
    }

    #[test]
    fn limits_come_from_the_catalogue() {
        let at_limit = "a".repeat(280);
        assert!(!check_length(PlatformId::X, &at_limit).over());
        let over = check_length(PlatformId::X, &format!("{at_limit}!"));
        assert_eq!((over.remaining, over.over()), (-1, true));
        assert_eq!(check_length(PlatformId::Linkedin, "hi").limit, 3000);
        assert_eq!(check_length(PlatformId::Bluesky, &"👍".repeat(300)).remaining, 0);
    }
}
