pub mod app;
pub mod auth;
pub mod calendar;
pub mod choose;
pub mod dashboard;
pub mod editor;
pub mod library;
pub mod queue;
pub mod settings;
pub mod sources;
pub mod webhooks;

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <main class="flex min-h-full flex-col items-center justify-center gap-4 px-6 py-24 text-center">
            <p class="text-sm font-semibold text-indigo-600">"404"</p>
            <h1 class="text-3xl font-bold tracking-tight text-slate-900">"We could not find that page"</h1>
            <p class="text-slate-600">"The link may be old, or the page moved."</p>
            <a href="/dashboard" class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Go to the dashboard"</a>
        </main>
    }
}
