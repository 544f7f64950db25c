//! The offline "branded text card": the post's hook (its first sentence) in large white type
//! over a two-colour gradient, in the platform's feed shape, with a small Covalynce wordmark.
//! What people get without a Gemini key, and in tests. Rendered in pure Rust with the bundled
//! DejaVu Sans Bold (licence in `fonts/LICENSE-DejaVu.txt`).

use crate::domain::{feed_image, FeedImage, PlatformId, DEFAULT_FEED_IMAGE};
use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use image::codecs::png::PngEncoder;
use image::{ImageEncoder, Rgb, RgbImage};

static FONT: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");
pub const WORDMARK: &str = "Covalynce";
/// A hook longer than this is cut at a word boundary: a card is not a paragraph.
const HOOK_MAX: usize = 160;
const LINE_HEIGHT: f32 = 1.22;

/// Dark-enough pairs for white text; one is picked from the text so a draft keeps its colours.
const PALETTES: [([u8; 3], [u8; 3]); 6] = [
    ([0x43, 0x38, 0xCA], [0x93, 0x33, 0xEA]),
    ([0x0F, 0x76, 0x6E], [0x1D, 0x4E, 0xD8]),
    ([0xC2, 0x41, 0x0C], [0xBE, 0x18, 0x5D]),
    ([0x1E, 0x29, 0x3B], [0x33, 0x41, 0x55]),
    ([0x04, 0x78, 0x57], [0x0E, 0x74, 0x90]),
    ([0x86, 0x19, 0x8F], [0xE1, 0x1D, 0x48]),
];

fn font() -> FontRef<'static> {
    FontRef::try_from_slice(FONT).expect("the bundled font parses (checked by tests)")
}

/// The first sentence of `text` (up to `.`, `!`, `?` or `…` followed by a space, or the first
/// line break), trimmed, at most `HOOK_MAX` characters cut at a word.
pub fn hook(text: &str) -> String {
    let text = text.trim();
    let mut end = text.len();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\n' {
            end = i;
            break;
        }
        if matches!(c, '.' | '!' | '?' | '…') && chars.peek().is_none_or(|(_, n)| n.is_whitespace()) {
            end = i + c.len_utf8();
            break;
        }
    }
    let first = text[..end].trim();
    let words: Vec<&str> = first.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= HOOK_MAX {
        return joined;
    }
    let mut out = String::new();
    for w in words {
        if out.chars().count() + w.chars().count() + 1 > HOOK_MAX - 1 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    if out.is_empty() {
        out = joined.chars().take(HOOK_MAX - 1).collect();
    }
    format!("{}…", out.trim_end_matches([',', ';', ':', ' ']))
}

/// Width in pixels of `s` set at `px`.
pub fn text_width(font: &FontRef<'_>, px: f32, s: &str) -> f32 {
    let f = font.as_scaled(PxScale::from(px));
    let mut w = 0.0;
    let mut prev = None;
    for c in s.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            w += f.kern(p, id);
        }
        w += f.h_advance(id);
        prev = Some(id);
    }
    w
}

