//! Unit tests of the Bluesky adapter: facets, identity resolution, link-card metadata.

use super::*;

fn spans(text: &str) -> Vec<(usize, usize, Feature)> {
    detect(text).into_iter().map(|s| (s.start, s.end, s.feature)).collect()
}

fn link(s: &str) -> Feature {
    Feature::Link(s.into())
}

fn tag(s: &str) -> Feature {
    Feature::Tag(s.into())
}

fn mention(s: &str) -> Feature {
    Feature::Mention(s.into())
}

/// Every span cuts the text on character boundaries and covers exactly what it names.
fn covered(text: &str) -> Vec<&str> {
    detect(text).iter().map(|s| &text[s.start..s.end]).collect()
}

#[test]
fn offsets_are_utf8_bytes_after_accents_and_emoji() {
    // "héllo " is 7 bytes (é is 2).
    assert_eq!(spans("héllo https://example.com now"), [(7, 26, link("https://example.com"))]);
    // C a f é(2) space ☕(3) space = 10 bytes before the @.
    assert_eq!(spans("Café ☕ @bob.bsky.social"), [(10, 26, mention("bob.bsky.social"))]);
    // 🚀 is 4 bytes, 👩‍💻 is 11 (three code points joined).
    assert_eq!(spans("🚀 #launch"), [(5, 12, tag("launch"))]);
    assert_eq!(spans("👩‍💻 #dev"), [(12, 16, tag("dev"))]);
    let text = "Ça démarre 🎉🇫🇷: https://exemple.fr/été?q=ü, avec @ana.bsky.social et #Rentrée2025!";
    assert_eq!(covered(text), ["https://exemple.fr/été?q=ü", "@ana.bsky.social", "#Rentrée2025"]);
    let s = detect(text);
    assert_eq!(s[0].start, text.find("https").unwrap());
    assert_eq!(s[0].start, "Ça démarre 🎉🇫🇷: ".len());
    assert_eq!(s[0].start, 2 + 1 + 1 + 8 + 1 + 4 + 8 + 1 + 1, "Ç(2) a space démarre(8) space 🎉(4) 🇫🇷(8) : space");
    assert_eq!(s[2].end, text.len() - 1, "the ! is not part of the tag");
}

#[test]
fn trailing_punctuation_and_quotes_stay_outside_links() {
    assert_eq!(covered("Read https://example.com/a."), ["https://example.com/a"]);
    assert_eq!(
        covered("https://a.example/x, https://b.example/y; https://c.example/z: ok"),
        ["https://a.example/x", "https://b.example/y", "https://c.example/z"]
    );
    assert_eq!(covered("Really? https://example.com/q?x=1!?"), ["https://example.com/q?x=1"]);
    assert_eq!(covered("(see https://example.com/a)"), ["https://example.com/a"]);
    assert_eq!(covered("(https://en.wikipedia.org/wiki/Rust_(language))."), ["https://en.wikipedia.org/wiki/Rust_(language)"]);
    assert_eq!(covered("He said \"https://example.com/said\"."), ["https://example.com/said"]);
    assert_eq!(covered("“https://example.com/curly”"), ["https://example.com/curly"]);
    assert_eq!(covered("HTTP://EXAMPLE.COM/Up"), ["HTTP://EXAMPLE.COM/Up"]);
    // Not links: no host, another scheme, glued to a word.
    assert!(covered("https:// ftp://example.com javascript:alert(1) xhttps://example.com").is_empty());
}

#[test]
fn mentions_need_a_domain_handle_at_a_word_start() {
    assert_eq!(spans("hi @Bob.Bsky.Social."), [(3, 19, mention("bob.bsky.social"))]);
    assert_eq!(covered("(@ada.example.com) @ada.example.com's"), ["@ada.example.com", "@ada.example.com"]);
    for not in ["mail ada@example.com", "@bob", "@bob.", "@-bob.example", "@bob.123", "@bob.example_x", "@a.example@b.example"] {
        assert!(detect(not).is_empty(), "{not}");
    }
    // Inside a link it is part of the link.
    assert_eq!(covered("https://bsky.app/profile/@bob.bsky.social"), ["https://bsky.app/profile/@bob.bsky.social"]);
}

