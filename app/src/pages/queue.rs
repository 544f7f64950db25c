//! Queue (`/queue`): each account's weekly posting times, and what its queue sends next.
//! "Add to queue" in the editor takes an account's next free time from here.

use crate::components::{csrf, toast, Spinner};
use crate::pages::app::{AppShell, EmptyState};
use crate::queue_api::{add_posting_time, queue_data, remove_posting_time, QueueAccount, SlotView};
use covalynce::WEEKDAYS;
use leptos::prelude::*;
use leptos::task::spawn_local;

const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";

/// "Wed 25 Nov · 09:30" from the profile-local date and time.
fn when_label(date: &str, time: &str) -> String {
    match chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        Ok(d) => format!("{} · {time}", d.format("%a %-d %b")),
        Err(_) => format!("{date} {time}"),
    }
}

#[component]
pub fn QueuePage() -> impl IntoView {
    // Bumped after every change, so the page reloads what the server now holds.
    let version = RwSignal::new(0u32);
    let data = Resource::new(move || version.get(), |_| queue_data());
    view! {
        <AppShell title="Queue">
            <Transition fallback=|| view! {
                <p class="flex items-center gap-2 text-sm text-slate-500" aria-busy="true"><Spinner />"Loading your queues…"</p>
            }>
                {move || data.get().map(|r| match r {
                    Err(e) => view! {
                        <div role="alert" class="rounded-2xl border border-rose-200 bg-rose-50 p-6 text-sm text-rose-800">
                            <p class="font-semibold">"Your queues could not be loaded."</p>
                            <p class="mt-1">{e.message}</p>
                        </div>
                    }.into_any(),
                    Ok(q) if q.accounts.is_empty() => view! {
                        <EmptyState
                            heading="Connect an account to give it a queue"
                            body="Each account gets its own posting times. Posts you add to its queue go out at the next free one."
                            cta_href="/sources"
                            cta="Connect an account"
                        />
                    }.into_any(),
                    Ok(q) => view! {
                        <div class="space-y-6">
                            <p class="max-w-3xl text-sm text-slate-600">
                                "Posting times are when each account's queue publishes. "
                                <strong class="font-semibold text-slate-800">"Add to queue"</strong>
                                " in the editor's Publish dialog takes each account's next free time. Times are in "
                                <span class="font-medium text-slate-800" data-testid="queue-timezone">{q.timezone.clone()}</span>
                                " (change it in Settings)."
                            </p>
                            <div class="grid gap-6 lg:grid-cols-2">
                                {q.accounts.into_iter().map(|a| view! { <AccountQueue a version /> }).collect_view()}
                            </div>
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </AppShell>
    }
}

#[component]
fn AccountQueue(a: QueueAccount, version: RwSignal<u32>) -> impl IntoView {
    let id = StoredValue::new(a.id.clone());
    let label = format!("{} @{}", a.platform_name, a.username);
    let days: Vec<(usize, Vec<SlotView>)> =
        (0..7).map(|d| (d, a.slots.iter().filter(|s| s.weekday == d as i64).cloned().collect::<Vec<_>>())).collect();
    let has_slots = !a.slots.is_empty();
    let pending = a.pending;
    view! {
        <section class="flex flex-col rounded-2xl border border-slate-200 bg-white shadow-sm" aria-label=format!("Queue of {label}") data-testid="queue-account" data-platform=a.platform.clone()>
            <div class="flex items-center justify-between gap-3 border-b border-slate-100 px-5 py-4">
                <div class="flex min-w-0 items-center gap-2">
                    <span class="h-3 w-3 shrink-0 rounded-full" style=format!("background:{}", a.color) aria-hidden="true"></span>
                    <h2 class="truncate text-sm font-semibold text-slate-900">{a.platform_name.clone()}</h2>
                    <span class="truncate text-sm text-slate-500">{format!("@{}", a.username)}</span>
                </div>
                {if a.healthy {
                    view! { <span class="shrink-0 text-xs text-slate-500">{match pending { 0 => "Nothing queued".to_string(), 1 => "1 post queued".to_string(), n => format!("{n} posts queued") }}</span> }.into_any()
                } else {
                    view! { <a href="/sources" class="shrink-0 rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-inset ring-amber-600/20">"Reconnect needed"</a> }.into_any()
                }}
            </div>
            <div class="flex-1 space-y-5 px-5 py-4">
                <div>
                    <h3 class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Posting times"</h3>
                    {if has_slots {
                        view! {
                            <ul class="mt-2 divide-y divide-slate-100" data-testid="posting-times">
                                {days.into_iter().map(|(d, slots)| view! {
                                    <li class="flex items-start gap-3 py-1.5">
                                        <span class="w-10 shrink-0 pt-1 text-xs font-medium text-slate-500">{&WEEKDAYS[d][..3]}</span>
                                        <span class="flex flex-wrap gap-1.5">
                                            {if slots.is_empty() {
                                                view! { <span class="pt-1 text-xs text-slate-400">"—"</span> }.into_any()
                                            } else {
                                                slots.into_iter().map(|s| view! { <TimeChip s day=d version /> }).collect_view().into_any()
                                            }}
                                        </span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    } else {
                        view! {
                            <p class="mt-2 rounded-xl border border-dashed border-slate-300 px-4 py-4 text-center text-sm text-slate-500" data-testid="no-times">
                                "No posting times yet. Add the days and times this account should post at."
                            </p>
                        }.into_any()
                    }}
                </div>
                <AddTime account=id label=label.clone() version />
                <div>
                    <h3 class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Next up"</h3>
                    {if a.upcoming.is_empty() {
                        view! { <p class="mt-2 text-sm text-slate-500">"Nothing waiting. Write a post and choose Add to queue."</p> }.into_any()
                    } else {
                        view! {
                            <ol class="mt-2 space-y-2" data-testid="queue-upcoming">
                                {a.upcoming.into_iter().map(|p| view! {
                                    <li class="flex gap-3 rounded-lg bg-slate-50 px-3 py-2">
                                        <span class="w-28 shrink-0 whitespace-nowrap text-xs font-medium text-slate-700">{when_label(&p.local_date, &p.local_time)}</span>
                                        <span class="line-clamp-2 text-xs text-slate-600">{p.text}</span>
                                    </li>
                                }).collect_view()}
                            </ol>
                            {(pending > 5).then(|| view! { <a href="/calendar?view=week" class="mt-2 inline-block text-xs font-medium text-indigo-600 hover:underline">{format!("All {pending} on the calendar")}</a> })}
                        }.into_any()
                    }}
                </div>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn TimeChip(s: SlotView, day: usize, version: RwSignal<u32>) -> impl IntoView {
    let busy = RwSignal::new(false);
    let id = StoredValue::new(s.id.clone());
    let remove = move |_| {
        busy.set(true);
        spawn_local(async move {
            match remove_posting_time(csrf(), id.get_value()).await {
                Ok(()) => version.update(|v| *v += 1),
                Err(e) => toast(true, e.message),
            }
            busy.set(false);
        });
    };
    view! {
        <span class="inline-flex items-center gap-1 rounded-full bg-indigo-50 py-0.5 pl-2.5 pr-1 text-xs font-medium text-indigo-800 ring-1 ring-inset ring-indigo-600/20">
            {s.time.clone()}
            <button
                type="button"
                class="rounded-full px-1 text-indigo-500 hover:bg-indigo-100 hover:text-indigo-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50"
                aria-label=format!("Remove {} {}", WEEKDAYS[day], s.time)
                disabled=move || busy.get()
                on:click=remove
            >
                "✕"
            </button>
        </span>
    }
}

#[component]
fn AddTime(account: StoredValue<String>, label: String, version: RwSignal<u32>) -> impl IntoView {
    let days = RwSignal::new("daily".to_string());
    let time = RwSignal::new("09:00".to_string());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let uid = account.get_value();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (d, t) = (days.get_untracked(), time.get_untracked());
        if t.trim().is_empty() {
            error.set(Some("Pick a time.".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match add_posting_time(csrf(), account.get_value(), d, t.clone()).await {
                Ok(0) => toast(false, format!("{t} is already a posting time on those days.")),
                Ok(n) => {
                    toast(false, if n == 1 { format!("Added {t}.") } else { format!("Added {t} on {n} days.") });
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="flex flex-wrap items-end gap-2" on:submit=submit aria-label=format!("Add a posting time for {label}") data-testid="add-time">
            <div class="min-w-[9rem] flex-1">
                <label for=format!("days-{uid}") class="mb-1 block text-xs font-medium text-slate-700">"Days"</label>
                <select id=format!("days-{uid}") class=INPUT prop:value=move || days.get() on:change=move |ev| days.set(event_target_value(&ev))>
                    <option value="daily">"Every day"</option>
                    <option value="weekdays">"Weekdays"</option>
                    {WEEKDAYS.iter().enumerate().map(|(i, d)| view! { <option value=i.to_string()>{*d}</option> }).collect_view()}
                </select>
            </div>
            <div class="w-32">
                <label for=format!("time-{uid}") class="mb-1 block text-xs font-medium text-slate-700">"Time"</label>
                <input id=format!("time-{uid}") type="time" required class=INPUT prop:value=move || time.get() on:input=move |ev| time.set(event_target_value(&ev)) />
            </div>
            <button
                type="submit"
                class="inline-flex items-center gap-2 rounded-lg bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2 disabled:opacity-60"
                disabled=move || busy.get()
            >
                {move || busy.get().then(|| view! { <Spinner class="h-4 w-4" /> })}
                "Add time"
            </button>
            {move || error.get().map(|e| view! { <p role="alert" class="w-full text-xs text-rose-700">{e}</p> })}
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_times_read_as_days() {
        assert_eq!(when_label("2026-11-25", "09:30"), "Wed 25 Nov · 09:30");
        assert_eq!(when_label("soon", "09:30"), "soon 09:30");
    }
}
