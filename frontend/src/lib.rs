//! The WASM entry point: hydrates the server-rendered page (after loading the open page's
//! lazy chunk), then marks `<body>` with `data-hydrated` so end-to-end tests (and curious
//! people) can tell interactivity is live.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) else { return };
    wasm_bindgen_futures::spawn_local(async move {
        // Lives as long as the page: dropping the handle would tear the app down.
        leptos::mount::hydrate_from_async(body.clone(), app::App).await.forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
