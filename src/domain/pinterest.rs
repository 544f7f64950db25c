//! Pinterest's choice for one Pin: the board it goes to. Without a choice the adapter pins to
//! the account's first board (what it always did).

use super::DomainError;
use serde::{Deserialize, Serialize};

/// Longest board id accepted (Pinterest's ids are ~18 digits).
const BOARD_ID_MAX: usize = 64;

/// What the person chose for one Pinterest post.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinterestSettings {
    /// The board's id, as listed by `GET /v5/boards`.
    pub board_id: String,
}

impl PinterestSettings {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.board_id.is_empty() {
            return Err(DomainError::new("pinterest_board_required", "Choose a Pinterest board for the Pin."));
        }
        if self.board_id.chars().count() > BOARD_ID_MAX || !self.board_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(DomainError::new(
                "pinterest_board_invalid",
                "That is not a Pinterest board id. Choose one of your boards from the list.",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_id_must_be_present_short_and_plain() {
        let s = |b: &str| PinterestSettings { board_id: b.into() };
        assert_eq!(s("").validate().unwrap_err().code, "pinterest_board_required");
        assert_eq!(s("12 34").validate().unwrap_err().code, "pinterest_board_invalid");
        assert_eq!(s("../x").validate().unwrap_err().code, "pinterest_board_invalid");
        assert_eq!(s(&"9".repeat(65)).validate().unwrap_err().code, "pinterest_board_invalid");
        assert!(s(&"9".repeat(64)).validate().is_ok());
        assert!(s("9123_ab-C").validate().is_ok());
    }
}
