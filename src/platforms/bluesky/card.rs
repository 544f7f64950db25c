//! Link cards: a linked page's title, description and image, read from its HTML.

use super::*;

#[derive(Debug, Default, PartialEq)]
pub(super) struct PageMeta {
    pub(super) title: String,
    pub(super) description: String,
    /// As written in the page (maybe relative).
    pub(super) image: Option<String>,
}

/// Open Graph (then Twitter card, then plain HTML) title, description and image of a page.
pub(super) fn page_meta(html: &str) -> PageMeta {
    // ASCII lowercasing keeps every byte offset, so positions found in `lower` cut `html`.
    let lower = html.to_ascii_lowercase();
    let mut found: HashMap<String, String> = HashMap::new();
    let mut pos = 0;
    while let Some(i) = lower[pos..].find("<meta") {
        let start = pos + i + "<meta".len();
        if !lower[start..].starts_with(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>') {
            pos = start;
            continue;
        }
        let end = tag_end(html, start);
        let attrs = attributes(&html[start..end]);
        let key = attrs.iter().find(|(k, _)| k == "property" || k == "name").map(|(_, v)| v.trim().to_ascii_lowercase());
        let content = attrs.iter().find(|(k, _)| k == "content").map(|(_, v)| v.clone());
        if let (Some(k), Some(v)) = (key, content) {
            found.entry(k).or_insert(v);
        }
        pos = end;
    }
    let title_tag = lower.find("<title").and_then(|i| {
        let open = i + lower[i..].find('>')? + 1;
        let close = open + lower[open..].find("</title")?;
        Some(clean(&html[open..close]))
    });
    let pick = |keys: &[&str]| keys.iter().find_map(|k| found.get(*k).map(|v| clean(v)).filter(|v| !v.is_empty()));
    PageMeta {
        title: pick(&["og:title", "twitter:title"]).or(title_tag).map(|t| shorten(&t, 300)).unwrap_or_default(),
        description: pick(&["og:description", "twitter:description", "description"]).map(|d| shorten(&d, 1000)).unwrap_or_default(),
        image: pick(&["og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"]),
    }
}

/// The `>` closing a tag whose attributes start at `from` (quotes respected).
pub(super) fn tag_end(html: &str, from: usize) -> usize {
    let mut quote = None;
    for (i, b) in html.bytes().enumerate().skip(from) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return i,
            _ => {}
        }
    }
    html.len()
}

/// `name="value"` pairs of one tag (names lowercased, values as written).
pub(super) fn attributes(s: &str) -> Vec<(String, String)> {
    let b = s.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() || b[i] == b'/' {
            i += 1;
            continue;
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        let name = s[name_start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let from = i + 1;
                i = from;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                value = s[from..i].to_string();
                i = (i + 1).min(b.len());
            } else {
                let from = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = s[from..i].to_string();
            }
        }
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

/// Entities decoded, whitespace collapsed.
pub(super) fn clean(s: &str) -> String {
    decode_entities(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.char_indices().take(12).find(|(_, c)| *c == ';').and_then(|(j, _)| Some((entity(&rest[1..j])?, j)));
        match decoded {
            Some((c, j)) => {
                out.push(c);
                rest = &rest[j + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub(super) fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code).filter(|c| !c.is_control() || c.is_whitespace())?
        }
    })
}

/// At most `max` graphemes, an ellipsis marking the cut.
pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.graphemes(true).count() <= max {
        return s.to_string();
    }
    let mut t: String = s.graphemes(true).take(max - 1).collect();
    t.push('…');
    t
}

/// The image type of a thumbnail: as declared, or sniffed when the server did not say.
pub(super) fn image_mime(content_type: &str, bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let declared = content_type.split(';').next().unwrap_or_default().trim();
    let sniffed = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF8") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    };
    match declared {
        // SVG is not shown as a thumbnail (and can carry script).
        d if d.starts_with("image/") && d != "image/svg+xml" => Some(d.to_string()),
        "" | "application/octet-stream" | "binary/octet-stream" => sniffed.map(str::to_string),
        _ => None,
    }
}
