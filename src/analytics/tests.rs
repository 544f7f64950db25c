use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn the_rate_never_divides_by_zero_and_missing_views_give_no_rate() {
    assert_eq!(engagement_rate(Some(90), Some(18), Some(1000)), Some(10.8));
    assert_eq!(engagement_rate(Some(5), Some(0), Some(0)), None, "zero views: no rate, no panic");
    assert_eq!(engagement_rate(Some(5), Some(2), None), None, "Bluesky-style: no views reported");
    assert_eq!(engagement_rate(None, None, Some(100)), None, "nothing to rate");
    assert_eq!(engagement_rate(Some(1), None, Some(3)), Some(33.33));
}

#[test]
fn changes_compare_with_the_previous_period() {
    assert_eq!(change_pct(Some(150), Some(100)), Some(50.0));
    assert_eq!(change_pct(Some(50), Some(200)), Some(-75.0));
    assert_eq!(change_pct(Some(7), Some(0)), None, "no percentage of nothing");
    assert_eq!(change_pct(None, Some(3)), None);
    assert_eq!(change_pct(Some(1), Some(3)), Some(-66.7));
    assert_eq!(RateChange::new(Some(3.5), Some(2.0)).change_pts, Some(1.5));
    assert_eq!(RateChange::new(Some(3.5), None).change_pts, None);
}

#[test]
fn gains_count_from_the_last_known_number_and_missing_stays_missing() {
    let first = Totals { views: Some(100), likes: Some(10), ..Default::default() };
    let g = Totals::default().gains_to(&first);
    assert_eq!((g.views, g.likes, g.comments), (Some(100), Some(10), None));
    let latest = Totals::default().updated_by(&first);
    // The platform stops reporting views (permission dropped), likes keep growing.
    let second = Totals { views: None, likes: Some(15), comments: Some(2), ..Default::default() };
    let g = latest.gains_to(&second);
    assert_eq!((g.views, g.likes, g.comments), (None, Some(5), Some(2)));
    let latest = latest.updated_by(&second);
    assert_eq!((latest.views, latest.likes, latest.comments), (Some(100), Some(15), Some(2)));
    // An unlike is a negative gain, not an error.
    let g = latest.gains_to(&Totals { likes: Some(14), ..Default::default() });
    assert_eq!(g.likes, Some(-1));
    assert_eq!(g.rated_engagement(), None, "no views in this pull: it does not count for the rate");
    assert_eq!(Totals { views: Some(9), likes: Some(2), ..Default::default() }.rated_engagement(), Some(2));
    assert!(Totals::default().is_empty());
    assert_eq!(add(None, None), None);
    assert_eq!(add(Some(2), None), Some(2));
}

#[test]
fn young_posts_are_pulled_more_often() {
    let c = SyncConfig::default();
    assert_eq!(c.interval_ms(5 * 60_000), Some(15 * 60_000));
    assert_eq!(c.interval_ms(2 * DAY_MS), Some(HOUR_MS));
    assert_eq!(c.interval_ms(30 * DAY_MS), Some(DAY_MS));
    assert_eq!(c.interval_ms(400 * DAY_MS), None);
    assert_eq!(c.retry_ms(1, 0), 60_000);
    assert_eq!(c.retry_ms(2, 0), 120_000);
    assert_eq!(c.retry_ms(10, 0), 15 * 60_000, "never longer than the normal interval");
}

#[test]
fn ranges_resolve_with_clear_errors() {
    let today = d("2026-11-24");
    let p = |range: &str, from: &str, to: &str| RangeParams {
        range: Some(range.into()),
        from: Some(from.into()),
        to: Some(to.into()),
        platform: None,
    };
    let r = p("", "", "").resolve(today).unwrap();
    assert_eq!((r.range.from, r.range.to, r.key.as_str()), (d("2026-10-26"), today, "30d"));
    let r = p("7d", "", "").resolve(today).unwrap();
    assert_eq!((r.range.from, r.range.days()), (d("2026-11-18"), 7));
    assert_eq!(r.range.previous(), DateRange { from: d("2026-11-11"), to: d("2026-11-17") });
    let r = p("90", "", "").resolve(today).unwrap();
    assert_eq!(r.key, "90d");
    let r = p("custom", "2026-11-01", "2026-11-10").resolve(today).unwrap();
    assert_eq!((r.range.days(), r.key.as_str()), (10, "custom"));
    assert_eq!(r.range.previous(), DateRange { from: d("2026-10-22"), to: d("2026-10-31") });
    assert_eq!(p("", "2026-11-18", "").resolve(today).unwrap().key, "7d", "a range that is a shortcut shows as one");
    assert_eq!(p("", "2026-11-10", "2026-11-01").resolve(today).unwrap_err().code, "invalid_range");
    assert_eq!(p("", "2024-01-01", "2026-11-01").resolve(today).unwrap_err().code, "range_too_long");
    assert_eq!(p("", "yesterday", "").resolve(today).unwrap_err().code, "invalid_date");
    assert_eq!(p("year", "", "").resolve(today).unwrap_err().code, "invalid_range");
    let with_platform = RangeParams { platform: Some("twitter".into()), ..Default::default() };
    assert_eq!(with_platform.resolve(today).unwrap().platform, Some(PlatformId::X));
    let bad = RangeParams { platform: Some("myspace".into()), ..Default::default() };
    assert_eq!(bad.resolve(today).unwrap_err().code, "unknown_platform");
    let all = RangeParams { platform: Some("all".into()), ..Default::default() };
    assert_eq!(all.resolve(today).unwrap().platform, None);
}

#[test]
fn numbers_read_well() {
    assert_eq!(format_count(Some(1_234_567)), "1,234,567");
    assert_eq!(format_count(Some(-1_000)), "-1,000");
    assert_eq!(format_count(Some(999)), "999");
    assert_eq!(format_count(None), "—");
    assert_eq!(format_compact(9_999), "9,999");
    assert_eq!(format_compact(12_345), "12.3K");
    assert_eq!(format_compact(3_000_000), "3M");
    assert_eq!(format_rate(Some(10.833)), "10.8%");
    assert_eq!(format_rate(None), "—");
    assert_eq!(format_change(Some(12.0)), Some(("▲ 12%".to_string(), "up")));
    assert_eq!(format_change(Some(-3.5)), Some(("▼ 3.5%".to_string(), "down")));
    assert_eq!(format_change(None), None);
    assert_eq!(format_change_pts(Some(0.0)), Some(("0 pts".to_string(), "flat")));
}

#[test]
fn csv_quotes_and_defuses_formulas() {
    let mut c = Csv::new(&["text", "n", "rate"]);
    c.row(&[Cell::Text("=HYPERLINK(\"x\")"), Cell::Num(Some(-3)), Cell::Rate(None)]);
    c.row(&[Cell::Text("a, \"b\"\nc"), Cell::Num(None), Cell::Rate(Some(10.8))]);
    assert_eq!(c.finish(), "text,n,rate\r\n\"'=HYPERLINK(\"\"x\"\")\",-3,\r\n\"a, \"\"b\"\"\nc\",,10.80\r\n");
}

#[test]
fn thinning_keeps_the_ends() {
    let v: Vec<i32> = (0..1000).collect();
    let t = thin(&v, 5);
    assert_eq!(t, vec![0, 249, 499, 749, 999]);
    assert_eq!(thin(&v[..3], 5), vec![0, 1, 2]);
}

#[test]
fn hours_floor_before_the_epoch_too() {
    assert_eq!(hour_of(3_599_999), 0);
    assert_eq!(hour_of(3_600_000), 1);
    assert_eq!(hour_of(-1), -1);
}
