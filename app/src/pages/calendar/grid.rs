//! The grid: a day cell with its chips, dragging a chip to another day to move it.

use super::*;

#[component]
pub(super) fn DayCell(cal: Cal, date: NaiveDate, today: bool, muted: bool, week: bool) -> impl IntoView {
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
pub(super) fn Chip(cal: Cal, post: CalendarPost, full: bool) -> impl IntoView {
    let pending = post.status == PostStatus::Pending;
    let (label, icon, icon_cls, ring) = status_look(post.status);
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
                data-status=post.status.as_str()
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
