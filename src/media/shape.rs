//! Shaping a stored image for one network: its accepted types and size (the catalogue's
//! `Limits`). What fits goes as it is; otherwise a copy is re-encoded for that network alone,
//! and the stored original never changes. Pure CPU work: callers run it on a blocking thread.

use super::process::{encode_jpeg, encode_png, encode_webp, is_opaque, looks_like, pixel_or, sniff, Kind, MAX_DECODE_BYTES};
use super::MediaError;
use crate::domain::Limits;
use image::{DynamicImage, ImageReader};
use std::io::Cursor;

/// Qualities tried, in order, when a JPEG must shrink; below the last the sides shrink instead.
const QUALITIES: [u8; 4] = [90, 80, 70, 60];
/// Each further try keeps this share of each side.
const SCALE: f64 = 0.8;
/// Tries at smaller sides before giving up (0.8^12 ≈ 7 % of each side).
const STEPS: usize = 12;

/// The image as a network with these `limits` takes it. Kept as it is when it already fits.
/// Otherwise re-encoded: as JPEG when the network takes JPEG (see-through pixels laid on
/// white, an animation keeps its first frame), else PNG or WebP; first at falling quality,
/// then with smaller sides, never larger than it was.
pub fn fit(bytes: Vec<u8>, limits: &Limits) -> Result<(Vec<u8>, Kind), MediaError> {
    let kind = sniff(&bytes).ok_or_else(|| MediaError::Unsupported(looks_like(&bytes)))?;
    if limits.takes_image(kind.content_type(), bytes.len() as u64) {
        return Ok((bytes, kind));
    }
    let target = [Kind::Jpeg, Kind::Png, Kind::Webp]
        .into_iter()
        .find(|k| limits.takes_image(k.content_type(), 0))
        .ok_or(MediaError::Unsupported("an image type this network does not take"))?;
    let small_enough = |b: &[u8]| limits.takes_image(target.content_type(), b.len() as u64);
    let mut reader = ImageReader::with_format(Cursor::new(&bytes), kind.format());
    let mut decode_limits = image::Limits::default();
    decode_limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(decode_limits);
    let mut img = reader.decode().map_err(|e| pixel_or(e, kind))?;
    if target == Kind::Jpeg && !is_opaque(&img) {
        img = on_white(&img);
    }
    let encode = |img: &DynamicImage, quality: u8| match target {
        Kind::Jpeg => encode_jpeg(img, quality, None),
        Kind::Png => encode_png(img, None),
        _ => encode_webp(img, None),
    };
    let qualities: &[u8] = if target == Kind::Jpeg { &QUALITIES } else { &[100] };
    for &q in qualities {
        let out = encode(&img, q)?;
        if small_enough(&out) {
            return Ok((out, target));
        }
    }
    let last = *qualities.last().unwrap_or(&100);
    let (w, h) = (img.width(), img.height());
    for step in 1..=STEPS {
        let f = SCALE.powi(step as i32);
        let (sw, sh) = (((w as f64 * f) as u32).max(1), ((h as f64 * f) as u32).max(1));
        let out = encode(&img.resize(sw, sh, image::imageops::FilterType::Triangle), last)?;
        if small_enough(&out) {
            return Ok((out, target));
        }
    }
    Err(MediaError::TooLarge { size: Some(bytes.len() as u64), limit: limits.max_image_bytes })
}

/// The picture laid on white: JPEG has no transparency, and black (its default) hides dark text.
fn on_white(img: &DynamicImage) -> DynamicImage {
    let rgba = img.to_rgba8();
    let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let mix = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    });
    DynamicImage::ImageRgb8(rgb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::process::tests::{jpeg_bytes, noise_rgb, png_bytes};
    use image::{Rgba, RgbaImage};

    fn rules(types: &'static [&'static str], max_image_bytes: u64) -> Limits {
        Limits { text_max: 0, counting: "chars", max_images: 1, max_image_bytes, image_types: types, requires_media: false }
    }

    #[test]
    fn fit_keeps_what_fits_and_shrinks_or_converts_what_does_not() {
        // Noise barely compresses: a 1100×1100 PNG of it is about 3.6 MB.
        let png = png_bytes(&DynamicImage::ImageRgb8(noise_rgb(1100, 1100)));
        assert!(png.len() > 3_000_000, "{}", png.len());
        let (kept, kind) = fit(png.clone(), &rules(&["image/png"], 0)).unwrap();
        assert_eq!((kept == png, kind), (true, Kind::Png), "an image within the rules is sent as it is");

        let bluesky = rules(&["image/jpeg", "image/png", "image/webp"], 1_000_000);
        let (small, kind) = fit(png.clone(), &bluesky).unwrap();
        assert_eq!(kind, Kind::Jpeg);
        assert!(small.len() <= 1_000_000, "{} bytes", small.len());
        let img = image::load_from_memory(&small).unwrap();
        assert!(img.width() <= 1100 && img.height() <= 1100 && img.width() >= 300, "{}×{}", img.width(), img.height());

        // Instagram takes JPEG only: a see-through PNG arrives as a JPEG on white.
        let mut clear = RgbaImage::from_pixel(40, 30, Rgba([0, 0, 0, 0]));
        clear.put_pixel(0, 0, Rgba([200, 10, 10, 255]));
        let (jpeg, kind) = fit(png_bytes(&DynamicImage::ImageRgba8(clear)), &rules(&["image/jpeg"], 8 << 20)).unwrap();
        assert_eq!((kind, sniff(&jpeg)), (Kind::Jpeg, Some(Kind::Jpeg)));
        let back = image::load_from_memory(&jpeg).unwrap().to_rgb8();
        assert_eq!((back.width(), back.height()), (40, 30), "never rescaled when only the type was wrong");
        assert!(back.get_pixel(20, 15).0.iter().all(|c| *c > 240), "transparent became white: {:?}", back.get_pixel(20, 15));

        // No JPEG allowed: the next type the network takes.
        let (out, kind) = fit(jpeg_bytes(&noise_rgb(16, 16)), &rules(&["image/png"], 0)).unwrap();
        assert_eq!((kind, sniff(&out)), (Kind::Png, Some(Kind::Png)));
        assert!(matches!(fit(b"%PDF-1.7".to_vec(), &bluesky), Err(MediaError::Unsupported(_))));
    }
}
