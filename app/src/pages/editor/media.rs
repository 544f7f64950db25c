//! Images: upload, order, alt text and the per-post picks.

use super::*;

#[derive(serde::Deserialize)]
pub(super) struct ImageReply {
    url: Option<String>,
    generated: Option<bool>,
    message: Option<String>,
}

#[component]
pub(super) fn ImageCard(doc: Doc) -> impl IntoView {
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
                Err(e) => toast(true, e.to_string()),
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
