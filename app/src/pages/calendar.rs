//! The calendar: a month grid or a week, posts per day as chips in their platform's colour,
//! drag a scheduled post to another day (or "Move to…" from its details, by keyboard) to
//! move it at the same local time, and a bulk import from CSV.
//!
//! The view lives in the URL (`?view=month&date=2026-11-01`), so prev/next are plain links
//! that survive a reload, and only the visible days are fetched. Local dates and times come
//! from the server (the profile's zone); the browser only lays them out.

use super::app::AppShell;
use crate::components::{csrf, toast, Spinner};
use crate::schedule_api::{
    calendar_data, cancel_calendar_post, heading, href, move_post, parse_day, post_attempts, step, CalendarPost, CalendarView,
};
use chrono::{Datelike, NaiveDate};
use covalynce::{PlatformId, PostStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::Deserialize;

mod bulk;
mod dialog;
mod grid;
use bulk::{Bulk, BulkImport};
use dialog::PostDialog;
use grid::DayCell;

const CARD: &str = "rounded-2xl border border-slate-200 bg-white shadow-sm";
const BTN: &str = "inline-flex items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500/40 disabled:cursor-not-allowed disabled:opacity-60";
const BTN_PRIMARY: &str = "inline-flex items-center justify-center gap-2 rounded-lg bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500/40 disabled:cursor-not-allowed disabled:opacity-60";
const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";
/// Chips a month cell shows before "+N more" (which opens that week).
const CELL_CHIPS: usize = 3;
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// "X", "LinkedIn", "Facebook" for a stored platform id.
fn short_name(platform: &str) -> &'static str {
    PlatformId::parse(platform).map(PlatformId::short_name).unwrap_or("Unknown")
}

/// Label, icon and extra chip classes per status: each state reads differently even
/// without colour (icon and label), and failures stand out with a ring.
fn status_look(status: PostStatus) -> (&'static str, &'static str, &'static str, &'static str) {
    let (icon, icon_cls, ring) = match status {
        PostStatus::Pending => ("◷", "text-slate-500", ""),
        PostStatus::Publishing => ("↻", "text-indigo-600", "ring-1 ring-indigo-300"),
        PostStatus::Posted => ("✓", "text-emerald-600", "opacity-75"),
        PostStatus::Failed => ("!", "font-bold text-rose-600", "ring-1 ring-rose-400"),
        PostStatus::Unconfirmed => ("?", "font-bold text-amber-600", "ring-1 ring-amber-400"),
        PostStatus::Cancelled => ("–", "text-slate-400", "opacity-50"),
    };
    (status.label(), icon, icon_cls, ring)
}

/// The page's live state, as signals (cheap to copy into handlers).
#[derive(Clone, Copy)]
struct Cal {
    posts: RwSignal<Vec<CalendarPost>>,
    /// The post being dragged.
    dragging: RwSignal<Option<String>>,
    /// The day under the pointer while dragging.
    over: RwSignal<Option<String>>,
    /// Posts whose move is on its way to the server.
    saving: RwSignal<Vec<String>>,
    /// The post whose details are open.
    selected: RwSignal<Option<String>>,
    /// (post, day, question) when the new day has that time twice.
    ask_fold: RwSignal<Option<(String, String, String)>>,
}

impl Cal {
    /// Optimistic: the chip moves at once, and goes back with an error toast if refused.
    fn move_to(self, id: String, date: String, fold: String) {
        let before = self.posts.get_untracked();
        let Some(post) = before.iter().find(|p| p.id == id) else { return };
        if post.local_date == date && fold.is_empty() {
            return;
        }
        if post.status != PostStatus::Pending {
            toast(true, "Only posts that have not gone out yet can be moved.");
            return;
        }
        self.posts.update(|l| {
            if let Some(p) = l.iter_mut().find(|p| p.id == id) {
                p.local_date = date.clone();
            }
        });
        self.saving.update(|s| s.push(id.clone()));
        spawn_local(async move {
            let res = move_post(csrf(), id.clone(), date.clone(), fold).await;
            self.saving.update(|s| s.retain(|x| x != &id));
            match res {
                Ok(moved) => {
                    let day = parse_day(&moved.local_date).map(|d| d.format("%a %-d %b").to_string()).unwrap_or_default();
                    toast(false, format!("Moved to {day}, {}.", moved.local_time));
                    self.posts.update(|l| {
                        if let Some(p) = l.iter_mut().find(|p| p.id == id) {
                            *p = moved;
                        }
                    });
                }
                Err(e) => {
                    self.posts.set(before);
                    let (code, msg) = (e.code, e.message);
                    if code == "ambiguous_time" {
                        self.ask_fold.set(Some((id, date, msg)));
                    } else {
                        toast(true, format!("Not moved: {msg}"));
                    }
                }
            }
        });
    }

