//! A user as the app and the JSON API see them: the one shape on both faces.

use serde::{Deserialize, Serialize};

/// Never carries the password hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    pub id: String,
    pub email: Option<String>,
    pub name: String,
    pub timezone: String,
    pub avatar_url: Option<String>,
    pub has_password: bool,
    pub created_at: i64,
}
