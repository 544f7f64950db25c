//! Server functions for the calendar, and the date arithmetic the page and the server share
//! (which days a month grid or a week shows). Thin wrappers over `covalynce::schedule`, the
//! same core code the JSON API uses. Local dates and times are worked out on the server in
//! the profile's zone; the browser only lays them out.

use crate::errors::AppError;
use chrono::{Datelike, Days, Months, NaiveDate};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One post on the calendar: the core's shape, shared with the JSON API.
pub use covalynce::CalendarPost;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarView {
    /// `month` or `week`.
    pub view: String,
    /// The day the view was asked for (`?date=`), or today.
    pub anchor: String,
    /// Today in the profile's zone.
    pub today: String,
    /// First and last day shown (whole weeks, Monday first).
    pub from: String,
    pub to: String,
    pub timezone: String,
    pub posts: Vec<CalendarPost>,
    pub truncated: bool,
    /// Something is shown here or pending on another date (else the empty state).
    pub anything_scheduled: bool,
    pub has_accounts: bool,
}

/// `week` or, for anything else, `month`.
pub fn parse_view(v: Option<&str>) -> &'static str {
    if v == Some("week") {
        "week"
    } else {
        "month"
    }
}

pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// The days a view shows: the anchor's week, or every week touching the anchor's month.
pub fn visible_range(view: &str, anchor: NaiveDate) -> (NaiveDate, NaiveDate) {
    let week = covalynce::week_start;
    if view == "week" {
        let from = week(anchor);
        return (from, from + Days::new(6));
    }
    let first = anchor.with_day(1).unwrap_or(anchor);
    let last = first.checked_add_months(Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(first);
    (week(first), week(last) + Days::new(6))
}

/// The anchor one step back (`dir` < 0) or forward: a week, or the first of a month.
pub fn step(view: &str, anchor: NaiveDate, dir: i32) -> NaiveDate {
    if view == "week" {
        return if dir < 0 { anchor - Days::new(7) } else { anchor + Days::new(7) };
    }
    let first = anchor.with_day(1).unwrap_or(anchor);
    let moved = if dir < 0 { first.checked_sub_months(Months::new(1)) } else { first.checked_add_months(Months::new(1)) };
    moved.unwrap_or(first)
}

/// "November 2026", or "23–29 Nov 2026" for a week.
pub fn heading(view: &str, anchor: NaiveDate) -> String {
    if view != "week" {
        return anchor.format("%B %Y").to_string();
    }
    let (a, b) = visible_range("week", anchor);
    if a.month() == b.month() {
        format!("{}–{} {}", a.day(), b.day(), b.format("%b %Y"))
    } else if a.year() == b.year() {
        format!("{} – {}", a.format("%-d %b"), b.format("%-d %b %Y"))
    } else {
        format!("{} – {}", a.format("%-d %b %Y"), b.format("%-d %b %Y"))
    }
}

pub fn href(view: &str, date: NaiveDate) -> String {
    format!("/calendar?view={view}&date={date}")
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use crate::state::AppState;
    use covalynce::publish::Post;
    use covalynce::schedule::Scheduler;

    pub fn scheduler(st: &AppState) -> Scheduler {
        Scheduler::new(st.auth.db().clone(), st.connections.clone(), st.publisher.clone())
    }

    pub fn from_post(p: Post, tz: &covalynce::Timezone) -> CalendarPost {
        CalendarPost {
            draft_id: p.draft_id,
            recurrence_id: p.recurrence_id,
            error_message: p.error_message,
            external_url: p.external_url,
            ..CalendarPost::new(p.id, p.platform, p.account_name, p.status, p.scheduled_at, p.body, tz)
        }
    }
}

/// The posts of the view around `date` (a bad or missing date means today).
#[server(prefix = "/sfn", endpoint = "calendar_data", input = server_fn::codec::GetUrl)]
pub async fn calendar_data(view: Option<String>, date: Option<String>) -> Result<CalendarView, AppError> {
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let s = scheduler(&st);
    let today = s.today(&me.sub).await;
    let view = parse_view(view.as_deref());
    let anchor = date.as_deref().and_then(parse_day).unwrap_or(today);
    let (from, to) = visible_range(view, anchor);
    let cal = s.calendar(&me.sub, &from.to_string(), &to.to_string()).await?;
    let anything_scheduled = !cal.posts.is_empty() || s.pending_count(&me.sub).await? > 0;
    let has_accounts = !st.connections.list(&me.sub).await?.is_empty();
    Ok(CalendarView {
        view: view.to_string(),
        anchor: anchor.to_string(),
        today: today.to_string(),
        from: cal.from,
        to: cal.to,
        timezone: cal.timezone,
        truncated: cal.truncated,
        posts: cal.posts,
        anything_scheduled,
        has_accounts,
    })
}

/// Moves a pending post to `date` at the same local time (drag and drop, "Move to…").
/// `fold` answers "which 02:30?" when that time happens twice on the new day.
#[server(prefix = "/sfn", endpoint = "move_post")]
pub async fn move_post(csrf: String, id: String, date: String, fold: String) -> Result<CalendarPost, AppError> {
    let _ = csrf;
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let s = scheduler(&st);
    let post = s.move_post(&me.sub, &id, &date, "", &fold).await?;
    Ok(from_post(post, &s.timezone(&me.sub).await))
}

/// Cancels a post that has not gone out yet.
#[server(prefix = "/sfn", endpoint = "cancel_calendar_post")]
pub async fn cancel_calendar_post(csrf: String, id: String) -> Result<(), AppError> {
    let _ = csrf;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    st.publisher.cancel(&me.sub, &id).await?;
    Ok(())
}

/// One request sent for a post and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptView {
    /// The attempt's number; 0 marks the person's "retry".
    pub attempt: i64,
    /// Local "24 Nov 14:30:05", computed on the server.
    pub when: String,
    /// Its words and colour come from the type (`label()`, `tone()`).
    pub outcome: covalynce::AttemptOutcome,
    pub message: String,
    pub http_status: Option<i64>,
}

