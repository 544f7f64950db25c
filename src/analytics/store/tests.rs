use super::*;

#[test]
fn hours_map_to_their_days_across_a_clock_change() {
    // Two 24-hour days, a 23-hour one (spring forward), two 24-hour days.
    assert_eq!(
        day_index_sql(&[0, 24, 48, 71, 95], 119),
        "case when hour < 48 then 0 + (hour - 0) / 24 when hour < 71 then 2 when hour < 119 then 3 + (hour - 71) / 24 end"
    );
    // A 25-hour day last.
    assert_eq!(day_index_sql(&[10, 34], 59), "case when hour < 34 then 0 + (hour - 10) / 24 when hour < 59 then 1 end");
}

#[test]
fn periods_split_into_whole_utc_days_and_edge_hours() {
    // 1 Jan 05:00 → 4 Jan 05:00 (a UTC+5 zone's three local days): two whole days, two edges.
    assert_eq!(split_days(5, 77), (Some((1, 3)), vec![(5, 24), (72, 77)]));
    // Midnight to midnight (UTC): whole days only.
    assert_eq!(split_days(24, 96), (Some((1, 4)), vec![]));
    // A single day in a shifted zone: no whole UTC day inside.
    assert_eq!(split_days(19, 43), (None, vec![(19, 43)]));
    assert_eq!(split_days(-5, 19), (None, vec![(-5, 19)]));
    assert_eq!(split_days(7, 7), (None, vec![]));
}
