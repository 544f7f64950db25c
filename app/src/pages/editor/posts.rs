//! One post per platform with its live counter, and the preview that looks like the real post.

use super::*;

#[component]
pub(super) fn PostsCard(doc: Doc) -> impl IntoView {
    let text = move || doc.variants.with(|v| v.get(&doc.active.get()).cloned().unwrap_or_default());
    let check = move || pid(&doc.active.get()).map(|p| doc.check(p, &text()));
    view! {
        <section class=CARD>
            <div role="tablist" aria-label="Posts per platform" class="flex gap-1 overflow-x-auto border-b border-slate-100 px-3 pt-3" data-testid="tabs">
                <For each=move || doc.selected.get() key=|p| p.clone() let:p>
                    {
                        let info = pid(&p).map(platform_info);
                        let name = info.map(|i| i.display_name).unwrap_or("?");
                        let color = info.map(|i| i.brand_color).unwrap_or("#64748b");
                        let p2 = p.clone();
                        let p3 = p.clone();
                        let is_active = Signal::derive(move || doc.active.get() == p2);
                        let badge = move || {
                            let body = doc.variants.with(|v| v.get(&p3).cloned().unwrap_or_default());
                            pid(&p3).map(|id| doc.check(id, &body))
                        };
                        view! {
                            <button
                                type="button"
                                role="tab"
                                aria-selected=move || is_active.get().to_string()
                                data-tab=p.clone()
                                on:click={ let p = p.clone(); move |_| doc.active.set(p.clone()) }
                                class=move || if is_active.get() {
                                    "flex shrink-0 items-center gap-2 rounded-t-lg border-b-2 border-indigo-600 px-3 py-2 text-sm font-semibold text-slate-900"
                                } else {
                                    "flex shrink-0 items-center gap-2 rounded-t-lg border-b-2 border-transparent px-3 py-2 text-sm font-medium text-slate-500 hover:text-slate-800"
                                }
                            >
                                <span class="h-2 w-2 rounded-full" style=format!("background:{color}")></span>
                                {name}
                                {move || badge().map(|c| view! {
                                    <span class=if c.over() { "rounded-full bg-rose-100 px-1.5 text-xs font-semibold text-rose-700" } else if c.count == 0 { "rounded-full bg-slate-100 px-1.5 text-xs text-slate-400" } else { "rounded-full bg-slate-100 px-1.5 text-xs text-slate-600" }>
                                        {c.count}
                                    </span>
                                })}
                            </button>
                        }
                    }
                </For>
            </div>
            <div class="space-y-3 p-5" role="tabpanel">
                <label for="variant" class="sr-only">{move || format!("{} post", pid(&doc.active.get()).map(|p| p.display_name()).unwrap_or(""))}</label>
                <textarea
                    id="variant"
                    rows="8"
                    data-testid="variant"
                    class=move || format!("{INPUT} font-[inherit] leading-relaxed {}", if check().is_some_and(|c| c.over()) { "border-rose-400 focus:border-rose-500 focus:ring-rose-500/30" } else { "" })
                    placeholder="Write this platform's post, or press Generate posts."
                    prop:value=text
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        let p = doc.active.get_untracked();
                        doc.variants.update(|m| { m.insert(p, v); });
                        doc.touch();
                    }
                >{move || textarea_text(text())}</textarea>
                <Counter doc=doc />
            </div>
        </section>
    }
}

#[component]
pub(super) fn Counter(doc: Doc) -> impl IntoView {
    let info = move || pid(&doc.active.get()).map(platform_info);
    let check = move || {
        let p = pid(&doc.active.get())?;
        let body = doc.variants.with(|v| v.get(p.as_str()).cloned().unwrap_or_default());
        Some((p, doc.check(p, &body), body.trim().is_empty()))
    };
    view! {
        {move || check().map(|(p, c, empty)| {
            let pct = (c.count as f64 / c.limit.max(1) as f64 * 100.0).min(100.0);
            let bar = if c.over() { "bg-rose-500" } else if pct > 90.0 { "bg-amber-500" } else { "bg-indigo-500" };
            let counting = info().map(|i| i.limits.counting).unwrap_or("chars");
            let how = match counting {
                "x-weighted" => " · links count 23, emoji and CJK count 2",
                "graphemes" => " · counted as the app shows them",
                _ => "",
            };
            let needs_media = info().is_some_and(|i| i.limits.requires_media) && doc.image.get().is_none();
            view! {
                <div class="space-y-2">
                    <div class="flex items-center justify-between text-xs">
                        <span class="text-slate-500">{format!("{} limit {}{how}", p.display_name(), c.limit)}</span>
                        <span data-testid="counter" class=if c.over() { "font-semibold text-rose-700" } else { "font-medium text-slate-600" }>
                            {format!("{} / {}", c.count, c.limit)}
                        </span>
                    </div>
                    <div class="h-1.5 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
                        <div class=format!("h-full rounded-full {bar} transition-all") style=format!("width:{pct:.1}%")></div>
                    </div>
                    <ul class="space-y-1 text-sm" data-testid="validation">
                        {c.over().then(|| view! { <li class="text-rose-700">{format!("{} characters over {}'s limit. Shorten it before publishing.", -c.remaining, p.display_name())}</li> })}
                        {empty.then(|| view! { <li class="text-slate-500">{format!("No text for {} yet.", p.display_name())}</li> })}
                        {needs_media.then(|| view! { <li class="text-amber-700">{format!("{} only publishes posts with an image or video. Add one below.", p.display_name())}</li> })}
                    </ul>
                </div>
            }
        })}
    }
}

