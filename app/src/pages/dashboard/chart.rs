//! The engagement chart: metric tabs, round gridlines and server-rendered SVG bars or a line
//! that show a guide and a value box on hover or keyboard focus once hydrated.

use super::*;

/// Chart metric tabs: links, so they work before hydration too.
#[component]
pub(super) fn MetricTabs(metric: Signal<Metric>, #[prop(into)] base: String) -> impl IntoView {
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
pub(super) struct Point {
    pub(super) axis: String,
    pub(super) label: String,
    pub(super) value: Option<i64>,
    pub(super) details: Vec<(&'static str, String)>,
}

pub(super) fn day_points(series: &[DayPoint], m: Metric) -> Vec<Point> {
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
pub(super) fn nice_step(max: i64) -> i64 {
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
pub(super) fn f(v: f64) -> String {
    format!("{v:.1}")
}

pub(super) const W: f64 = 720.0;
pub(super) const H: f64 = 240.0;
pub(super) const PAD_L: f64 = 52.0;
pub(super) const PAD_R: f64 = 12.0;
pub(super) const PAD_T: f64 = 12.0;
pub(super) const PAD_B: f64 = 28.0;

/// Server-rendered SVG bars (or a line) with gridlines; after hydration a guide and a value
/// box follow the pointer or the keyboard focus.
#[component]
pub(super) fn Chart(points: Vec<Point>, #[prop(into)] label: String, line: bool, #[prop(into)] empty: String) -> impl IntoView {
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
