//! Bulk-scheduling CSV import (`schedule::parse_csv`): any bytes give posts or a list of row
//! errors, never a panic. Accepted posts go only to the person's healthy accounts, in the
//! future but at most two years ahead, within the platform's length limit, with text or an
//! image; a rejected file always says which row (1 = the header) is wrong.
#![no_main]

use covalynce::connections::Connection;
use covalynce::ConnectionStatus;
use covalynce::schedule::{parse_csv, CsvContext, MAX_ROWS};
use covalynce::{check_length, PlatformId, Timezone};
use libfuzzer_sys::fuzz_target;

/// 2026-11-20 12:00 UTC.
const NOW: i64 = 1_795_176_000_000;
const TWO_YEARS_MS: i64 = 2 * 366 * 24 * 3_600_000;
const ZONES: [&str; 4] = ["Europe/Berlin", "UTC", "America/New_York", "Australia/Lord_Howe"];

fn conn(id: &str, platform: PlatformId, username: &str, status: ConnectionStatus) -> Connection {
    Connection {
        id: id.into(),
        platform,
        external_id: id.into(),
        username: username.into(),
        display_name: username.into(),
        avatar_url: None,
        scopes: vec![],
        consent_at: 0,
        consent_scopes: vec![],
        status,
        last_error: None,
        last_used_at: None,
        token_expires_at: None,
        created_at: 0,
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the zone, the rest is the file.
    let Some((&zone, file)) = data.split_first() else { return };
    let tz = Timezone::parse(ZONES[zone as usize % ZONES.len()]).unwrap();
    let accounts = vec![
        conn("c-x", PlatformId::X, "ada_x", ConnectionStatus::Healthy),
        conn("c-m1", PlatformId::Mastodon, "ada", ConnectionStatus::Healthy),
        conn("c-m2", PlatformId::Mastodon, "ada_work", ConnectionStatus::Healthy),
        conn("c-ig", PlatformId::Instagram, "ada_pics", ConnectionStatus::Healthy),
        conn("c-bs", PlatformId::Bluesky, "ada.bsky", ConnectionStatus::ReconnectNeeded),
    ];
    match parse_csv(file, &CsvContext { tz: &tz, now_ms: NOW, accounts: &accounts }) {
        Ok(posts) => {
            assert!(!posts.is_empty() && posts.len() <= MAX_ROWS * accounts.len());
            for p in &posts {
                let c = accounts.iter().find(|c| c.id == p.connection_id).expect("a known account");
                assert_eq!(c.status, ConnectionStatus::Healthy, "never to an account that needs reconnecting");
                let at = p.scheduled_at.expect("every imported post has a time");
                assert!(at >= NOW && at <= NOW + TWO_YEARS_MS, "{at} is outside now..now+2y");
                assert!(!check_length(c.platform, &p.text).over(), "within {}'s limit", c.platform.as_str());
                assert!(!p.text.is_empty() || p.image_url.is_some());
                assert_eq!(p.text, p.text.trim(), "fields are trimmed");
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a rejection says why");
            assert!(errors.iter().all(|e| e.row >= 1 && !e.message.is_empty()));
        }
    }
});
