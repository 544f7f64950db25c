//! Dashboard (seed 004 §1: the default view after sign-in) and per-post analytics.
//!
//! The period and platform live in the URL (`?range=7d|30d|90d` or `?from=&to=`, and
//! `?platform=`), set by plain links and a GET form, so the page works without JavaScript;
//! `?metric=` picks what the chart draws. Charts are SVG rendered on the server; once
//! hydrated, each bar or point shows a guide and a value box on hover or keyboard focus.

use super::app::{AppShell, EmptyState};
use crate::analytics_api::{dashboard_data, load_post_analytics, DashboardView, PlatformOption, RefreshPostMetrics};
use crate::components::{error_text, toast, CsrfField, Spinner};
use covalynce::analytics::{
    format_change, format_change_pts, format_compact, format_count, format_rate, Change, DayPoint, Overview, PlatformRow, PostAnalytics,
    PostSeries, RangeInfo, RateChange, TopPost, Totals, RANGES,
};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

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
                                {error_text(&e)}
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

/// The change badge: green up, red down, grey when there is nothing to compare with.
fn badge(change: Option<(String, &'static str)>, has_value: bool) -> impl IntoView {
    let (text, cls) = match change {
        Some((t, "up")) => (t, "bg-emerald-50 text-emerald-700 ring-emerald-600/20"),
        Some((t, "down")) => (t, "bg-rose-50 text-rose-700 ring-rose-600/20"),
        Some((t, _)) => (t, "bg-slate-50 text-slate-600 ring-slate-500/20"),
        None if has_value => ("new".to_string(), "bg-sky-50 text-sky-700 ring-sky-600/20"),
        None => return ().into_any(),
    };
    let dir = if text.starts_with('▲') {
        "up"
    } else if text.starts_with('▼') {
        "down"
    } else {
        "flat"
    };
    view! {
        <span class=format!("inline-flex shrink-0 items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {cls}") data-testid="change" data-direction=dir>
            {text}
        </span>
    }
    .into_any()
}

#[component]
fn Cards(overview: Overview) -> impl IntoView {
    let count_card = |label: &'static str, testid: &'static str, c: Change, missing: &'static str| {
        let has = c.current.is_some_and(|v| v != 0);
        let sub = match (c.current, c.previous) {
            (None, _) => missing.to_string(),
            (_, Some(p)) => format!("vs {} before", format_count(Some(p))),
            (_, None) => "nothing before".to_string(),
        };
        card(label, testid, format_count(c.current), badge(format_change(c.change_pct), has).into_any(), sub)
    };
    let rate = |r: RateChange| {
        let sub = match (r.current, r.previous) {
            (None, _) => "needs views".to_string(),
            (_, Some(p)) => format!("vs {} before", format_rate(Some(p))),
            (_, None) => "nothing before".to_string(),
        };
        card(
            "Engagement rate",
            "card-rate",
            format_rate(r.current),
            badge(format_change_pts(r.change_pts), r.current.is_some()).into_any(),
            sub,
        )
    };
    view! {
        <div class="grid grid-cols-2 gap-4 md:grid-cols-3 xl:grid-cols-5" data-testid="overview-cards">
            {count_card("Views", "card-views", overview.views, "no data yet")}
            {count_card("Likes", "card-likes", overview.likes, "no data yet")}
            {count_card("Comments", "card-comments", overview.comments, "no data yet")}
            {count_card("Followers", "card-followers", overview.followers, "no counts yet")}
            {rate(overview.engagement_rate)}
        </div>
    }
}

fn card(label: &'static str, testid: &'static str, value: String, badge: AnyView, sub: String) -> impl IntoView {
    let muted = value == "—";
    let hint = sub.clone();
    view! {
        <div class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm" data-testid=testid>
            <p class="truncate text-sm text-slate-500">{label}</p>
            <p class=if muted { "mt-2 text-2xl font-semibold text-slate-300" } else { "mt-2 text-2xl font-semibold tabular-nums text-slate-900" } data-testid="value">
                {value}
            </p>
            <div class="mt-1 flex min-w-0 items-center gap-1.5">
                {badge}
                <p class="truncate text-xs text-slate-500" title=hint>{sub}</p>
            </div>
        </div>
    }
}

