//! Version history: earlier saves of the draft, and restoring one.

use super::*;

#[component]
pub(super) fn HistoryPanel(doc: Doc) -> impl IntoView {
    let versions = RwSignal::new(None::<Result<Vec<VersionView>, String>>);
    let load = move || {
        let id = doc.id.get_untracked();
        spawn_local(async move {
            versions.set(Some(draft_versions(id).await.map_err(|e| e.to_string())));
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
                Err(e) => toast(true, e.to_string()),
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
