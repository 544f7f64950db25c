//! What every background queue shares — publishing, analytics pulls, webhook deliveries and
//! token refresh: one backoff rule, one store of rate-limit holds (by the database's clock),
//! and one place that starts every worker loop of a process (`Workers`), so they all stop the
//! same way. Each queue keeps its own states on top (publishing its exactly-once ones).

mod backoff;
pub use backoff::backoff;

#[cfg(feature = "server")]
pub use backoff::jitter;
#[cfg(feature = "server")]
mod cooldowns;
#[cfg(feature = "server")]
mod group;
#[cfg(feature = "server")]
pub use cooldowns::{analytics_scope, Cooldowns};
#[cfg(feature = "server")]
pub use group::Group;
#[cfg(feature = "server")]
mod workers;
#[cfg(feature = "server")]
pub use workers::{Roles, Workers};
