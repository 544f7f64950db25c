//! Library (seed 004 §Content Library): every draft as a card with its thumbnail, status and
//! platforms; filter tabs, search and pages. The filters live in the URL (`?status=&q=&page=`)
//! as plain links and a GET form, so the page works the same with and without JavaScript.

use super::app::{AppShell, EmptyState};
use crate::errors::AppError;
use covalynce::domain::platform_info;
use covalynce::library::LibraryItem;
use covalynce::PlatformId;
use covalynce::{DraftStatus, Tone};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryCard {
    pub item: LibraryItem,
    /// "5 min ago", computed on the server (the browser build has no clock of its own here).
    pub updated: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryView {
    pub cards: Vec<LibraryCard>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub pages: u32,
    /// False only when the user has no draft at all (not merely none matching).
    pub has_drafts: bool,
}

#[server(prefix = "/sfn", endpoint = "library_page", input = server_fn::codec::GetUrl)]
pub async fn library_page(status: Option<String>, q: Option<String>, page: Option<String>) -> Result<LibraryView, AppError> {
    use crate::api::ssr::require_user;
    use covalynce::library::LibraryParams;
    let (st, me) = require_user()?;
    let query = LibraryParams { status, q, page, ..Default::default() }.parse()?;
    let result = st.library.page(&me.sub, &query).await?;
    // Only an empty result needs the second look: "nothing yet" and "nothing matches" read differently.
    let has_drafts = result.total > 0 || st.library.has_drafts(&me.sub).await?;
    let now = covalynce::db::now_ms();
    Ok(LibraryView {
        cards: result.items.into_iter().map(|item| LibraryCard { updated: crate::components::ago(item.updated_at, now), item }).collect(),
        total: result.total,
        page: result.page,
        per_page: result.per_page,
        pages: result.pages,
        has_drafts,
    })
}

/// The filters as the URL carries them; `None` when absent or empty.
#[derive(Debug, Clone, Default, PartialEq)]
struct Filters {
    status: Option<String>,
    q: Option<String>,
}

impl Filters {
    /// The status tab the URL names (`None`: all, or a name the server will refuse).
    fn tab(&self) -> Option<DraftStatus> {
        self.status.as_deref().and_then(|s| DraftStatus::parse(s).ok())
    }

    /// `/library?…` with these filters and `page` (1 is left out).
    fn href(&self, page: u32) -> String {
        let mut parts = vec![];
        if let Some(s) = &self.status {
            parts.push(format!("status={}", encode(s)));
        }
        if let Some(q) = &self.q {
            parts.push(format!("q={}", encode(q)));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            "/library".into()
        } else {
            format!("/library?{}", parts.join("&"))
        }
    }

    fn with_status(&self, status: &str) -> Self {
        Self { status: (status != "all").then(|| status.to_string()), q: self.q.clone() }
    }
}

/// Percent-encoding for a query value (everything but RFC 3986's unreserved characters).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A filter tab's name (`None`: every draft).
fn filter_label(status: Option<DraftStatus>) -> &'static str {
    status.map(DraftStatus::plural).unwrap_or("All")
}

/// A chip's ring says how that platform's post stands.
fn chip_ring(status: DraftStatus) -> &'static str {
    match status.tone() {
        Tone::Info => "ring-sky-300",
        Tone::Progress => "ring-indigo-300",
        Tone::Good => "ring-emerald-300",
        Tone::Bad => "ring-rose-300",
        Tone::Warning => "ring-amber-300",
        Tone::Neutral | Tone::Muted => "ring-slate-200",
    }
}

#[component]
pub fn LibraryPage() -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        let m = query.read();
        let get = |k: &str| m.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        (Filters { status: get("status").filter(|s| s != "all"), q: get("q") }, get("page"))
    };
    let data = Resource::new(filters, |(f, page)| library_page(f.status, f.q, page));
    view! {
        <AppShell title="Library">
            <div class="space-y-6">
                <Toolbar filters=Signal::derive(move || filters().0) />
                <Suspense fallback=Skeleton>
                    {move || data.get().map(|r| match r {
                        Err(e) => view! {
                            <div role="alert" class="rounded-lg border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-800">
                                {e.to_string().trim_start_matches("error running server function: ").to_string()}
                                " "
                                <a href="/library" class="font-medium underline">"Show all drafts"</a>
                            </div>
                        }.into_any(),
                        Ok(v) => view! { <Results data=v filters=filters().0 /> }.into_any(),
                    })}
                </Suspense>
            </div>
        </AppShell>
    }
}

