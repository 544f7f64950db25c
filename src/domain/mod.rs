//! Validated domain types. Each has a private field and a `parse` constructor, so a value of the
//! type is proof that the input was checked.

pub(crate) mod calendar;
mod catalog;
mod compose;
mod email;
mod failure;
mod image;
mod password;
mod pick;
mod pinterest;
mod platform;
mod post_options;
mod profile;
mod recurrence;
mod status;
mod template;
mod text;
mod tiktok;
mod troubleshoot;
mod user;
mod when;
mod youtube;

pub use calendar::CalendarPost;
pub use catalog::*;
pub use compose::{builtin_variants, fit_to_limit, hashtags, idea_vars, limit_hint, title_from, tone, PLACEHOLDERS};
pub use email::Email;
pub use failure::{Failure, Kind};
pub use image::{ImageRef, IMAGE_URL_MAX};
pub use password::{password_checks, Password, PasswordCheck, PASSWORD_MAX, PASSWORD_MIN};
pub use pick::{accounts_noun, Pick, PickAccount};
pub use pinterest::PinterestSettings;
pub use platform::{LoginProvider, PlatformId};
pub use post_options::PostOptions;
pub use profile::{DisplayName, Timezone};
pub use recurrence::{local_to_utc_lenient, week_start, Freq, Recurrence, MAX_OCCURRENCES, WEEKDAYS};
pub use status::{AttemptOutcome, ConnectionStatus, DeliveryStatus, DraftStatus, Health, PostStatus, Status, Tone, WebhookEvent};
pub use template::{placeholders, render, TemplateError, RENDER_MAX_CHARS, TEMPLATE_MAX_CHARS};
pub use text::{check_length, check_length_within, count_as, x_weighted_length, LengthCheck, X_URL_LENGTH};
pub use tiktok::{TiktokSettings, TIKTOK_PRIVACY};
pub use troubleshoot::{diagnose, Diagnosis};
pub use user::User;
pub use when::{local_to_utc_ms, parse_local, utc_ms_to_local, Fold};
pub use youtube::{YoutubeSettings, YOUTUBE_CATEGORIES, YOUTUBE_DEFAULT_CATEGORY, YOUTUBE_PRIVACY};

use serde::{Deserialize, Serialize};

/// A user mistake, phrased so the person can fix it. Maps to HTTP 400/422 at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct DomainError {
    /// Stable machine-readable code, e.g. `invalid_email`.
    pub code: String,
    /// Human text shown next to the field.
    pub message: String,
}

impl DomainError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_string(), message: message.into() }
    }
}
