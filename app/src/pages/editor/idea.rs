//! The idea card: the idea itself, templates and the AI panel that turns it into posts.

use super::*;

#[component]
pub(super) fn IdeaCard(doc: Doc, data: EditorInit) -> impl IntoView {
    let generating = RwSignal::new(false);
    let mode = RwSignal::new(if data.has_ai_key { "auto".to_string() } else { "builtin".to_string() });
    let has_key = data.has_ai_key;
    let connected = data.connected.clone();
    let generate = move |_| {
        let idea = doc.idea.get_untracked();
        if idea.trim().is_empty() {
            toast(true, "Write the idea first: a sentence or a few notes is enough.");
            return;
        }
        generating.set(true);
        let platforms = doc.selected.get_untracked().join(",");
        spawn_local(async move {
            match generate_variants(csrf(), idea, platforms, mode.get_untracked()).await {
                Ok(g) => {
                    let n = g.variants.len();
                    doc.variants.update(|v| v.extend(g.variants));
                    let how = if g.source == "builtin" { "the built-in generator" } else { "your AI key" };
                    toast(false, format!("Wrote {n} post{} with {how}.", if n == 1 { "" } else { "s" }));
                    for w in g.warnings {
                        toast(false, w);
                    }
                    doc.touch();
                }
                Err(e) => toast(true, e.to_string()),
            }
            generating.set(false);
        });
    };
    let use_template = move |ev: leptos::ev::Event| {
        let t = event_target_value(&ev);
        if t.is_empty() {
            return;
        }
        let idea = doc.idea.get_untracked();
        let platforms = doc.selected.get_untracked().join(",");
        spawn_local(async move {
            match apply_template(csrf(), t, idea, platforms).await {
                Ok(v) if v.is_empty() => toast(true, "That template has no text for the selected platforms."),
                Ok(v) => {
                    let n = v.len();
                    doc.variants.update(|cur| cur.extend(v));
                    toast(false, format!("Template applied to {n} platforms."));
                    doc.touch();
                }
                Err(e) => toast(true, e.to_string()),
            }
        });
    };
    view! {
        <section class=CARD>
            <div class="space-y-4 p-5">
                <div class="space-y-1.5">
                    <label for="idea" class="block text-sm font-semibold text-slate-900">"Idea"</label>
                    <textarea
                        id="idea"
                        rows="4"
                        class=INPUT
                        placeholder="What do you want to say? A sentence, or a few notes — one per line."
                        prop:value=move || doc.idea.get()
                        on:input=move |ev| {
                            doc.idea.set(event_target_value(&ev));
                            doc.touch();
                        }
                    >{textarea_text(doc.idea.get_untracked())}</textarea>
                </div>
                <fieldset>
                    <legend class="mb-2 text-sm font-semibold text-slate-900">"Post to"</legend>
                    <div class="flex flex-wrap gap-2" data-testid="platform-picker">
                        {PlatformId::ALL.iter().map(|p| {
                            let id = p.as_str().to_string();
                            let info = platform_info(*p);
                            let is_connected = connected.contains(&id);
                            let on = { let id = id.clone(); Signal::derive(move || doc.selected.with(|s| s.contains(&id))) };
                            let toggle = {
                                let id = id.clone();
                                move |_| {
                                    doc.selected.update(|s| if s.contains(&id) { if s.len() > 1 { s.retain(|x| x != &id) } } else { s.push(id.clone()) });
                                    let sel = doc.selected.get_untracked();
                                    if !sel.contains(&doc.active.get_untracked()) {
                                        doc.active.set(sel[0].clone());
                                    }
                                    doc.touch();
                                }
                            };
                            view! {
                                <button
                                    type="button"
                                    aria-pressed=move || on.get().to_string()
                                    data-platform=id.clone()
                                    on:click=toggle
                                    class=move || if on.get() {
                                        "inline-flex items-center gap-1.5 rounded-full border border-indigo-300 bg-indigo-50 px-3 py-1 text-xs font-semibold text-indigo-800 focus:outline-none focus:ring-2 focus:ring-indigo-500/40"
                                    } else {
                                        "inline-flex items-center gap-1.5 rounded-full border border-slate-200 bg-white px-3 py-1 text-xs font-medium text-slate-600 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-indigo-500/40"
                                    }
                                    title=if is_connected { format!("{} (connected)", info.display_name) } else { format!("{} (not connected yet)", info.display_name) }
                                >
                                    <span class="h-2 w-2 rounded-full" style=format!("background:{}", info.brand_color)></span>
                                    {info.display_name}
                                    {is_connected.then(|| view! { <span class="sr-only">" (connected)"</span> })}
                                </button>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
                <div class="flex flex-wrap items-end gap-3 border-t border-slate-100 pt-4">
                    <div class="min-w-[12rem] flex-1 space-y-1.5">
                        <label for="template" class="block text-xs font-medium text-slate-600">"Start from a template"</label>
                        <select id="template" class=INPUT on:change=use_template>
                            <option value="">"Choose a template…"</option>
                            {data.templates.iter().map(|t| view! { <option value=t.id.clone()>{format!("{} · {}", t.name, t.category)}</option> }).collect_view()}
                        </select>
                    </div>
                    {has_key.then(|| view! {
                        <div class="space-y-1.5">
                            <label for="gen-mode" class="block text-xs font-medium text-slate-600">"Writer"</label>
                            <select id="gen-mode" class=INPUT on:change=move |ev| mode.set(event_target_value(&ev))>
                                <option value="auto" selected>"Your AI key"</option>
                                <option value="builtin">"Built-in (offline)"</option>
                            </select>
                        </div>
                    })}
                    <button type="button" class=BTN_PRIMARY on:click=generate disabled=move || generating.get() data-testid="generate">
                        {move || if generating.get() { view! { <Spinner />"Writing…" }.into_any() } else { view! { <span aria-hidden="true">"✦"</span>"Generate posts" }.into_any() }}
                    </button>
                </div>
                {(!has_key).then(|| view! {
                    <p class="text-xs text-slate-500">"Using the built-in writer (works offline). Add your own AI key in "<a href="/settings#ai" class="font-medium text-indigo-600 hover:underline">"Settings"</a>" for AI-written posts."</p>
                })}
            </div>
        </section>
    }
}