/// Search box (a GET form) and the filter tabs (links that keep the search).
#[component]
fn Toolbar(filters: Signal<Filters>) -> impl IntoView {
    let tabs = move || {
        let f = filters.get();
        let current = f.tab();
        std::iter::once(None)
            .chain(DraftStatus::ALL.iter().copied().map(Some))
            .map(|s| {
                let active = current == s;
                view! {
                    <a
                        href=f.with_status(s.map(DraftStatus::as_str).unwrap_or("all")).href(1)
                        aria-current=active.then_some("page")
                        class=if active {
                            "whitespace-nowrap rounded-lg bg-white px-3 py-1.5 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-slate-200"
                        } else {
                            "whitespace-nowrap rounded-lg px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-white/70 hover:text-slate-900"
                        }
                    >
                        {filter_label(s)}
                    </a>
                }
            })
            .collect_view()
    };
    view! {
        <div class="flex flex-col gap-3 lg:flex-row lg:items-center lg:justify-between">
            <nav aria-label="Filter by status" class="-mx-1 flex gap-1 overflow-x-auto rounded-xl bg-slate-100 p-1 lg:mx-0" data-testid="library-filters">
                {tabs}
            </nav>
            <form method="get" action="/library" role="search" class="flex w-full gap-2 lg:w-96">
                {move || filters.get().status.map(|s| view! { <input type="hidden" name="status" value=s /> })}
                <label for="library-q" class="sr-only">"Search drafts"</label>
                <div class="relative flex-1">
                    <svg class="pointer-events-none absolute left-3 top-1/2 h-4 w-4 -translate-y-1/2 text-slate-400" fill="none" viewBox="0 0 24 24" stroke="currentColor" stroke-width="2" aria-hidden="true">
                        <path stroke-linecap="round" stroke-linejoin="round" d="M21 21l-4.35-4.35M17 11A6 6 0 115 11a6 6 0 0112 0z"></path>
                    </svg>
                    <input
                        id="library-q"
                        name="q"
                        type="search"
                        placeholder="Search titles, ideas and posts"
                        value=move || filters.get().q.unwrap_or_default()
                        prop:value=move || filters.get().q.unwrap_or_default()
                        class="block w-full rounded-lg border border-slate-300 bg-white py-2 pl-9 pr-3 text-sm shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30"
                    />
                </div>
                <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2">
                    "Search"
                </button>
            </form>
        </div>
    }
}

#[component]
fn Results(data: LibraryView, filters: Filters) -> impl IntoView {
    if !data.has_drafts {
        return view! {
            <EmptyState
                heading="Your library is empty"
                body="Every draft you write shows up here, with its image, its platforms and where it stands. Search and filters come with it."
                cta_href="/editor"
                cta="Write your first post"
            />
        }
        .into_any();
    }
    if data.total == 0 {
        return no_matches(&filters).into_any();
    }
    if data.cards.is_empty() {
        return view! {
            <section class="rounded-2xl border border-slate-200 bg-white px-6 py-12 text-center">
                <p class="text-sm text-slate-600">{format!("There is no page {}: the results end on page {}.", data.page, data.pages)}</p>
                <a href=filters.href(data.pages) class="mt-3 inline-block text-sm font-semibold text-indigo-600 hover:underline">"Go to the last page"</a>
            </section>
        }
        .into_any();
    }
    let first = (i64::from(data.page) - 1) * i64::from(data.per_page) + 1;
    let last = first + data.cards.len() as i64 - 1;
    let noun = if data.total == 1 { "draft" } else { "drafts" };
    let summary = match &filters.q {
        Some(q) => format!("{} {noun} {} “{q}”", data.total, if data.total == 1 { "matches" } else { "match" }),
        None => format!("{} {noun}", data.total),
    };
    view! {
        <div class="space-y-4">
            <p class="text-sm text-slate-500" data-testid="library-count">
                <span class="font-medium text-slate-700">{summary}</span>
                {(data.pages > 1).then(|| format!(" · showing {first}–{last}"))}
            </p>
            <ul class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4" data-testid="library-grid">
                {data.cards.into_iter().map(|c| view! { <Card card=c /> }).collect_view()}
            </ul>
            <Pager page=data.page pages=data.pages filters />
        </div>
    }
    .into_any()
}