    fn cancel(self, id: String) {
        spawn_local(async move {
            match cancel_calendar_post(csrf(), id.clone()).await {
                Ok(()) => {
                    self.posts.update(|l| l.retain(|p| p.id != id));
                    self.selected.set(None);
                    toast(false, "Post cancelled. It will not be published.");
                }
                Err(e) => toast(true, e.message),
            }
        });
    }
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = use_query_map();
    // Bumped after an import so the visible range is fetched again.
    let refresh = RwSignal::new(0u32);
    let bulk = Bulk::new();
    let data = Resource::new(
        move || (query.with(|q| (q.get("view"), q.get("date"))), refresh.get()),
        |((view, date), _)| calendar_data(view, date),
    );
    view! {
        <AppShell title="Calendar">
            <Transition fallback=CalendarSkeleton>
                {move || data.get().map(|r| match r {
                    Ok(d) => view! { <CalendarBody data=d bulk=bulk refresh=refresh /> }.into_any(),
                    Err(e) => view! {
                        <div role="alert" class="rounded-2xl border border-rose-200 bg-rose-50 p-6 text-sm text-rose-800">
                            <p class="font-semibold">"The calendar could not be loaded."</p>
                            <p class="mt-1">{e.message}</p>
                            <a href="/calendar" class="mt-3 inline-block font-semibold text-rose-900 underline">"Show this month"</a>
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </AppShell>
    }
}

#[component]
fn CalendarSkeleton() -> impl IntoView {
    view! {
        <div class="animate-pulse space-y-4" aria-busy="true" aria-label="Loading the calendar">
            <div class="flex items-center justify-between">
                <div class="h-9 w-64 rounded-lg bg-slate-200"></div>
                <div class="h-9 w-72 rounded-lg bg-slate-200"></div>
            </div>
            <div class="grid grid-cols-7 gap-px overflow-hidden rounded-2xl border border-slate-200 bg-slate-200">
                {(0..35).map(|_| view! { <div class="h-28 bg-white p-2"><div class="h-3 w-5 rounded bg-slate-200"></div></div> }).collect_view()}
            </div>
        </div>
    }
}

#[component]
fn CalendarBody(data: CalendarView, bulk: Bulk, refresh: RwSignal<u32>) -> impl IntoView {
    let view_kind: &'static str = if data.view == "week" { "week" } else { "month" };
    let today = parse_day(&data.today).unwrap_or_default();
    let anchor = parse_day(&data.anchor).unwrap_or(today);
    let (from, to) = (parse_day(&data.from).unwrap_or(anchor), parse_day(&data.to).unwrap_or(anchor));
    let cal = Cal {
        posts: RwSignal::new(data.posts.clone()),
        dragging: RwSignal::new(None),
        over: RwSignal::new(None),
        saving: RwSignal::new(vec![]),
        selected: RwSignal::new(None),
        ask_fold: RwSignal::new(None),
    };
    // Switching to the week view shows today's week when today is in this month.
    let same_month = today.year() == anchor.year() && today.month() == anchor.month();
    let week_anchor = if view_kind == "month" && same_month { today } else { anchor };
    let unit = if view_kind == "week" { "week" } else { "month" };
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    let timezone = data.timezone.clone();
    let dialog_tz = data.timezone.clone();
    let import_tz = data.timezone.clone();
    let (range_from, range_to) = (data.from.clone(), data.to.clone());
    let empty_range = data.posts.is_empty();
    let tab = |active: bool| {
        if active {
            "rounded-md bg-white px-3 py-1.5 text-sm font-semibold text-slate-900 shadow-sm"
        } else {
            "rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 hover:text-slate-900"
        }
    };
    view! {
        <div class="space-y-5" data-testid="calendar-page">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <div class="flex items-center gap-2">
                    <a href=href(view_kind, today) class=BTN>"Today"</a>
                    <div class="inline-flex">
                        <a href=href(view_kind, step(view_kind, anchor, -1)) class="rounded-l-lg border border-slate-300 bg-white px-3 py-2 text-sm text-slate-700 shadow-sm hover:bg-slate-50" aria-label=format!("Previous {unit}") data-testid="calendar-prev">"‹"</a>
                        <a href=href(view_kind, step(view_kind, anchor, 1)) class="-ml-px rounded-r-lg border border-slate-300 bg-white px-3 py-2 text-sm text-slate-700 shadow-sm hover:bg-slate-50" aria-label=format!("Next {unit}") data-testid="calendar-next">"›"</a>
                    </div>
                    <h2 class="ml-2 text-xl font-bold tracking-tight text-slate-900" data-testid="calendar-title">{heading(view_kind, anchor)}</h2>
                </div>
                <div class="flex flex-wrap items-center gap-2">
                    <nav aria-label="Calendar view" class="inline-flex rounded-lg bg-slate-100 p-1">
                        <a href=href("month", anchor) class=tab(view_kind == "month") aria-current=(view_kind == "month").then_some("page")>"Month"</a>
                        <a href=href("week", week_anchor) class=tab(view_kind == "week") aria-current=(view_kind == "week").then_some("page")>"Week"</a>
                    </nav>
                    <button type="button" class=BTN aria-expanded=move || bulk.open.get().to_string() aria-controls="bulk-import" on:click=move |_| bulk.open.update(|o| *o = !*o) data-testid="bulk-open">
                        "Bulk import"
                    </button>
                    <a href="/editor" class=BTN_PRIMARY>"New post"</a>
                </div>
            </div>
            <Show when=move || bulk.open.get()>
                <BulkImport bulk=bulk refresh=refresh timezone=import_tz.clone() />
            </Show>
            {(!data.anything_scheduled).then(|| view! {
                <section class="flex flex-col items-center gap-3 rounded-2xl border-2 border-dashed border-slate-200 bg-white px-6 py-8 text-center sm:flex-row sm:text-left" data-testid="calendar-empty">
                    <div class="flex h-11 w-11 shrink-0 items-center justify-center rounded-full bg-indigo-50 text-lg text-indigo-600" aria-hidden="true">"✦"</div>
                    <div class="flex-1">
                        <h3 class="text-sm font-semibold text-slate-900">"Nothing scheduled yet"</h3>
                        <p class="mt-1 text-sm text-slate-600">
                            {if data.has_accounts {
                                "Plan a post in the editor, or import a whole week at once from a CSV file."
                            } else {
                                "Connect a social account first, then plan posts here by day and week."
                            }}
                        </p>
                    </div>
                    {if data.has_accounts {
                        view! {
                            <div class="flex gap-2">
                                <button type="button" class=BTN on:click=move |_| bulk.open.set(true)>"Import a CSV"</button>
                                <a href="/editor" class=BTN_PRIMARY>"Plan a post"</a>
                            </div>
                        }.into_any()
                    } else {
                        view! { <a href="/sources" class=BTN_PRIMARY>"Connect an account"</a> }.into_any()
                    }}
                </section>
            })}
            {move || cal.ask_fold.get().map(|(id, date, msg)| {
                let (id2, date2) = (id.clone(), date.clone());
                view! {
                    <div role="alert" class="flex flex-wrap items-center gap-3 rounded-xl border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
                        <p class="flex-1">{msg}</p>
                        <button type="button" class=BTN on:click=move |_| { cal.ask_fold.set(None); cal.move_to(id.clone(), date.clone(), "earlier".into()); }>"The earlier one"</button>
                        <button type="button" class=BTN on:click=move |_| { cal.ask_fold.set(None); cal.move_to(id2.clone(), date2.clone(), "later".into()); }>"The later one"</button>
                        <button type="button" class="text-amber-700 hover:text-amber-900" aria-label="Keep it where it was" on:click=move |_| cal.ask_fold.set(None)>"✕"</button>
                    </div>
                }
            })}
            <div class=format!("overflow-hidden {CARD}") data-testid="calendar" data-view=view_kind data-from=range_from data-to=range_to>
                <div class="grid grid-cols-7 border-b border-slate-200 bg-slate-50 text-center text-xs font-semibold uppercase tracking-wide text-slate-500" aria-hidden="true">
                    {WEEKDAYS.iter().map(|d| view! { <div class="py-2">{*d}</div> }).collect_view()}
                </div>
                <div class="grid grid-cols-7">
                    {days.iter().map(|d| view! {
                        <DayCell cal=cal date=*d today=*d == today muted=view_kind == "month" && d.month() != anchor.month() week=view_kind == "week" />
                    }).collect_view()}
                </div>
            </div>
            <div class="flex flex-wrap items-center justify-between gap-2 text-xs text-slate-500">
                <p>
                    {format!("Times in {timezone}. ")}
                    {if empty_range && data.anything_scheduled { format!("Nothing in this {unit}. ") } else { String::new() }}
                    "Drag a scheduled post to another day to move it, or open it and choose “Move to”."
                </p>
                {data.truncated.then(|| view! { <p class="font-medium text-amber-700">"Only the first 20,000 posts of this range are shown."</p> })}
                <Legend />
            </div>
            {move || cal.selected.get().and_then(|id| cal.posts.with(|l| l.iter().find(|p| p.id == id).cloned())).map(|p| view! {
                <PostDialog cal=cal post=p timezone=dialog_tz.clone() />
            })}
        </div>
    }
}

#[component]
fn Legend() -> impl IntoView {
    view! {
        <ul class="flex flex-wrap gap-3" aria-label="Status legend">
            {[PostStatus::Pending, PostStatus::Posted, PostStatus::Failed, PostStatus::Unconfirmed].map(|s| {
                let (label, icon, icon_cls, _) = status_look(s);
                view! { <li class="inline-flex items-center gap-1"><span class=icon_cls aria-hidden="true">{icon}</span>{label}</li> }
            }).collect_view()}
        </ul>
    }
}

#[cfg(test)]
mod tests;