#[test]
fn hashtags_skip_numbers_punctuation_and_long_tags() {
    assert_eq!(spans("#rust2025! and #café, then #日本語。"), [(0, 9, tag("rust2025")), (15, 21, tag("café")), (28, 38, tag("日本語"))]);
    // Full-width ＃ is 3 bytes.
    assert_eq!(spans("＃タグ"), [(0, 9, tag("タグ"))]);
    for not in ["#2025", "#1.000", "#", "# tag", "a#b", "#️⃣", "https://example.com/#frag"] {
        assert!(detect(not).iter().all(|s| !matches!(s.feature, Feature::Tag(_))), "{not}");
    }
    let longest = format!("#{}", "a".repeat(64));
    assert_eq!(covered(&longest), [longest.as_str()]);
    assert!(detect(&format!("#{}", "a".repeat(65))).is_empty());
    // 64 graphemes of 2 code points each are still 64.
    let accented = format!("#{}", "e\u{301}".repeat(64));
    assert_eq!(covered(&accented).len(), 1);
    assert_eq!(covered("#C++ #tag-with-dash- #a_b"), ["#C++", "#tag-with-dash", "#a_b"]);
}

#[test]
fn a_post_with_everything_gets_ordered_non_overlapping_spans() {
    let text = "🚀 Launch! https://example.com/news?id=7. Thanks @bob.bsky.social #Launch #2025 (cc @ana.bsky.social)";
    let s = detect(text);
    assert_eq!(covered(text), ["https://example.com/news?id=7", "@bob.bsky.social", "#Launch", "@ana.bsky.social"]);
    assert!(s.windows(2).all(|w| w[0].end <= w[1].start));
    assert!(s.iter().all(|s| text.is_char_boundary(s.start) && text.is_char_boundary(s.end)));
}

#[test]
fn identifiers() {
    for h in ["ada.bsky.social", "a.co", "xn--caf-dma.example", "1.example"] {
        assert!(is_handle(h), "{h}");
    }
    for h in ["ada", "ada.", ".ada.com", "a..b", "ada.123", "ad_a.com", "-a.com", "a-.com", "ada.bsky.social/x", "did:plc:abc"] {
        assert!(!is_handle(h), "{h}");
    }
    for d in ["did:plc:ewvi7nxzyoun6zhxrhs64oiz", "did:plc:sbx123", "did:web:example.com", "did:web:localhost%3A8080"] {
        assert!(is_did(d), "{d}");
    }
    for d in ["did:plc:", "did:plc:ABC", "did:plc:a/../b", "did:web:exa mple.com", "did:web:a.com/path", "did:key:z6M", "did:web:a.com%3Ax"]
    {
        assert!(!is_did(d), "{d}");
    }
}

fn adapter(allow_private: bool, token_base: &str) -> Bluesky {
    let cfg = PlatformConfig { api_base: "https://bsky.social".into(), token_base: token_base.into(), allow_private, ..Default::default() };
    Bluesky::new(cfg, Http::new(Duration::from_secs(5)))
}