fn no_matches(filters: &Filters) -> impl IntoView {
    let tab = filters.tab().map(|s| filter_label(Some(s)));
    let (heading, body, href, cta) = match &filters.q {
        Some(q) => (
            format!("No drafts match “{q}”"),
            format!(
                "{}Search looks for the start of every word in titles, ideas and each platform's text. Try fewer or shorter words.",
                tab.map(|t| format!("Nothing under {t} matches. ")).unwrap_or_default()
            ),
            Filters { q: None, ..filters.clone() }.href(1),
            "Clear search",
        ),
        None => (
            format!("Nothing under {} yet", tab.unwrap_or("All")),
            "Drafts move here as their status changes.".to_string(),
            "/library".to_string(),
            "Show all drafts",
        ),
    };
    view! {
        <section class="rounded-2xl border-2 border-dashed border-slate-200 bg-white px-6 py-14 text-center" data-testid="library-no-results">
            <div class="mx-auto flex h-12 w-12 items-center justify-center rounded-full bg-slate-100 text-slate-500" aria-hidden="true">
                <svg class="h-5 w-5" fill="none" viewBox="0 0 24 24" stroke="currentColor" stroke-width="2">
                    <path stroke-linecap="round" stroke-linejoin="round" d="M21 21l-4.35-4.35M17 11A6 6 0 115 11a6 6 0 0112 0z"></path>
                </svg>
            </div>
            <h2 class="mt-4 text-base font-semibold text-slate-900">{heading}</h2>
            <p class="mx-auto mt-2 max-w-md text-sm text-slate-600">{body}</p>
            <div class="mt-6 flex flex-wrap items-center justify-center gap-3">
                <a href=href class="inline-flex rounded-lg border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-700 shadow-sm hover:bg-slate-50">{cta}</a>
                {(tab.is_some() && filters.q.is_some()).then(|| view! {
                    <a href=filters.with_status("all").href(1) class="text-sm font-semibold text-indigo-600 hover:underline">"Search all drafts"</a>
                })}
            </div>
        </section>
    }
}

