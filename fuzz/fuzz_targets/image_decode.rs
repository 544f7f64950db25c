//! Upload validation and re-encoding (`media::process::process`): any bytes give an image or
//! a typed error, never a panic. An accepted image is within the pixel limits, its stored
//! bytes and thumbnail are the type they claim, the thumbnail is small, and the stored bytes
//! are accepted again with the same size. Inputs are capped at 256 KiB and pictures at
//! 4 megapixels, so one run stays fast and far from the memory limit (the real limits are
//! covered by unit tests).
#![no_main]

use covalynce::media::process::{process, sniff, MAX_PIXELS, MAX_SIDE, THUMB_MAX};
use libfuzzer_sys::fuzz_target;

const MAX_INPUT: usize = 256 * 1024;
const MAX_FUZZ_PIXELS: u64 = 4_000_000;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    // Skip decompression bombs the real code accepts but which take seconds under ASan.
    let reader = image::ImageReader::new(std::io::Cursor::new(data)).with_guessed_format().ok();
    if let Some((w, h)) = reader.and_then(|r| r.into_dimensions().ok()) {
        if u64::from(w) * u64::from(h) > MAX_FUZZ_PIXELS {
            return;
        }
    }
    let Ok(p) = process(data, MAX_INPUT as u64) else { return };
    assert!(p.width > 0 && p.height > 0 && p.width <= MAX_SIDE && p.height <= MAX_SIDE);
    assert!(u64::from(p.width) * u64::from(p.height) <= MAX_PIXELS);
    assert_eq!(sniff(&p.bytes), Some(p.kind), "stored bytes are the kind we say");
    assert_eq!(sniff(&p.thumb), Some(p.thumb_kind), "the thumbnail is the kind we say");
    if p.bytes.len() <= 4 * MAX_INPUT {
        let again = process(&p.bytes, u64::MAX).expect("our own output is accepted");
        assert_eq!((again.width, again.height), (p.width, p.height));
    }
    let t = image::load_from_memory(&p.thumb).expect("the thumbnail decodes");
    if p.width.max(p.height) > THUMB_MAX {
        assert!(t.width().max(t.height()) <= THUMB_MAX, "the thumbnail is at most {THUMB_MAX} px");
    } else {
        assert_eq!((t.width(), t.height()), (p.width, p.height), "small pictures keep their size");
    }
});
