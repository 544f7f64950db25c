//! Turning untrusted bytes into an image we are willing to store and serve: the type from the
//! magic numbers (never the file name or the client's content type), a full decode, and a
//! re-encode of the pixels alone, so EXIF (GPS, camera serials), XMP and comments do not
//! survive. Plus a thumbnail. Pure CPU work: callers run it on a blocking thread.

use super::MediaError;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Longest side of a thumbnail.
pub const THUMB_MAX: u32 = 400;
/// Largest accepted side; bigger pictures are almost always decompression bombs.
pub const MAX_SIDE: u32 = 10_000;
/// Largest accepted area: 40 megapixels is 120–160 MB decoded (8-bit RGB/RGBA), more than
/// any camera or platform needs. A 10000×10000 PNG can be a 0.4 MB file and 400 MB of pixels.
pub const MAX_PIXELS: u64 = 40_000_000;
/// The decoder's allocation ceiling: the largest accepted image at 16 bits per RGBA channel.
pub(super) const MAX_DECODE_BYTES: u64 = MAX_PIXELS * 8;
/// Largest colour profile kept. Real ones are a few KB (LUT profiles a few hundred); JPEG
/// cannot carry more than about 16 MB, and a bigger one would fail the re-encode.
const MAX_ICC_BYTES: usize = 4 << 20;
/// Frames kept from an animated GIF.
const MAX_GIF_FRAMES: usize = 1_000;
const JPEG_QUALITY: u8 = 90;
const THUMB_QUALITY: u8 = 80;

/// The image types we accept, decided by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl Kind {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::Gif => "GIF",
            Self::Webp => "WebP",
        }
    }

    pub(super) fn format(self) -> ImageFormat {
        match self {
            Self::Png => ImageFormat::Png,
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Gif => ImageFormat::Gif,
            Self::Webp => ImageFormat::WebP,
        }
    }
}

/// The type from the first bytes, or `None` for anything we do not take.
pub fn sniff(b: &[u8]) -> Option<Kind> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some(Kind::Gif)
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else {
        None
    }
}

/// What a file we refuse looks like, for the error message ("it looks like …").
pub fn looks_like(b: &[u8]) -> &'static str {
    let head = &b[..b.len().min(512)];
    if head.starts_with(b"%PDF") {
        return "a PDF document";
    }
    if head.starts_with(b"PK\x03\x04") {
        return "a ZIP archive or an Office document";
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return match &head[8..12] {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"mif1" | b"msf1" => "a HEIC photo; export it as JPEG first",
            b"avif" | b"avis" => "an AVIF image; export it as JPEG or PNG first",
            _ => "a video",
        };
    }
    if head.starts_with(b"BM") {
        return "a BMP image; save it as PNG first";
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return "a TIFF image; save it as PNG or JPEG first";
    }
    // A prefix may cut a multi-byte character in half; the valid part decides.
    let text = match std::str::from_utf8(head) {
        Ok(t) => Some(t),
        Err(e) if e.valid_up_to() + 4 > head.len() => std::str::from_utf8(&head[..e.valid_up_to()]).ok(),
        Err(_) => None,
    };
    if let Some(t) = text.filter(|t| t.chars().all(|c| !c.is_control() || c.is_whitespace())) {
        let lower = t.trim_start().to_ascii_lowercase();
        if lower.contains("<svg") {
            return "an SVG drawing; export it as PNG first";
        }
        if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
            return "a web page";
        }
        return "text";
    }
    "some other kind of file"
}

