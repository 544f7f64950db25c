//! Instagram: adapter not written yet. `adapter` returns `None`, so the platform shows as
//! "not set up" instead of failing at run time.

use super::{Http, Platform, PlatformConfig};
use std::sync::Arc;

pub fn adapter(_cfg: PlatformConfig, _http: Http) -> Option<Arc<dyn Platform>> {
    None
}
