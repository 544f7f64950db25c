//! The calendar: a month grid or a week, posts per day as chips in their platform's colour,
//! drag a scheduled post to another day (or "Move to…" from its details, by keyboard) to
//! move it at the same local time, and a bulk import from CSV.
//!
//! The view lives in the URL (`?view=month&date=2026-11-01`), so prev/next are plain links
//! that survive a reload, and only the visible days are fetched. Local dates and times come
//! from the server (the profile's zone); the browser only lays them out.

use super::app::AppShell;
use crate::components::{csrf, error_parts, toast, Spinner};
use crate::schedule_api::{calendar_data, cancel_calendar_post, heading, href, move_post, parse_day, step, CalPost, CalendarView};
use chrono::{Datelike, NaiveDate};
use covalynce::{platform_info, PlatformId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::Deserialize;

const CARD: &str = "rounded-2xl border border-slate-200 bg-white shadow-sm";
const BTN: &str = "inline-flex items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500/40 disabled:cursor-not-allowed disabled:opacity-60";
const BTN_PRIMARY: &str = "inline-flex items-center justify-center gap-2 rounded-lg bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500/40 disabled:cursor-not-allowed disabled:opacity-60";
const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";
/// Chips a month cell shows before "+N more" (which opens that week).
const CELL_CHIPS: usize = 3;
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// "X", "LinkedIn", "Facebook": the catalogue's name without its qualifier.
fn short_name(platform: &str) -> &'static str {
    match PlatformId::parse(platform) {
        Ok(p) => {
            let name = platform_info(p).display_name;
            name.split(" (").next().unwrap_or(name).trim_end_matches(" Pages")
        }
        Err(_) => "Unknown",
    }
}

/// Label, icon and extra chip classes per status: each state reads differently even
/// without colour (icon and label), and failures stand out with a ring.
fn status_look(status: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    match status {
        "pending" => ("Scheduled", "◷", "text-slate-500", ""),
        "publishing" => ("Publishing", "↻", "text-indigo-600", "ring-1 ring-indigo-300"),
        "posted" => ("Posted", "✓", "text-emerald-600", "opacity-75"),
        "failed" => ("Failed", "!", "font-bold text-rose-600", "ring-1 ring-rose-400"),
        "unconfirmed" => ("Unconfirmed", "?", "font-bold text-amber-600", "ring-1 ring-amber-400"),
        _ => ("Cancelled", "–", "text-slate-400", "opacity-50"),
    }
}

/// The page's live state, as signals (cheap to copy into handlers).
#[derive(Clone, Copy)]
struct Cal {
    posts: RwSignal<Vec<CalPost>>,
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
        if post.status != "pending" {
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
                    let (code, msg) = error_parts(&e);
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
                Err(e) => toast(true, error_parts(&e).1),
            }
        });
    }
}

