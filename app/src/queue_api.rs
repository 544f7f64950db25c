//! Server functions for the Queue page: each account's weekly posting times and what is
//! queued next. Thin wrappers over `covalynce::schedule`, the same code as `/api/slots`.

use crate::errors::AppError;
use crate::schedule_api::CalendarPost;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotView {
    pub id: String,
    /// 0 = Monday … 6 = Sunday.
    pub weekday: i64,
    /// `HH:MM` in the profile's zone.
    pub time: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueAccount {
    pub id: String,
    pub platform: String,
    pub platform_name: String,
    pub color: String,
    pub username: String,
    pub healthy: bool,
    /// By weekday, then time.
    pub slots: Vec<SlotView>,
    /// The next posts waiting to go out (at most five).
    pub upcoming: Vec<CalendarPost>,
    /// All of them.
    pub pending: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueView {
    pub timezone: String,
    pub accounts: Vec<QueueAccount>,
}

/// The days an "add" applies to: one weekday (`0`–`6`), `weekdays` or `daily`.
pub fn days_for(choice: &str) -> Option<Vec<i64>> {
    match choice {
        "daily" => Some((0..7).collect()),
        "weekdays" => Some((0..5).collect()),
        d => d.parse::<i64>().ok().filter(|d| (0..7).contains(d)).map(|d| vec![d]),
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::schedule_api::ssr::{from_post, scheduler};
    use covalynce::publish::PostQuery;
    use std::collections::HashMap;

    pub async fn accounts(st: &crate::state::AppState, user_id: &str) -> Result<Vec<QueueAccount>, AppError> {
        let s = scheduler(st);
        let tz = s.timezone(user_id).await;
        let conns = st.connections.list(user_id).await?;
        let mut slots: HashMap<String, Vec<SlotView>> = HashMap::new();
        for sl in s.slots(user_id, None).await? {
            slots.entry(sl.connection_id).or_default().push(SlotView { id: sl.id, weekday: sl.weekday, time: sl.local_time });
        }
        let q = PostQuery {
            status: Some(covalynce::PostStatus::Pending.to_string()),
            from: Some(covalynce::db::now_ms()),
            limit: Some(2000),
            ..Default::default()
        };
        let mut upcoming: HashMap<String, Vec<CalendarPost>> = HashMap::new();
        for p in st.publisher.list(user_id, &q).await? {
            if let Some(c) = p.connection_id.clone() {
                upcoming.entry(c).or_default().push(from_post(p, &tz));
            }
        }
        Ok(conns
            .into_iter()
            .map(|c| {
                let info = covalynce::platform_info(c.platform);
                let mut mine = slots.remove(&c.id).unwrap_or_default();
                mine.sort_by(|a, b| (a.weekday, &a.time).cmp(&(b.weekday, &b.time)));
                let queued = upcoming.remove(&c.id).unwrap_or_default();
                QueueAccount {
                    platform: c.platform.as_str().to_string(),
                    platform_name: info.display_name.to_string(),
                    color: info.brand_color.to_string(),
                    healthy: !c.needs_reconnect(),
                    username: c.username,
                    slots: mine,
                    pending: queued.len(),
                    upcoming: queued.into_iter().take(5).collect(),
                    id: c.id,
                }
            })
            .collect())
    }
}

#[server(prefix = "/sfn", endpoint = "queue_data", input = server_fn::codec::GetUrl)]
pub async fn queue_data() -> Result<QueueView, AppError> {
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let timezone = st.publisher.timezone(&me.sub).await.as_str().to_string();
    Ok(QueueView { timezone, accounts: ssr::accounts(&st, &me.sub).await? })
}

/// Adds `time` on the chosen days (`0`–`6`, `weekdays`, `daily`); days that already have
/// that time are left as they are. Answers how many were added.
#[server(prefix = "/sfn", endpoint = "add_posting_time")]
pub async fn add_posting_time(csrf: String, account: String, days: String, time: String) -> Result<usize, AppError> {
    let _ = csrf;
    use crate::api::ssr::require_user;
    use crate::schedule_api::ssr::scheduler;
    let (st, me) = require_user()?;
    let Some(days) = days_for(&days) else {
        let e = covalynce::DomainError::new("invalid_weekday", "Choose a day, weekdays or every day.");
        return Err(e.into());
    };
    let s = scheduler(&st);
    let mut added = 0;
    for d in days {
        match s.add_slot(&me.sub, &account, &d.to_string(), &time).await {
            Ok(_) => added += 1,
            // Already there: adding a time twice is not an error.
            Err(e) if covalynce::Failure::kind(&e) == covalynce::Kind::Conflict => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(added)
}

#[server(prefix = "/sfn", endpoint = "remove_posting_time")]
pub async fn remove_posting_time(csrf: String, id: String) -> Result<(), AppError> {
    let _ = csrf;
    use crate::api::ssr::require_user;
    use crate::schedule_api::ssr::scheduler;
    let (st, me) = require_user()?;
    scheduler(&st).delete_slot(&me.sub, &id).await.map_err(AppError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_choices() {
        assert_eq!(days_for("daily"), Some(vec![0, 1, 2, 3, 4, 5, 6]));
        assert_eq!(days_for("weekdays"), Some(vec![0, 1, 2, 3, 4]));
        assert_eq!(days_for("6"), Some(vec![6]));
        assert_eq!(days_for("7"), None);
        assert_eq!(days_for("someday"), None);
    }
}
