use super::*;

fn conn(id: &str, p: PlatformId, user: &str) -> Connection {
    Connection {
        id: id.into(),
        platform: p,
        external_id: id.into(),
        username: user.into(),
        display_name: user.into(),
        avatar_url: None,
        scopes: vec![],
        consent_at: 0,
        consent_scopes: vec![],
        status: crate::domain::ConnectionStatus::Healthy,
        last_error: None,
        last_used_at: None,
        token_expires_at: None,
        created_at: 0,
    }
}

fn berlin() -> Timezone {
    Timezone::parse("Europe/Berlin").unwrap()
}

/// 2026-11-20 12:00 UTC.
const NOW: i64 = 1_795_176_000_000;

fn accounts() -> Vec<Connection> {
    vec![
        conn("c-x", PlatformId::X, "ada_x"),
        conn("c-m1", PlatformId::Mastodon, "ada"),
        conn("c-m2", PlatformId::Mastodon, "ada_work"),
        conn("c-ig", PlatformId::Instagram, "ada_pics"),
    ]
}

fn check(csv: &str) -> Result<Vec<NewPost>, Vec<RowError>> {
    let (tz, acc) = (berlin(), accounts());
    parse_csv(csv.as_bytes(), &CsvContext { tz: &tz, now_ms: NOW, accounts: &acc }).map_err(|p| p.listed)
}

#[test]
fn a_good_file_becomes_one_post_per_account_and_row() {
    let posts = check(
        "\u{feff}Date,Time,Accounts,Text,Image_URL\n2026-12-01,09:00,x;mastodon:@ada,\"Hello, world\nsecond line\",\n2026-12-02,10:30,instagram,Pic,https://example.com/a.jpg\n,,,,\n",
    )
    .unwrap();
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[0].connection_id, "c-x");
    assert_eq!(posts[1].connection_id, "c-m1");
    assert_eq!(posts[0].text, "Hello, world\nsecond line");
    // 09:00 CET = 08:00 UTC.
    assert_eq!(posts[0].scheduled_at, Some(chrono::DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z").unwrap().timestamp_millis()));
    assert_eq!(posts[2].image_url.as_deref(), Some("https://example.com/a.jpg"));
}

#[test]
fn every_problem_is_listed_with_its_row_and_column() {
    let long = "y".repeat(281);
    let csv = format!(
        "date,time,accounts,text,image_url,dst\n\
         2026-12-01,09:00,x,fine,,\n\
         2026-13-01,9h,x,hi,,\n\
         2026-12-01,10:00,mastodon;facebook;nope,hi,,\n\
         2026-12-01,10:00,x,{long},ftp://a/b.png,\n\
         2026-12-01,10:00,instagram,no picture,,\n\
         2027-03-28,02:30,x,gap,,\n\
         2027-10-31,02:30,x,twice,,\n\
         2027-10-31,02:30,x,twice,,sometimes\n\
         2026-11-19,10:00,x,,,\n\
         2026-11-20,12:30,x,an hour ago in Berlin,,\n"
    );
    let errors = check(&csv).unwrap_err();
    let at = |row: usize, column: &str| errors.iter().find(|e| e.row == row && e.column == column).map(|e| e.message.clone());
    assert!(at(2, "").is_none() && errors.iter().all(|e| e.row != 2), "row 2 is fine: {errors:#?}");
    assert!(at(3, "date").unwrap().contains("not a date"));
    assert!(at(3, "time").unwrap().contains("not a time"));
    let acc: Vec<&RowError> = errors.iter().filter(|e| e.row == 4 && e.column == "accounts").collect();
    assert_eq!(acc.len(), 3, "{acc:#?}");
    assert!(acc[0].message.contains("mastodon:username"), "two Mastodon accounts: {}", acc[0].message);
    assert!(acc[1].message.contains("No Facebook Pages account is connected"));
    assert!(acc[2].message.contains("\"nope\" is not a platform"));
    assert!(at(5, "text").unwrap().contains("1 over X (Twitter)'s limit of 280"));
    assert!(at(5, "image_url").unwrap().contains("not an image address"));
    assert!(at(6, "image_url").unwrap().contains("Instagram only publishes posts with an image"));
    assert!(at(7, "time").unwrap().contains("does not exist"));
    assert!(at(8, "time").unwrap().contains("dst column"));
    assert!(at(9, "dst").unwrap().contains("earlier or later"));
    assert!(at(10, "date").unwrap().contains("already passed"));
    assert!(at(10, "text").unwrap().contains("empty"));
    assert!(at(11, "time").unwrap().contains("already passed"), "12:30 in Berlin is before now (13:00 there): {errors:#?}");
}

#[test]
fn header_problems_stop_the_check_early() {
    let e = check("when,accounts,text\n2026-12-01,x,hi\n").unwrap_err();
    let cols: Vec<&str> = e.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(cols, ["when", "date", "time"]);
    assert!(e.iter().all(|e| e.row == 1));
    assert_eq!(check("").unwrap_err()[0].message, "The file is empty. Download the template and fill it in.");
    assert_eq!(check("date,time,accounts,text\n").unwrap_err()[0].row, 2);
    assert!(check_bytes(&[0xff, 0xfe, 0x00]).unwrap_err()[0].message.contains("UTF-8"));
}

fn check_bytes(b: &[u8]) -> Result<Vec<NewPost>, Vec<RowError>> {
    let (tz, acc) = (berlin(), accounts());
    parse_csv(b, &CsvContext { tz: &tz, now_ms: NOW, accounts: &acc }).map_err(|p| p.listed)
}

#[test]
fn too_many_rows_are_refused() {
    let mut csv = String::from("date,time,accounts,text\n");
    for _ in 0..=MAX_ROWS {
        csv.push_str("2026-12-01,09:00,x,hi\n");
    }
    let e = check(&csv).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].row, MAX_ROWS + 2);
}

#[test]
fn the_template_imports_as_it_is() {
    let (tz, acc) = (berlin(), accounts());
    let t = template_csv(&tz, NOW, &acc);
    assert!(t.starts_with("date,time,accounts,text,image_url,dst\n"), "{t}");
    assert!(t.contains("2026-11-21,09:00,x,"), "{t}");
    assert_eq!(check(&t).unwrap().len(), 3);
    let none = template_csv(&tz, NOW, &[]);
    assert!(none.contains(",x;linkedin,"), "{none}");
}

#[test]
fn the_next_free_slot_skips_taken_ones_and_the_past() {
    let tz = berlin();
    // Friday 2026-11-20 13:00 Berlin. Slots: Fri 09:00 (past), Fri 15:00, Mon 09:00.
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
    let three = NaiveTime::from_hms_opt(15, 0, 0).unwrap();
    let weekly = [(4, nine), (4, three), (0, nine)];
    let fri_15 = chrono::DateTime::parse_from_rfc3339("2026-11-20T14:00:00Z").unwrap().timestamp_millis();
    let mon_9 = chrono::DateTime::parse_from_rfc3339("2026-11-23T08:00:00Z").unwrap().timestamp_millis();
    assert_eq!(next_free_slot(&tz, NOW, &weekly, &HashSet::new()), Some(fri_15));
    let taken = HashSet::from([fri_15 / 60_000]);
    assert_eq!(next_free_slot(&tz, NOW, &weekly, &taken), Some(mon_9));
    assert_eq!(parse_weekday("Fri").unwrap(), 4);
    assert_eq!(parse_weekday("6").unwrap(), 6);
    assert!(parse_weekday("7").is_err() && parse_weekday("fr").is_err());
}