/// Greedy word wrap to `max_width`; a word wider than a whole line is broken by characters.
pub fn wrap(font: &FontRef<'_>, px: f32, text: &str, max_width: f32) -> Vec<String> {
    let mut lines: Vec<String> = vec![];
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if text_width(font, px, &candidate) <= max_width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if text_width(font, px, word) <= max_width {
            line = word.to_string();
            continue;
        }
        for c in word.chars() {
            let next = format!("{line}{c}");
            if !line.is_empty() && text_width(font, px, &next) > max_width {
                lines.push(std::mem::replace(&mut line, c.to_string()));
            } else {
                line = next;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A font size and the lines at that size.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub px: f32,
    pub lines: Vec<String>,
}

/// The largest size from `max_px` down to `min_px` at which `text` wraps into the box. At the
/// minimum size the lines that still do not fit are dropped and the last one ends in "…".
pub fn fit(font: &FontRef<'_>, text: &str, box_w: f32, box_h: f32, max_px: f32, min_px: f32) -> Fit {
    let mut px = max_px;
    loop {
        let lines = wrap(font, px, text, box_w);
        let height = lines.len() as f32 * px * LINE_HEIGHT;
        if height <= box_h {
            return Fit { px, lines };
        }
        if px <= min_px {
            let keep = ((box_h / (px * LINE_HEIGHT)).floor() as usize).max(1);
            let mut lines = lines;
            if lines.len() > keep {
                lines.truncate(keep);
                if let Some(last) = lines.last_mut() {
                    last.push('…');
                }
            }
            return Fit { px, lines };
        }
        px = (px * 0.92).max(min_px);
    }
}

/// Drops characters the font has no glyph for (emoji, most CJK) instead of drawing boxes.
fn drawable(font: &FontRef<'_>, s: &str) -> String {
    let kept: String = s.chars().filter(|c| c.is_whitespace() || font.glyph_id(*c).0 != 0).collect();
    // "at random 🚀." must not become "at random ." once the rocket is gone.
    let mut out = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    for p in [".", ",", "!", "?", ";", ":", "…"] {
        out = out.replace(&format!(" {p}"), p);
    }
    out
}

fn palette_for(text: &str) -> ([u8; 3], [u8; 3]) {
    // FNV-1a: stable across builds, unlike the std hasher.
    let h = text.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    PALETTES[h as usize % PALETTES.len()]
}

/// Paints white `text` with its left edge at `x` and baseline at `y`, at `alpha` (0–1).
fn draw_text(img: &mut RgbImage, font: &FontRef<'_>, px: f32, x: f32, y: f32, text: &str, alpha: f32) {
    let f = font.as_scaled(PxScale::from(px));
    let mut caret = x;
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            caret += f.kern(p, id);
        }
        let glyph = id.with_scale_and_position(PxScale::from(px), point(caret, y));
        caret += f.h_advance(id);
        prev = Some(id);
        let Some(outlined) = font.outline_glyph(glyph) else { continue };
        let b = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            let (px_x, px_y) = (b.min.x as i64 + i64::from(gx), b.min.y as i64 + i64::from(gy));
            if px_x < 0 || px_y < 0 || px_x >= i64::from(img.width()) || px_y >= i64::from(img.height()) {
                return;
            }
            let a = (coverage * alpha).clamp(0.0, 1.0);
            let p = img.get_pixel_mut(px_x as u32, px_y as u32);
            for ch in &mut p.0 {
                *ch = (f32::from(*ch) * (1.0 - a) + 255.0 * a).round() as u8;
            }
        });
    }
}

/// The card's size for a platform (Instagram's 4:5 when none is given).
pub fn size_for(platform: Option<PlatformId>) -> FeedImage {
    platform.map(feed_image).unwrap_or(DEFAULT_FEED_IMAGE)
}