/// Chart metric tabs: links, so they work before hydration too.
#[component]
fn MetricTabs(metric: Signal<Metric>, #[prop(into)] base: String) -> impl IntoView {
    let sep = if base.contains('?') { '&' } else { '?' };
    view! {
        <nav aria-label="Chart metric" class="flex gap-0.5 rounded-lg bg-slate-100 p-0.5 text-xs">
            {Metric::ALL
                .into_iter()
                .map(|m| {
                    let href = format!("{base}{sep}metric={}", m.key());
                    view! {
                        <a
                            href=href
                            aria-current=move || (metric.get() == m).then_some("true")
                            class=move || if metric.get() == m {
                                "rounded-md bg-white px-2 py-1 font-semibold text-slate-900 shadow-sm"
                            } else {
                                "rounded-md px-2 py-1 font-medium text-slate-600 hover:text-slate-900"
                            }
                        >
                            {m.label()}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// One bar or point: its value, its axis label and what the value box lists.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    axis: String,
    label: String,
    value: Option<i64>,
    details: Vec<(&'static str, String)>,
}

fn day_points(series: &[DayPoint], m: Metric) -> Vec<Point> {
    series
        .iter()
        .map(|d| Point {
            axis: d.label.clone(),
            label: d.label.clone(),
            value: m.of_day(d),
            details: vec![
                ("Views", format_count(d.views)),
                ("Likes", format_count(d.likes)),
                ("Comments", format_count(d.comments)),
                ("Shares", format_count(d.shares)),
                ("Engagement rate", format_rate(d.engagement_rate)),
            ],
        })
        .collect()
}

/// A round gridline step (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10ⁿ, whole numbers only) so four
/// of them reach `max` without wasting much of the chart's height.
fn nice_step(max: i64) -> i64 {
    let raw = (max as f64 / 4.0).max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|c| *c >= raw && c.fract() == 0.0)
        .map(|c| c as i64)
        .unwrap_or((10.0 * p) as i64)
        .max(1)
}

/// SVG coordinates with one decimal (short markup, and the same text on server and browser).
fn f(v: f64) -> String {
    format!("{v:.1}")
}

const W: f64 = 720.0;
const H: f64 = 240.0;
const PAD_L: f64 = 52.0;
const PAD_R: f64 = 12.0;
const PAD_T: f64 = 12.0;
const PAD_B: f64 = 28.0;

/// Server-rendered SVG bars (or a line) with gridlines; after hydration a guide and a value
/// box follow the pointer or the keyboard focus.
#[component]
fn Chart(points: Vec<Point>, #[prop(into)] label: String, line: bool, #[prop(into)] empty: String) -> impl IntoView {
    let n = points.len().max(1);
    let values: Vec<i64> = points.iter().filter_map(|p| p.value).collect();
    let nothing = values.iter().all(|v| *v == 0);
    let step = nice_step(values.iter().copied().max().unwrap_or(0).max(0));
    let below = values.iter().copied().min().unwrap_or(0).min(0);
    let neg_steps = if below < 0 { (-below + step - 1) / step } else { 0 };
    let (top, bottom) = (step * 4, -neg_steps * step);
    let plot_w = W - PAD_L - PAD_R;
    let plot_h = H - PAD_T - PAD_B;
    let y = move |v: i64| PAD_T + (top - v) as f64 / (top - bottom) as f64 * plot_h;
    let slot = plot_w / n as f64;
    let cx = move |i: usize| PAD_L + slot * (i as f64 + 0.5);
    let hovered = RwSignal::new(None::<usize>);

    let grid = (0..=(4 + neg_steps))
        .map(|k| {
            let v = top - k * step;
            let gy = y(v);
            view! {
                <line x1=f(PAD_L) x2=f(W - PAD_R) y1=f(gy) y2=f(gy) stroke=if v == 0 { "#cbd5e1" } else { "#f1f5f9" } stroke-width="1"></line>
                <text x=f(PAD_L - 8.0) y=f(gy + 4.0) text-anchor="end" font-size="11" fill="#94a3b8">{format_compact(v)}</text>
            }
        })
        .collect_view();
    // At most about eight axis labels, evenly spaced.
    let every = n.div_ceil(8).max(1);
    let axis = points
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, p)| view! { <text x=f(cx(i)) y=f(H - 8.0) text-anchor="middle" font-size="11" fill="#64748b">{p.axis.clone()}</text> })
        .collect_view();
    let line_path = line.then(|| {
        let mut d = String::new();
        let mut pen_down = false;
        for (i, p) in points.iter().enumerate() {
            match p.value {
                Some(v) => {
                    d.push_str(&format!("{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, cx(i), y(v)));
                    pen_down = true;
                }
                // A pull that did not report it breaks the line: missing is not zero.
                None => pen_down = false,
            }
        }
        view! { <path d=d fill="none" stroke="#6366f1" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"></path> }
    });
    let marks = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let aria = format!("{}: {} {}", p.label, format_count(p.value), label.to_lowercase());
            let x = cx(i);
            let mark = match (p.value, line) {
                (Some(v), false) => {
                    let bw = (slot * 0.64).max(1.5);
                    let (y0, y1) = (y(v.max(0)), y(v.min(0)));
                    view! {
                        <rect
                            x=f(x - bw / 2.0)
                            y=f(y0)
                            width=f(bw)
                            height=f((y1 - y0).max(if v == 0 { 0.0 } else { 1.0 }))
                            rx="3"
                            class=move || if hovered.get() == Some(i) { "fill-indigo-600" } else { "fill-indigo-400" }
                        ></rect>
                    }
                    .into_any()
                }
                (Some(v), true) => view! {
                    <circle cx=f(x) cy=f(y(v)) r=move || if hovered.get() == Some(i) { "5.5" } else { "3.5" } class="fill-white stroke-indigo-500" stroke-width="2"></circle>
                }
                .into_any(),
                (None, _) => ().into_any(),
            };
            view! {
                <g
                    tabindex="0"
                    role="img"
                    aria-label=aria
                    class="cursor-default outline-none"
                    data-testid="chart-point"
                    on:mouseenter=move |_| hovered.set(Some(i))
                    on:mouseleave=move |_| hovered.set(None)
                    on:focus=move |_| hovered.set(Some(i))
                    on:blur=move |_| hovered.set(None)
                >
                    <rect x=f(x - slot / 2.0) y=f(PAD_T) width=f(slot) height=f(plot_h) fill="transparent"></rect>
                    {mark}
                </g>
            }
        })
        .collect_view();
    let pts = StoredValue::new(points);
    let guide = move || {
        hovered.get().map(|i| {
            let x = cx(i);
            view! { <line x1=f(x) x2=f(x) y1=f(PAD_T) y2=f(H - PAD_B) stroke="#94a3b8" stroke-width="1" stroke-dasharray="4 3" pointer-events="none" data-testid="chart-guide"></line> }
        })
    };
    let tooltip = move || {
        hovered.get().and_then(|i| {
            pts.with_value(|ps| ps.get(i).cloned()).map(|p| {
                let pct = cx(i) / W * 100.0;
                // Beside the guide, on the side with room.
                let shift = if pct > 60.0 { "calc(-100% - 10px)" } else { "10px" };
                view! {
                    <div
                        class="pointer-events-none absolute top-0 z-10 min-w-48 rounded-lg border border-slate-200 bg-white/95 px-3 py-2 text-xs shadow-lg backdrop-blur"
                        style=format!("left: {pct:.2}%; transform: translateX({shift})")
                        role="status"
                        data-testid="chart-tooltip"
                    >
                        <p class="font-semibold text-slate-900">{p.label.clone()}</p>
                        <p class="mt-0.5 text-base font-semibold tabular-nums text-indigo-600">{format_count(p.value)}</p>
                        <dl class="mt-1 space-y-0.5 text-slate-600">
                            {p.details.into_iter().map(|(k, v)| view! {
                                <div class="flex justify-between gap-4 whitespace-nowrap"><dt>{k}</dt><dd class="tabular-nums text-slate-900">{v}</dd></div>
                            }).collect_view()}
                        </dl>
                    </div>
                }
            })
        })
    };
    view! {
        <div class="relative" data-testid="engagement-chart">
            <svg viewBox=format!("0 0 {W} {H}") class="block h-auto w-full select-none" role="group" aria-label=label.clone()>
                {grid}
                {axis}
                {guide}
                {line_path}
                {marks}
            </svg>
            {nothing.then(|| view! {
                <p class="pointer-events-none absolute inset-0 flex items-center justify-center px-8 text-center text-sm text-slate-500">{empty.clone()}</p>
            })}
            {tooltip}
        </div>
    }
}

#[component]
fn PlatformTable(rows: Vec<PlatformRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="px-5 py-8 text-center text-sm text-slate-500">"No platform had activity in this period."</p> }.into_any();
    }
    let most = rows.iter().map(|r| r.likes.unwrap_or(0) + r.comments.unwrap_or(0) + r.shares.unwrap_or(0)).max().unwrap_or(0).max(1);
    let th = "px-2 py-2 text-right text-xs font-medium uppercase tracking-wide text-slate-500";
    view! {
        <div class="overflow-x-auto">
            <table class="min-w-full text-sm" data-testid="platform-table">
                <thead>
                    <tr class="border-b border-slate-100">
                        <th scope="col" class="px-4 py-2 text-left text-xs font-medium uppercase tracking-wide text-slate-500">"Platform"</th>
                        <th scope="col" class=th>"Posts"</th>
                        <th scope="col" class=th>"Views"</th>
                        <th scope="col" class=th>"Likes"</th>
                        <th scope="col" class=th>"Comments"</th>
                        <th scope="col" class=th>"Shares"</th>
                        <th scope="col" class=format!("{th} pr-4")>"Rate"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {rows.into_iter().map(|r| {
                        let eng = r.likes.unwrap_or(0) + r.comments.unwrap_or(0) + r.shares.unwrap_or(0);
                        let width = (eng as f64 / most as f64 * 100.0).clamp(0.0, 100.0);
                        let td = |v: Option<i64>| {
                            let missing = v.is_none();
                            view! {
                                <td class=if missing { "px-2 py-3 text-right text-slate-300" } else { "px-2 py-3 text-right tabular-nums text-slate-700" }
                                    title=missing.then(|| format!("{} does not report this", r.name))>
                                    {format_count(v)}
                                </td>
                            }
                        };
                        view! {
                            <tr data-platform=r.platform.clone()>
                                <td class="px-4 py-3">
                                    <div class="flex items-center gap-2">
                                        <span class="h-2.5 w-2.5 shrink-0 rounded-full" style=format!("background-color: {}", r.brand_color) aria-hidden="true"></span>
                                        <span class="whitespace-nowrap font-medium text-slate-900">{r.name.clone()}</span>
                                    </div>
                                    <div class="mt-1.5 h-1 w-full max-w-40 rounded-full bg-slate-100" aria-hidden="true">
                                        <div class="h-1 rounded-full" style=format!("width: {width:.1}%; background-color: {}", r.brand_color)></div>
                                    </div>
                                </td>
                                <td class="px-2 py-3 text-right tabular-nums text-slate-700">{format_count(Some(r.posts))}</td>
                                {td(r.views)}
                                {td(r.likes)}
                                {td(r.comments)}
                                {td(r.shares)}
                                <td class="px-2 py-3 pr-4 text-right tabular-nums text-slate-700">{format_rate(r.engagement_rate)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn TopPosts(posts: Vec<TopPost>) -> impl IntoView {
    if posts.is_empty() {
        return view! {
            <p class="px-5 py-8 text-center text-sm text-slate-500">"No post was published in this period. Widen the dates to see older ones."</p>
        }
        .into_any();
    }
    view! {
        <ol class="divide-y divide-slate-100" data-testid="top-posts">
            {posts.into_iter().enumerate().map(|(i, p)| view! {
                <li class="flex gap-3 px-5 py-3">
                    <span class="mt-0.5 flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-slate-100 text-xs font-semibold text-slate-600">{i + 1}</span>
                    <div class="min-w-0 flex-1">
                        <a href=format!("/dashboard/post/{}", p.id) class="line-clamp-2 text-sm font-medium text-slate-900 hover:text-indigo-600 hover:underline" data-testid="top-post-link">
                            {p.text.clone()}
                        </a>
                        <p class="mt-0.5 truncate text-xs text-slate-500">{format!("{} · {} · {}", p.platform_name, p.account_name, p.published_local)}</p>
                    </div>
                    <div class="shrink-0 text-right">
                        <p class="text-sm font-semibold tabular-nums text-slate-900" title="Likes + comments + shares">{format_count(Some(p.engagement))}</p>
                        <p class="text-xs tabular-nums text-slate-500">
                            {match p.views {
                                Some(v) => format!("{} views · {}", format_count(Some(v)), format_rate(p.engagement_rate)),
                                None => "no views reported".to_string(),
                            }}
                        </p>
                    </div>
                </li>
            }).collect_view()}
        </ol>
    }
    .into_any()
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

// ---- one post ---------------------------------------------------------------------------

#[component]
pub fn PostAnalyticsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let metric = Signal::derive(move || Metric::parse(query.read().get("metric").as_deref(), Metric::Views));
    let refresh = ServerAction::<RefreshPostMetrics>::new();
    // A finished refresh reloads the numbers.
    let data = Resource::new(move || (id(), refresh.version().get()), |(id, _)| load_post_analytics(id));
    Effect::new(move |_| match refresh.value().get() {
        Some(Ok(_)) => toast(false, "Numbers refreshed."),
        Some(Err(e)) => toast(true, error_text(&e)),
        None => {}
    });
    view! {
        <AppShell title="Post analytics">
            <div class="space-y-6">
                <a href="/dashboard" class=LINK>"← Dashboard"</a>
                <Suspense fallback=PostSkeleton>
                    {move || data.get().map(|r| match r {
                        Err(e) => view! {
                            <div role="alert" class="rounded-lg border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-800" data-testid="post-error">
                                {error_text(&e)}
                                " "
                                <a href="/dashboard" class="font-medium underline">"Back to the dashboard"</a>
                            </div>
                        }.into_any(),
                        Ok(p) => view! { <PostView data=p refresh metric /> }.into_any(),
                    })}
                </Suspense>
            </div>
        </AppShell>
    }
}

#[component]
fn PostView(data: PostAnalytics, refresh: ServerAction<RefreshPostMetrics>, metric: Signal<Metric>) -> impl IntoView {
    let id = data.post_id.clone();
    let form_id = id.clone();
    let tabs_base = format!("/dashboard/post/{id}");
    let pending = refresh.pending();
    let published = data.platforms.iter().any(|p| p.status == "posted");
    view! {
        <section class=format!("{CARD} p-5 sm:p-6")>
            <div class="flex flex-col gap-4 sm:flex-row sm:items-start sm:justify-between">
                <div class="min-w-0">
                    <p class="text-xs font-medium uppercase tracking-wide text-slate-500">"Post"</p>
                    <h2 class="mt-1 text-lg font-semibold text-slate-900" data-testid="post-text">{data.text.clone()}</h2>
                    <p class="mt-1 text-sm text-slate-500">
                        "Numbers are pulled by themselves: every 15 minutes on the first day, hourly in the first week, then daily. Times in "
                        {data.timezone.clone()}
                        "."
                    </p>
                </div>
                <div class="flex shrink-0 items-center gap-3">
                    <a href=format!("/api/v1/analytics/content/{id}/export.csv") class=LINK download data-testid="csv-post">"Download CSV"</a>
                    {published.then(|| view! {
                        <ActionForm action=refresh>
                            <CsrfField />
                            <input type="hidden" name="id" value=form_id />
                            <button
                                type="submit"
                                data-testid="refresh-now"
                                disabled=move || pending.get()
                                class="inline-flex items-center gap-2 rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2 disabled:cursor-wait disabled:opacity-70"
                            >
                                <Show when=move || pending.get()><Spinner /></Show>
                                {move || if pending.get() { "Refreshing…" } else { "Refresh now" }}
                            </button>
                        </ActionForm>
                    })}
                </div>
            </div>
        </section>
        <div class="flex items-center justify-between gap-3">
            <h3 class="text-base font-semibold text-slate-900">"Per platform, over time"</h3>
            <MetricTabs metric base=tabs_base />
        </div>
        {data.platforms.into_iter().map(|p| view! { <SeriesCard series=p metric /> }).collect_view()}
    }
}

#[component]
fn SeriesCard(series: PostSeries, metric: Signal<Metric>) -> impl IntoView {
    let s = series;
    let stat = |label: &'static str, v: Option<i64>, name: &str| {
        let missing = v.is_none();
        view! {
            <div title=missing.then(|| format!("{name} does not report {}", label.to_lowercase()))>
                <dt class="text-xs text-slate-500">{label}</dt>
                <dd class=if missing { "text-lg font-semibold text-slate-300" } else { "text-lg font-semibold tabular-nums text-slate-900" }>{format_count(v)}</dd>
            </div>
        }
    };
    let name = s.platform_name.clone();
    let (status_text, status_cls) = match s.status.as_str() {
        "posted" => ("Published", "bg-emerald-50 text-emerald-700 ring-emerald-600/20"),
        "failed" => ("Failed", "bg-rose-50 text-rose-700 ring-rose-600/20"),
        "pending" | "publishing" => ("Scheduled", "bg-amber-50 text-amber-800 ring-amber-600/20"),
        _ => ("Not published", "bg-slate-100 text-slate-700 ring-slate-500/20"),
    };
    let snapshots = s.snapshots.clone();
    // Pulls within one day are told apart by their time, longer spans by their date.
    let one_day = snapshots.first().zip(snapshots.last()).is_some_and(|(a, b)| a.label.get(..11) == b.label.get(..11));
    let chart = move || {
        let m = metric.get();
        if snapshots.is_empty() {
            return view! {
                <p class="rounded-xl bg-slate-50 px-4 py-10 text-center text-sm text-slate-500">"No numbers yet: they arrive with the first pull, or press Refresh now."</p>
            }
            .into_any();
        }
        if snapshots.iter().all(|p| m.of_totals(&p.metrics).is_none()) {
            return view! {
                <p class="rounded-xl bg-slate-50 px-4 py-10 text-center text-sm text-slate-500" data-testid="metric-missing">
                    {format!("{} does not report {}. Pick another metric above.", name, m.label().to_lowercase())}
                </p>
            }
            .into_any();
        }
        let points = snapshots
            .iter()
            .map(|p| {
                let t = &p.metrics;
                let mut parts = p.label.rsplitn(2, ' ');
                let time = parts.next().unwrap_or_default().to_string();
                let date = parts.next().unwrap_or_default().trim_end_matches(|c: char| c.is_ascii_digit()).trim().to_string();
                Point {
                    axis: if one_day { time } else { date },
                    label: p.label.clone(),
                    value: m.of_totals(t),
                    details: vec![
                        ("Views", format_count(t.views)),
                        ("Likes", format_count(t.likes)),
                        ("Comments", format_count(t.comments)),
                        ("Shares", format_count(t.shares)),
                        ("Engagement rate", format_rate(covalynce::analytics::engagement_rate(t.likes, t.comments, t.views))),
                    ],
                }
            })
            .collect();
        view! { <Chart points label=m.label() line=true empty="Nothing yet." /> }.into_any()
    };
    view! {
        <section class=format!("{CARD} p-5 sm:p-6") data-testid="post-series" data-platform=s.platform.clone()>
            <div class="flex flex-wrap items-center justify-between gap-3">
                <div class="flex items-center gap-2">
                    <span class="h-3 w-3 rounded-full" style=format!("background-color: {}", s.brand_color) aria-hidden="true"></span>
                    <h4 class="font-semibold text-slate-900">{s.platform_name.clone()}</h4>
                    <span class="text-sm text-slate-500">{s.account_name.clone()}</span>
                    <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {status_cls}")>{status_text}</span>
                </div>
                <div class="flex items-center gap-3 text-sm text-slate-500">
                    {s.published_local.clone().map(|t| view! { <span>{format!("Published {t}")}</span> })}
                    {s.url.clone().map(|u| view! { <a href=u target="_blank" rel="noopener noreferrer" class=LINK>"View post ↗"</a> })}
                </div>
            </div>
            <dl class="mt-4 grid grid-cols-3 gap-4 sm:grid-cols-7">
                {stat("Views", s.latest.views, &s.platform_name)}
                {stat("Impressions", s.latest.impressions, &s.platform_name)}
                {stat("Likes", s.latest.likes, &s.platform_name)}
                {stat("Comments", s.latest.comments, &s.platform_name)}
                {stat("Shares", s.latest.shares, &s.platform_name)}
                {stat("Saves", s.latest.saves, &s.platform_name)}
                <div>
                    <dt class="text-xs text-slate-500">"Rate"</dt>
                    <dd
                        class=if s.engagement_rate.is_none() { "text-lg font-semibold text-slate-300" } else { "text-lg font-semibold tabular-nums text-slate-900" }
                        data-testid="post-rate"
                    >{format_rate(s.engagement_rate)}</dd>
                </div>
            </dl>
            <div class="mt-5">{chart}</div>
            <p class="mt-3 text-xs text-slate-500" data-testid="sync-status">
                {match (&s.last_synced_local, &s.next_sync_local) {
                    (Some(l), Some(n)) => format!("{} pulls · last {l} · next {n}", s.snapshot_count),
                    (Some(l), None) => format!("{} pulls · last {l} · no more automatic pulls", s.snapshot_count),
                    (None, Some(n)) => format!("First pull {n}"),
                    (None, None) => "Not pulled".to_string(),
                }}
            </p>
            {s.last_error.clone().map(|e| view! {
                <p class="mt-2 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-xs text-amber-900" role="status">{e}</p>
            })}
        </section>
    }
}

#[component]
fn PostSkeleton() -> impl IntoView {
    view! {
        <div class="space-y-6" aria-busy="true" aria-label="Loading the post's numbers">
            <div class=format!("{CARD} animate-pulse p-6")>
                <div class="h-3 w-12 rounded bg-slate-200"></div>
                <div class="mt-3 h-5 w-2/3 rounded bg-slate-200"></div>
                <div class="mt-2 h-3 w-1/2 rounded bg-slate-100"></div>
            </div>
            <div class=format!("{CARD} h-72 animate-pulse")></div>
        </div>
    }
}

#[cfg(test)]
mod tests;
