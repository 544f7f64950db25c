//! The editor: an idea, one post per platform with live counters against each platform's real
//! limit (the same `check_length` the server validates with), a preview that looks like the
//! real post, images, debounced autosave and version history.

use super::app::AppShell;
use crate::components::{csrf, textarea_text, toast, Spinner};
use crate::compose_api::{
    apply_template, batch_status, draft_versions, editor_data, generate_variants, pinterest_boards, publish_draft, queue_draft,
    remove_draft_image, restore_version, save_draft, tiktok_creator, AccountOption, DraftView, EditorInit, PostView, VersionView,
};
use covalynce::domain::{PinterestSettings, PostOptions, TiktokSettings, YoutubeSettings, YOUTUBE_CATEGORIES, YOUTUBE_PRIVACY};
use covalynce::{check_length, check_length_within, platform_info, PlatformId, PostStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use std::collections::BTreeMap;
use std::time::Duration;

mod history;
mod idea;
mod media;
mod posts;
mod publish;
use history::HistoryPanel;
use idea::IdeaCard;
use media::ImageCard;
use posts::{PostsCard, Preview};
use publish::PublishDialog;

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
    covalynce::ImageRef::parse(url).map(|r| r.thumb_url()).unwrap_or_else(|_| url.to_string())
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
                            <p class="mt-1">{e.to_string()}</p>
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
    /// Per platform, the smallest text limit among the connected accounts where it differs
    /// from the platform's own (a Mastodon server that allows 5,000 or only 280).
    limits: StoredValue<BTreeMap<String, u32>>,
}

impl Doc {
    /// The counter for `text` on `p`, against the limit every connected account of `p` takes.
    fn check(&self, p: PlatformId, text: &str) -> covalynce::LengthCheck {
        match self.limits.with_value(|l| l.get(p.as_str()).copied()) {
            Some(limit) => check_length_within(p, text, limit),
            None => check_length(p, text),
        }
    }

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
                    let m = e.to_string();
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

fn account_limits(accounts: &[crate::compose_api::AccountOption]) -> BTreeMap<String, u32> {
    let mut out: BTreeMap<String, u32> = BTreeMap::new();
    for a in accounts {
        let l = out.entry(a.platform.clone()).or_insert(a.text_limit);
        *l = (*l).min(a.text_limit);
    }
    out.retain(|p, l| PlatformId::parse(p).is_ok_and(|p| *l != platform_info(p).limits.text_max));
    out
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
        limits: StoredValue::new(account_limits(&data.accounts)),
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
