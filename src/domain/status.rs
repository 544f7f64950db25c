//! Every state a post, a draft, a connection or a webhook delivery can be in, with its stored
//! spelling and the one label people see. Nothing outside these types (and SQL) spells a
//! status as a string: a new state is added here and the compiler finds every `match`.

use super::DomainError;
use serde::{Deserialize, Serialize};

/// How a state reads at a glance; each face maps a tone to its colours in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Neutral,
    /// Planned: scheduled, waiting for its time.
    Info,
    Progress,
    Good,
    Warning,
    Bad,
    Muted,
}

/// What every status type offers, for code that works on any of them (reading a stored
/// column, a badge). Each type also has the same methods inherently.
pub trait Status: Copy + 'static {
    /// What a stored value outside the type reads as (the schema allows none; a row that
    /// somehow holds one should not fail a whole list).
    const UNREADABLE: Self;
    fn as_str(self) -> &'static str;
    fn label(self) -> &'static str;
    fn tone(self) -> Tone;
    fn parse(s: &str) -> Result<Self, DomainError>;

    /// The stored spelling read back, `UNREADABLE` if it is not one.
    fn from_stored(s: &str) -> Self {
        Self::parse(s).unwrap_or(Self::UNREADABLE)
    }
}

macro_rules! status_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, unreadable = $unreadable:ident { $($(#[$vm:meta])* $v:ident = $s:literal, $label:literal, $tone:ident;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $v,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The stored and serialized spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s,)+ }
            }

            /// What people read.
            pub fn label(self) -> &'static str {
                match self { $($name::$v => $label,)+ }
            }

            pub fn tone(self) -> Tone {
                match self { $($name::$v => Tone::$tone,)+ }
            }

            pub fn parse(s: &str) -> Result<Self, DomainError> {
                match s {
                    $($s => Ok($name::$v),)+
                    _ => Err(DomainError::new(
                        "invalid_status",
                        format!("\"{}\" is not a {} status. Use one of: {}.", s.chars().take(40).collect::<String>(), $what, Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")),
                    )),
                }
            }
        }

        impl Status for $name {
            const UNREADABLE: Self = $name::$unreadable;
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
            fn label(self) -> &'static str {
                $name::label(self)
            }
            fn tone(self) -> Tone {
                $name::tone(self)
            }
            fn parse(s: &str) -> Result<Self, DomainError> {
                $name::parse(s)
            }
        }

        /// A stored spelling read back from a row (`#[sqlx(try_from = "String")]`).
        impl From<String> for $name {
            fn from(s: String) -> Self {
                <Self as Status>::from_stored(&s)
            }
        }

        /// Serialized as its stored spelling (`as_str`), so JSON and the database agree.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status_enum! {
    /// One publication of a post on one account.
    PostStatus, "post", unreadable = Failed {
        /// Waiting for its time (or a retry).
        Pending = "pending", "Scheduled", Info;
        /// Claimed; the request may be on its way.
        Publishing = "publishing", "Publishing", Progress;
        Posted = "posted", "Published", Good;
        Failed = "failed", "Failed", Bad;
        /// The platform may or may not have it: a person decides before anything is resent.
        Unconfirmed = "unconfirmed", "Unconfirmed", Warning;
        Cancelled = "cancelled", "Cancelled", Muted;
    }
}

impl PostStatus {
    /// Still to go out: it can be cancelled or moved only while `Pending`, but counts as
    /// scheduled while it is being sent too.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Publishing)
    }

    /// What one publication says about its draft (`None`: it says nothing, e.g. cancelled).
    pub fn draft_status(self) -> Option<DraftStatus> {
        match self {
            Self::Pending | Self::Publishing => Some(DraftStatus::Scheduled),
            Self::Posted | Self::Unconfirmed => Some(DraftStatus::Published),
            Self::Failed => Some(DraftStatus::Failed),
            Self::Cancelled => None,
        }
    }

    /// The event a post reaching this state sends (`None`: not a final state).
    pub fn event(self) -> Option<WebhookEvent> {
        match self {
            Self::Posted => Some(WebhookEvent::PostPublished),
            Self::Failed => Some(WebhookEvent::PostFailed),
            Self::Unconfirmed => Some(WebhookEvent::PostUnconfirmed),
            Self::Pending | Self::Publishing | Self::Cancelled => None,
        }
    }
}