/// Splits text into plain runs and the hashtags, mentions and links platforms colour.
pub(super) fn rich(text: &str) -> impl IntoView {
    text.split_inclusive(char::is_whitespace)
        .map(|w| {
            let word = w.trim_end();
            let special = word.starts_with('#') || word.starts_with('@') || word.starts_with("http://") || word.starts_with("https://");
            if special && word.len() > 1 {
                view! { <span class="text-sky-600">{w.to_string()}</span> }.into_any()
            } else {
                w.to_string().into_any()
            }
        })
        .collect_view()
}

#[component]
pub(super) fn Preview(doc: Doc, author: String) -> impl IntoView {
    let initials = crate::components::initials(&author);
    let handle = format!("@{}", author.to_lowercase().split_whitespace().collect::<Vec<_>>().join(""));
    let author = if author.is_empty() { "You".to_string() } else { author };
    view! {
        <section class=CARD data-testid="preview">
            <div class="flex items-center justify-between border-b border-slate-100 px-5 py-3">
                <h2 class="text-sm font-semibold text-slate-900">"Preview"</h2>
                <span class="text-xs text-slate-500">{move || pid(&doc.active.get()).map(|p| p.display_name()).unwrap_or("")}</span>
            </div>
            <div class="bg-slate-50 p-4">
                {move || {
                    let p = pid(&doc.active.get())?;
                    let info = platform_info(p);
                    let text = doc.variants.with(|v| v.get(p.as_str()).cloned().unwrap_or_default());
                    let image = doc.image.get().map(|u| thumb(&u));
                    // LinkedIn and Facebook fold long posts behind "see more".
                    let folded = matches!(p, PlatformId::Linkedin | PlatformId::Facebook) && text.chars().count() > 210;
                    let shown: String = if folded { text.chars().take(210).collect() } else { text.clone() };
                    let aspect = match p {
                        PlatformId::Instagram => "aspect-[4/5]",
                        PlatformId::Tiktok | PlatformId::Youtube => "aspect-[9/16] max-h-96",
                        PlatformId::Pinterest => "aspect-[2/3]",
                        _ => "aspect-video",
                    };
                    let actions: &[&str] = match p {
                        PlatformId::X => &["Reply", "Repost", "Like", "Views"],
                        PlatformId::Linkedin => &["Like", "Comment", "Repost", "Send"],
                        PlatformId::Facebook => &["Like", "Comment", "Share"],
                        PlatformId::Instagram | PlatformId::Threads => &["Like", "Comment", "Repost", "Share"],
                        PlatformId::Bluesky | PlatformId::Mastodon => &["Reply", "Boost", "Favourite"],
                        PlatformId::Tiktok | PlatformId::Youtube => &["Like", "Comment", "Share"],
                        PlatformId::Pinterest => &["Save", "Share"],
                    };
                    let media_first = matches!(p, PlatformId::Instagram | PlatformId::Pinterest | PlatformId::Tiktok | PlatformId::Youtube);
                    let media = match image {
                        Some(src) => view! { <img src=src alt="" class=format!("w-full rounded-xl border border-slate-200 object-cover {aspect}") /> }.into_any(),
                        None if info.limits.requires_media => view! {
                            <div class=format!("flex w-full items-center justify-center rounded-xl border-2 border-dashed border-slate-300 bg-white text-xs text-slate-400 {aspect}")>
                                {format!("{} needs an image or video", info.display_name)}
                            </div>
                        }.into_any(),
                        None => ().into_any(),
                    };
                    let body = view! {
                        <p class="whitespace-pre-wrap break-words text-[15px] leading-relaxed text-slate-900" data-testid="preview-text">
                            {if text.trim().is_empty() { view! { <span class="text-slate-400">"Nothing to preview yet."</span> }.into_any() } else { rich(&shown).into_any() }}
                            {folded.then(|| view! { <span class="text-slate-500">"… see more"</span> })}
                        </p>
                    };
                    Some(view! {
                        <article class="overflow-hidden rounded-2xl border border-slate-200 bg-white p-4 shadow-sm" aria-label=format!("{} preview", info.display_name)>
                            <header class="mb-3 flex items-center gap-3">
                                <span class="flex h-10 w-10 items-center justify-center rounded-full text-sm font-bold text-white" style=format!("background:{}", info.brand_color)>{initials.clone()}</span>
                                <div class="min-w-0 leading-tight">
                                    <p class="truncate text-sm font-semibold text-slate-900">{author.clone()}</p>
                                    <p class="truncate text-xs text-slate-500">{format!("{} · now", if matches!(p, PlatformId::Linkedin | PlatformId::Facebook) { "Public".to_string() } else { handle.clone() })}</p>
                                </div>
                            </header>
                            {if media_first { view! { <div class="space-y-3">{media}{body}</div> }.into_any() } else { view! { <div class="space-y-3">{body}{media}</div> }.into_any() }}
                            <footer class="mt-3 flex gap-5 border-t border-slate-100 pt-2 text-xs font-medium text-slate-500">
                                {actions.iter().map(|a| view! { <span>{*a}</span> }).collect_view()}
                            </footer>
                        </article>
                    })
                }}
            </div>
        </section>
    }
}
