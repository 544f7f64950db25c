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
fn error_codes_arrive_apart_from_the_message() {
    use crate::errors::AppError;
    use server_fn::error::FromServerFnError;
    let sent = AppError::new(covalynce::Kind::Invalid, "ambiguous_time", "02:30 happens twice");
    let got = AppError::de(sent.ser());
    assert_eq!((got.code.as_str(), got.message.as_str()), ("ambiguous_time", "02:30 happens twice"));
    assert_eq!(got, sent);
    let garbled = AppError::de("Your session has ended.".into());
    assert_eq!(garbled.kind, covalynce::Kind::Internal, "an unreadable answer is not mistaken for a code");
}
