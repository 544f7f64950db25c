//! The overview cards with their change badges.

use super::*;

/// The change badge: green up, red down, grey when there is nothing to compare with.
pub(super) fn badge(change: Option<(String, &'static str)>, has_value: bool) -> impl IntoView {
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
pub(super) fn Cards(overview: Overview) -> impl IntoView {
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

pub(super) fn card(label: &'static str, testid: &'static str, value: String, badge: AnyView, sub: String) -> impl IntoView {
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
