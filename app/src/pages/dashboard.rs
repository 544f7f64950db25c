//! Dashboard (seed 004 §1: the default view after sign-in) and per-post analytics.
//!
//! The period and platform live in the URL (`?range=7d|30d|90d` or `?from=&to=`, and
//! `?platform=`), set by plain links and a GET form, so the page works without JavaScript;
//! `?metric=` picks what the chart draws. Charts are SVG rendered on the server; once
//! hydrated, each bar or point shows a guide and a value box on hover or keyboard focus.

use super::app::{AppShell, EmptyState};
use crate::analytics_api::{dashboard_data, load_post_analytics, DashboardView, PlatformOption, RefreshPostMetrics};
use crate::components::{toast, CsrfField, Spinner};
use covalynce::analytics::{
    format_change, format_change_pts, format_compact, format_count, format_rate, Change, DayPoint, Overview, PlatformRow, PostAnalytics,
    PostSeries, RangeInfo, RateChange, TopPost, Totals, RANGES,
};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

mod cards;
mod chart;
mod post;
mod tables;
use cards::Cards;
use chart::{day_points, Chart, MetricTabs};
pub use post::PostAnalyticsPage;
use tables::{PlatformTable, TopPosts};

const CARD: &str = "rounded-2xl border border-slate-200 bg-white shadow-sm";
const LINK: &str = "inline-flex items-center gap-1 text-sm font-medium text-indigo-600 hover:text-indigo-500 hover:underline";

/// What the chart draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Engagement,
    Views,
    Likes,
    Comments,
    Shares,
}

impl Metric {
    const ALL: [Metric; 5] = [Metric::Engagement, Metric::Views, Metric::Likes, Metric::Comments, Metric::Shares];

    fn key(self) -> &'static str {
        match self {
            Self::Engagement => "engagement",
            Self::Views => "views",
            Self::Likes => "likes",
            Self::Comments => "comments",
            Self::Shares => "shares",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Engagement => "Engagement",
            Self::Views => "Views",
            Self::Likes => "Likes",
            Self::Comments => "Comments",
            Self::Shares => "Shares",
        }
    }

    fn parse(raw: Option<&str>, default: Metric) -> Self {
        Self::ALL.into_iter().find(|m| Some(m.key()) == raw).unwrap_or(default)
    }

    fn of_day(self, d: &DayPoint) -> Option<i64> {
        match self {
            Self::Engagement => d.engagement(),
            Self::Views => d.views,
            Self::Likes => d.likes,
            Self::Comments => d.comments,
            Self::Shares => d.shares,
        }
    }

    fn of_totals(self, t: &Totals) -> Option<i64> {
        match self {
            Self::Engagement => covalynce::analytics::add(covalynce::analytics::add(t.likes, t.comments), t.shares),
            Self::Views => t.views,
            Self::Likes => t.likes,
            Self::Comments => t.comments,
            Self::Shares => t.shares,
        }
    }
}