/// The bulk-import panel's state, kept by the page so it outlives calendar refreshes.
#[derive(Clone, Copy)]
struct Bulk {
    open: RwSignal<bool>,
    busy: RwSignal<bool>,
    /// The refusal's summary and its rows.
    errors: RwSignal<Option<(String, Vec<RowProblem>)>>,
    paste: RwSignal<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct RowProblem {
    row: usize,
    column: String,
    message: String,
}

#[derive(Deserialize)]
struct BulkAnswer {
    #[serde(default)]
    imported: usize,
    #[serde(default)]
    first_date: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    errors: Vec<RowProblem>,
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = use_query_map();
    // Bumped after an import so the visible range is fetched again.
    let refresh = RwSignal::new(0u32);
    let bulk =
        Bulk { open: RwSignal::new(false), busy: RwSignal::new(false), errors: RwSignal::new(None), paste: RwSignal::new(String::new()) };
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
                            <p class="mt-1">{error_parts(&e).1}</p>
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
            {["pending", "posted", "failed", "unconfirmed"].map(|s| {
                let (label, icon, icon_cls, _) = status_look(s);
                view! { <li class="inline-flex items-center gap-1"><span class=icon_cls aria-hidden="true">{icon}</span>{label}</li> }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn DayCell(cal: Cal, date: NaiveDate, today: bool, muted: bool, week: bool) -> impl IntoView {
    let key = date.to_string();
    let list = {
        let key = key.clone();
        move || cal.posts.with(|l| l.iter().filter(|p| p.local_date == key).cloned().collect::<Vec<_>>())
    };
    let is_over = {
        let key = key.clone();
        move || cal.over.with(|o| o.as_deref() == Some(key.as_str()))
    };
    let (k1, k2, k3) = (key.clone(), key.clone(), key.clone());
    let on_over = move |ev: leptos::ev::DragEvent| {
        if cal.dragging.get_untracked().is_some() {
            // Accepting the drop: without this the browser refuses it.
            ev.prevent_default();
            if cal.over.with_untracked(|o| o.as_deref() != Some(k1.as_str())) {
                cal.over.set(Some(k1.clone()));
            }
        }
    };
    let on_leave = move |_: leptos::ev::DragEvent| {
        if cal.over.with_untracked(|o| o.as_deref() == Some(k2.as_str())) {
            cal.over.set(None);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        cal.over.set(None);
        if let Some(id) = cal.dragging.get_untracked() {
            cal.dragging.set(None);
            cal.move_to(id, k3.clone(), String::new());
        }
    };
    let label = date.format("%A %-d %B %Y").to_string();
    let base = if week { "min-h-[26rem]" } else { "min-h-[7.5rem]" };
    let bg = if today {
        "bg-indigo-50/40"
    } else if muted {
        "bg-slate-50/70"
    } else {
        "bg-white"
    };
    let more_href = href("week", date);
    view! {
        <section
            aria-label=label
            data-date=key.clone()
            data-testid="day"
            class=move || format!(
                "{base} {bg} flex flex-col gap-1 border-b border-r border-slate-100 p-1.5 transition-colors [&:nth-child(7n)]:border-r-0 {}",
                if is_over() { "bg-indigo-100/70 ring-2 ring-inset ring-indigo-400" } else { "" }
            )
            on:dragover=on_over
            on:dragleave=on_leave
            on:drop=on_drop
        >
            <div class="flex items-center justify-between px-0.5">
                <span
                    class=if today {
                        "inline-flex h-6 w-6 items-center justify-center rounded-full bg-indigo-600 text-xs font-semibold text-white"
                    } else if muted {
                        "inline-flex h-6 w-6 items-center justify-center text-xs font-medium text-slate-400"
                    } else {
                        "inline-flex h-6 w-6 items-center justify-center text-xs font-medium text-slate-700"
                    }
                    aria-current=today.then_some("date")
                >
                    {date.day()}
                </span>
                {today.then(|| view! { <span class="text-[10px] font-semibold uppercase tracking-wide text-indigo-600">"Today"</span> })}
            </div>
            <ul class="flex flex-col gap-1">
                {move || {
                    let all = list();
                    let total = all.len();
                    let shown = if week { total } else { total.min(CELL_CHIPS) };
                    let chips = all.into_iter().take(shown).map(|p| view! { <Chip cal=cal post=p full=week /> }).collect_view();
                    let more = (total > shown).then(|| view! {
                        <li><a href=more_href.clone() class="block rounded px-1.5 text-xs font-medium text-indigo-600 hover:underline">{format!("+{} more", total - shown)}</a></li>
                    });
                    view! { {chips} {more} }
                }}
            </ul>
        </section>
    }
}

#[component]
fn Chip(cal: Cal, post: CalPost, full: bool) -> impl IntoView {
    let pending = post.status == "pending";
    let (label, icon, icon_cls, ring) = status_look(&post.status);
    let name = short_name(&post.platform);
    let id = post.id.clone();
    let style = format!("border-left-color:{c};background-color:{c}14", c = post.color);
    let title = format!("{} · {name} @{} · {label}\n{}", post.local_time, post.account_name, post.text);
    let aria = format!("{} {name} post by @{}, {label}. Open details.", post.local_time, post.account_name);
    let saving = {
        let id = id.clone();
        move || cal.saving.with(|s| s.contains(&id))
    };
    let (open_id, key_id, drag_id) = (id.clone(), id.clone(), id.clone());
    let open = move |_| cal.selected.set(Some(open_id.clone()));
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" || ev.key() == " " {
            ev.prevent_default();
            cal.selected.set(Some(key_id.clone()));
        }
    };
    let on_drag_start = move |ev: leptos::ev::DragEvent| {
        if !pending {
            ev.prevent_default();
            return;
        }
        // Firefox only starts a drag that carries data.
        #[cfg(feature = "hydrate")]
        if let Some(dt) = ev.data_transfer() {
            let _ = dt.set_data("text/plain", &drag_id);
            dt.set_effect_allowed("move");
        }
        cal.dragging.set(Some(drag_id.clone()));
    };
    let on_drag_end = move |_: leptos::ev::DragEvent| {
        cal.dragging.set(None);
        cal.over.set(None);
    };
    view! {
        <li>
            <div
                role="button"
                tabindex="0"
                draggable=if pending { "true" } else { "false" }
                aria-label=aria
                title=title
                data-testid="chip"
                data-post-id=id
                data-status=post.status.clone()
                data-platform=post.platform.clone()
                class=move || format!(
                    "block w-full select-none rounded-md border-l-4 px-1.5 py-1 text-left text-xs text-slate-800 shadow-sm transition hover:brightness-95 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 {ring} {} {}",
                    if pending { "cursor-grab active:cursor-grabbing" } else { "cursor-pointer" },
                    if saving() { "animate-pulse opacity-60" } else { "" }
                )
                style=style
                on:click=open
                on:keydown=on_key
                on:dragstart=on_drag_start
                on:dragend=on_drag_end
            >
                <span class="flex items-center gap-1">
                    <span class="font-semibold tabular-nums">{post.local_time.clone()}</span>
                    <span class="min-w-0 flex-1 truncate">
                        {name}
                        {(!full).then(|| view! { <span class="text-slate-500">{format!(" · {}", post.text)}</span> })}
                    </span>
                    {post.recurrence_id.is_some().then(|| view! { <span class="text-slate-400" title="Part of a repeating series" aria-hidden="true">"↻"</span> })}
                    <span class=icon_cls aria-hidden="true">{icon}</span>
                </span>
                {full.then(|| view! {
                    <span class="mt-0.5 block truncate text-slate-500">{format!("@{}", post.account_name)}</span>
                    <span class="mt-0.5 line-clamp-3 block text-slate-700">{post.text.clone()}</span>
                })}
            </div>
        </li>
    }
}

/// A post's details, with the keyboard way to move it ("Move to…" a date) and cancel it.
#[component]
fn PostDialog(cal: Cal, post: CalPost, timezone: String) -> impl IntoView {
    let (label, icon, icon_cls, _) = status_look(&post.status);
    let pending = post.status == "pending";
    let date = RwSignal::new(post.local_date.clone());
    let input = NodeRef::<leptos::html::Input>::new();
    let button = NodeRef::<leptos::html::Button>::new();
    // Focus goes into the dialog so keyboard users land on its first control.
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        } else if let Some(el) = button.get() {
            let _ = el.focus();
        }
    });
    let close = move || cal.selected.set(None);
    let (move_id, cancel_id) = (post.id.clone(), post.id.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let d = date.get_untracked();
        if parse_day(&d).is_none() {
            toast(true, "Pick a date to move the post to.");
            return;
        }
        cal.selected.set(None);
        cal.move_to(move_id.clone(), d, String::new());
    };
    let when = parse_day(&post.local_date).map(|d| d.format("%A %-d %B %Y").to_string()).unwrap_or_default();
    view! {
        <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/40 p-4 sm:items-center" on:keydown=move |ev| if ev.key() == "Escape" { close() } on:click=move |_| close()>
            <div role="dialog" aria-modal="true" aria-labelledby="post-dialog-title" class="w-full max-w-md rounded-2xl bg-white shadow-xl" data-testid="post-dialog" on:click=|ev| ev.stop_propagation()>
                <div class="flex items-start justify-between gap-3 border-b border-slate-100 px-5 py-4">
                    <div>
                        <h2 id="post-dialog-title" class="flex items-center gap-2 text-base font-semibold text-slate-900">
                            <span class="h-2.5 w-2.5 rounded-full" style=format!("background:{}", post.color) aria-hidden="true"></span>
                            {format!("{} · @{}", short_name(&post.platform), post.account_name)}
                        </h2>
                        <p class="mt-0.5 text-sm text-slate-600">{format!("{when}, {} ({timezone})", post.local_time)}</p>
                    </div>
                    <button type="button" node_ref=button class="rounded-lg p-1 text-slate-400 hover:text-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500/40" aria-label="Close" on:click=move |_| close()>"✕"</button>
                </div>
                <div class="space-y-4 px-5 py-4">
                    <p class="inline-flex items-center gap-1.5 rounded-full bg-slate-100 px-2.5 py-0.5 text-xs font-semibold text-slate-700" data-testid="post-status">
                        <span class=icon_cls aria-hidden="true">{icon}</span>{label}
                    </p>
                    <p class="whitespace-pre-line text-sm text-slate-800">{post.text.clone()}</p>
                    {post.error_message.clone().filter(|_| !pending).map(|m| view! { <p class="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800">{m}</p> })}
                    {post.recurrence_id.is_some().then(|| view! { <p class="text-xs text-slate-500">"↻ Part of a repeating series."</p> })}
                    <div class="flex flex-wrap gap-3 text-sm">
                        {post.draft_id.clone().map(|d| view! { <a href=format!("/editor?draft={d}") class="font-medium text-indigo-600 hover:underline">"Open draft"</a> })}
                        {post.external_url.clone().map(|u| view! { <a href=u target="_blank" rel="noopener" class="font-medium text-indigo-600 hover:underline">"View post ↗"</a> })}
                        {(post.status == "posted").then(|| view! {
                            <a href=format!("/dashboard/post/{}", post.id) class="font-medium text-indigo-600 hover:underline" data-testid="post-analytics">"Analytics"</a>
                        })}
                    </div>
                    {pending.then(|| view! {
                        <form class="flex flex-wrap items-end gap-2 border-t border-slate-100 pt-4" on:submit=submit data-testid="move-form">
                            <div class="min-w-0 flex-1">
                                <label for="move-date" class="mb-1 block text-sm font-medium text-slate-700">"Move to"</label>
                                <input id="move-date" type="date" node_ref=input class=INPUT prop:value=move || date.get() on:input=move |ev| date.set(event_target_value(&ev)) />
                            </div>
                            <button type="submit" class=BTN_PRIMARY>"Move"</button>
                            <button type="button" class="inline-flex items-center rounded-lg px-3 py-2 text-sm font-medium text-rose-700 hover:bg-rose-50" on:click=move |_| cal.cancel(cancel_id.clone())>"Cancel post"</button>
                        </form>
                        <p class="text-xs text-slate-500">"It keeps its time of day. Posts already sent cannot be moved."</p>
                    })}
                </div>
            </div>
        </div>
    }
}

/// Bulk import: a CSV file (or pasted rows) checked as a whole; refused files list every
/// problem by row and column and import nothing.
#[component]
fn BulkImport(bulk: Bulk, refresh: RwSignal<u32>, timezone: String) -> impl IntoView {
    let navigate = use_navigate();
    let finish = move |r: Result<(u16, String), String>| {
        bulk.busy.set(false);
        match r {
            Ok((status, body)) => {
                let answer: Option<BulkAnswer> = serde_json::from_str(&body).ok();
                match (status, answer) {
                    (201, Some(a)) => {
                        bulk.errors.set(None);
                        bulk.paste.set(String::new());
                        toast(false, format!("Imported {} post{}.", a.imported, if a.imported == 1 { "" } else { "s" }));
                        // Show where they landed: that month, fetched again.
                        if let Some(d) = a.first_date.as_deref().and_then(parse_day) {
                            navigate(&href("month", d), Default::default());
                        }
                        refresh.update(|n| *n += 1);
                    }
                    (_, Some(a)) if !a.errors.is_empty() => {
                        bulk.errors.set(Some((a.message.unwrap_or_else(|| "Nothing was imported.".into()), a.errors)));
                    }
                    (_, a) => {
                        toast(true, a.and_then(|a| a.message).unwrap_or_else(|| format!("The import failed (HTTP {status}). Try again.")));
                    }
                }
            }
            Err(e) => toast(true, e),
        }
    };
    #[cfg(feature = "hydrate")]
    let send = move |form: web_sys::FormData| {
        bulk.busy.set(true);
        crate::browser::send("POST", "/api/schedule/bulk", crate::browser::Body::Form(form), &csrf(), |_| {}, finish.clone());
    };
    let on_file = {
        #[cfg(feature = "hydrate")]
        let send = send.clone();
        move |ev: leptos::ev::Event| {
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
                let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
                let Ok(form) = web_sys::FormData::new() else { return };
                let _ = form.append_with_blob_and_filename("file", &file, &file.name());
                input.set_value("");
                send(form);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
        }
    };
    let on_paste = move |_| {
        let text = bulk.paste.get_untracked();
        if text.trim().is_empty() {
            toast(true, "Paste the rows first, starting with the header line.");
        } else {
            #[cfg(feature = "hydrate")]
            if let Ok(form) = web_sys::FormData::new() {
                let _ = form.append_with_str("csv", &text);
                send(form);
            }
        }
    };
    #[cfg(not(feature = "hydrate"))]
    let _ = finish;
    view! {
        <section id="bulk-import" class=CARD aria-labelledby="bulk-title" data-testid="bulk-import">
            <div class="flex items-center justify-between border-b border-slate-100 px-5 py-3">
                <h2 id="bulk-title" class="text-sm font-semibold text-slate-900">"Bulk import from CSV"</h2>
                <button type="button" class="rounded-lg p-1 text-slate-400 hover:text-slate-700" aria-label="Close bulk import" on:click=move |_| bulk.open.set(false)>"✕"</button>
            </div>
            <div class="grid gap-5 p-5 lg:grid-cols-5">
                <div class="space-y-3 text-sm text-slate-600 lg:col-span-2">
                    <p>"One row per post, with these columns:"</p>
                    <ul class="space-y-1 text-xs">
                        <li><code class="font-semibold text-slate-800">"date"</code>" YYYY-MM-DD · "<code class="font-semibold text-slate-800">"time"</code>{format!(" HH:MM (24-hour, {timezone})")}</li>
                        <li><code class="font-semibold text-slate-800">"accounts"</code>" x, linkedin… several with ; or platform:username"</li>
                        <li><code class="font-semibold text-slate-800">"text"</code>" · "<code class="font-semibold text-slate-800">"image_url"</code>" (https, needed for Instagram, TikTok, YouTube, Pinterest)"</li>
                        <li><code class="font-semibold text-slate-800">"dst"</code>" earlier or later, only for a time the clocks pass twice"</li>
                    </ul>
                    <p>"Every row is checked first. Nothing is imported unless all rows are valid."</p>
                    <a href="/api/schedule/bulk/template.csv" download="covalynce-schedule.csv" class=BTN data-testid="bulk-template">"Download template"</a>
                </div>
                <div class="space-y-3 lg:col-span-3">
                    <label class=format!("{BTN_PRIMARY} cursor-pointer")>
                        <Show when=move || bulk.busy.get()><Spinner /></Show>
                        {move || if bulk.busy.get() { "Checking…" } else { "Choose a CSV file…" }}
                        <input type="file" accept=".csv,text/csv" class="sr-only" data-testid="bulk-file" on:change=on_file disabled=move || bulk.busy.get() />
                    </label>
                    <div class="space-y-1.5">
                        <label for="bulk-paste" class="block text-sm font-medium text-slate-700">"…or paste the rows"</label>
                        <textarea
                            id="bulk-paste"
                            rows="4"
                            class=format!("{INPUT} font-mono text-xs")
                            placeholder="date,time,accounts,text,image_url\n2026-12-01,09:00,x;linkedin,Hello!,"
                            data-testid="bulk-paste"
                            prop:value=move || bulk.paste.get()
                            on:input=move |ev| bulk.paste.set(event_target_value(&ev))
                        ></textarea>
                        <button type="button" class=BTN on:click=on_paste disabled=move || bulk.busy.get() data-testid="bulk-paste-submit">"Import pasted rows"</button>
                    </div>
                </div>
            </div>
            {move || bulk.errors.get().map(|(message, rows)| view! {
                <div role="alert" class="border-t border-rose-100 bg-rose-50/60 px-5 py-4" data-testid="bulk-errors">
                    <p class="text-sm font-semibold text-rose-800">{message}</p>
                    <div class="mt-3 max-h-80 overflow-auto rounded-lg border border-rose-200 bg-white">
                        <table class="w-full text-left text-sm">
                            <thead class="sticky top-0 bg-rose-50 text-xs uppercase tracking-wide text-rose-700">
                                <tr><th scope="col" class="px-3 py-2">"Row"</th><th scope="col" class="px-3 py-2">"Column"</th><th scope="col" class="px-3 py-2">"Problem"</th></tr>
                            </thead>
                            <tbody class="divide-y divide-rose-100">
                                {rows.into_iter().map(|r| view! {
                                    <tr data-row=r.row data-column=r.column.clone()>
                                        <td class="px-3 py-2 font-semibold tabular-nums text-slate-900">{r.row}</td>
                                        <td class="px-3 py-2"><code class="text-slate-700">{if r.column.is_empty() { "—".to_string() } else { r.column.clone() }}</code></td>
                                        <td class="px-3 py-2 text-slate-700">{r.message}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </div>
            })}
        </section>
    }
}

#[cfg(test)]
mod tests;