/// Every request sent for one of the person's posts, oldest first (the calendar's details).
#[server(prefix = "/sfn", endpoint = "post_attempts", input = server_fn::codec::GetUrl)]
pub async fn post_attempts(id: String) -> Result<Vec<AttemptView>, AppError> {
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let post = st.publisher.get(&me.sub, &id).await?;
    let tz = st.publisher.timezone(&me.sub).await;
    Ok(post
        .attempt_log
        .into_iter()
        .map(|a| AttemptView {
            when: covalynce::utc_ms_to_local(&tz, a.at).map(|t| t.format("%-d %b %H:%M:%S").to_string()).unwrap_or_default(),
            attempt: a.attempt,
            outcome: a.outcome,
            message: a.message,
            http_status: a.http_status,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_day(s).unwrap()
    }

    #[test]
    fn month_grids_are_whole_weeks_around_the_month() {
        // November 2026 starts on a Sunday and ends on a Monday: six rows.
        assert_eq!(visible_range("month", d("2026-11-18")), (d("2026-10-26"), d("2026-12-06")));
        // February 2027 starts on a Monday and ends on a Sunday: exactly four rows.
        assert_eq!(visible_range("month", d("2027-02-10")), (d("2027-02-01"), d("2027-02-28")));
        assert_eq!(visible_range("week", d("2026-11-26")), (d("2026-11-23"), d("2026-11-29")));
    }

    #[test]
    fn stepping_and_headings() {
        assert_eq!(step("month", d("2026-01-31"), -1), d("2025-12-01"));
        assert_eq!(step("month", d("2026-12-15"), 1), d("2027-01-01"));
        assert_eq!(step("week", d("2026-11-26"), 1), d("2026-12-03"));
        assert_eq!(heading("month", d("2026-11-26")), "November 2026");
        assert_eq!(heading("week", d("2026-11-26")), "23–29 Nov 2026");
        assert_eq!(heading("week", d("2026-12-01")), "30 Nov – 6 Dec 2026");
        assert_eq!(heading("week", d("2026-12-31")), "28 Dec 2026 – 3 Jan 2027");
        assert_eq!(parse_view(Some("week")), "week");
        assert_eq!(parse_view(Some("year")), "month");
        assert_eq!(href("month", d("2026-11-01")), "/calendar?view=month&date=2026-11-01");
    }
}