/// "12.3 MB", "10 MB", "512 KB", "999 bytes" (binary units, as file managers show them).
pub fn human_bytes(n: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    let one = |v: f64| {
        let s = format!("{v:.1}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    };
    if n >= MB {
        format!("{} MB", one(n as f64 / MB as f64))
    } else if n >= KB {
        format!("{} KB", one(n as f64 / KB as f64))
    } else {
        format!("{n} bytes")
    }
}

/// A validated, re-encoded image and its thumbnail.
#[derive(Debug)]
pub struct Processed {
    pub bytes: Vec<u8>,
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
    pub thumb: Vec<u8>,
    pub thumb_kind: Kind,
}

/// Checks and cleans `input`: non-empty, within `max_bytes`, a PNG/JPEG/GIF/WebP by content,
/// decodable, not absurdly large in pixels. The stored bytes are a fresh encoding of the
/// pixels (orientation applied, ICC colour profile kept, everything else dropped).
pub fn process(input: &[u8], max_bytes: u64) -> Result<Processed, MediaError> {
    if input.is_empty() {
        return Err(MediaError::Empty);
    }
    if input.len() as u64 > max_bytes {
        return Err(MediaError::TooLarge { size: Some(input.len() as u64), limit: max_bytes });
    }
    let kind = sniff(input).ok_or_else(|| MediaError::Unsupported(looks_like(input)))?;
    let undecodable = |_| MediaError::Undecodable(kind.name());

    let mut reader = ImageReader::with_format(Cursor::new(input), kind.format());
    // The sides come from the header and are checked below, before any pixel is decoded,
    // with the real numbers for the message; the allocation limit holds inside the decoder.
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| pixel_or(e, kind))?;
    let (w, h) = decoder.dimensions();
    // A GIF can declare a 0-pixel-high screen and still carry frames (found by fuzzing).
    if w == 0 || h == 0 {
        return Err(MediaError::Undecodable(kind.name()));
    }
    check_pixels(w, h)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten().filter(|p| !p.is_empty() && p.len() <= MAX_ICC_BYTES);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| pixel_or(e, kind))?;
    // The EXIF block that said "rotate me" is about to go, so rotate the pixels now.
    img.apply_orientation(orientation);

    let (bytes, out_kind) = match kind {
        Kind::Png => (encode_png(&img, icc)?, Kind::Png),
        Kind::Jpeg => (encode_jpeg(&img, JPEG_QUALITY, icc)?, Kind::Jpeg),
        Kind::Gif => (rewrite_gif(input).map_err(undecodable)?, Kind::Gif),
        // The image crate writes lossless WebP only: a lossy (photo) WebP would grow several
        // times over, so an opaque lossy one is stored as JPEG instead.
        Kind::Webp if webp_is_lossy(input) && is_opaque(&img) => (encode_jpeg(&img, JPEG_QUALITY, icc)?, Kind::Jpeg),
        Kind::Webp => (encode_webp(&img, icc)?, Kind::Webp),
    };
    let (thumb, thumb_kind) = thumbnail(&img)?;
    Ok(Processed { bytes, kind: out_kind, width: img.width(), height: img.height(), thumb, thumb_kind })
}

fn check_pixels(w: u32, h: u32) -> Result<(), MediaError> {
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(MediaError::TooManyPixels(Some((w, h))));
    }
    Ok(())
}

/// A decoder refusing on our limits is a "too many pixels" answer; anything else means the
/// file is damaged.
pub(super) fn pixel_or(e: image::ImageError, kind: Kind) -> MediaError {
    match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels(None),
        _ => MediaError::Undecodable(kind.name()),
    }
}

fn internal(e: impl std::fmt::Display) -> MediaError {
    MediaError::Internal(anyhow::anyhow!("encoding an image: {e}"))
}

pub(super) fn encode_png(img: &DynamicImage, icc: Option<Vec<u8>>) -> Result<Vec<u8>, MediaError> {
    let mut out = vec![];
    let mut enc = PngEncoder::new(&mut out);
    if let Some(icc) = icc {
        let _ = enc.set_icc_profile(icc);
    }
    img.write_with_encoder(enc).map_err(internal)?;
    Ok(out)
}

pub(super) fn encode_jpeg(img: &DynamicImage, quality: u8, icc: Option<Vec<u8>>) -> Result<Vec<u8>, MediaError> {
    let mut out = vec![];
    let mut enc = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(icc) = icc {
        let _ = enc.set_icc_profile(icc);
    }
    // JPEG has no alpha: grey stays grey, everything else becomes RGB.
    if matches!(img.color(), image::ColorType::L8 | image::ColorType::L16 | image::ColorType::La8 | image::ColorType::La16) {
        let g = img.to_luma8();
        enc.write_image(g.as_raw(), g.width(), g.height(), image::ExtendedColorType::L8).map_err(internal)?;
    } else if let Some(rgb) = img.as_rgb8() {
        // Already 8-bit RGB (most photos): encode in place, no copy.
        enc.write_image(rgb.as_raw(), rgb.width(), rgb.height(), image::ExtendedColorType::Rgb8).map_err(internal)?;
    } else {
        let rgb = img.to_rgb8();
        enc.write_image(rgb.as_raw(), rgb.width(), rgb.height(), image::ExtendedColorType::Rgb8).map_err(internal)?;
    }
    Ok(out)
}

