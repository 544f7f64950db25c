//! Rich text: links, mentions and hashtags found in a post, as UTF-8 byte spans (facets).

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Feature {
    Link(String),
    /// The handle, lowercased, without the `@`.
    Mention(String),
    /// The tag without the `#`.
    Tag(String),
}

/// A facet's place in the text: UTF-8 byte offsets, `end` exclusive.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) feature: Feature,
}

/// Links (`http(s)://…`), mentions (`@handle.domain`) and hashtags (`#tag`), as Bluesky's
/// own apps find them: each starts the text, follows whitespace, or (links and mentions)
/// follows an opening bracket or quote; trailing punctuation is not part of it.
pub(super) fn detect(text: &str) -> Vec<Span> {
    let mut out = vec![];
    let mut prev: Option<char> = None;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        let after_space = prev.is_none_or(char::is_whitespace);
        let opener = after_space || matches!(prev, Some('(' | '[' | '"' | '\'' | '“' | '‘' | '«'));
        let found = if opener && (starts_with_ci(rest, "https://") || starts_with_ci(rest, "http://")) {
            link_at(rest)
        } else if opener && c == '@' {
            mention_at(rest)
        } else if after_space && (c == '#' || c == '＃') {
            tag_at(rest)
        } else {
            None
        };
        let len = match found {
            Some((len, feature)) => {
                out.push(Span { start: i, end: i + len, feature });
                len
            }
            None => c.len_utf8(),
        };
        i += len;
        prev = text[..i].chars().next_back();
    }
    out
}

pub(super) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

pub(super) fn link_at(rest: &str) -> Option<(usize, Feature)> {
    let mut t = &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())];
    while let Some(last) = t.chars().next_back() {
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '"' | '\'' | '”' | '’' | '»' | '…' => true,
            // Kept when it closes a bracket of the link's own (Wikipedia's `Rust_(language)`).
            ')' => t.matches('(').count() < t.matches(')').count(),
            ']' => t.matches('[').count() < t.matches(']').count(),
            _ => false,
        };
        if !strip {
            break;
        }
        t = &t[..t.len() - last.len_utf8()];
    }
    let u = url::Url::parse(&web_url(Some(t))?).ok()?;
    u.host_str().is_some_and(|h| !h.is_empty()).then(|| (t.len(), Feature::Link(t.to_string())))
}

pub(super) fn mention_at(rest: &str) -> Option<(usize, Feature)> {
    let body = &rest[1..];
    let n = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')).unwrap_or(body.len());
    let h = body[..n].trim_end_matches(['.', '-']);
    // `@a.example_x`, `@a.example@b`, `@a.examplé` are something else.
    if body[h.len()..].chars().next().is_some_and(|c| c == '_' || c == '@' || c.is_alphanumeric()) {
        return None;
    }
    let handle = h.to_ascii_lowercase();
    is_handle(&handle).then(|| (1 + h.len(), Feature::Mention(handle)))
}

/// Where a tag ends without the character being part of it: whitespace, and the invisible
/// characters Bluesky's apps stop at (soft hyphen, word joiner, zero-width and hair spaces,
/// the enclosing keycap).
pub(super) fn tag_stop(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{AD}' | '\u{2060}' | '\u{200A}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{20E2}')
}

pub(super) fn tag_at(rest: &str) -> Option<(usize, Feature)> {
    let hash = rest.chars().next()?.len_utf8();
    let body = &rest[hash..];
    // `#️⃣` is the keycap emoji, not a tag.
    if body.starts_with('\u{FE0F}') {
        return None;
    }
    let tag = body[..body.find(tag_stop).unwrap_or(body.len())].trim_end_matches(is_punct);
    let meaningful = tag.chars().any(|c| !c.is_ascii_digit() && !is_punct(c));
    let fits = tag.len() <= MAX_TAG_BYTES && tag.graphemes(true).count() <= MAX_TAG_GRAPHEMES;
    (meaningful && fits).then(|| (hash + tag.len(), Feature::Tag(tag.to_string())))
}

/// Unicode punctuation (general category P) in the blocks people write in: ASCII, Latin-1,
/// general punctuation, CJK and full-width forms. `$+<=>^`|~` are symbols, not punctuation.
pub(super) fn is_punct(c: char) -> bool {
    matches!(
        c,
        '!' | '"' | '#' | '%' | '&' | '\'' | '(' | ')' | '*' | ',' | '-' | '.' | '/' | ':' | ';' | '?' | '@' | '[' | '\\' | ']' | '_' | '{' | '}'
            | '¡' | '§' | '«' | '¶' | '·' | '»' | '¿'
            | '\u{2010}'..='\u{2027}'
            | '\u{2030}'..='\u{2043}'
            | '\u{2045}'..='\u{2051}'
            | '\u{2053}'..='\u{205E}'
            | '\u{3001}'..='\u{3003}'
            | '\u{3008}'..='\u{3011}'
            | '\u{3014}'..='\u{301F}'
            | '\u{FF01}'..='\u{FF03}'
            | '\u{FF05}'..='\u{FF0A}'
            | '\u{FF0C}'..='\u{FF0F}'
            | '\u{FF1A}' | '\u{FF1B}' | '\u{FF1F}' | '\u{FF20}'
            | '\u{FF3B}'..='\u{FF3D}'
            | '\u{FF3F}' | '\u{FF5B}' | '\u{FF5D}'
            | '\u{FF5F}'..='\u{FF65}'
    )
}
