use super::*;

#[test]
fn statuses_read_differently() {
    let looks: Vec<_> = PostStatus::ALL.iter().map(|s| status_look(*s).1).collect();
    let mut unique = looks.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), looks.len(), "every status has its own icon");
    assert_eq!(short_name("facebook"), "Facebook");
    assert_eq!(short_name("x"), "X");
}

#[test]
fn error_codes_split_off() {
    let (c, m) = error_parts(&ServerFnError::new("ambiguous_time|02:30 happens twice"));
    assert_eq!((c.as_str(), m.as_str()), ("ambiguous_time", "02:30 happens twice"));
    let (c, _) = error_parts(&ServerFnError::new("Your session has ended. Please sign in again."));
    assert!(c.is_empty());
}