pub(super) fn encode_webp(img: &DynamicImage, icc: Option<Vec<u8>>) -> Result<Vec<u8>, MediaError> {
    let mut out = vec![];
    let mut enc = WebPEncoder::new_lossless(&mut out);
    if let Some(icc) = icc {
        let _ = enc.set_icc_profile(icc);
    }
    // 8-bit RGB and RGBA go in as they are; only other layouts are converted (one copy).
    match img {
        DynamicImage::ImageRgb8(b) => enc.write_image(b.as_raw(), b.width(), b.height(), image::ExtendedColorType::Rgb8),
        DynamicImage::ImageRgba8(b) => enc.write_image(b.as_raw(), b.width(), b.height(), image::ExtendedColorType::Rgba8),
        _ => {
            let rgba = img.to_rgba8();
            enc.write_image(rgba.as_raw(), rgba.width(), rgba.height(), image::ExtendedColorType::Rgba8)
        }
    }
    .map_err(internal)?;
    Ok(out)
}

/// No pixel is see-through. Reads the alpha channel where it is, without converting (and
/// so copying) the whole image.
pub(super) fn is_opaque(img: &DynamicImage) -> bool {
    use image::GenericImageView;
    match img {
        _ if !img.color().has_alpha() => true,
        DynamicImage::ImageRgba8(b) => b.pixels().all(|p| p.0[3] == u8::MAX),
        DynamicImage::ImageLumaA8(b) => b.pixels().all(|p| p.0[1] == u8::MAX),
        DynamicImage::ImageRgba16(b) => b.pixels().all(|p| p.0[3] == u16::MAX),
        DynamicImage::ImageLumaA16(b) => b.pixels().all(|p| p.0[1] == u16::MAX),
        // Rare layouts (float): pixel by pixel, still without a full copy.
        _ => img.pixels().all(|(_, _, p)| p.0[3] == u8::MAX),
    }
}

/// Walks the RIFF chunks: "VP8 " is lossy, "VP8L" lossless; animation frames (ANMF) carry
/// their own bitstream chunk 16 bytes in.
fn webp_is_lossy(b: &[u8]) -> bool {
    let mut i = 12;
    while i + 8 <= b.len() {
        let tag = &b[i..i + 4];
        let len = u32::from_le_bytes([b[i + 4], b[i + 5], b[i + 6], b[i + 7]]) as usize;
        match tag {
            b"VP8 " => return true,
            b"VP8L" => return false,
            b"ANMF" => {
                i += 8 + 16;
                continue;
            }
            _ => {}
        }
        i = i.saturating_add(8).saturating_add(len).saturating_add(len & 1);
    }
    false
}

/// Copies a GIF frame by frame with each frame's own palette, so nothing is re-quantised and
/// animation survives, while comment, XMP and other application blocks are left behind.
fn rewrite_gif(input: &[u8]) -> Result<Vec<u8>, gif::DecodingError> {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut dec = opts.read_info(Cursor::new(input))?;
    let (w, h) = (dec.width(), dec.height());
    let global = dec.global_palette().map(<[u8]>::to_vec).unwrap_or_default();
    let repeat = dec.repeat();
    let mut out = vec![];
    {
        let encode = |e: gif::EncodingError| gif::DecodingError::Io(std::io::Error::other(e));
        let mut enc = gif::Encoder::new(&mut out, w, h, &global).map_err(encode)?;
        let mut frames = 0;
        while let Some(frame) = dec.read_next_frame()? {
            // A frame without pixels draws nothing, and written back de-interlaced it is one
            // decoders refuse (found by fuzzing): leave it out.
            if frame.width == 0 || frame.height == 0 {
                continue;
            }
            frames += 1;
            if frames > MAX_GIF_FRAMES {
                break;
            }
            let mut f = frame.clone();
            // The decoder already de-interlaced the rows.
            f.interlaced = false;
            if f.palette.is_none() && global.is_empty() {
                return Err(gif::DecodingError::Io(std::io::Error::other("a frame without a palette")));
            }
            if frames == 1 && repeat != gif::Repeat::Finite(0) {
                enc.set_repeat(repeat).map_err(encode)?;
            }
            enc.write_frame(&f).map_err(encode)?;
        }
        if frames == 0 {
            return Err(gif::DecodingError::Io(std::io::Error::other("no frames")));
        }
    }
    Ok(out)
}

