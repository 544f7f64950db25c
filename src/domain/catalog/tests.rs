use super::*;

const CATEGORIES: [&str; 5] = ["identity", "publishing", "analytics", "media", "pages"];

#[test]
fn every_platform_appears_exactly_once() {
    for id in PlatformId::ALL {
        assert_eq!(CATALOG.iter().filter(|p| p.id == id).count(), 1, "{id}");
        assert_eq!(platform_info(id).id, id);
        assert_eq!(platform_info(id).display_name, id.display_name());
    }
}

#[test]
fn recommended_order_is_one_to_ten_and_sorted() {
    let order: Vec<u8> = catalog_in_order().map(|p| p.recommended_order).collect();
    assert_eq!(order, (1..=10).collect::<Vec<u8>>());
}

#[test]
fn every_platform_but_bluesky_has_a_required_scope() {
    for p in &CATALOG {
        let has_required = p.scopes.iter().any(|s| s.required);
        if p.id == PlatformId::Bluesky {
            assert!(p.scopes.is_empty());
            assert_eq!(p.auth, "app-password");
        } else {
            assert!(has_required, "{} has no required scope", p.id);
        }
    }
}

#[test]
fn scopes_are_explained_in_full_sentences() {
    for p in &CATALOG {
        for s in p.scopes {
            assert!(s.reason.ends_with('.') && s.reason.len() > 20, "{}: {}", p.id, s.scope);
            assert!(!s.reason.contains("  "), "{}: {} has a double space", p.id, s.scope);
            assert!(CATEGORIES.contains(&s.category), "{}: {}", p.id, s.scope);
            assert!(!s.title.is_empty());
        }
        let mut seen: Vec<&str> = p.scopes.iter().map(|s| s.scope).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), p.scopes.len(), "{} repeats a scope", p.id);
    }
}

#[test]
fn brand_colors_are_hex_rgb() {
    for p in &CATALOG {
        let c = p.brand_color;
        assert!(c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit()), "{}: {c}", p.id);
    }
}

#[test]
fn text_limits_match_the_contracts() {
    let x = &platform_info(PlatformId::X).limits;
    assert_eq!((x.text_max, x.counting), (280, "x-weighted"));
    let bsky = &platform_info(PlatformId::Bluesky).limits;
    assert_eq!((bsky.text_max, bsky.counting), (300, "graphemes"));
    for p in &CATALOG {
        assert!(["chars", "graphemes", "x-weighted"].contains(&p.limits.counting));
        assert!(p.limits.text_max > 0);
        assert_eq!(p.limits.max_images == 0, p.limits.image_types.is_empty(), "{}", p.id);
    }
}

#[test]
fn media_only_platforms_are_flagged() {
    for id in [PlatformId::Youtube, PlatformId::Tiktok, PlatformId::Instagram, PlatformId::Pinterest] {
        assert!(platform_info(id).limits.requires_media, "{id}");
    }
}

#[test]
fn auth_and_refresh_fields_are_consistent() {
    for p in &CATALOG {
        assert!(["oauth2-pkce", "oauth2", "app-password", "oauth2-per-instance"].contains(&p.auth), "{}", p.id);
        assert!(!p.refresh_rotates || p.supports_refresh, "{}", p.id);
        assert!(p.docs_url.starts_with("https://"), "{}", p.id);
        assert!(p.setup_minutes > 0 && !p.features.is_empty(), "{}", p.id);
    }
    assert_eq!(platform_info(PlatformId::X).access_ttl_secs, Some(7_200));
    assert_eq!(platform_info(PlatformId::Facebook).access_ttl_secs, None);
}

#[test]
fn serializes_with_lowercase_ids_and_difficulty() {
    let json = serde_json::to_value(platform_info(PlatformId::Tiktok)).unwrap();
    assert_eq!(json["id"], "tiktok");
    assert_eq!(json["difficulty"], "hard");
    assert_eq!(json["scopes"][0]["scope"], "user.info.basic");
}
