//! The signed-in app shell and the views later issues fill in. Until then each shows an
//! honest empty state that says what is coming and what to do now.

use crate::components::{page_ctx, CsrfField, Logo};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

const NAV: &[(&str, &str, &str)] = &[
    ("/dashboard", "Dashboard", "M3 13h8V3H3v10zm0 8h8v-6H3v6zm10 0h8V11h-8v10zm0-18v6h8V3h-8z"),
    ("/sources", "Sources", "M13.828 10.172a4 4 0 00-5.656 0l-4 4a4 4 0 105.656 5.656l1.102-1.101m-.758-4.899a4 4 0 005.656 0l4-4a4 4 0 00-5.656-5.656l-1.1 1.1"),
    ("/editor", "Editor", "M11 5H6a2 2 0 00-2 2v11a2 2 0 002 2h11a2 2 0 002-2v-5m-1.414-9.414a2 2 0 112.828 2.828L11.828 15H9v-2.828l8.586-8.586z"),
    ("/library", "Library", "M4 6h16M4 10h16M4 14h16M4 18h16"),
    ("/queue", "Queue", "M12 8v4l3 3m6-3a9 9 0 11-18 0 9 9 0 0118 0z"),
    ("/calendar", "Calendar", "M8 7V3m8 4V3m-9 8h10M5 21h14a2 2 0 002-2V7a2 2 0 00-2-2H5a2 2 0 00-2 2v12a2 2 0 002 2z"),
    ("/settings", "Settings", "M10.325 4.317c.426-1.756 2.924-1.756 3.35 0a1.724 1.724 0 002.573 1.066c1.543-.94 3.31.826 2.37 2.37a1.724 1.724 0 001.065 2.572c1.756.426 1.756 2.924 0 3.35a1.724 1.724 0 00-1.066 2.573c.94 1.543-.826 3.31-2.37 2.37a1.724 1.724 0 00-2.572 1.065c-.426 1.756-2.924 1.756-3.35 0a1.724 1.724 0 00-2.573-1.066c-1.543.94-3.31-.826-2.37-2.37a1.724 1.724 0 00-1.065-2.572c-1.756-.426-1.756-2.924 0-3.35a1.724 1.724 0 001.066-2.573c-.94-1.543.826-3.31 2.37-2.37.996.608 2.296.07 2.572-1.065z"),
];

#[component]
fn NavIcon(d: &'static str) -> impl IntoView {
    view! {
        <svg class="h-5 w-5 shrink-0" fill="none" viewBox="0 0 24 24" stroke="currentColor" stroke-width="1.8" aria-hidden="true">
            <path stroke-linecap="round" stroke-linejoin="round" d=d></path>
        </svg>
    }
}

/// Sidebar (top bar on small screens), user menu and the page body.
#[component]
pub fn AppShell(#[prop(into)] title: String, children: Children) -> impl IntoView {
    let ctx = page_ctx();
    let location = use_location();
    let user = move || ctx.get().and_then(Result::ok).and_then(|c| c.user);
    let demo = move || ctx.get().and_then(Result::ok).is_some_and(|c| c.demo);
    let nav = move || {
        let here = location.pathname.get();
        NAV.iter()
            .map(|(href, label, icon)| {
                let active = here.starts_with(href);
                view! {
                    <a
                        href=*href
                        aria-current=if active { Some("page") } else { None }
                        class=if active {
                            "flex items-center gap-3 rounded-lg bg-indigo-50 px-3 py-2 text-sm font-semibold text-indigo-700"
                        } else {
                            "flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900"
                        }
                    >
                        <NavIcon d=icon />
                        <span>{*label}</span>
                    </a>
                }
            })
            .collect_view()
    };
    // The page context is read under Suspense so the server render waits for it and
    // hydration reuses the serialized value.
    view! {
        <Title text=title.clone() />
        <Suspense fallback=|| ()>
        <div class="min-h-full lg:flex">
            <aside class="border-b border-slate-200 bg-white lg:fixed lg:inset-y-0 lg:flex lg:w-64 lg:flex-col lg:border-b-0 lg:border-r">
                <div class="flex h-16 items-center justify-between px-5">
                    <a href="/dashboard"><Logo /></a>
                </div>
                <nav aria-label="Main" class="flex gap-1 overflow-x-auto px-3 pb-3 lg:flex-1 lg:flex-col lg:overflow-visible lg:pb-0">
                    {nav}
                </nav>
                <div class="hidden border-t border-slate-200 p-4 lg:block">
                    {move || user().map(|u| view! {
                        <div class="flex items-center gap-3">
                            <span class="inline-flex h-9 w-9 items-center justify-center rounded-full bg-indigo-100 text-sm font-semibold text-indigo-700">{u.initials()}</span>
                            <div class="min-w-0 flex-1">
                                <p class="truncate text-sm font-medium text-slate-900" data-testid="user-name">{u.name.clone()}</p>
                                <p class="truncate text-xs text-slate-500">{u.email.clone().unwrap_or_default()}</p>
                            </div>
                        </div>
                    })}
                </div>
            </aside>
            <div class="flex-1 lg:pl-64">
                {move || demo().then(|| view! {
                    <div class="bg-amber-100 px-4 py-2 text-center text-sm font-medium text-amber-900" data-testid="demo-banner">
                        "Demo mode: every platform is the built-in sandbox. Nothing reaches real networks."
                    </div>
                })}
                <header class="flex h-16 items-center justify-between border-b border-slate-200 bg-white/80 px-4 backdrop-blur sm:px-8">
                    <h1 class="text-lg font-semibold text-slate-900">{title}</h1>
                    <form method="post" action="/logout">
                        <CsrfField />
                        <button type="submit" class="rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500">
                            "Log out"
                        </button>
                    </form>
                </header>
                <main class="mx-auto max-w-6xl px-4 py-8 sm:px-8">{children()}</main>
            </div>
        </div>
        </Suspense>
    }
}

#[component]
pub fn EmptyState(
    #[prop(into)] heading: String,
    #[prop(into)] body: String,
    #[prop(into)] cta_href: String,
    #[prop(into)] cta: String,
) -> impl IntoView {
    view! {
        <section class="rounded-2xl border-2 border-dashed border-slate-200 bg-white px-6 py-16 text-center">
            <div class="mx-auto flex h-12 w-12 items-center justify-center rounded-full bg-indigo-50 text-indigo-600" aria-hidden="true">"✦"</div>
            <h2 class="mt-4 text-base font-semibold text-slate-900">{heading}</h2>
            <p class="mx-auto mt-2 max-w-md text-sm text-slate-600">{body}</p>
            <a href=cta_href class="mt-6 inline-flex rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">{cta}</a>
        </section>
    }
}
