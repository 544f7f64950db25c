//! After a login that manages several accounts (Facebook Pages), the person ticks the ones to
//! connect. A plain form posting to `/sources/choose/{id}`, so it works without JavaScript;
//! already-connected accounts start ticked.

use super::app::AppShell;
use crate::components::{CsrfField, FlashBanner, Spinner};
use covalynce::domain::{Pick, PickAccount};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ChooseAccountsPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new_blocking(move || params.read().get("pick").unwrap_or_default(), crate::api::connect_pick);
    view! {
        <AppShell title="Choose accounts">
            <div class="mx-auto max-w-2xl space-y-6">
                <FlashBanner />
                <Suspense fallback=|| view! { <p class="flex items-center gap-2 text-sm text-slate-500"><Spinner />"Loading the accounts…"</p> }>
                    {move || data.get().map(|r| match r {
                        Err(e) => Either::Left(view! {
                            <section role="alert" class="rounded-2xl border border-rose-200 bg-rose-50 p-6 text-sm text-rose-800">
                                <p class="font-semibold">{e.to_string()}</p>
                                <a href="/sources" class="mt-4 inline-flex rounded-lg bg-indigo-600 px-4 py-2 font-semibold text-white hover:bg-indigo-500">"Back to Sources"</a>
                            </section>
                        }),
                        Ok(p) => Either::Right(view! { <Chooser pick=p /> }),
                    })}
                </Suspense>
            </div>
        </AppShell>
    }
}

#[component]
fn Chooser(pick: Pick) -> impl IntoView {
    let noun = covalynce::domain::accounts_noun(pick.platform);
    view! {
        <form method="post" action=format!("/sources/choose/{}", pick.id) class="space-y-5 rounded-2xl border border-slate-200 bg-white p-6 shadow-sm">
            <CsrfField />
            <div>
                <h2 class="text-base font-semibold text-slate-900">{format!("Which {noun} should Covalynce post to?")}</h2>
                <p class="mt-1 text-sm text-slate-600">
                    {format!("Your login offered {} {noun}. Only the ones you tick are connected; sign in again later to connect the others.", pick.accounts.len())}
                </p>
            </div>
            <fieldset>
                <legend class="sr-only">{noun.clone()}</legend>
                <ul class="divide-y divide-slate-100 rounded-xl border border-slate-200" data-testid="pick-list">
                    {pick.accounts.into_iter().map(|a| view! { <Candidate a /> }).collect_view()}
                </ul>
            </fieldset>
            <div class="flex flex-wrap items-center justify-end gap-3">
                <a href="/sources" class="rounded-lg px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100">"Cancel"</a>
                <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2">
                    {format!("Connect the ticked {noun}")}
                </button>
            </div>
        </form>
    }
}

#[component]
fn Candidate(a: PickAccount) -> impl IntoView {
    let id = format!("pick-{}", a.external_id);
    let label_for = id.clone();
    let initials = crate::components::initials(&a.display_name);
    view! {
        <li>
            <label for=label_for class="flex cursor-pointer items-center gap-3 px-4 py-3 hover:bg-slate-50">
                <input id=id type="checkbox" name="accounts" value=a.external_id.clone() checked=a.connected class="h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500" />
                <span class="inline-flex h-9 w-9 shrink-0 items-center justify-center rounded-full bg-slate-100 text-sm font-semibold text-slate-700" aria-hidden="true">{initials}</span>
                <span class="min-w-0 flex-1">
                    <span class="block truncate text-sm font-medium text-slate-900">{a.display_name.clone()}</span>
                    <span class="block truncate text-xs text-slate-500">{format!("@{}", a.username)}</span>
                </span>
                {a.connected.then(|| view! { <span class="rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700 ring-1 ring-inset ring-emerald-600/20">"Connected"</span> })}
            </label>
        </li>
    }
}
