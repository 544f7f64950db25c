use super::chart::nice_step;
use super::*;

#[test]
fn chart_steps_are_round() {
    assert_eq!(nice_step(0), 1);
    assert_eq!(nice_step(7), 2);
    assert_eq!(nice_step(95), 25);
    assert_eq!(nice_step(4_087), 1_500);
    assert_eq!(nice_step(10_001), 3_000);
    for max in [1, 5, 9, 13, 99, 101, 777, 12_345, 999_999] {
        assert!(nice_step(max) * 4 >= max, "{max}");
    }
}

#[test]
fn range_links_keep_the_platform() {
    assert_eq!(range_href("7d", Some("x")), "/dashboard?range=7d&platform=x");
    assert_eq!(range_href("90d", None), "/dashboard?range=90d");
    assert_eq!(Metric::parse(Some("likes"), Metric::Views), Metric::Likes);
    assert_eq!(Metric::parse(Some("nope"), Metric::Views), Metric::Views);
}