/// Renders the card for `text` as PNG bytes.
pub fn render(text: &str, platform: Option<PlatformId>) -> anyhow::Result<Vec<u8>> {
    let FeedImage { width, height, .. } = size_for(platform);
    let font = font();
    let (a, b) = palette_for(text);
    let (w, h) = (width as f32, height as f32);
    // Diagonal gradient from the top-left colour to the bottom-right one.
    let mut img = RgbImage::from_fn(width, height, |x, y| {
        let t = (x as f32 / w + y as f32 / h) / 2.0;
        Rgb([0, 1, 2].map(|i| (f32::from(a[i]) * (1.0 - t) + f32::from(b[i]) * t).round() as u8))
    });

    let short = w.min(h);
    let margin = (short * 0.09).round();
    let footer = (short * 0.12).round();
    let (box_w, box_h) = (w - 2.0 * margin, h - 2.0 * margin - footer);
    let text = drawable(&font, &hook(text));
    let Fit { px, lines } = fit(&font, &text, box_w, box_h, short * 0.11, short * 0.035);
    let f = font.as_scaled(PxScale::from(px));
    let line_h = px * LINE_HEIGHT;
    let block_h = lines.len() as f32 * line_h;
    let top = margin + (box_h - block_h) / 2.0;
    for (i, line) in lines.iter().enumerate() {
        let lw = text_width(&font, px, line);
        let baseline = top + i as f32 * line_h + (line_h - (f.ascent() - f.descent())) / 2.0 + f.ascent();
        draw_text(&mut img, &font, px, (w - lw) / 2.0, baseline, line, 1.0);
    }
    let mark_px = (short * 0.038).max(14.0);
    draw_text(&mut img, &font, mark_px, margin, h - margin, WORDMARK, 0.85);

    let mut out = vec![];
    PngEncoder::new(&mut out).write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_is_the_first_sentence() {
        assert_eq!(hook("We ship weekly now. Small batches, fewer bugs."), "We ship weekly now.");
        assert_eq!(hook("  Big news!  More soon"), "Big news!");
        assert_eq!(hook("Line one\nline two. Three."), "Line one");
        assert_eq!(hook("Visit example.com today"), "Visit example.com today", "a dot inside a word is not a sentence end");
        let long = hook(&"word ".repeat(100));
        assert!(long.ends_with('…') && long.chars().count() <= HOOK_MAX, "{long}");
        assert!(!long.contains("wor…"), "cut at a word boundary");
    }

    #[test]
    fn wrap_keeps_every_line_inside_the_width() {
        let font = font();
        let text = "The quickest way to grow an audience is to post consistently and reply to everyone";
        let lines = wrap(&font, 60.0, text, 600.0);
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(text_width(&font, 60.0, l) <= 600.0, "{l}");
        }
        assert_eq!(lines.join(" "), text, "no word lost or split");
        let broken = wrap(&font, 60.0, &"x".repeat(80), 600.0);
        assert!(broken.len() > 1 && broken.iter().all(|l| text_width(&font, 60.0, l) <= 600.0));
    }

    #[test]
    fn fit_shrinks_longer_text_and_never_overflows() {
        let font = font();
        let short = fit(&font, "Ship it.", 900.0, 900.0, 120.0, 30.0);
        let long = fit(&font, &"Many more words make this hook far longer than the short one ".repeat(3), 900.0, 900.0, 120.0, 30.0);
        assert_eq!(short.px, 120.0);
        assert!(long.px < short.px);
        assert!(long.lines.len() as f32 * long.px * LINE_HEIGHT <= 900.0);
        let squeezed = fit(&font, &"word ".repeat(400), 300.0, 100.0, 40.0, 20.0);
        assert!(squeezed.lines.len() as f32 * squeezed.px * LINE_HEIGHT <= 100.0);
        assert!(squeezed.lines.last().unwrap().ends_with('…'));
    }

    #[test]
    fn cards_have_each_platforms_shape() {
        for (p, size) in [
            (Some(PlatformId::Instagram), (1080, 1350)),
            (Some(PlatformId::X), (1200, 675)),
            (Some(PlatformId::Pinterest), (1000, 1500)),
            (Some(PlatformId::Tiktok), (1080, 1920)),
            (None, (1080, 1350)),
        ] {
            let png = render("Hello from the text card 🚀. Second sentence.", p).unwrap();
            let img = image::load_from_memory(&png).unwrap();
            assert_eq!((img.width(), img.height()), size, "{p:?}");
            let FeedImage { width, height, aspect } = size_for(p);
            let (aw, ah) = aspect.split_once(':').unwrap();
            let (aw, ah): (u32, u32) = (aw.parse().unwrap(), ah.parse().unwrap());
            assert!((width as f32 / height as f32 - aw as f32 / ah as f32).abs() < 0.01, "{aspect}");
        }
    }

    #[test]
    fn emoji_are_dropped_not_drawn_as_boxes() {
        assert_eq!(drawable(&font(), "Go 🚀 now"), "Go now");
        assert_eq!(drawable(&font(), "Stop posting at random 🚀."), "Stop posting at random.");
    }
}
