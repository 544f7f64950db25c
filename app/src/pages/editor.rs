//! The editor: an idea, one post per platform with live counters against each platform's real
//! limit (the same `check_length` the server validates with), a preview that looks like the
//! real post, images, debounced autosave and version history.

use super::app::AppShell;
use crate::components::{csrf, error_parts, error_text, textarea_text, toast, Spinner};
use crate::compose_api::{
    apply_template, batch_status, draft_versions, editor_data, generate_variants, publish_draft, queue_draft, remove_draft_image,
    restore_version, save_draft, AccountOption, DraftView, EditorInit, PostView, VersionView,
};
use covalynce::{check_length, platform_info, PlatformId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use std::collections::BTreeMap;
use std::time::Duration;

/// Quiet time after the last keystroke before an autosave.
const AUTOSAVE_AFTER: Duration = Duration::from_millis(800);

const CARD: &str = "rounded-2xl border border-slate-200 bg-white shadow-sm";
const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";
const BTN: &str = "inline-flex items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-indigo-500/40 disabled:cursor-not-allowed disabled:opacity-60";
const BTN_PRIMARY: &str = "inline-flex items-center justify-center gap-2 rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/40 disabled:cursor-not-allowed disabled:opacity-60";

fn pid(p: &str) -> Option<PlatformId> {
    PlatformId::parse(p).ok()
}

/// `/media/{id}` → its thumbnail; other addresses are shown as they are.
fn thumb(url: &str) -> String {
    if url.starts_with("/media/") {
        format!("{url}/thumb")
    } else {
        url.to_string()
    }
}

#[derive(Clone, Debug, PartialEq)]
enum SaveState {
    New,
    Dirty,
    Saving,
    Saved(String),
    Failed(String),
}

#[component]
pub fn EditorPage() -> impl IntoView {
    let query = use_query_map();
    let data = Resource::new_blocking(move || query.with(|q| q.get("draft")), editor_data);
    view! {
        <AppShell title="Editor">
            <Suspense fallback=EditorSkeleton>
                {move || data.get().map(|r| match r {
                    Ok(d) => view! { <EditorBody data=d /> }.into_any(),
                    Err(e) => view! {
                        <div role="alert" class="rounded-2xl border border-rose-200 bg-rose-50 p-6 text-sm text-rose-800">
                            <p class="font-semibold">"This draft could not be opened."</p>
                            <p class="mt-1">{error_text(&e)}</p>
                            <a href="/editor" class="mt-3 inline-block font-semibold text-rose-900 underline">"Start a new draft"</a>
                        </div>
                    }.into_any(),
                })}
            </Suspense>
        </AppShell>
    }
}

#[component]
fn EditorSkeleton() -> impl IntoView {
    view! {
        <div class="grid animate-pulse gap-6 lg:grid-cols-5" aria-busy="true" aria-label="Loading the editor">
            <div class="space-y-4 lg:col-span-3">
                <div class="h-10 rounded-lg bg-slate-200"></div>
                <div class="h-40 rounded-2xl bg-slate-200"></div>
                <div class="h-64 rounded-2xl bg-slate-200"></div>
            </div>
            <div class="h-80 rounded-2xl bg-slate-200 lg:col-span-2"></div>
        </div>
    }
}

/// Everything the editor edits, as signals (cheap to copy into closures).
#[derive(Clone, Copy)]
struct Doc {
    id: RwSignal<String>,
    title: RwSignal<String>,
    idea: RwSignal<String>,
    variants: RwSignal<BTreeMap<String, String>>,
    selected: RwSignal<Vec<String>>,
    active: RwSignal<String>,
    image: RwSignal<Option<String>>,
    image_generated: RwSignal<bool>,
    state: RwSignal<SaveState>,
    /// Bumped on every edit; a timer only saves if nothing changed since it was set.
    edits: StoredValue<u64>,
    saving: StoredValue<bool>,
    again: StoredValue<bool>,
}

impl Doc {
    fn load(&self, d: DraftView) {
        self.id.set(d.id);
        self.title.set(d.title);
        self.idea.set(d.idea);
        if !d.variants.is_empty() {
            let keys: Vec<String> = d.variants.keys().cloned().collect();
            if !keys.contains(&self.active.get_untracked()) {
                self.active.set(keys[0].clone());
            }
            self.selected.set(keys);
        }
        self.variants.set(d.variants);
        self.image.set(d.image_url);
        self.image_generated.set(d.image_generated);
        self.state.set(SaveState::Saved(d.saved_at));
    }

    /// Marks the draft changed and saves once typing pauses.
    fn touch(self) {
        let n = self.edits.get_value() + 1;
        self.edits.set_value(n);
        self.state.set(SaveState::Dirty);
        set_timeout(
            move || {
                if self.edits.get_value() == n {
                    self.save(true);
                }
            },
            AUTOSAVE_AFTER,
        );
    }

    /// One save at a time: the first save creates the draft, and a second create racing it
    /// would make a duplicate. Edits made meanwhile are saved right after.
    fn save(self, autosave: bool) {
        let (title, idea) = (self.title.get_untracked(), self.idea.get_untracked());
        let selected = self.selected.get_untracked();
        let variants: BTreeMap<String, String> =
            self.variants.get_untracked().into_iter().filter(|(p, t)| selected.contains(p) && !t.trim().is_empty()).collect();
        if self.id.get_untracked().is_empty() && idea.trim().is_empty() && variants.is_empty() {
            self.state.set(SaveState::New);
            return;
        }
        if self.saving.get_value() {
            self.again.set_value(true);
            return;
        }
        self.saving.set_value(true);
        self.state.set(SaveState::Saving);
        let id = self.id.get_untracked();
        let body = serde_json::to_string(&variants).unwrap_or_else(|_| "{}".into());
        spawn_local(async move {
            let res = save_draft(csrf(), id.clone(), title, idea, body, autosave).await;
            self.saving.set_value(false);
            match res {
                Ok(d) => {
                    if id.is_empty() {
                        self.id.set(d.id.clone());
                        #[cfg(feature = "hydrate")]
                        crate::browser::replace_url(&format!("/editor?draft={}", d.id));
                    }
                    if self.title.get_untracked().is_empty() {
                        self.title.set(d.title.clone());
                    }
                    self.state.set(SaveState::Saved(d.saved_at));
                }
                Err(e) => {
                    let m = error_text(&e);
                    toast(true, format!("Not saved: {m}"));
                    self.state.set(SaveState::Failed(m));
                }
            }
            if self.again.get_value() {
                self.again.set_value(false);
                self.save(true);
            }
        });
    }
}

#[component]
fn EditorBody(data: EditorInit) -> impl IntoView {
    let d = data.draft.clone().unwrap_or_default();
    let selected0: Vec<String> = if !d.variants.is_empty() {
        d.variants.keys().cloned().collect()
    } else if !data.connected.is_empty() {
        data.connected.clone()
    } else {
        vec!["x".into(), "linkedin".into(), "bluesky".into()]
    };
    let doc = Doc {
        id: RwSignal::new(d.id.clone()),
        title: RwSignal::new(d.title.clone()),
        idea: RwSignal::new(d.idea.clone()),
        variants: RwSignal::new(d.variants.clone()),
        active: RwSignal::new(selected0[0].clone()),
        selected: RwSignal::new(selected0),
        image: RwSignal::new(d.image_url.clone()),
        image_generated: RwSignal::new(d.image_generated),
        state: RwSignal::new(if d.id.is_empty() { SaveState::New } else { SaveState::Saved(d.saved_at.clone()) }),
        edits: StoredValue::new(0),
        saving: StoredValue::new(false),
        again: StoredValue::new(false),
    };
    let show_history = RwSignal::new(false);
    let query = use_query_map();
    // `?publish=1` (the library's Publish button) opens the dialog straight away.
    let show_publish = RwSignal::new(query.with_untracked(|q| q.get("publish").is_some()) && !d.id.is_empty());
    let publish_data = StoredValue::new(data.clone());
    let author = data.author.clone();
    view! {
        <div class="space-y-6" data-testid="editor">
            <div class="flex flex-wrap items-center gap-3">
                <label for="draft-title" class="sr-only">"Title"</label>
                <input
                    id="draft-title"
                    class="min-w-0 flex-1 rounded-lg border border-transparent bg-transparent px-2 py-1 text-2xl font-bold tracking-tight text-slate-900 placeholder:text-slate-400 hover:border-slate-200 focus:border-indigo-500 focus:bg-white focus:outline-none focus:ring-2 focus:ring-indigo-500/30"
                    placeholder="Untitled draft"
                    maxlength="200"
                    prop:value=move || doc.title.get()
                    value=d.title.clone()
                    on:input=move |ev| {
                        doc.title.set(event_target_value(&ev));
                        doc.touch();
                    }
                />
                <SaveIndicator state=doc.state />
                <button type="button" class=BTN aria-expanded=move || show_history.get().to_string() disabled=move || doc.id.get().is_empty() on:click=move |_| show_history.update(|s| *s = !*s) data-testid="history-toggle">
                    "History"
                </button>
                <a href="/library" class=BTN>"Library"</a>
                <button type="button" class=BTN_PRIMARY disabled=move || doc.id.get().is_empty() on:click=move |_| show_publish.set(true) data-testid="publish-open">
                    "Publish…"
                </button>
            </div>
            <Show when=move || show_publish.get()>
                <PublishDialog doc=doc data=publish_data.get_value() open=show_publish />
            </Show>
            <div class="grid gap-6 lg:grid-cols-5">
                <div class="space-y-6 lg:col-span-3">
                    <IdeaCard doc=doc data=data.clone() />
                    <PostsCard doc=doc />
                    <ImageCard doc=doc />
                </div>
                <div class="space-y-6 lg:col-span-2">
                    <Show when=move || show_history.get()>
                        <HistoryPanel doc=doc />
                    </Show>
                    <div class="lg:sticky lg:top-6">
                        <Preview doc=doc author=author.clone() />
                    </div>
                </div>
            </div>
        </div>
    }
}

#[component]
fn SaveIndicator(state: RwSignal<SaveState>) -> impl IntoView {
    view! {
        <span class="inline-flex items-center gap-1.5 text-sm" role="status" aria-live="polite" data-testid="save-state">
            {move || match state.get() {
                SaveState::New => view! { <span class="text-slate-400">"Not saved yet"</span> }.into_any(),
                SaveState::Dirty => view! { <span class="text-amber-600">"Unsaved changes"</span> }.into_any(),
                SaveState::Saving => view! { <span class="inline-flex items-center gap-1.5 text-slate-500"><Spinner />"Saving…"</span> }.into_any(),
                SaveState::Saved(at) => view! {
                    <span class="inline-flex items-center gap-1 text-emerald-700">
                        <svg class="h-4 w-4" viewBox="0 0 20 20" fill="currentColor" aria-hidden="true"><path fill-rule="evenodd" d="M16.7 5.3a1 1 0 010 1.4l-8 8a1 1 0 01-1.4 0l-4-4a1 1 0 111.4-1.4L8 12.6l7.3-7.3a1 1 0 011.4 0z" clip-rule="evenodd"></path></svg>
                        {format!("Saved {at}")}
                    </span>
                }.into_any(),
                SaveState::Failed(m) => view! { <span class="text-rose-700" title=m>"Couldn't save"</span> }.into_any(),
            }}
        </span>
    }
}

#[component]
fn IdeaCard(doc: Doc, data: EditorInit) -> impl IntoView {
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
                Err(e) => toast(true, error_text(&e)),
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
                Err(e) => toast(true, error_text(&e)),
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

#[component]
fn PostsCard(doc: Doc) -> impl IntoView {
    let text = move || doc.variants.with(|v| v.get(&doc.active.get()).cloned().unwrap_or_default());
    let check = move || pid(&doc.active.get()).map(|p| check_length(p, &text()));
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
                            pid(&p3).map(|id| check_length(id, &body))
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
fn Counter(doc: Doc) -> impl IntoView {
    let info = move || pid(&doc.active.get()).map(platform_info);
    let check = move || {
        let p = pid(&doc.active.get())?;
        let body = doc.variants.with(|v| v.get(p.as_str()).cloned().unwrap_or_default());
        Some((p, check_length(p, &body), body.trim().is_empty()))
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

#[derive(serde::Deserialize)]
struct ImageReply {
    url: Option<String>,
    generated: Option<bool>,
    message: Option<String>,
}

#[component]
fn ImageCard(doc: Doc) -> impl IntoView {
    let progress = RwSignal::new(None::<f64>);
    let generating = RwSignal::new(false);
    let no_draft = move || doc.id.get().is_empty();
    // Both the upload and the generator answer with the image (201) or an error message.
    let finish = move |res: Result<(u16, String), String>, what: &'static str| {
        progress.set(None);
        generating.set(false);
        match res {
            Ok((status, body)) => {
                let r: Option<ImageReply> = serde_json::from_str(&body).ok();
                match r {
                    Some(ImageReply { url: Some(url), generated, .. }) if (200..300).contains(&status) => {
                        doc.image.set(Some(url));
                        doc.image_generated.set(generated.unwrap_or(false));
                        toast(false, format!("Image {what}."));
                    }
                    r => {
                        toast(true, r.and_then(|r| r.message).unwrap_or_else(|| format!("The image could not be {what} (HTTP {status}).")))
                    }
                }
            }
            Err(e) => toast(true, e),
        }
    };
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            let Ok(form) = web_sys::FormData::new() else { return };
            let _ = form.append_with_blob_and_filename("file", &file, &file.name());
            let _ = form.append_with_str("draft_id", &doc.id.get_untracked());
            input.set_value("");
            progress.set(Some(0.0));
            crate::browser::send(
                "POST",
                "/api/images",
                crate::browser::Body::Form(form),
                &csrf(),
                move |p| progress.set(Some(p)),
                move |r| finish(r, "uploaded"),
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, finish);
    };
    let on_generate = move |_| {
        let prompt = {
            let v = doc.variants.with(|v| v.get(&doc.active.get_untracked()).cloned().unwrap_or_default());
            if v.trim().is_empty() {
                doc.idea.get_untracked()
            } else {
                v
            }
        };
        if prompt.trim().is_empty() {
            toast(true, "Write the idea or the post first: the image is made from its first line.");
            return;
        }
        generating.set(true);
        let body =
            serde_json::json!({"prompt": prompt, "platform": doc.active.get_untracked(), "draft_id": doc.id.get_untracked()}).to_string();
        #[cfg(feature = "hydrate")]
        crate::browser::send("POST", "/image/generate", crate::browser::Body::Json(body), &csrf(), |_| {}, move |r| finish(r, "generated"));
        #[cfg(not(feature = "hydrate"))]
        let _ = body;
    };
    let remove = move |_| {
        let id = doc.id.get_untracked();
        spawn_local(async move {
            match remove_draft_image(csrf(), id).await {
                Ok(_) => {
                    doc.image.set(None);
                    doc.image_generated.set(false);
                    toast(false, "Image removed.");
                }
                Err(e) => toast(true, error_text(&e)),
            }
        });
    };
    let upload_label = move || if doc.image.get().is_some() { "Replace image" } else { "Upload image" };
    view! {
        <section class=CARD data-testid="image-card">
            <div class="flex items-center justify-between border-b border-slate-100 px-5 py-3">
                <h2 class="text-sm font-semibold text-slate-900">"Image"</h2>
                <span class="text-xs text-slate-500">"PNG, JPEG, GIF or WebP · metadata is removed"</span>
            </div>
            <div class="space-y-4 p-5">
                {move || match doc.image.get() {
                    Some(url) => view! {
                        <div class="flex items-start gap-4">
                            <img src=thumb(&url) alt="The draft's image" class="h-28 w-28 rounded-xl border border-slate-200 bg-slate-100 object-contain" data-testid="image-preview" />
                            <div class="space-y-1 text-sm">
                                <p class="font-medium text-slate-800">{if doc.image_generated.get() { "Generated image" } else { "Uploaded image" }}</p>
                                <a href=url.clone() target="_blank" rel="noopener" class="text-indigo-600 hover:underline">"Open full size"</a>
                            </div>
                        </div>
                    }.into_any(),
                    None => view! {
                        <div class="flex items-center gap-3 rounded-xl border-2 border-dashed border-slate-200 px-4 py-6 text-sm text-slate-500">
                            <svg class="h-8 w-8 text-slate-300" fill="none" viewBox="0 0 24 24" stroke="currentColor" stroke-width="1.5" aria-hidden="true"><path stroke-linecap="round" stroke-linejoin="round" d="M4 16l4.6-4.6a2 2 0 012.8 0L16 16m-2-2l1.6-1.6a2 2 0 012.8 0L20 14M14 8h.01M6 20h12a2 2 0 002-2V6a2 2 0 00-2-2H6a2 2 0 00-2 2v12a2 2 0 002 2z"></path></svg>
                            <span>{move || if no_draft() { "Write an idea first — the draft is saved as you type, then you can add an image." } else { "No image yet. Upload one, or generate a card from the post's first line." }}</span>
                        </div>
                    }.into_any(),
                }}
                {move || progress.get().map(|p| view! {
                    <div class="space-y-1" data-testid="upload-progress">
                        <div class="flex justify-between text-xs text-slate-500"><span>"Uploading…"</span><span>{format!("{:.0}%", p * 100.0)}</span></div>
                        <div class="h-2 overflow-hidden rounded-full bg-slate-100" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=format!("{:.0}", p * 100.0)>
                            <div class="h-full rounded-full bg-indigo-500 transition-all" style=format!("width:{:.0}%", p * 100.0)></div>
                        </div>
                    </div>
                })}
                <div class="flex flex-wrap gap-2">
                    <label class=move || format!("{BTN} cursor-pointer focus-within:ring-2 focus-within:ring-indigo-500/40 {}", if no_draft() || progress.get().is_some() { "pointer-events-none opacity-60" } else { "" })>
                        <input type="file" accept="image/png,image/jpeg,image/gif,image/webp" class="sr-only" on:change=on_file disabled=no_draft data-testid="image-input" />
                        {upload_label}
                    </label>
                    <button type="button" class=BTN on:click=on_generate disabled=move || no_draft() || generating.get() data-testid="generate-image">
                        {move || if generating.get() { view! { <Spinner />"Generating…" }.into_any() } else { view! { "Generate image" }.into_any() }}
                    </button>
                    <Show when=move || doc.image.get().is_some()>
                        <button type="button" class=format!("{BTN} text-rose-700") on:click=remove>"Remove"</button>
                    </Show>
                </div>
            </div>
        </section>
    }
}

#[component]
fn HistoryPanel(doc: Doc) -> impl IntoView {
    let versions = RwSignal::new(None::<Result<Vec<VersionView>, String>>);
    let load = move || {
        let id = doc.id.get_untracked();
        spawn_local(async move {
            versions.set(Some(draft_versions(id).await.map_err(|e| error_text(&e))));
        });
    };
    // Opening the panel loads the list; each save refreshes it.
    Effect::new(move |_| {
        if matches!(doc.state.get(), SaveState::Saved(_)) {
            load();
        }
    });
    let restore = move |vid: String| {
        let id = doc.id.get_untracked();
        spawn_local(async move {
            match restore_version(csrf(), id, vid).await {
                Ok(d) => {
                    doc.load(d);
                    toast(false, "Version restored. The text before it is kept in the history.");
                }
                Err(e) => toast(true, error_text(&e)),
            }
        });
    };
    view! {
        <section class=CARD data-testid="history">
            <div class="border-b border-slate-100 px-5 py-3">
                <h2 class="text-sm font-semibold text-slate-900">"Version history"</h2>
                <p class="text-xs text-slate-500">"Autosaves a few minutes apart are kept as one version."</p>
            </div>
            {move || match versions.get() {
                None => view! { <p class="flex items-center gap-2 px-5 py-4 text-sm text-slate-500"><Spinner />"Loading versions…"</p> }.into_any(),
                Some(Err(e)) => view! { <p role="alert" class="px-5 py-4 text-sm text-rose-700">{e}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="px-5 py-4 text-sm text-slate-500">"No versions yet."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="max-h-80 divide-y divide-slate-100 overflow-y-auto">
                        {list.into_iter().enumerate().map(|(i, v)| {
                            let vid = v.id.clone();
                            view! {
                                <li class="flex items-center justify-between gap-3 px-5 py-3">
                                    <div class="min-w-0">
                                        <p class="truncate text-sm font-medium text-slate-800">{v.title.clone()}</p>
                                        <p class="text-xs text-slate-500">{format!("{} · {} · {} platform{}", v.when, v.kind, v.platforms, if v.platforms == 1 { "" } else { "s" })}</p>
                                    </div>
                                    {if i == 0 {
                                        view! { <span class="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-500">"Current"</span> }.into_any()
                                    } else {
                                        view! { <button type="button" class=BTN on:click=move |_| restore(vid.clone())>"Restore"</button> }.into_any()
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

/// Splits text into plain runs and the hashtags, mentions and links platforms colour.
fn rich(text: &str) -> impl IntoView {
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
fn Preview(doc: Doc, author: String) -> impl IntoView {
    let initials: String = author.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect::<String>().to_uppercase();
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

fn status_chip(status: &str) -> (&'static str, &'static str) {
    match status {
        "pending" => ("Scheduled", "bg-slate-100 text-slate-700"),
        "publishing" => ("Publishing…", "bg-indigo-100 text-indigo-800"),
        "posted" => ("Posted", "bg-emerald-100 text-emerald-800"),
        "failed" => ("Failed", "bg-rose-100 text-rose-800"),
        "unconfirmed" => ("Unconfirmed", "bg-amber-100 text-amber-900"),
        "cancelled" => ("Cancelled", "bg-slate-100 text-slate-500"),
        _ => ("Unknown", "bg-slate-100 text-slate-500"),
    }
}

/// Choose accounts, now or a time, then watch each publication live.
#[component]
fn PublishDialog(doc: Doc, data: EditorInit, open: RwSignal<bool>) -> impl IntoView {
    let accounts = StoredValue::new(data.accounts.clone());
    let chosen = RwSignal::new(
        data.accounts
            .iter()
            .filter(|a| a.healthy && doc.variants.with_untracked(|v| v.get(&a.platform).is_some_and(|t| !t.trim().is_empty())))
            .map(|a| a.id.clone())
            .collect::<Vec<_>>(),
    );
    // "now", "at" (a date and time) or "queue" (each account's next free posting time).
    let mode = RwSignal::new("now");
    let when = RwSignal::new(data.default_when.clone());
    let fold = RwSignal::new(String::new());
    let ask_fold = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let posts = RwSignal::new(None::<Vec<PostView>>);
    let timezone = StoredValue::new(data.timezone.clone());

    // Polls the batch until every publication has an outcome (or the dialog closes).
    fn poll(batch: String, posts: RwSignal<Option<Vec<PostView>>>, open: RwSignal<bool>) {
        set_timeout(
            move || {
                if !open.get_untracked() {
                    return;
                }
                spawn_local(async move {
                    if let Ok(list) = batch_status(batch.clone()).await {
                        let open_ones = list.iter().any(|p| matches!(p.status.as_str(), "pending" | "publishing"));
                        posts.set(Some(list));
                        if open_ones {
                            poll(batch, posts, open);
                        }
                    } else {
                        poll(batch, posts, open);
                    }
                });
            },
            Duration::from_millis(700),
        );
    }

    let submit = move |_| {
        let ids = chosen.get_untracked();
        if ids.is_empty() {
            error.set(Some("Choose at least one account.".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        let m = mode.get_untracked();
        let at = if m == "at" { when.get_untracked() } else { String::new() };
        let (f, draft) = (fold.get_untracked(), doc.id.get_untracked());
        let (title, idea) = (doc.title.get_untracked(), doc.idea.get_untracked());
        let selected = doc.selected.get_untracked();
        let body: BTreeMap<String, String> =
            doc.variants.get_untracked().into_iter().filter(|(p, t)| selected.contains(p) && !t.trim().is_empty()).collect();
        spawn_local(async move {
            // Publish exactly what is on screen: save first.
            let saved = save_draft(csrf(), draft.clone(), title, idea, serde_json::to_string(&body).unwrap_or_default(), false).await;
            if let Err(e) = saved {
                error.set(Some(error_text(&e)));
                busy.set(false);
                return;
            }
            let sent = if m == "queue" {
                queue_draft(csrf(), draft, ids.join(",")).await
            } else {
                publish_draft(csrf(), draft, ids.join(","), at, f).await
            };
            match sent {
                Ok(list) => {
                    if let Some(b) = list.first().map(|p| p.batch_id.clone()) {
                        poll(b, posts, open);
                    }
                    posts.set(Some(list));
                }
                Err(e) => {
                    let (code, msg) = error_parts(&e);
                    if code == "ambiguous_time" {
                        ask_fold.set(Some(msg));
                    } else {
                        error.set(Some(msg));
                    }
                }
            }
            busy.set(false);
        });
    };
    let account_row = move |a: AccountOption| {
        let pid = pid(&a.platform);
        let info = pid.map(platform_info);
        let color = info.map(|i| i.brand_color).unwrap_or("#64748b");
        let text = doc.variants.with_untracked(|v| v.get(&a.platform).cloned().unwrap_or_default());
        let check = pid.map(|p| check_length(p, &text));
        let problem = if !a.healthy {
            Some("Reconnect in Sources first".to_string())
        } else if text.trim().is_empty() {
            Some(format!("No {} text in this draft", info.map(|i| i.display_name).unwrap_or("")))
        } else if check.is_some_and(|c| c.over()) {
            Some("Over the character limit".to_string())
        } else {
            None
        };
        let disabled = problem.is_some();
        let id = a.id.clone();
        let checked = {
            let id = id.clone();
            move || chosen.with(|c| c.contains(&id))
        };
        let snippet: String = text.chars().take(90).collect();
        view! {
            <li>
                <label class=format!("flex items-start gap-3 rounded-xl border border-slate-200 px-4 py-3 {}", if disabled { "opacity-60" } else { "cursor-pointer hover:bg-slate-50" })>
                    <input
                        type="checkbox"
                        class="mt-1 h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500"
                        prop:checked=checked
                        disabled=disabled
                        data-account=a.platform.clone()
                        on:change=move |_| chosen.update(|c| if c.contains(&id) { c.retain(|x| x != &id) } else { c.push(id.clone()) })
                    />
                    <span class="min-w-0 flex-1">
                        <span class="flex items-center gap-2 text-sm font-semibold text-slate-900">
                            <span class="h-2.5 w-2.5 rounded-full" style=format!("background:{color}")></span>
                            {info.map(|i| i.display_name).unwrap_or("?")}
                            <span class="font-normal text-slate-500">{format!("@{}", a.username)}</span>
                        </span>
                        <span class="mt-0.5 block truncate text-xs text-slate-500">{if snippet.is_empty() { "—".to_string() } else { snippet }}</span>
                        {problem.map(|p| view! { <span class="mt-1 block text-xs font-medium text-rose-700">{p}</span> })}
                    </span>
                </label>
            </li>
        }
    };
    let close = move |_| open.set(false);
    view! {
        <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/40 p-4 sm:items-center" on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
            <div role="dialog" aria-modal="true" aria-labelledby="publish-title" class="max-h-[90vh] w-full max-w-xl overflow-y-auto rounded-2xl bg-white shadow-xl" data-testid="publish-dialog">
                <div class="flex items-center justify-between border-b border-slate-100 px-6 py-4">
                    <h2 id="publish-title" class="text-lg font-semibold text-slate-900">{move || if posts.get().is_some() { "Publishing" } else { "Publish" }}</h2>
                    <button type="button" class="rounded-lg p-1 text-slate-400 hover:text-slate-700 focus:outline-none focus:ring-2 focus:ring-indigo-500/40" aria-label="Close" on:click=close>"✕"</button>
                </div>
                {move || match posts.get() {
                    Some(list) => view! {
                        <div class="space-y-3 px-6 py-5">
                            <ul class="space-y-2" data-testid="publish-progress">
                                {list.into_iter().map(|p| {
                                    let (label, cls) = status_chip(&p.status);
                                    let name = pid(&p.platform).map(|x| x.display_name()).unwrap_or("?");
                                    view! {
                                        <li class="rounded-xl border border-slate-200 px-4 py-3" data-post-status=p.status.clone()>
                                            <div class="flex items-center justify-between gap-3">
                                                <span class="text-sm font-medium text-slate-900">{format!("{name} · @{}", p.account_name)}</span>
                                                <span class=format!("inline-flex items-center gap-1 rounded-full px-2.5 py-0.5 text-xs font-semibold {cls}")>
                                                    {(p.status == "publishing").then(|| view! { <Spinner class="h-3 w-3" /> })}
                                                    {label}
                                                </span>
                                            </div>
                                            <p class="mt-1 text-xs text-slate-500">{p.when.clone()}</p>
                                            {p.external_url.clone().map(|u| view! { <a href=u target="_blank" rel="noopener" class="mt-1 inline-block text-xs font-medium text-indigo-600 hover:underline">"View post ↗"</a> })}
                                            {p.error_message.clone().filter(|_| p.status != "pending").map(|m| view! { <p class="mt-1 text-xs text-rose-700">{m}</p> })}
                                            {p.guidance.clone().map(|g| view! { <p class="mt-1 text-xs text-slate-600">{g}</p> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <div class="flex justify-end gap-2 pt-2">
                                <a href="/calendar" class=BTN>"Open calendar"</a>
                                <button type="button" class=BTN_PRIMARY on:click=close>"Done"</button>
                            </div>
                        </div>
                    }.into_any(),
                    None => view! {
                        <div class="space-y-5 px-6 py-5">
                            {if accounts.with_value(|a| a.is_empty()) {
                                view! {
                                    <div class="rounded-xl border-2 border-dashed border-slate-200 p-6 text-center text-sm text-slate-600">
                                        <p class="font-medium text-slate-900">"No accounts connected yet"</p>
                                        <p class="mt-1">"Connect a social account to publish this draft."</p>
                                        <a href="/sources" class="mt-3 inline-block font-semibold text-indigo-600 hover:underline">"Go to Sources"</a>
                                    </div>
                                }.into_any()
                            } else {
                                view! {
                                    <fieldset>
                                        <legend class="mb-2 text-sm font-semibold text-slate-900">"Accounts"</legend>
                                        <ul class="space-y-2">{accounts.get_value().into_iter().map(account_row).collect_view()}</ul>
                                    </fieldset>
                                }.into_any()
                            }}
                            <fieldset class="space-y-2">
                                <legend class="mb-1 text-sm font-semibold text-slate-900">"When"</legend>
                                <label class="flex items-center gap-2 text-sm text-slate-700">
                                    <input type="radio" name="when" prop:checked=move || mode.get() == "now" on:change=move |_| mode.set("now") />
                                    "Publish now"
                                </label>
                                <label class="flex items-center gap-2 text-sm text-slate-700">
                                    <input type="radio" name="when" data-testid="queue-radio" prop:checked=move || mode.get() == "queue" on:change=move |_| mode.set("queue") />
                                    "Add to queue"
                                    <span class="text-xs text-slate-500">"(each account's next free posting time)"</span>
                                </label>
                                <Show when=move || mode.get() == "queue">
                                    <p class="pl-6 text-xs text-slate-500">
                                        "Posting times are set per account on the "
                                        <a href="/queue" class="font-medium text-indigo-600 hover:underline">"Queue page"</a>
                                        "."
                                    </p>
                                </Show>
                                <label class="flex items-center gap-2 text-sm text-slate-700">
                                    <input type="radio" name="when" data-testid="schedule-radio" prop:checked=move || mode.get() == "at" on:change=move |_| mode.set("at") />
                                    "Schedule for"
                                </label>
                                <Show when=move || mode.get() == "at">
                                    <div class="flex flex-wrap items-center gap-2 pl-6">
                                        <label for="publish-when" class="sr-only">"Date and time"</label>
                                        <input id="publish-when" type="datetime-local" step="1" class=INPUT style="max-width:16rem" data-testid="publish-when"
                                            prop:value=move || when.get() on:input=move |ev| { when.set(event_target_value(&ev)); ask_fold.set(None); fold.set(String::new()); } />
                                        <span class="text-xs text-slate-500">{format!("Time zone: {}", timezone.get_value())}</span>
                                    </div>
                                </Show>
                                {move || ask_fold.get().map(|m| view! {
                                    <div class="ml-6 space-y-2 rounded-lg border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" role="alert">
                                        <p>{m}</p>
                                        <div class="flex gap-2">
                                            <button type="button" class=BTN on:click=move |_| { fold.set("earlier".into()); ask_fold.set(None); }>"The earlier one"</button>
                                            <button type="button" class=BTN on:click=move |_| { fold.set("later".into()); ask_fold.set(None); }>"The later one"</button>
                                        </div>
                                    </div>
                                })}
                            </fieldset>
                            {move || error.get().map(|e| view! { <p role="alert" class="rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800">{e}</p> })}
                            <div class="flex justify-end gap-2 border-t border-slate-100 pt-4">
                                <button type="button" class=BTN on:click=close>"Cancel"</button>
                                <button type="button" class=BTN_PRIMARY on:click=submit disabled=move || busy.get() || chosen.with(|c| c.is_empty()) data-testid="publish-submit">
                                    <Show when=move || busy.get()><Spinner /></Show>
                                    {move || {
                                        let n = chosen.with(|c| c.len());
                                        let verb = match mode.get() {
                                            "queue" => "Add to queue for",
                                            "at" => "Schedule for",
                                            _ => "Publish to",
                                        };
                                        format!("{verb} {n} account{}", if n == 1 { "" } else { "s" })
                                    }}
                                </button>
                            </div>
                        </div>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}
