//! Sources: connected accounts (health, permissions, consent date) and the quick-connect
//! grid in the recommended order. Connecting opens a consent modal, driven by the
//! `?connect=<platform>` query so it works the same with and without JavaScript.

use super::app::{AppShell, EmptyState};
use crate::api::{ConnectionView, SourcesData};
use crate::components::{CsrfField, FlashBanner, Spinner};
use covalynce::domain::{catalog_in_order, platform_info, Difficulty, PlatformInfo};
use covalynce::{Health, PlatformId};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SourcesPage() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |_| crate::api::list_connections());
    let query = use_query_map();
    let connecting = move || query.read().get("connect").and_then(|p| PlatformId::parse(&p).ok());
    view! {
        <AppShell title="Sources">
            <div class="space-y-10">
                <FlashBanner />
                <Suspense fallback=|| view! { <p class="flex items-center gap-2 text-sm text-slate-500"><Spinner />"Loading your accounts…"</p> }>
                    {move || data.get().map(|r| match r {
                        Err(e) => Either::Left(view! { <p role="alert" class="text-sm text-rose-700">{e.to_string()}</p> }),
                        Ok(d) => Either::Right(view! { <ApiWarnings warnings=d.api_warnings.clone() /> <Connected data=d.clone() /> <Wizard data=d.clone() /> <QuickConnect data=d /> }),
                    })}
                </Suspense>
            </div>
            {move || connecting().map(|p| view! { <ConsentModal platform=p queue=query.read().get("queue").unwrap_or_default() /> })}
        </AppShell>
    }
}

