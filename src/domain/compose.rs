//! Turning an idea into per-platform text without any AI: key points pulled from the idea,
//! each platform's tone, hashtags, and trimming at word boundaries to the platform's real
//! limit. Pure code, so the browser and the server agree and it works fully offline.

use super::{check_length, platform_info, PlatformId};
use std::collections::{BTreeMap, HashMap};

/// Placeholders every template may use.
pub const PLACEHOLDERS: [&str; 5] = ["idea", "title", "point1", "point2", "point3"];

/// The idea split into sentences or lines, bullets removed.
fn sentences(idea: &str) -> Vec<String> {
    idea.split(['\n', '.', '!', '?'])
        .map(|s| s.trim().trim_start_matches(['-', '•', '*']).trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `{idea}` = the first sentence, `{point1..3}` = the next sentences (or lines), `{title}`.
pub fn idea_vars(idea: &str) -> HashMap<String, String> {
    let parts = sentences(idea);
    let first = parts.first().cloned().unwrap_or_else(|| idea.trim().to_string());
    let mut v = HashMap::from([("idea".to_string(), first.clone()), ("title".to_string(), title_from(idea))]);
    for i in 1..=3 {
        v.insert(format!("point{i}"), parts.get(i).cloned().unwrap_or_else(|| first.clone()));
    }
    v
}

/// A title from the idea's first line, cut at a word boundary.
pub fn title_from(idea: &str) -> String {
    let line = idea.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("Untitled draft");
    if line.chars().count() <= 60 {
        return line.to_string();
    }
    let cut: String = line.chars().take(60).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

const STOPWORDS: &[&str] = &[
    "about",
    "after",
    "again",
    "against",
    "because",
    "before",
    "being",
    "between",
    "could",
    "doesn",
    "during",
    "every",
    "first",
    "might",
    "other",
    "should",
    "their",
    "there",
    "these",
    "thing",
    "things",
    "those",
    "through",
    "today",
    "under",
    "until",
    "where",
    "which",
    "while",
    "would",
    "your",
    "yours",
    "without",
    "really",
    "still",
    "something",
    "anyone",
    "everyone",
    "always",
    "never",
];

/// Up to `n` hashtags from the idea's most frequent longer words (ties: first seen).
pub fn hashtags(idea: &str, n: usize) -> Vec<String> {
    let mut counts: Vec<(String, usize, usize)> = vec![];
    for (pos, w) in idea.split(|c: char| !c.is_alphanumeric()).enumerate() {
        let lower = w.to_lowercase();
        if lower.chars().count() < 5 || lower.chars().all(|c| c.is_ascii_digit()) || STOPWORDS.contains(&lower.as_str()) {
            continue;
        }
        match counts.iter_mut().find(|(word, _, _)| *word == lower) {
            Some(c) => c.1 += 1,
            None => counts.push((lower, 1, pos)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    counts.into_iter().take(n).map(|(w, _, _)| format!("#{w}")).collect()
}

/// `text` if it fits `platform`'s limit, else the longest word-boundary prefix that fits with
/// an ellipsis. Never cuts inside a word unless a single word is longer than the limit.
pub fn fit_to_limit(platform: PlatformId, text: &str) -> String {
    let text = text.trim();
    if !check_length(platform, text).over() {
        return text.to_string();
    }
    let cuts: Vec<usize> = text.char_indices().filter(|(_, c)| c.is_whitespace()).map(|(i, _)| i).collect();
    let fits = |end: usize| !check_length(platform, &format!("{}…", text[..end].trim_end())).over();
    // The longest prefix ending at a space that fits (binary search: fitting is monotone).
    let (mut lo, mut hi) = (0usize, cuts.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(cuts[mid - 1]) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo > 0 {
        return format!("{}…", text[..cuts[lo - 1]].trim_end().trim_end_matches([',', ';', ':', '-', '—']));
    }
    // One enormous word: cut by characters.
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if check_length(platform, &format!("{out}…")).over() {
            out.pop();
            break;
        }
    }
    format!("{out}…")
}

/// The built-in generator: one variant per platform in that platform's tone, within its limit.
pub fn builtin_variants(idea: &str, platforms: &[PlatformId]) -> BTreeMap<String, String> {
    let parts = sentences(idea);
    let hook = parts.first().cloned().unwrap_or_default();
    let points: Vec<&String> = parts.iter().skip(1).take(3).collect();
    let tags = hashtags(idea, 3);
    let tags_line = tags.join(" ");
    let dot = |s: &str| if s.ends_with(['.', '!', '?', '…']) { s.to_string() } else { format!("{s}.") };
    let mut out = BTreeMap::new();
    for &p in platforms {
        let body = match p {
            PlatformId::X | PlatformId::Bluesky => {
                let mut s = dot(&hook);
                if let Some(first) = points.first() {
                    s.push_str(&format!(" {}", dot(first)));
                }
                let with_tags = format!("{s}\n\n{}", tags.iter().take(2).cloned().collect::<Vec<_>>().join(" "));
                // Hashtags are the first thing to go when space is short.
                if check_length(p, with_tags.trim()).over() {
                    s
                } else {
                    with_tags
                }
            }
            PlatformId::Linkedin | PlatformId::Facebook => {
                let mut s = dot(&hook);
                if !points.is_empty() {
                    s.push_str("\n\n");
                    s.push_str(&points.iter().map(|pt| format!("→ {}", dot(pt))).collect::<Vec<_>>().join("\n"));
                }
                s.push_str("\n\nWhat do you think? Share your experience in the comments.");
                format!("{s}\n\n{tags_line}")
            }
            PlatformId::Threads | PlatformId::Mastodon => {
                let mut s = dot(&hook);
                for pt in &points {
                    s.push_str(&format!("\n\n{}", dot(pt)));
                }
                format!("{s}\n\n{tags_line}")
            }
            PlatformId::Instagram | PlatformId::Tiktok => {
                let mut s = format!("{} ✨", dot(&hook));
                for pt in &points {
                    s.push_str(&format!("\n\n• {}", dot(pt)));
                }
                let more = hashtags(idea, 6).join(" ");
                format!("{s}\n\n{more}")
            }
            PlatformId::Youtube | PlatformId::Pinterest => {
                let mut s = dot(&hook);
                for pt in &points {
                    s.push_str(&format!(" {}", dot(pt)));
                }
                format!("{s}\n\n{tags_line}")
            }
        };
        out.insert(p.as_str().to_string(), fit_to_limit(p, body.trim()));
    }
    out
}

/// What a generator should aim for on each platform (for AI prompts and the editor's hints).
pub fn tone(p: PlatformId) -> &'static str {
    match p {
        PlatformId::X => "punchy, one or two short sentences, at most two hashtags",
        PlatformId::Linkedin => "professional and warm, a hook line, short paragraphs or arrows, a question to invite comments",
        PlatformId::Facebook => "friendly and conversational, a question at the end",
        PlatformId::Instagram => "a caption with a strong first line, emoji welcome, up to ten hashtags at the end",
        PlatformId::Threads => "casual and conversational, short paragraphs",
        PlatformId::Bluesky => "concise and human, no hashtag stuffing",
        PlatformId::Mastodon => "plain and community-minded, CamelCase hashtags for accessibility",
        PlatformId::Tiktok => "an energetic caption with hashtags",
        PlatformId::Youtube => "a video description: what the viewer gets, then details",
        PlatformId::Pinterest => "a descriptive pin description with keywords",
    }
}

/// The limit a generator must respect, in words a model understands.
pub fn limit_hint(p: PlatformId) -> String {
    let l = &platform_info(p).limits;
    match l.counting {
        "x-weighted" => format!("at most {} characters (links count 23, emoji count 2)", l.text_max),
        "graphemes" => format!("at most {} characters", l.text_max),
        _ => format!("at most {} characters", l.text_max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::x_weighted_length;

    #[test]
    fn ideas_become_placeholders_and_titles() {
        let v = idea_vars("Ship weekly. Small batches. Fewer bugs!\nHappier team");
        assert_eq!((v["idea"].as_str(), v["point1"].as_str(), v["point3"].as_str()), ("Ship weekly", "Small batches", "Happier team"));
        assert_eq!(idea_vars("Just one")["point2"], "Just one");
        assert_eq!(title_from("  \nA short idea\nmore"), "A short idea");
        assert!(title_from(&"word ".repeat(30)).ends_with('…'));
    }

    #[test]
    fn trimming_stops_at_a_word_boundary_within_the_limit() {
        let long = "alpha beta gamma delta ".repeat(40);
        let x = fit_to_limit(PlatformId::X, &long);
        assert!(x_weighted_length(&x) <= 280, "{}", x_weighted_length(&x));
        assert!(x.ends_with('…'));
        let before = x.trim_end_matches('…');
        assert!(["alpha", "beta", "gamma", "delta"].iter().any(|w| before.ends_with(w)), "cut inside a word: {before}");
        assert_eq!(fit_to_limit(PlatformId::X, "short"), "short");
        // Emoji weigh 2 on X: 200 of them are 400 and must be cut to fit.
        assert!(x_weighted_length(&fit_to_limit(PlatformId::X, &"👍".repeat(200))) <= 280);
    }

    #[test]
    fn builtin_variants_fit_every_platform_and_carry_the_idea() {
        let idea = "Remote teams ship faster with written decisions. Async updates replace status meetings. \
                    Decision logs make onboarding easier. Remote work rewards clear writing. "
            .repeat(20);
        let v = builtin_variants(&idea, &PlatformId::ALL);
        assert_eq!(v.len(), PlatformId::ALL.len());
        for (p, body) in &v {
            let p = PlatformId::parse(p).unwrap();
            assert!(!check_length(p, body).over(), "{p:?} over its limit");
            assert!(body.starts_with("Remote teams ship faster"), "{p:?}: {body}");
        }
        assert!(v["linkedin"].contains("→ Async updates replace status meetings."));
        assert!(v["linkedin"].contains("#remote"), "{}", v["linkedin"]);
    }

    #[test]
    fn hashtags_skip_short_and_common_words() {
        assert_eq!(hashtags("Rust makes servers fast. Servers love Rust because servers!", 2), vec!["#servers", "#makes"]);
        assert!(hashtags("a an the of", 3).is_empty());
    }
}
