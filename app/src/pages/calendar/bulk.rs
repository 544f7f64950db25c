//! Bulk import: a CSV file (or pasted rows) checked as a whole; a refused file lists every
//! problem by row and column and imports nothing.

use super::*;

/// The bulk-import panel's state, kept by the page so it outlives calendar refreshes.
#[derive(Clone, Copy)]
pub(super) struct Bulk {
    pub(super) open: RwSignal<bool>,
    busy: RwSignal<bool>,
    /// The refusal's summary and its rows.
    errors: RwSignal<Option<(String, Vec<RowProblem>)>>,
    paste: RwSignal<String>,
}

impl Bulk {
    pub(super) fn new() -> Self {
        Self { open: RwSignal::new(false), busy: RwSignal::new(false), errors: RwSignal::new(None), paste: RwSignal::new(String::new()) }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct RowProblem {
    row: usize,
    column: String,
    message: String,
}

#[derive(Deserialize)]
pub(super) struct BulkAnswer {
    #[serde(default)]
    imported: usize,
    #[serde(default)]
    first_date: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    errors: Vec<RowProblem>,
}

/// Bulk import: a CSV file (or pasted rows) checked as a whole; refused files list every
/// problem by row and column and import nothing.
#[component]
pub(super) fn BulkImport(bulk: Bulk, refresh: RwSignal<u32>, timezone: String) -> impl IntoView {
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