#[test]
fn the_pds_is_the_atproto_pds_service_of_the_did_document() {
    let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    let doc = |id: &str, ty: &str, ep: &str| {
        json!({"id": did, "alsoKnownAs": ["at://ada.example.com"], "service": [
            {"id": "#atproto_labeler", "type": "AtprotoLabeler", "serviceEndpoint": "https://labels.example"},
            {"id": id, "type": ty, "serviceEndpoint": ep},
        ]})
    };
    let b = adapter(false, "");
    assert_eq!(
        b.pds_in(&doc("#atproto_pds", "AtprotoPersonalDataServer", "https://pds.example/"), did).as_deref(),
        Some("https://pds.example")
    );
    assert_eq!(
        b.pds_in(&doc(&format!("{did}#atproto_pds"), "AtprotoPersonalDataServer", "https://pds.example"), did).as_deref(),
        Some("https://pds.example")
    );
    assert_eq!(b.pds_in(&doc("did:plc:other#atproto_pds", "AtprotoPersonalDataServer", "https://pds.example"), did), None);
    assert_eq!(b.pds_in(&doc("#atproto_pds", "Other", "https://pds.example"), did), None);
    for bad in ["http://pds.example", "javascript:alert(1)", "https://u:p@pds.example", "https://pds.example/?x=1", "pds.example"] {
        assert_eq!(b.pds_in(&doc("#atproto_pds", "AtprotoPersonalDataServer", bad), did), None, "{bad}");
    }
    // http only with the admin's private-network opt-in (a local PDS or the sandbox).
    assert_eq!(
        adapter(true, "").pds_in(&doc("#atproto_pds", "AtprotoPersonalDataServer", "http://127.0.0.1:2583"), did).as_deref(),
        Some("http://127.0.0.1:2583")
    );
    assert!(claims_handle(&doc("#atproto_pds", "x", "y"), "ada.example.com"));
    assert!(!claims_handle(&doc("#atproto_pds", "x", "y"), "eve.example.com"));
}

#[test]
fn the_plc_directory_is_the_public_one_unless_token_base_names_another() {
    assert_eq!(adapter(false, "").plc_base(), PLC_DIRECTORY);
    assert_eq!(adapter(false, "https://bsky.social/").plc_base(), PLC_DIRECTORY);
    assert_eq!(adapter(false, "http://127.0.0.1:9/bluesky/plc/").plc_base(), "http://127.0.0.1:9/bluesky/plc");
}

#[test]
fn open_graph_then_twitter_then_html_metadata() {
    let html = r#"<!doctype html><html><head>
        <title> Plain &amp; simple </title>
        <meta name="description" content="Fallback description">
        <META content='Caf&eacute; &quot;launch&quot; &#8212; &#x1F680;' PROPERTY="og:title"/>
        <meta property="og:description" content="It's   here.&nbsp;Now">
        <meta property=og:image content=/img/card.png>
        <metadata>not a meta tag</metadata>
        </head><body><meta property="og:title" content="later duplicate"></body></html>"#;
    let m = page_meta(html);
    assert_eq!(m.title, "Caf&eacute; \"launch\" — 🚀", "unknown entities stay as written");
    assert_eq!(m.description, "It's here. Now");
    assert_eq!(m.image.as_deref(), Some("/img/card.png"));
    let plain = page_meta("<html><head><title>Just a title</title><meta name=description content=\"Short\"></head></html>");
    assert_eq!((plain.title.as_str(), plain.description.as_str(), plain.image), ("Just a title", "Short", None));
    let tw = page_meta(r#"<meta name="twitter:title" content="Tw"><meta name="twitter:image" content="https://i.example/t.jpg">"#);
    assert_eq!((tw.title.as_str(), tw.image.as_deref()), ("Tw", Some("https://i.example/t.jpg")));
    assert_eq!(page_meta("<p>no head at all"), PageMeta::default());
    assert_eq!(page_meta(&format!("<title>{}</title>", "é".repeat(400))).title.chars().count(), 300);
}

#[test]
fn thumbnails_must_be_images() {
    let png = b"\x89PNG\r\n\x1a\n....";
    assert_eq!(image_mime("image/png", png).as_deref(), Some("image/png"));
    assert_eq!(image_mime("image/jpeg; charset=binary", b"x").as_deref(), Some("image/jpeg"));
    assert_eq!(image_mime("", png).as_deref(), Some("image/png"));
    assert_eq!(image_mime("application/octet-stream", &[0xFF, 0xD8, 0xFF, 0xE0]).as_deref(), Some("image/jpeg"));
    assert_eq!(image_mime("text/html", png), None);
    assert_eq!(image_mime("image/svg+xml", b"<svg/>"), None);
    assert_eq!(image_mime("", b"plain text"), None);
    assert_eq!(image_mime("image/png", b""), None);
}
