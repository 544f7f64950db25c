//! One post's analytics: each publication's numbers over time, and "refresh now".

use super::chart::Point;
use super::*;

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
        Some(Err(e)) => toast(true, e.to_string()),
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
                                {e.to_string()}
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
pub(super) fn PostView(data: PostAnalytics, refresh: ServerAction<RefreshPostMetrics>, metric: Signal<Metric>) -> impl IntoView {
    let id = data.post_id.clone();
    let form_id = id.clone();
    let tabs_base = format!("/dashboard/post/{id}");
    let pending = refresh.pending();
    let published = data.platforms.iter().any(|p| p.status == covalynce::PostStatus::Posted);
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
pub(super) fn SeriesCard(series: PostSeries, metric: Signal<Metric>) -> impl IntoView {
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
    let (status_text, status_cls) = crate::components::badge(s.status);
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
pub(super) fn PostSkeleton() -> impl IntoView {
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
