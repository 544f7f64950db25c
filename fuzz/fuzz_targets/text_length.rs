//! Per-platform length counting: no panics, and the counts agree with each other — chars
//! never exceed bytes, graphemes never exceed chars, X's weighted count stays within
//! 1..=3 per character (23 per URL of at least 9 characters, 2 per CJK character or emoji),
//! and every platform's check uses its own unit and limit.
#![no_main]

use covalynce::{check_length, count_as, platform_info, x_weighted_length, PlatformId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let bytes = text.len() as u64;
    let chars = count_as("chars", text) as u64;
    let graphemes = count_as("graphemes", text) as u64;
    let x = x_weighted_length(text) as u64;
    assert_eq!(chars, text.chars().count() as u64);
    assert!(chars <= bytes);
    assert!(graphemes <= chars);
    assert!(x <= 3 * chars, "x {x} > 3 × {chars} chars");
    assert_eq!(x == 0, text.is_empty(), "only empty text weighs nothing");
    assert_eq!(count_as("x-weighted", text) as u64, x);
    for p in PlatformId::ALL {
        let limits = &platform_info(p).limits;
        let c = check_length(p, text);
        assert_eq!(c.count, count_as(limits.counting, text));
        assert_eq!(c.limit, limits.text_max);
        assert_eq!(c.remaining, i64::from(c.limit) - i64::from(c.count));
        assert_eq!(c.over(), c.count > c.limit);
    }
});