#[component]
fn Card(card: LibraryCard) -> impl IntoView {
    let item = card.item;
    let platforms: Vec<PlatformId> = item.platforms.iter().filter_map(|c| PlatformId::parse(&c.platform).ok()).collect();
    let (badge, badge_cls) = crate::components::badge(item.status);
    let chips = item
        .platforms
        .iter()
        .filter_map(|c| PlatformId::parse(&c.platform).ok().map(|p| (p, c.status)))
        .map(|(p, status)| {
            let info = platform_info(p);
            let letter = info.display_name.chars().next().unwrap_or('?').to_string();
            let label = format!("{}: {}", info.display_name, status.label());
            view! {
                <li
                    class=format!("inline-flex items-center gap-1 rounded-full bg-white py-0.5 pl-0.5 pr-2 text-[11px] font-medium text-slate-700 ring-1 {}", chip_ring(status))
                    title=label.clone()
                    aria-label=label
                    data-platform=p.as_str()
                >
                    <span class="inline-flex h-4 w-4 items-center justify-center rounded-full text-[9px] font-bold text-white" style=format!("background-color: {}", info.brand_color) aria-hidden="true">
                        {letter}
                    </span>
                    <span aria-hidden="true">{p.short_name()}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <li class="group relative" data-testid="library-card">
            <a
                href=format!("/editor?draft={}", item.id)
                class="flex h-full flex-col overflow-hidden rounded-2xl border border-slate-200 bg-white shadow-sm transition hover:-translate-y-0.5 hover:border-slate-300 hover:shadow-md focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2"
            >
                <div class="relative aspect-[16/9] overflow-hidden bg-slate-100">
                    {match item.thumbnail_url.clone() {
                        Some(src) => view! { <img src=src alt="" loading="lazy" class="h-full w-full object-cover transition duration-300 group-hover:scale-[1.02]" /> }.into_any(),
                        None => placeholder(&platforms, &item.title).into_any(),
                    }}
                    <span class=format!("absolute left-3 top-3 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset backdrop-blur {badge_cls}") data-testid="status">
                        {badge}
                    </span>
                    {item.image_generated.then(|| view! {
                        <span class="absolute right-3 top-3 rounded-full bg-slate-900/70 px-2 py-0.5 text-[11px] font-medium text-white">"AI image"</span>
                    })}
                </div>
                <div class="flex flex-1 flex-col p-4">
                    <h3 class="line-clamp-2 font-semibold text-slate-900">{item.title.clone()}</h3>
                    <p class="mt-1 line-clamp-3 flex-1 text-sm text-slate-600">{item.excerpt.clone()}</p>
                    <ul class="mt-3 flex flex-wrap gap-1.5" aria-label="Platforms">
                        {chips}
                        {platforms.is_empty().then(|| view! { <li class="text-[11px] text-slate-400">"No platforms yet"</li> })}
                    </ul>
                    <p class="mt-3 border-t border-slate-100 pt-3 text-xs text-slate-500">{format!("Updated {}", card.updated)}</p>
                    // The row the buttons laid over the card's corner sit in.
                    <div class="h-9" aria-hidden="true"></div>
                </div>
            </a>
            // Siblings of the card's link (links cannot nest): the latest post's analytics, and
            // the editor's publish dialog.
            <div class="absolute bottom-3 right-3 flex items-center gap-1.5">
                {item.analytics_post_id.clone().map(|post| view! {
                    <a
                        href=format!("/dashboard/post/{post}")
                        class="rounded-lg border border-slate-300 bg-white px-2.5 py-1 text-xs font-semibold text-slate-700 shadow-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2"
                        aria-label=format!("Analytics for {}", item.title)
                        data-testid="card-analytics"
                    >
                        "Analytics"
                    </a>
                })}
                <a
                    href=format!("/editor?draft={}&publish=1", item.id)
                    class="rounded-lg bg-indigo-600 px-2.5 py-1 text-xs font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2"
                    aria-label=format!("Publish {}", item.title)
                >
                    "Publish"
                </a>
            </div>
        </li>
    }
}

/// The first two platforms' colours (the app's indigo and violet when there are none).
fn gradient(platforms: &[PlatformId]) -> (&'static str, &'static str) {
    let colors: Vec<&'static str> = platforms.iter().map(|p| platform_info(*p).brand_color).collect();
    match colors.as_slice() {
        [] => ("#6366F1", "#8B5CF6"),
        [one] => (*one, "#6366F1"),
        [one, two, ..] => (*one, *two),
    }
}

/// No image yet: the draft's platforms' colours behind its initial.
fn placeholder(platforms: &[PlatformId], title: &str) -> impl IntoView {
    let (a, b) = gradient(platforms);
    let initial = title.chars().find(|c| c.is_alphanumeric()).map(|c| c.to_uppercase().to_string()).unwrap_or_else(|| "✦".into());
    view! {
        <div
            class="flex h-full w-full items-center justify-center"
            style=format!("background-image: linear-gradient(135deg, {a}33, {b}55)")
            data-testid="thumb-placeholder"
            aria-hidden="true"
        >
            <span class="flex h-14 w-14 items-center justify-center rounded-2xl bg-white/80 text-2xl font-bold text-slate-700 shadow-sm">{initial}</span>
        </div>
    }
}

#[component]
fn Pager(page: u32, pages: u32, filters: Filters) -> impl IntoView {
    (pages > 1).then(|| {
        let link = "rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50";
        let off = "rounded-lg border border-slate-200 px-3 py-1.5 text-sm font-medium text-slate-300";
        view! {
            <nav aria-label="Pages" class="flex items-center justify-between gap-3 pt-2" data-testid="library-pager">
                {if page > 1 {
                    view! { <a href=filters.href(page - 1) rel="prev" class=link>"← Previous"</a> }.into_any()
                } else {
                    view! { <span class=off aria-disabled="true">"← Previous"</span> }.into_any()
                }}
                <p class="text-sm text-slate-600">{format!("Page {page} of {pages}")}</p>
                {if page < pages {
                    view! { <a href=filters.href(page + 1) rel="next" class=link>"Next →"</a> }.into_any()
                } else {
                    view! { <span class=off aria-disabled="true">"Next →"</span> }.into_any()
                }}
            </nav>
        }
    })
}

#[component]
fn Skeleton() -> impl IntoView {
    view! {
        <ul class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4" aria-busy="true" aria-label="Loading drafts">
            {(0..8).map(|_| view! {
                <li class="animate-pulse overflow-hidden rounded-2xl border border-slate-200 bg-white">
                    <div class="aspect-[16/9] bg-slate-100"></div>
                    <div class="space-y-2 p-4">
                        <div class="h-4 w-3/4 rounded bg-slate-200"></div>
                        <div class="h-3 w-full rounded bg-slate-100"></div>
                        <div class="h-3 w-5/6 rounded bg-slate-100"></div>
                        <div class="flex gap-1.5 pt-2">
                            <div class="h-4 w-14 rounded-full bg-slate-100"></div>
                            <div class="h-4 w-14 rounded-full bg-slate-100"></div>
                        </div>
                    </div>
                </li>
            }).collect_view()}
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filters() {
        let f = Filters { status: Some("ready".into()), q: Some("launch day & more".into()) };
        assert_eq!(f.href(2), "/library?status=ready&q=launch%20day%20%26%20more&page=2");
        assert_eq!(f.with_status("all").href(1), "/library?q=launch%20day%20%26%20more");
        assert_eq!(Filters::default().href(1), "/library");
        assert_eq!(encode("café"), "caf%C3%A9");
    }
}
