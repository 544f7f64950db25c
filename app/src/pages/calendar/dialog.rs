//! A post's details, with the keyboard way to move it ("Move to…" a date) and cancel it.

use super::*;
use covalynce::AttemptOutcome;

/// A post's details, with the keyboard way to move it ("Move to…" a date) and cancel it.
#[component]
pub(super) fn PostDialog(cal: Cal, post: CalendarPost, timezone: String) -> impl IntoView {
    let (label, icon, icon_cls, _) = status_look(post.status);
    let pending = post.status == PostStatus::Pending;
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
                    <AttemptLog id=post.id.clone() />
                    <div class="flex flex-wrap gap-3 text-sm">
                        {post.draft_id.clone().map(|d| view! { <a href=format!("/editor?draft={d}") class="font-medium text-indigo-600 hover:underline">"Open draft"</a> })}
                        {post.external_url.clone().map(|u| view! { <a href=u target="_blank" rel="noopener" class="font-medium text-indigo-600 hover:underline">"View post ↗"</a> })}
                        {(post.status == PostStatus::Posted).then(|| view! {
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

/// What happened on each request sent for the post (none yet: nothing shown).
#[component]
fn AttemptLog(id: String) -> impl IntoView {
    let log = Resource::new(move || id.clone(), post_attempts);
    view! {
        <Transition fallback=|| view! { <p class="flex items-center gap-2 text-xs text-slate-500"><Spinner class="h-3 w-3" />"Loading attempts…"</p> }>
            {move || log.get().map(|r| match r {
                Err(e) => view! { <p class="text-xs text-rose-700">{e.to_string()}</p> }.into_any(),
                Ok(list) if list.is_empty() => ().into_any(),
                Ok(list) => {
                    // Open when something went wrong; a clean first-time post stays folded.
                    let open = list.iter().any(|a| a.outcome != AttemptOutcome::Posted);
                    let sent = list.iter().filter(|a| a.attempt > 0).count();
                    view! {
                    <details class="rounded-lg border border-slate-200 px-3 py-2 text-sm" data-testid="attempt-log" open=open>
                        <summary class="cursor-pointer font-medium text-slate-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500/40">
                            {format!("Attempts ({sent})")}
                        </summary>
                        <ol class="mt-2 space-y-1.5">
                            {list.into_iter().map(|a| {
                                let tone = crate::components::tone_text(a.outcome.tone());
                                let head = if a.attempt > 0 { format!("Attempt {}", a.attempt) } else { "Retry".to_string() };
                                let status = a.http_status.map(|s| format!(" · HTTP {s}")).unwrap_or_default();
                                view! {
                                    <li class="text-xs text-slate-700">
                                        <span class="font-semibold">{head}</span>
                                        " · "<span class=tone>{a.outcome.label()}</span>{status}
                                        <span class="text-slate-500">{format!(" · {}", a.when)}</span>
                                        <p class="break-words text-slate-600">{a.message}</p>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    </details>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