/// A pinned platform API version is close to its sunset: say so before publishing breaks.
#[component]
fn ApiWarnings(warnings: Vec<String>) -> impl IntoView {
    (!warnings.is_empty()).then(|| {
        view! {
            <div role="status" class="rounded-xl border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
                <p class="font-medium">"A platform API version is about to be retired"</p>
                <ul class="mt-1 list-disc space-y-0.5 pl-5">
                    {warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                </ul>
            </div>
        }
    })
}

fn brand_dot(info: &PlatformInfo, size: &str) -> impl IntoView {
    let letter = info.display_name.chars().next().unwrap_or('?').to_string();
    view! {
        <span
            class=format!("{size} inline-flex shrink-0 items-center justify-center rounded-xl font-bold text-white")
            style=format!("background-color: {}", info.brand_color)
            aria-hidden="true"
        >
            {letter}
        </span>
    }
}

#[component]
fn Connected(data: SourcesData) -> impl IntoView {
    if data.connections.is_empty() {
        return Either::Left(view! {
            <EmptyState
                heading="No accounts connected yet"
                body="Pick a network below. You will see exactly what Covalynce may do before anything is connected, and you can withdraw consent at any time."
                cta_href="/sources?connect=x"
                cta="Connect your first account"
            />
        });
    }
    Either::Right(view! {
        <section aria-labelledby="connected-heading" class="space-y-4">
            <h2 id="connected-heading" class="text-base font-semibold text-slate-900">"Connected accounts"</h2>
            <ul class="grid gap-4 md:grid-cols-2 xl:grid-cols-3" data-testid="connected">
                {data.connections.into_iter().map(|c| view! { <ConnectionCard c /> }).collect_view()}
            </ul>
        </section>
    })
}

#[component]
fn ConnectionCard(c: ConnectionView) -> impl IntoView {
    let info = PlatformId::parse(&c.platform).map(platform_info).ok();
    let (label, cls) = crate::components::badge(c.health);
    let initials = crate::components::initials(&c.display_name);
    let platform_name = info.map(|i| i.display_name).unwrap_or("Unknown");
    let color = info.map(|i| i.brand_color).unwrap_or("#64748b");
    let scopes = c.scopes.clone();
    view! {
        <li class="flex flex-col rounded-2xl border border-slate-200 bg-white p-5 shadow-sm" data-testid=format!("card-{}", c.platform)>
            <div class="flex items-start gap-3">
                <span class="relative inline-flex h-11 w-11 shrink-0 items-center justify-center rounded-full bg-slate-100 text-sm font-semibold text-slate-700">
                    {initials}
                    <span class="absolute -bottom-0.5 -right-0.5 h-4 w-4 rounded-full ring-2 ring-white" style=format!("background-color: {color}") aria-hidden="true"></span>
                </span>
                <div class="min-w-0 flex-1">
                    <p class="truncate font-semibold text-slate-900">{c.display_name.clone()}</p>
                    <p class="truncate text-sm text-slate-500">{format!("@{} · {platform_name}", c.username)}</p>
                </div>
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {cls}") data-testid="health">{label}</span>
            </div>
            {c.last_error.clone().filter(|_| c.health == Health::ReconnectNeeded).map(|e| view! { <p class="mt-3 rounded-lg bg-rose-50 px-3 py-2 text-xs text-rose-800">{e}</p> })}
            <dl class="mt-4 grid grid-cols-2 gap-2 text-xs text-slate-500">
                <div><dt class="font-medium text-slate-700">"Consent given"</dt><dd>{c.consent_date.clone()}</dd></div>
                <div><dt class="font-medium text-slate-700">"Last used"</dt><dd>{c.last_used.clone()}</dd></div>
            </dl>
            <div class="mt-3 flex flex-wrap gap-1.5" aria-label="Permissions granted">
                {scopes.into_iter().map(|s| view! { <span class="rounded-md bg-slate-100 px-1.5 py-0.5 font-mono text-[11px] text-slate-600">{s}</span> }).collect_view()}
            </div>
            <CardDetails c=c.clone() />
            <div class="mt-5 flex flex-wrap gap-2 border-t border-slate-100 pt-4">
                {(c.health == Health::ReconnectNeeded).then(|| view! {
                    <a href=format!("/sources?connect={}", c.platform) class="rounded-lg bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500">"Reconnect"</a>
                })}
                <form method="post" action=format!("/sources/{}/refresh", c.id)>
                    <CsrfField />
                    <button type="submit" class="whitespace-nowrap rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50">"Refresh"</button>
                </form>
                <form method="post" action=format!("/sources/{}/revoke", c.id) class="ml-auto">
                    <CsrfField />
                    <button type="submit" class="whitespace-nowrap rounded-lg px-3 py-1.5 text-sm font-medium text-rose-700 hover:bg-rose-50" aria-label=format!("Revoke consent and disconnect {}", c.display_name)>"Disconnect"</button>
                </form>
            </div>
        </li>
    }
}

/// Permission inspector, troubleshooter and a live check, folded away (works without JS).
#[component]
fn CardDetails(c: ConnectionView) -> impl IntoView {
    let Ok(p) = PlatformId::parse(&c.platform) else { return Either::Left(()) };
    let info = platform_info(p);
    let granted = |scope: &str| p == PlatformId::Bluesky || c.scopes.iter().any(|g| g == scope);
    let rows = info
        .scopes
        .iter()
        .map(|s| {
            let ok = granted(s.scope);
            view! {
                <li class="flex items-start gap-2">
                    <span class=if ok { "text-emerald-600" } else if s.required { "text-rose-600" } else { "text-slate-400" } aria-hidden="true">{if ok { "✓" } else { "✗" }}</span>
                    <span>
                        <span class="font-medium text-slate-700">{s.title}</span>
                        {(!ok).then_some(if s.required { " — missing: reconnect and accept it" } else { " — not granted (optional)" })}
                    </span>
                </li>
            }
        })
        .collect_view();
    let diagnosis = c.last_error.as_deref().map(|e| covalynce::domain::diagnose(p, "", e));
    Either::Right(view! {
        <details class="mt-3 rounded-lg bg-slate-50 px-3 py-2 text-xs text-slate-600">
            <summary class="cursor-pointer font-medium text-slate-700">"Permissions and troubleshooting"</summary>
            <ul class="mt-2 space-y-1" aria-label="Permission inspector">{rows}</ul>
            {diagnosis.map(|d| view! {
                <div class="mt-3 rounded-md border border-rose-200 bg-white p-2" data-testid="diagnosis">
                    <p class="font-semibold text-rose-800">{format!("Likely cause: {} ({} severity)", d.issue_type.replace('_', " "), d.severity)}</p>
                    <ul class="mt-1 list-disc space-y-0.5 pl-4">{d.solutions.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                    <a href=d.docs_url class="mt-1 inline-block text-indigo-600 hover:underline" target="_blank" rel="noopener">"Platform documentation"</a>
                </div>
            })}
            <form method="post" action=format!("/sources/{}/validate", c.id) class="mt-3">
                <CsrfField />
                <button type="submit" class="rounded-md border border-slate-300 bg-white px-2 py-1 font-medium text-slate-700 hover:bg-slate-100">"Test the connection now"</button>
            </form>
        </details>
    })
}

/// Pick several platforms and connect them one after another.
#[component]
fn Wizard(data: SourcesData) -> impl IntoView {
    let options: Vec<&'static PlatformInfo> = catalog_in_order().filter(|i| data.configured.iter().any(|p| p == i.id.as_str())).collect();
    (options.len() > 1).then(|| view! {
        <details class="rounded-2xl border border-indigo-100 bg-indigo-50/60 px-5 py-4">
            <summary class="cursor-pointer text-sm font-semibold text-indigo-900">"Connect several platforms in one go"</summary>
            <form method="post" action="/sources/wizard" class="mt-3 space-y-3">
                <CsrfField />
                <p class="text-sm text-indigo-900/80">"Pick the platforms; we walk you through each consent screen in the recommended order."</p>
                <div class="flex flex-wrap gap-2">
                    {options.into_iter().map(|i| view! {
                        <label class="flex items-center gap-2 rounded-lg border border-indigo-200 bg-white px-3 py-1.5 text-sm text-slate-700">
                            <input type="checkbox" name="platforms" value=i.id.as_str() class="h-4 w-4 rounded border-slate-300 text-indigo-600" />
                            {i.display_name}
                        </label>
                    }).collect_view()}
                </div>
                <button type="submit" class="rounded-lg bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500">"Start the wizard"</button>
            </form>
        </details>
    })
}

#[component]
fn QuickConnect(data: SourcesData) -> impl IntoView {
    view! {
        <section aria-labelledby="connect-heading" class="space-y-4">
            <div>
                <h2 id="connect-heading" class="text-base font-semibold text-slate-900">"Connect a platform"</h2>
                <p class="text-sm text-slate-500">"In the order we recommend. You can connect several accounts per platform."</p>
            </div>
            <ul class="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
                {catalog_in_order().map(|info| {
                    let configured = data.configured.iter().any(|p| p == info.id.as_str());
                    let difficulty = match info.difficulty { Difficulty::Easy => "Easy", Difficulty::Medium => "Medium", Difficulty::Hard => "Hard" };
                    view! {
                        <li class="flex flex-col rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
                            <div class="flex items-center gap-3">
                                {brand_dot(info, "h-10 w-10")}
                                <div>
                                    <p class="font-semibold text-slate-900">{info.display_name}</p>
                                    <p class="text-xs text-slate-500">{format!("{difficulty} · about {} min", info.setup_minutes)}</p>
                                </div>
                            </div>
                            <ul class="mt-3 flex-1 space-y-1 text-xs text-slate-600">
                                {info.features.iter().take(3).map(|f| view! { <li class="flex gap-1.5"><span class="text-emerald-600" aria-hidden="true">"✓"</span>{*f}</li> }).collect_view()}
                            </ul>
                            {if configured {
                                Either::Left(view! {
                                    <a href=format!("/sources?connect={}", info.id.as_str()) class="mt-4 inline-flex justify-center rounded-lg bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2">
                                        {format!("Connect {}", info.display_name)}
                                    </a>
                                })
                            } else {
                                Either::Right(view! {
                                    <p class="mt-4 rounded-lg bg-slate-50 px-3 py-2 text-xs text-slate-500">
                                        {format!("Not set up on this server yet: an administrator sets {0}_CLIENT_ID and {0}_CLIENT_SECRET.", info.id.env_prefix())}
                                    </p>
                                })
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Every permission in plain words; the connect button waits for the consent tick.
#[component]
fn ConsentModal(platform: PlatformId, queue: String) -> impl IntoView {
    let ctx = crate::components::page_ctx();
    let demo = move || ctx.get().and_then(Result::ok).is_some_and(|c| c.demo);
    let next_up: Vec<&'static str> =
        queue.split(',').filter_map(|p| PlatformId::parse(p).ok()).map(|p| platform_info(p).display_name).collect();
    let info = platform_info(platform);
    let ticked = RwSignal::new(false);
    // Until hydration the button stays enabled (the server enforces consent for no-JS
    // browsers); afterwards it follows the checkbox.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let busy = RwSignal::new(false);
    let cta = if platform == PlatformId::Bluesky {
        "Connect with app password".to_string()
    } else {
        format!("Continue to {}", info.display_name)
    };
    view! {
        <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/50 p-4 sm:items-center" data-testid="consent-modal">
            <div role="dialog" aria-modal="true" aria-labelledby="consent-title" class="max-h-full w-full max-w-lg overflow-y-auto rounded-2xl bg-white shadow-2xl">
                <div class="flex items-center gap-3 border-b border-slate-100 px-6 py-4">
                    {brand_dot(info, "h-9 w-9")}
                    <h2 id="consent-title" class="text-lg font-semibold text-slate-900">{format!("Connect {}", info.display_name)}</h2>
                    <a href="/sources" class="ml-auto rounded-lg p-1 text-slate-400 hover:text-slate-600" aria-label="Close">"✕"</a>
                </div>
                <form method="post" action=format!("/sources/connect/{}", platform.as_str()) class="space-y-5 px-6 py-5" on:submit=move |_| busy.set(true)>
                    <CsrfField />
                    <input type="hidden" name="queue" value=queue.clone() />
                    {(!next_up.is_empty()).then(|| view! {
                        <p class="rounded-lg bg-indigo-50 px-3 py-2 text-xs text-indigo-900" data-testid="wizard-next">{format!("Wizard: after this, {}.", next_up.join(", then "))}</p>
                    })}
                    {(!info.requirements.is_empty()).then(|| view! {
                        <div>
                            <h3 class="text-sm font-semibold text-slate-900">"You will need"</h3>
                            <ul class="mt-1 list-disc space-y-0.5 pl-5 text-sm text-slate-600">
                                {info.requirements.iter().map(|r| view! { <li>{*r}</li> }).collect_view()}
                            </ul>
                        </div>
                    })}
                    <div>
                        <h3 class="text-sm font-semibold text-slate-900">"Covalynce will be allowed to"</h3>
                        {if info.scopes.is_empty() {
                            Either::Left(view! { <p class="mt-1 text-sm text-slate-600">"Post and read your posts' counts using an app password you create, which you can delete on Bluesky at any time."</p> })
                        } else {
                            Either::Right(view! {
                                <ul class="mt-2 space-y-2" data-testid="permissions">
                                    {info.scopes.iter().map(|s| view! {
                                        <li class="rounded-lg border border-slate-200 px-3 py-2">
                                            <p class="flex items-center gap-2 text-sm font-medium text-slate-800">
                                                {s.title}
                                                {(!s.required).then(|| view! { <span class="rounded bg-slate-100 px-1.5 text-[11px] font-normal text-slate-500">"optional"</span> })}
                                            </p>
                                            <p class="text-xs text-slate-600">{s.reason}</p>
                                            <p class="mt-0.5 font-mono text-[11px] text-slate-400">{s.scope}</p>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            })
                        }}
                    </div>
                    {(platform == PlatformId::Mastodon).then(|| view! {
                        <div class="space-y-1.5">
                            <label for="instance" class="block text-sm font-medium text-slate-700">"Your Mastodon server"</label>
                            <input id="instance" name="instance" placeholder="mastodon.social" class="block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30" />
                            <p class="text-xs text-slate-500">"Leave empty to use this server's default."</p>
                        </div>
                    })}
                    {move || (platform == PlatformId::Bluesky && demo()).then(|| view! {
                        <p class="rounded-lg bg-amber-100 px-3 py-2 text-xs text-amber-900">
                            "Demo: any handle works with the sandbox app password "
                            <code class="font-mono">"sand-box0-app0-pass"</code>
                            "."
                        </p>
                    })}
                    {(platform == PlatformId::Bluesky).then(|| view! {
                        <div class="grid gap-3 sm:grid-cols-2">
                            <div class="space-y-1.5">
                                <label for="identifier" class="block text-sm font-medium text-slate-700">"Handle"</label>
                                <input id="identifier" name="identifier" required placeholder="you.bsky.social" class="block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30" />
                            </div>
                            <div class="space-y-1.5">
                                <label for="app_password" class="block text-sm font-medium text-slate-700">"App password"</label>
                                <input id="app_password" name="app_password" type="password" required autocomplete="off" placeholder="xxxx-xxxx-xxxx-xxxx" class="block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30" />
                            </div>
                        </div>
                    })}
                    <label class="flex items-start gap-3 rounded-lg bg-indigo-50 px-3 py-3 text-sm text-slate-800">
                        <input type="checkbox" name="consent" id="consent" class="mt-0.5 h-4 w-4 rounded border-slate-300 text-indigo-600" on:change=move |ev| ticked.set(event_target_checked(&ev)) />
                        <span>{format!("I allow Covalynce to use these permissions on my {} account. I can revoke this at any time in Sources.", info.display_name)}</span>
                    </label>
                    <div class="flex justify-end gap-3">
                        <a href="/sources" class="rounded-lg px-4 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100">"Cancel"</a>
                        <button
                            type="submit"
                            disabled=move || (hydrated.get() && !ticked.get()) || busy.get()
                            class="inline-flex items-center gap-2 rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:cursor-not-allowed disabled:opacity-50"
                        >
                            <Show when=move || busy.get()><Spinner /></Show>
                            {cta}
                        </button>
                    </div>
                </form>
            </div>
        </div>
    }
}