/// Longest side at most `THUMB_MAX`; JPEG when opaque, lossless WebP when it has
/// transparency (JPEG would paint it black).
fn thumbnail(img: &DynamicImage) -> Result<(Vec<u8>, Kind), MediaError> {
    let small;
    let t = if img.width().max(img.height()) > THUMB_MAX {
        small = img.thumbnail(THUMB_MAX, THUMB_MAX);
        &small
    } else {
        img
    };
    if is_opaque(t) {
        Ok((encode_jpeg(t, THUMB_QUALITY, None)?, Kind::Jpeg))
    } else {
        Ok((encode_webp(t, None)?, Kind::Webp))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{Failure, Kind as ErrorKind};
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    pub fn noise_rgb(w: u32, h: u32) -> RgbImage {
        let mut seed = 0x2545_f491_u32;
        RgbImage::from_fn(w, h, |_, _| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let b = seed.to_le_bytes();
            Rgb([b[0], b[1], b[2]])
        })
    }

    pub fn png_bytes(img: &DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(vec![]);
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    pub fn jpeg_bytes(img: &RgbImage) -> Vec<u8> {
        let mut out = vec![];
        JpegEncoder::new_with_quality(&mut out, 85).encode_image(img).unwrap();
        out
    }

    /// A JPEG with an APP1 Exif block (orientation 6 = rotate 90° clockwise, a GPS IFD and a
    /// description) inserted right after SOI, as cameras write it.
    pub fn jpeg_with_exif(img: &RgbImage, secret: &str) -> Vec<u8> {
        let plain = jpeg_bytes(img);
        let mut tiff: Vec<u8> = b"MM\0*\0\0\0\x08".to_vec();
        // IFD0: Orientation, ImageDescription, GPSInfo pointer.
        let desc = format!("{secret}\0");
        let ifd0_len = 2 + 3 * 12 + 4;
        let desc_off = 8 + ifd0_len;
        let gps_off = desc_off + desc.len();
        tiff.extend_from_slice(&3u16.to_be_bytes());
        tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        tiff.extend_from_slice(&[0x01, 0x0E, 0, 2]);
        tiff.extend_from_slice(&(desc.len() as u32).to_be_bytes());
        tiff.extend_from_slice(&(desc_off as u32).to_be_bytes());
        tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]);
        tiff.extend_from_slice(&(gps_off as u32).to_be_bytes());
        tiff.extend_from_slice(&0u32.to_be_bytes());
        tiff.extend_from_slice(desc.as_bytes());
        // GPS IFD: GPSLatitudeRef "N".
        tiff.extend_from_slice(&1u16.to_be_bytes());
        tiff.extend_from_slice(&[0x00, 0x01, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
        tiff.extend_from_slice(&0u32.to_be_bytes());
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&plain[2..]);
        out
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn sniffs_by_content_only() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Kind::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Kind::Jpeg));
        assert_eq!(sniff(b"GIF89a...."), Some(Kind::Gif));
        assert_eq!(sniff(b"GIF87a...."), Some(Kind::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Kind::Webp));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), None, "a WAV is RIFF too");
        assert_eq!(sniff(b"just some text.png"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(looks_like(b"hello, I am definitely a cat picture\n"), "text");
        assert_eq!(looks_like(b"%PDF-1.7"), "a PDF document");
        assert_eq!(looks_like(b"\0\0\0\x18ftypheic\0\0\0\0"), "a HEIC photo; export it as JPEG first");
        assert_eq!(looks_like(b"<?xml version=\"1.0\"?><svg xmlns="), "an SVG drawing; export it as PNG first");
        assert_eq!(looks_like(&[0, 1, 2, 3, 200, 201]), "some other kind of file");
        assert_eq!(looks_like("héllo wörld ".repeat(60).as_bytes()), "text", "a cut multi-byte character is still text");
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_bytes(10 * 1024 * 1024), "10 MB");
        assert_eq!(human_bytes(12_897_485), "12.3 MB");
        assert_eq!(human_bytes(512 * 1024), "512 KB");
        assert_eq!(human_bytes(999), "999 bytes");
    }

    #[test]
    fn refuses_empty_oversize_foreign_and_broken_files() {
        assert!(matches!(process(b"", 100), Err(MediaError::Empty)));
        assert!(matches!(process(&[0; 101], 100), Err(MediaError::TooLarge { size: Some(101), limit: 100 })));
        let e = process(b"not an image at all", 1000).unwrap_err();
        assert_eq!(
            (e.kind(), e.to_string().as_str()),
            (ErrorKind::UnsupportedType, "That file is not a PNG, JPEG, GIF or WebP image (it looks like text).")
        );
        let mut broken = png_bytes(&DynamicImage::ImageRgb8(noise_rgb(50, 50)));
        broken.truncate(60);
        let e = process(&broken, 100_000).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(e.to_string().contains("looks like a PNG image but could not be read"), "{e}");
    }

    #[test]
    fn jpeg_exif_and_gps_do_not_survive_and_orientation_is_applied() {
        let src = jpeg_with_exif(&noise_rgb(120, 80), "Secret cabin 51.5N");
        assert!(contains(&src, b"Exif\0\0") && contains(&src, b"Secret cabin"));
        let p = process(&src, 10_000_000).unwrap();
        assert_eq!(p.kind, Kind::Jpeg);
        assert!(!contains(&p.bytes, b"Exif"), "the EXIF block is gone");
        assert!(!contains(&p.bytes, b"Secret cabin"));
        assert_eq!((p.width, p.height), (80, 120), "rotated by its orientation tag before the tag was dropped");
        let back = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (80, 120));
    }

    #[test]
    fn png_text_chunks_are_dropped_and_thumbnails_fit() {
        let mut src = png_bytes(&DynamicImage::ImageRgb8(noise_rgb(900, 300)));
        // A tEXt chunk right after IHDR (8 signature + 25 IHDR bytes).
        let body = b"tEXtComment\0secret";
        let mut chunk = ((body.len() - 4) as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(body);
        chunk.extend_from_slice(&crc32(body).to_be_bytes());
        src.splice(33..33, chunk);
        assert!(contains(&src, b"secret"));
        let p = process(&src, 10_000_000).unwrap();
        assert!(!contains(&p.bytes, b"secret"));
        assert_eq!((p.kind, p.width, p.height), (Kind::Png, 900, 300));
        let t = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((p.thumb_kind, t.width(), t.height()), (Kind::Jpeg, 400, 133));
        assert!(p.thumb.len() < p.bytes.len());
    }

    #[test]
    fn transparent_images_get_transparent_thumbnails() {
        let img = RgbaImage::from_fn(500, 500, |x, _| Rgba([200, 10, 10, (x % 256) as u8]));
        let p = process(&png_bytes(&DynamicImage::ImageRgba8(img)), 10_000_000).unwrap();
        assert_eq!(p.thumb_kind, Kind::Webp);
        assert!(image::load_from_memory(&p.thumb).unwrap().color().has_alpha());
    }

    #[test]
    fn animated_gifs_keep_their_frames_but_lose_comments() {
        let mut src = vec![];
        {
            let palette = [0u8, 0, 0, 255, 255, 255];
            let mut enc = gif::Encoder::new(&mut src, 4, 4, &palette).unwrap();
            enc.set_repeat(gif::Repeat::Infinite).unwrap();
            enc.write_raw_extension(gif::Extension::Comment.into(), &[b"secret comment"]).unwrap();
            for i in 0..3u8 {
                let frame = gif::Frame { width: 4, height: 4, delay: 10, buffer: vec![i % 2; 16].into(), ..Default::default() };
                enc.write_frame(&frame).unwrap();
            }
        }
        assert!(contains(&src, b"secret comment"));
        let p = process(&src, 1_000_000).unwrap();
        assert_eq!(p.kind, Kind::Gif);
        assert!(!contains(&p.bytes, b"secret comment"));
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::Indexed);
        let mut dec = opts.read_info(Cursor::new(&p.bytes)).unwrap();
        let mut n = 0;
        while dec.read_next_frame().unwrap().is_some() {
            n += 1;
        }
        assert_eq!((n, dec.repeat()), (3, gif::Repeat::Infinite));
    }

    #[test]
    fn webp_is_re_encoded() {
        let mut src = vec![];
        let img = noise_rgb(64, 48);
        WebPEncoder::new_lossless(&mut src).encode(img.as_raw(), 64, 48, image::ExtendedColorType::Rgb8).unwrap();
        assert!(!webp_is_lossy(&src));
        let p = process(&src, 1_000_000).unwrap();
        assert_eq!((p.kind, p.width, p.height), (Kind::Webp, 64, 48));
        let lossy_header = b"RIFF\x20\0\0\0WEBPVP8 \x14\0\0\0";
        assert!(webp_is_lossy(lossy_header));
    }

    #[test]
    fn a_tiny_10000_by_10000_png_is_refused_from_its_header() {
        // 0.4 MB of file, 300 MB of pixels once decoded: refused from the header's numbers.
        let img = DynamicImage::ImageLuma8(image::GrayImage::new(10_000, 10_000));
        let src = png_bytes(&img);
        assert!(src.len() < 1_000_000, "{} bytes", src.len());
        let e = process(&src, 10_000_000).unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Invalid, "too_many_pixels"));
        assert_eq!(
            e.to_string(),
            "That image is 10000×10000 pixels; the most we take is 10000 pixels on a side and 40 megapixels in all. Scale it down and try again."
        );
        // Just inside the limit is fine.
        assert!(check_pixels(8_000, 5_000).is_ok());
        assert!(check_pixels(8_000, 5_001).is_err());
    }

    #[test]
    fn opacity_is_read_without_converting() {
        let rgba = RgbaImage::from_fn(4, 4, |x, _| Rgba([1, 2, 3, if x == 3 { 254 } else { 255 }]));
        assert!(!is_opaque(&DynamicImage::ImageRgba8(rgba)));
        assert!(is_opaque(&DynamicImage::ImageRgba8(RgbaImage::from_pixel(4, 4, Rgba([1, 2, 3, 255])))));
        assert!(is_opaque(&DynamicImage::ImageRgb8(noise_rgb(4, 4))));
        let la = image::GrayAlphaImage::from_pixel(2, 2, image::LumaA([9, 0]));
        assert!(!is_opaque(&DynamicImage::ImageLumaA8(la)));
    }

    #[test]
    fn pixel_bombs_are_refused_before_decoding() {
        // A valid 20000x1 PNG: tiny file, too wide.
        let img = DynamicImage::ImageLuma8(image::GrayImage::new(20_000, 1));
        let e = process(&png_bytes(&img), 10_000_000).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(e.to_string().starts_with("That image is 20000×1 pixels; the most we take is 10000"), "{e}");
    }

    #[test]
    fn images_without_pixels_are_refused() {
        // The fuzzer's input (fuzz/fuzz_targets/image_decode.rs): a GIF whose screen is
        // 1536×0 with a 6×8 frame was stored as a 1536×0 image.
        let hex: String = [
            "4749463839610006000080008800000000000021f90409000000002c000000000600080084005a00785a00787a1e785a",
            "3c785a5a785a78785a96785ab4785ad2a05a00a05a1ea05a3ca05a5aa0a6875fac96a45ab4a05a2bc85a00c85a1ec85a",
            "3cc85a5ac85a78c85a96c85aa4c85ad2000000000000000000000000000000000000000000051c20200649240282229d",
            "c3329d84439d45539d86639dc7739d08082604003b",
        ]
        .concat();
        let gif: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        assert!(matches!(process(&gif, 1_000_000), Err(MediaError::Undecodable("GIF"))));
    }
    #[test]
    fn a_gif_with_an_empty_interlaced_frame_is_stored_readable() {
        // Found by fuzzing: a 6×8 GIF whose one frame is 1536×0 pixels and interlaced.
        let gif = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            "R0lGODlhBgAIAIAAAAAAAAAAACH5BAkAAAAALAAIAPoABgAA0qBaAKBaHqB6PKBaWgEBAQEBAQEBAQEBAQEBAQEBATABAQEBAQEBAQEBAQEBAQEBATABAQEBAQEBAQEBAQECYloAOw==",
        )
        .unwrap();
        match process(&gif, u64::MAX) {
            Ok(p) => {
                process(&p.bytes, u64::MAX).expect("what we store is accepted again");
            }
            Err(e) => assert!(matches!(e, MediaError::Undecodable("GIF")), "{e:?}"),
        }
    }
}