status_enum! {
    /// What came of one request sent for a post (a line of its attempts log), or a marker:
    /// the person's retry, and what the account's recent posts showed after a lost answer.
    AttemptOutcome, "attempt outcome", unreadable = RetryRequested {
        Posted = "posted", "posted", Good;
        /// The request may have reached the platform: the post may be out there.
        NoAnswer = "no_answer", "no answer", Warning;
        RateLimited = "rate_limited", "rate limited", Bad;
        Unavailable = "unavailable", "platform unavailable", Bad;
        Rejected = "rejected", "refused", Bad;
        Unauthorized = "unauthorized", "not signed in", Bad;
        MissingPermission = "missing_permission", "permission missing", Bad;
        /// The person asked to send it again: earlier attempts stop deciding the end state.
        RetryRequested = "retry_requested", "retried by you", Neutral;
        Found = "found", "found on the platform", Good;
        /// Listed and absent: the lost attempt never went out.
        NotFound = "not_found", "not on the platform", Bad;
    }
}

impl AttemptOutcome {
    /// A request's own result (not a marker): what the summary of attempts names.
    pub fn is_request(self) -> bool {
        !matches!(self, Self::RetryRequested | Self::NotFound | Self::Found)
    }

    /// Where a new round starts: earlier attempts no longer decide the end state.
    pub fn starts_round(self) -> bool {
        matches!(self, Self::RetryRequested | Self::NotFound)
    }
}

status_enum! {
    /// A draft, summarised from its publications once it has any.
    #[derive(Default)]
    DraftStatus, "draft", unreadable = Draft {
        #[default]
        Draft = "draft", "Draft", Neutral;
        Ready = "ready", "Ready", Progress;
        Scheduled = "scheduled", "Scheduled", Info;
        Published = "published", "Published", Good;
        Failed = "failed", "Failed", Bad;
    }
}

impl DraftStatus {
    /// The library filter's name for drafts in this state.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Draft => "Drafts",
            other => other.label(),
        }
    }
}

status_enum! {
    /// What we stored about a connection.
    ConnectionStatus, "connection", unreadable = ReconnectNeeded {
        Healthy = "healthy", "Healthy", Good;
        /// The platform refused its tokens: only the person can fix it by reconnecting.
        ReconnectNeeded = "reconnect_needed", "Reconnect needed", Bad;
    }
}

status_enum! {
    /// How a connection stands right now (its status and its token's expiry).
    Health, "health", unreadable = ReconnectNeeded {
        Healthy = "healthy", "Healthy", Good;
        ExpiringSoon = "expiring_soon", "Expiring soon", Warning;
        Expired = "expired", "Token expired", Warning;
        ReconnectNeeded = "reconnect_needed", "Reconnect needed", Bad;
    }
}

status_enum! {
    /// One webhook delivery.
    DeliveryStatus, "delivery", unreadable = Failed {
        /// Not delivered yet; retried with backoff.
        Pending = "pending", "Retrying", Warning;
        Delivered = "delivered", "Delivered", Good;
        Failed = "failed", "Failed", Bad;
    }
}

status_enum! {
    /// What a webhook subscriber can be told; the label says what it means.
    WebhookEvent, "webhook event", unreadable = PostFailed {
        PostScheduled = "post.scheduled", "A post was scheduled", Info;
        PostPublished = "post.published", "A post went live", Good;
        PostFailed = "post.failed", "A post could not be published", Bad;
        PostUnconfirmed = "post.unconfirmed", "A post was sent, but whether it went live is unknown", Warning;
        AccountReconnectNeeded = "account.reconnect_needed", "A connected account needs reconnecting", Bad;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_spelling_and_serde() {
        for s in PostStatus::ALL {
            assert_eq!(PostStatus::parse(s.as_str()), Ok(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in DraftStatus::ALL {
            assert_eq!(DraftStatus::parse(s.as_str()), Ok(*s));
        }
        for s in Health::ALL {
            assert_eq!(serde_json::from_value::<Health>(s.as_str().into()).unwrap(), *s);
        }
        for e in WebhookEvent::ALL {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str(), "events serialize with their dots");
            assert_eq!(serde_json::from_value::<WebhookEvent>(e.as_str().into()).unwrap(), *e);
        }
        let e = PostStatus::parse("posed").unwrap_err();
        assert_eq!(e.code, "invalid_status");
        assert!(e.message.contains("pending, publishing, posted, failed, unconfirmed, cancelled"), "{e}");
    }

    #[test]
    fn a_posted_post_reads_published_everywhere() {
        assert_eq!(PostStatus::Posted.label(), DraftStatus::Published.label());
        assert_eq!(PostStatus::Posted.draft_status(), Some(DraftStatus::Published));
        assert_eq!(PostStatus::Unconfirmed.draft_status(), Some(DraftStatus::Published));
        assert!(PostStatus::Publishing.is_open() && !PostStatus::Failed.is_open());
    }
}
