//! A choice of accounts to connect after a login that manages several (Facebook Pages), as
//! its owner sees it: no tokens.

use super::PlatformId;
use serde::{Deserialize, Serialize};

/// A pending choice, as shown to its owner (no tokens).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pick {
    pub id: String,
    pub platform: PlatformId,
    pub accounts: Vec<PickAccount>,
    /// When the choice stops being accepted (UTC ms).
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PickAccount {
    pub external_id: String,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    /// Already connected: the choice starts ticked, and leaving it ticked refreshes its token.
    pub connected: bool,
}

/// What the accounts of `p` are called in the chooser: "Facebook Pages", "Instagram accounts".
pub fn accounts_noun(p: PlatformId) -> String {
    match p {
        PlatformId::Facebook => p.display_name().to_string(),
        _ => format!("{} accounts", p.display_name()),
    }
}