/// Percent-encoding for a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `/dashboard?…` for a shortcut range, keeping the platform filter.
fn range_href(key: &str, platform: Option<&str>) -> String {
    match platform {
        Some(p) => format!("/dashboard?range={key}&platform={}", encode(p)),
        None => format!("/dashboard?range={key}"),
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let ctx = crate::components::page_ctx();
    let first = move || {
        ctx.get()
            .and_then(Result::ok)
            .and_then(|c| c.user)
            .map(|u| u.name.split_whitespace().next().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    let query = use_query_map();
    let params = move || {
        let m = query.read();
        let get = |k: &str| m.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        (get("range"), get("from"), get("to"), get("platform"))
    };
    // The metric only changes the drawing: it is not part of the data request.
    let metric = Signal::derive(move || Metric::parse(query.read().get("metric").as_deref(), Metric::Engagement));
    let data = Resource::new(params, |(range, from, to, platform)| dashboard_data(range, from, to, platform));
    view! {
        <AppShell title="Dashboard">
            <div class="space-y-6">
                <div>
                    <h2 class="text-2xl font-bold tracking-tight text-slate-900" data-testid="welcome">{move || format!("Welcome, {}!", first())}</h2>
                    <p class="mt-1 text-sm text-slate-600">"Here is how your posts are doing across every network."</p>
                </div>
                <Suspense fallback=DashboardSkeleton>
                    {move || data.get().map(|r| match r {
                        Err(e) => view! {
                            <div role="alert" class="rounded-lg border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-800" data-testid="dashboard-error">
                                {e.to_string()}
                                " "
                                <a href="/dashboard" class="font-medium underline">"Show the last 30 days"</a>
                            </div>
                        }.into_any(),
                        Ok(v) => view! { <Dashboard data=v metric /> }.into_any(),
                    })}
                </Suspense>
            </div>
        </AppShell>
    }
}

#[component]
fn Dashboard(data: DashboardView, metric: Signal<Metric>) -> impl IntoView {
    let s = data.stats;
    let r = s.range.clone();
    let q = data.query.clone();
    let csv = move |table: &str| format!("/api/v1/analytics/{table}/export.csv?{q}");
    let subtitle = format!("{} · compared with {}", data.range_label, data.previous_label);
    let body = if !s.has_connections {
        view! {
            <EmptyState
                heading="Connect an account to see your numbers"
                body="Views, likes, comments and followers from every network you publish to show up here, with charts over time."
                cta_href="/sources"
                cta="Connect an account"
            />
        }
        .into_any()
    } else if !s.has_posts {
        view! {
            <EmptyState
                heading="Nothing published yet"
                body="Your accounts are connected. Publish a post and its numbers arrive within minutes, then keep updating."
                cta_href="/editor"
                cta="Write your first post"
            />
        }
        .into_any()
    } else {
        view! {
            <section class=format!("{CARD} p-5 sm:p-6") aria-labelledby="chart-title">
                <div class="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
                    <div>
                        <h3 id="chart-title" class="text-base font-semibold text-slate-900">"Engagement over time"</h3>
                        <p class="text-sm text-slate-500">"What your posts gained each day."</p>
                    </div>
                    <div class="flex items-center gap-3">
                        <MetricTabs metric base=format!("/dashboard?{}", data.query) />
                        <a href=csv("trends") class=LINK download data-testid="csv-trends">"Download CSV"</a>
                    </div>
                </div>
                <div class="mt-4">
                    {
                        let series = s.series.clone();
                        move || {
                            let m = metric.get();
                            let points = day_points(&series, m);
                            view! { <Chart points label=format!("{} per day", m.label()) line=false empty="No engagement in this period yet. Numbers arrive as the sync pulls them." /> }
                        }
                    }
                </div>
            </section>
            <div class="grid gap-6 lg:grid-cols-5">
                <section class=format!("{CARD} lg:col-span-3") aria-labelledby="platforms-title">
                    <div class="flex items-center justify-between border-b border-slate-100 px-5 py-4">
                        <h3 id="platforms-title" class="text-base font-semibold text-slate-900">"By platform"</h3>
                        <a href=csv("engagement") class=LINK download data-testid="csv-platforms">"Download CSV"</a>
                    </div>
                    <PlatformTable rows=s.platforms.clone() />
                </section>
                <section class=format!("{CARD} lg:col-span-2") aria-labelledby="top-title">
                    <div class="flex items-center justify-between border-b border-slate-100 px-5 py-4">
                        <h3 id="top-title" class="text-base font-semibold text-slate-900">"Top posts"</h3>
                        <a href=csv("top-posts") class=LINK download data-testid="csv-top">"Download CSV"</a>
                    </div>
                    <TopPosts posts=s.top_posts.clone() />
                </section>
            </div>
        }
        .into_any()
    };
    view! {
        <Toolbar range=r.clone() platforms=data.platforms.clone() />
        <section aria-labelledby="overview-title" class="space-y-3">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h3 id="overview-title" class="text-sm font-medium text-slate-600" data-testid="range-label">{subtitle}</h3>
                {s.has_posts.then(|| view! { <a href=csv("overview") class=LINK download data-testid="csv-overview">"Download CSV"</a> })}
            </div>
            <Cards overview=s.overview.clone() />
        </section>
        {(!s.unavailable.is_empty()).then(|| view! {
            <section class="rounded-xl border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900" role="note" data-testid="unavailable">
                <h3 class="font-semibold">"Some numbers are not shared with Covalynce"</h3>
                <ul class="mt-1 space-y-1">
                    {s.unavailable.iter().map(|u| view! { <li><span class="font-medium">{u.platform.clone()}": "</span>{u.message.clone()}</li> }).collect_view()}
                </ul>
            </section>
        })}
        {body}
    }
}

/// Range shortcuts (links), then a GET form for custom dates and the platform.
#[component]
fn Toolbar(range: RangeInfo, platforms: Vec<PlatformOption>) -> impl IntoView {
    let platform = range.platform.clone();
    let shortcuts = RANGES
        .iter()
        .map(|(key, days)| {
            let active = range.key == *key;
            view! {
                <a
                    href=range_href(key, platform.as_deref())
                    aria-current=active.then_some("page")
                    class=if active {
                        "whitespace-nowrap rounded-lg bg-white px-3 py-1.5 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-slate-200"
                    } else {
                        "whitespace-nowrap rounded-lg px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-white/70 hover:text-slate-900"
                    }
                >
                    {format!("{days} days")}
                </a>
            }
        })
        .collect_view();
    let input = "block rounded-lg border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";
    let selected = range.platform.clone().unwrap_or_default();
    view! {
        <div class="flex flex-col gap-3 xl:flex-row xl:items-end xl:justify-between" data-testid="dashboard-toolbar">
            <nav aria-label="Period" class="flex gap-1 self-start rounded-xl bg-slate-100 p-1">
                {shortcuts}
                <span class=if range.key == "custom" {
                    "whitespace-nowrap rounded-lg bg-white px-3 py-1.5 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-slate-200"
                } else {
                    "hidden"
                }>"Custom"</span>
            </nav>
            <form method="get" action="/dashboard" class="flex flex-wrap items-end gap-3" data-testid="range-form">
                <div class="space-y-1">
                    <label for="d-from" class="block text-xs font-medium text-slate-600">"From"</label>
                    <input id="d-from" name="from" type="date" value=range.from.clone() max=range.to.clone() class=input />
                </div>
                <div class="space-y-1">
                    <label for="d-to" class="block text-xs font-medium text-slate-600">"To"</label>
                    <input id="d-to" name="to" type="date" value=range.to.clone() class=input />
                </div>
                <div class="space-y-1">
                    <label for="d-platform" class="block text-xs font-medium text-slate-600">"Platform"</label>
                    <select id="d-platform" name="platform" class=input>
                        <option value="" selected=selected.is_empty()>"All platforms"</option>
                        {platforms
                            .into_iter()
                            .map(|p| {
                                let sel = p.id == selected;
                                view! { <option value=p.id selected=sel>{p.name}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2">
                    "Apply"
                </button>
            </form>
        </div>
    }
}

#[component]
fn DashboardSkeleton() -> impl IntoView {
    view! {
        <div class="space-y-6" aria-busy="true" aria-label="Loading your numbers">
            <div class="h-9 w-72 animate-pulse rounded-xl bg-slate-100"></div>
            <div class="grid grid-cols-2 gap-4 md:grid-cols-3 xl:grid-cols-5">
                {(0..5).map(|_| view! {
                    <div class="animate-pulse rounded-xl border border-slate-200 bg-white p-5">
                        <div class="h-3 w-16 rounded bg-slate-200"></div>
                        <div class="mt-3 h-6 w-24 rounded bg-slate-200"></div>
                        <div class="mt-2 h-3 w-20 rounded bg-slate-100"></div>
                    </div>
                }).collect_view()}
            </div>
            <div class=format!("{CARD} animate-pulse p-6")>
                <div class="h-4 w-40 rounded bg-slate-200"></div>
                <div class="mt-6 flex h-48 items-end gap-2">
                    {[40, 65, 30, 80, 55, 90, 45, 70, 35, 60].map(|h| view! { <div class="flex-1 rounded-t bg-slate-100" style=format!("height: {h}%")></div> }).collect_view()}
                </div>
            </div>
            <div class="grid gap-6 lg:grid-cols-5">
                <div class=format!("{CARD} h-56 animate-pulse lg:col-span-3")></div>
                <div class=format!("{CARD} h-56 animate-pulse lg:col-span-2")></div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests;
