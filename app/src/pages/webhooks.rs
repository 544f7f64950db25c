//! Settings → Webhooks: register URLs for events, see each signing secret once, send a test,
//! and read the delivery log. Everything here is a server function call from the browser.

use crate::components::{csrf, toast, Spinner};
use crate::webhooks_api::{create_webhook, delete_webhook, test_webhook, webhook_deliveries, CreatedWebhook, DeliveryView, WebhookView};
use leptos::prelude::*;

const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";
const SECONDARY: &str = "inline-flex items-center gap-2 rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-60";

/// Each component's view is type-erased (`into_any`): the settings page nests every card in
/// one type, and without the boxes its debug-build render needs more stack than a thread has.
#[component]
pub fn WebhooksCard() -> impl IntoView {
    // Bumped after every change, so the list and the log reload together.
    let version = RwSignal::new(0u32);
    let hooks = Resource::new(move || version.get(), |_| crate::webhooks_api::list_webhooks());
    let created = RwSignal::new(None::<CreatedWebhook>);
    view! {
        <section id="webhooks" class="rounded-2xl border border-slate-200 bg-white shadow-sm" aria-labelledby="webhooks-title">
            <div class="border-b border-slate-100 px-6 py-4">
                <h2 id="webhooks-title" class="text-base font-semibold text-slate-900">"Webhooks"</h2>
                <p class="mt-0.5 text-sm text-slate-500">
                    "Get a signed POST at your own URL when posts are scheduled, published or fail, or an account needs reconnecting. Failed deliveries are retried with growing pauses."
                </p>
            </div>
            <div class="space-y-6 px-6 py-5">
                <Transition fallback=|| view! { <p class="flex items-center gap-2 text-sm text-slate-500"><Spinner />"Loading webhooks…"</p> }>
                    {move || hooks.get().map(|r| match r {
                        Err(e) => view! { <p role="alert" class="text-sm text-rose-700">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="rounded-xl border border-dashed border-slate-300 px-4 py-6 text-center text-sm text-slate-500" data-testid="webhooks-empty">
                                "No webhooks yet. Add a URL below and choose the events it should receive."
                            </p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="divide-y divide-slate-100" data-testid="webhooks">
                                {list.into_iter().map(|w| view! { <EndpointRow w version /> }).collect_view()}
                            </ul>
                        }.into_any(),
                    })}
                </Transition>
                {move || created.get().map(|c| view! { <SecretOnce created=c on_done=move || created.set(None) /> })}
                <AddForm version created />
                <DeliveryLog version />
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn EndpointRow(w: WebhookView, version: RwSignal<u32>) -> impl IntoView {
    let testing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let result = RwSignal::new(None::<(bool, String)>);
    let id = StoredValue::new(w.id.clone());
    let run_test = move |_| {
        testing.set(true);
        result.set(None);
        leptos::task::spawn_local(async move {
            result.set(Some(match test_webhook(csrf(), id.get_value()).await {
                Ok(d) if d.status == covalynce::DeliveryStatus::Delivered => (true, format!("Test delivered ({}).", d.result)),
                Ok(d) => (false, format!("Test failed: {}", d.result)),
                Err(e) => (false, e.to_string()),
            }));
            testing.set(false);
            version.update(|v| *v += 1);
        });
    };
    let remove = move |_| {
        deleting.set(true);
        leptos::task::spawn_local(async move {
            match delete_webhook(csrf(), id.get_value()).await {
                Ok(()) => {
                    toast(false, "Webhook deleted.");
                    version.update(|v| *v += 1);
                }
                Err(e) => toast(true, e.to_string()),
            }
            deleting.set(false);
            confirming.set(false);
        });
    };
    let url = w.url.clone();
    view! {
        <li class="flex flex-wrap items-start justify-between gap-3 py-3" data-testid="webhook">
            <div class="min-w-0 flex-1">
                <p class="break-all font-mono text-sm text-slate-900">{w.url.clone()}</p>
                <p class="mt-1 flex flex-wrap items-center gap-1.5 text-xs text-slate-500">
                    {w.events.iter().map(|e| view! { <span class="rounded-full bg-slate-100 px-2 py-0.5 font-medium text-slate-600">{e.clone()}</span> }).collect_view()}
                    <span>{format!("· added {}", w.added)}</span>
                </p>
                {move || result.get().map(|(ok, m)| view! {
                    <p role="status" data-testid="webhook-test-result" class=if ok { "mt-1 text-sm text-emerald-700" } else { "mt-1 text-sm text-rose-700" }>{m}</p>
                })}
            </div>
            <div class="flex shrink-0 items-center gap-2">
                <button type="button" class=SECONDARY on:click=run_test disabled=move || testing.get() aria-label=format!("Send a test to {url}")>
                    <Show when=move || testing.get()><Spinner /></Show>
                    "Send test"
                </button>
                <Show
                    when=move || confirming.get()
                    fallback=move || view! {
                        <button type="button" class=SECONDARY on:click=move |_| confirming.set(true)>"Delete"</button>
                    }
                >
                    <button type="button" on:click=remove disabled=move || deleting.get() class="inline-flex items-center gap-2 rounded-lg bg-rose-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-rose-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-rose-500 disabled:opacity-60">
                        <Show when=move || deleting.get()><Spinner /></Show>
                        "Confirm delete"
                    </button>
                    <button type="button" class=SECONDARY on:click=move |_| confirming.set(false)>"Cancel"</button>
                </Show>
            </div>
        </li>
    }
    .into_any()
}

/// The secret, once: a read-only field that selects itself for copying.
#[component]
fn SecretOnce(created: CreatedWebhook, on_done: impl Fn() + 'static) -> impl IntoView {
    let select_all = move |ev: leptos::ev::FocusEvent| event_target::<leptos::web_sys::HtmlInputElement>(&ev).select();
    view! {
        <div class="space-y-2 rounded-xl border border-amber-300 bg-amber-50 px-4 py-3" role="region" aria-labelledby="wh-secret-label" data-testid="webhook-secret">
            <label id="wh-secret-label" for="wh-secret" class="block text-sm font-semibold text-amber-900">
                {format!("Signing secret for {}", created.webhook.url)}
            </label>
            <input
                id="wh-secret"
                readonly=true
                value=created.secret.clone()
                class=format!("{INPUT} font-mono")
                on:focus=select_all
            />
            <p class="text-xs text-amber-900">
                "Copy it now: it is not shown again. Select the field and press Ctrl+C (⌘C on a Mac). Use it to check the X-Covalynce-Signature header of each request."
            </p>
            <button type="button" class=SECONDARY on:click=move |_| on_done()>"I have copied it"</button>
        </div>
    }
    .into_any()
}

#[component]
fn AddForm(version: RwSignal<u32>, created: RwSignal<Option<CreatedWebhook>>) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![covalynce::WebhookEvent::PostPublished.to_string(), covalynce::WebhookEvent::PostFailed.to_string()]);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match create_webhook(csrf(), url.get_untracked(), chosen.get_untracked().join(",")).await {
                Ok(c) => {
                    created.set(Some(c));
                    url.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <form on:submit=submit class="space-y-4 rounded-xl border border-slate-200 bg-slate-50/60 px-4 py-4" data-testid="webhook-form" novalidate>
            <div class="space-y-1.5">
                <label for="wh-url" class="block text-sm font-medium text-slate-700">"Endpoint URL"</label>
                <input
                    id="wh-url"
                    type="url"
                    inputmode="url"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="https://example.com/hooks/covalynce"
                    class=INPUT
                    prop:value=move || url.get()
                    on:input=move |ev| url.set(event_target_value(&ev))
                    aria-describedby="wh-url-help"
                    aria-invalid=move || error.get().is_some().to_string()
                />
                <p id="wh-url-help" class="text-xs text-slate-500">"A public http(s) address. Addresses inside private networks are refused."</p>
            </div>
            <fieldset>
                <legend class="text-sm font-medium text-slate-700">"Events"</legend>
                <div class="mt-2 grid gap-2 sm:grid-cols-2">
                    {covalynce::WebhookEvent::ALL.iter().map(|e| {
                        let (name, what) = (e.as_str().to_string(), e.label());
                        let id = format!("wh-ev-{}", name.replace('.', "-"));
                        let label_for = id.clone();
                        let n1 = name.clone();
                        let n2 = name.clone();
                        view! {
                            <label for=label_for class="flex cursor-pointer items-start gap-2 rounded-lg px-2 py-1.5 hover:bg-white">
                                <input
                                    id=id
                                    type="checkbox"
                                    class="mt-0.5 h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500"
                                    prop:checked=move || chosen.get().contains(&n1)
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| {
                                            c.retain(|e| e != &n2);
                                            if on {
                                                c.push(n2.clone());
                                            }
                                        });
                                    }
                                />
                                <span class="text-sm">
                                    <span class="font-mono text-slate-900">{name}</span>
                                    <span class="block text-xs text-slate-500">{what}</span>
                                </span>
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            {move || error.get().map(|m| view! { <p role="alert" class="text-sm text-rose-700" data-testid="webhook-error">{m}</p> })}
            <div class="flex justify-end">
                <button type="submit" disabled=move || busy.get() class="inline-flex items-center gap-2 rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2 disabled:opacity-70">
                    <Show when=move || busy.get()><Spinner /></Show>
                    "Add webhook"
                </button>
            </div>
        </form>
    }
    .into_any()
}

#[component]
fn DeliveryLog(version: RwSignal<u32>) -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let log = Resource::new(move || (version.get(), refresh.get()), |_| webhook_deliveries());
    view! {
        <div class="space-y-3">
            <div class="flex items-center justify-between gap-3">
                <h3 class="text-sm font-semibold text-slate-900">"Recent deliveries"</h3>
                <button type="button" class=SECONDARY on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
            </div>
            <Transition fallback=|| view! { <p class="flex items-center gap-2 text-sm text-slate-500"><Spinner />"Loading deliveries…"</p> }>
                {move || log.get().map(|r| match r {
                    Err(e) => view! { <p role="alert" class="text-sm text-rose-700">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="text-sm text-slate-500" data-testid="deliveries-empty">"No deliveries yet. Send a test to see one here."</p>
                    }.into_any(),
                    Ok(list) => view! { <DeliveryTable list /> }.into_any(),
                })}
            </Transition>
        </div>
    }
    .into_any()
}

#[component]
fn DeliveryTable(list: Vec<DeliveryView>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-xl border border-slate-200">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="deliveries">
                <caption class="sr-only">"The latest webhook deliveries, newest first"</caption>
                <thead class="bg-slate-50 text-left text-xs font-medium uppercase tracking-wide text-slate-500">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Event"</th>
                        <th scope="col" class="px-3 py-2">"Status"</th>
                        <th scope="col" class="px-3 py-2">"Attempts"</th>
                        <th scope="col" class="px-3 py-2">"Last result"</th>
                        <th scope="col" class="px-3 py-2">"When"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100 bg-white">
                    {list.into_iter().map(|d| {
                        let (label, chip) = crate::components::badge(d.status);
                        view! {
                            <tr>
                                <td class="px-3 py-2 align-top">
                                    <span class="font-mono text-slate-900">{d.event.clone()}</span>
                                    <span class="block max-w-xs truncate text-xs text-slate-500" title=d.url.clone()>{d.url.clone()}</span>
                                </td>
                                <td class="px-3 py-2 align-top">
                                    <span class=format!("inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {chip}")>{label}</span>
                                </td>
                                <td class="px-3 py-2 align-top tabular-nums">{d.attempts}</td>
                                <td class="max-w-sm break-words px-3 py-2 align-top text-slate-700">
                                    {d.result.clone()}
                                    {d.next.clone().map(|n| view! { <span class="block text-xs text-slate-500">{n}</span> })}
                                </td>
                                <td class="whitespace-nowrap px-3 py-2 align-top text-slate-500">{d.when.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
