//! The per-platform table and the period's best posts.

use super::*;

#[component]
pub(super) fn PlatformTable(rows: Vec<PlatformRow>) -> impl IntoView {
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
pub(super) fn TopPosts(posts: Vec<TopPost>) -> impl IntoView {
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
