#![recursion_limit = "256"]
//! Covalynce's Leptos app: the HTML shell, routes, pages and server functions. Rendered on
//! the server (`ssr`) and hydrated in the browser (`hydrate`); the two features are never
//! built together.

pub mod analytics_api;
pub mod api;
#[cfg(feature = "hydrate")]
pub mod browser;
pub mod components;
pub mod compose_api;
pub mod errors;
pub mod pages;
pub mod queue_api;
pub mod schedule_api;
#[cfg(feature = "ssr")]
pub mod state;
pub mod webhooks_api;

use api::PageCtx;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, LazyRoute, SsrMode};

/// Name of the built CSS/JS/WASM bundle under `/pkg`.
pub const BUNDLE: &str = "covalynce";

/// Who may open a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Anyone,
    /// Signed-out visitors are sent to sign in first (and come back).
    SignedIn,
    /// Pointless once signed in: sent to the dashboard.
    GuestOnly,
}

/// Every page of the router below with who may open it; a path covers the pages under it.
/// The server's gate reads this table, and a test checks that every route is in it.
pub const PAGES: &[(&str, Access)] = &[
    ("/login", Access::GuestOnly),
    ("/signup", Access::GuestOnly),
    ("/forgot", Access::Anyone),
    ("/reset", Access::Anyone),
    ("/dashboard", Access::SignedIn),
    ("/sources", Access::SignedIn),
    ("/editor", Access::SignedIn),
    ("/library", Access::SignedIn),
    ("/calendar", Access::SignedIn),
    ("/queue", Access::SignedIn),
    ("/settings", Access::SignedIn),
];

/// Who may open `path` (`Anyone` for paths outside the table).
pub fn page_access(path: &str) -> Access {
    PAGES
        .iter()
        .find(|(p, _)| path == *p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
        .map(|(_, a)| *a)
        .unwrap_or(Access::Anyone)
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full bg-slate-50">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="h-full text-slate-800 antialiased">
                <App />
            </body>
        </html>
    }
}

/// Everything a page needs that only the server knows, loaded once per page view.
pub type PageResource = Resource<Result<PageCtx, errors::AppError>>;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The page's policy, with the render's script nonce, is set by the server's middleware
    // from the finished page (`server/src/middleware.rs`, `page_policy`).
    // Bumped by actions that change what the page context shows (e.g. the profile name).
    let refresh = RwSignal::new(0u32);
    let ctx: PageResource = Resource::new_blocking(move || refresh.get(), |_| api::page_context());
    provide_context(ctx);
    provide_context(components::PageRefresh(refresh));
    components::provide_toasts();

    view! {
        <Stylesheet id="leptos" href=format!("/pkg/{BUNDLE}.css") />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Title formatter=|t: String| if t.is_empty() { "Covalynce".to_string() } else { format!("{t} · Covalynce") } />
        <Meta name="theme-color" content="#4f46e5" />
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/signup") view={Lazy::<SignupRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/forgot") view={Lazy::<ForgotRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/reset") view={Lazy::<ResetRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/dashboard") view={Lazy::<DashboardRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/dashboard/post/:id") view={Lazy::<PostAnalyticsRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/sources") view={Lazy::<SourcesRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/sources/choose/:pick") view={Lazy::<ChooseAccountsRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/editor") view={Lazy::<EditorRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/library") view={Lazy::<LibraryRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/calendar") view={Lazy::<CalendarRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/queue") view={Lazy::<QueueRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/settings") view={Lazy::<SettingsRoute>::new()} ssr=SsrMode::Async />
            </Routes>
        </Router>
        <components::Toasts />
    }
}

/// Pages load lazily, a group at a time: each group's code ships in its own WASM chunks,
/// fetched when one of its pages opens (and preloaded by the server render of that page), so
/// the first download holds only the shell and the bundle does not grow with every page
/// (`frontend/split`). Groups, not single pages: the splitter makes a chunk for every set of
/// split points that shares code, and 13 points made 345 chunks (90 to 190 requests a page).
macro_rules! lazy_pages {
    ($($load:ident, $preload:ident: $group:ident { $($route:ident => $page:path),* $(,)? })*) => {$(
        #[derive(Clone, Copy)]
        pub enum $group { $($route),* }

        #[lazy]
        fn $load(page: $group) -> AnyView {
            match page { $($group::$route => $page().into_any()),* }
        }

        $(
            pub struct $route;
            impl LazyRoute for $route {
                fn data() -> Self {
                    Self
                }
                async fn view(_this: Self) -> AnyView {
                    $load($group::$route).await
                }
                // The router awaits this before it builds the page: with the chunks already
                // loaded, hydration finds the page's own markup, not a pending placeholder.
                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                }
            }
        )*
    )*};
}

lazy_pages! {
    auth_pages, __preload_auth_pages: AuthPages {
        LoginRoute => pages::auth::LoginPage,
        SignupRoute => pages::auth::SignupPage,
        ForgotRoute => pages::auth::ForgotPage,
        ResetRoute => pages::auth::ResetPage,
    }
    analytics_pages, __preload_analytics_pages: AnalyticsPages {
        DashboardRoute => pages::dashboard::DashboardPage,
        PostAnalyticsRoute => pages::dashboard::PostAnalyticsPage,
    }
    account_pages, __preload_account_pages: AccountPages {
        SourcesRoute => pages::sources::SourcesPage,
        ChooseAccountsRoute => pages::choose::ChooseAccountsPage,
        SettingsRoute => pages::settings::SettingsPage,
    }
    editor_pages, __preload_editor_pages: EditorPages {
        EditorRoute => pages::editor::EditorPage,
    }
    content_pages, __preload_content_pages: ContentPages {
        LibraryRoute => pages::library::LibraryPage,
        QueueRoute => pages::queue::QueuePage,
    }
    calendar_pages, __preload_calendar_pages: CalendarPages {
        CalendarRoute => pages::calendar::CalendarPage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new page cannot be added without deciding who may open it.
    #[test]
    fn every_route_has_an_access_rule() {
        let src = include_str!("lib.rs");
        let routes: Vec<&str> = src.split("path=path!(\"").skip(1).filter_map(|r| r.split('"').next()).collect();
        assert!(routes.len() >= 10, "the router's paths were found: {routes:?}");
        for r in routes {
            let top = format!("/{}", r.trim_start_matches('/').split('/').next().unwrap_or(""));
            assert!(PAGES.iter().any(|(p, _)| *p == top), "{r} is not in PAGES");
        }
        assert_eq!(page_access("/sources/choose/abc"), Access::SignedIn);
        assert_eq!(page_access("/sourcesx"), Access::Anyone);
        assert_eq!(page_access("/login"), Access::GuestOnly);
    }
}
