//! Settings: profile (name, time zone), AI keys, sign-in methods and active sessions.

use super::app::AppShell;
use crate::api::{LogoutEverywhere, RevokeSession, UpdateProfile};
use crate::components::{csrf, page_ctx, toast, CsrfField, PageRefresh, Spinner};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <AppShell title="Settings">
            <div class="space-y-8">
                <ProfileCard />
                <AiCard />
                <super::webhooks::WebhooksCard />
                <SignInCard />
                <SessionsCard />
            </div>
        </AppShell>
    }
}

#[component]
fn Card(#[prop(into)] title: String, #[prop(into)] sub: String, children: Children) -> impl IntoView {
    view! {
        <section class="rounded-2xl border border-slate-200 bg-white shadow-sm">
            <div class="border-b border-slate-100 px-6 py-4">
                <h2 class="text-base font-semibold text-slate-900">{title}</h2>
                <p class="mt-0.5 text-sm text-slate-500">{sub}</p>
            </div>
            <div class="px-6 py-5">{children()}</div>
        </section>
    }
}

const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";

#[component]
fn ProfileCard() -> impl IntoView {
    let ctx = page_ctx();
    let refresh = expect_context::<PageRefresh>();
    let save = ServerAction::<UpdateProfile>::new();
    let zones = Resource::new(|| (), |_| crate::api::timezones());
    Effect::new(move |_| {
        if let Some(res) = save.value().get() {
            match res {
                Ok(_) => {
                    toast(false, "Profile saved.");
                    refresh.bump();
                }
                Err(e) => toast(true, e.to_string().trim_start_matches("error running server function: ").to_string()),
            }
        }
    });
    let user = move || ctx.get().and_then(Result::ok).and_then(|c| c.user);
    view! {
        <Card title="Profile" sub="How you appear, and the time zone used for scheduling.">
            {move || user().map(|u| {
                let tz = u.timezone.clone();
                let email = u.email.clone().unwrap_or_else(|| "No e-mail on this account".into());
                view! {
                    <ActionForm action=save attr:class="grid gap-5 sm:grid-cols-2" attr:data-testid="profile-form">
                        <CsrfField />
                        <div class="space-y-1.5">
                            <label for="p-name" class="block text-sm font-medium text-slate-700">"Name"</label>
                            <input id="p-name" name="name" required maxlength="80" value=u.name.clone() class=INPUT />
                        </div>
                        <div class="space-y-1.5">
                            <label for="p-tz" class="block text-sm font-medium text-slate-700">"Time zone"</label>
                            <select id="p-tz" name="timezone" class=INPUT>
                                <Suspense fallback=move || view! { <option value=tz.clone() selected>{tz.clone()}</option> }>
                                    {
                                        let tz = u.timezone.clone();
                                        move || zones.get().and_then(Result::ok).map(|zs| {
                                            let tz = tz.clone();
                                            zs.into_iter().map(|z| {
                                                let sel = z == tz;
                                                let label = z.clone();
                                                view! { <option value=z selected=sel>{label}</option> }
                                            }).collect_view()
                                        })
                                    }
                                </Suspense>
                            </select>
                        </div>
                        <div class="space-y-1.5">
                            <p class="block text-sm font-medium text-slate-700">"E-mail"</p>
                            <p class="text-sm text-slate-600">{email}</p>
                        </div>
                        <div class="flex items-end justify-end">
                            <button type="submit" disabled=move || save.pending().get() class="inline-flex items-center gap-2 rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-70">
                                <Show when=move || save.pending().get()><Spinner /></Show>
                                "Save profile"
                            </button>
                        </div>
                    </ActionForm>
                }
            })}
        </Card>
    }
}

#[component]
fn SignInCard() -> impl IntoView {
    let ctx = page_ctx();
    view! {
        <Card title="Sign-in methods" sub="Ways you can get into this account.">
            {move || ctx.get().and_then(Result::ok).and_then(|c| c.user).map(|u| view! {
                <ul class="divide-y divide-slate-100 text-sm">
                    <li class="flex items-center justify-between py-2">
                        <span>"E-mail and password"</span>
                        <span class=if u.has_password { "rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700" } else { "rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-500" }>
                            {if u.has_password { "Active" } else { "Not set" }}
                        </span>
                    </li>
                    {u.providers.iter().map(|p| view! {
                        <li class="flex items-center justify-between py-2">
                            <span class="capitalize">{p.clone()}</span>
                            <span class="rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700">"Linked"</span>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </Card>
    }
}

#[component]
fn SessionsCard() -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let everywhere = ServerAction::<LogoutEverywhere>::new();
    let sessions = Resource::new(move || revoke.version().get(), |_| crate::api::list_sessions());
    Effect::new(move |_| {
        if let Some(Err(e)) = revoke.value().get() {
            toast(true, e.to_string().trim_start_matches("error running server function: ").to_string());
        } else if let Some(Ok(())) = revoke.value().get() {
            toast(false, "Device signed out.");
        }
    });
    view! {
        <Card title="Where you are signed in" sub="Sign out a device you do not recognise, or all of them at once.">
            <Suspense fallback=|| view! { <p class="flex items-center gap-2 text-sm text-slate-500"><Spinner />"Loading sessions…"</p> }>
                {move || sessions.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <p role="alert" class="text-sm text-rose-700">{e.to_string()}</p> }),
                    Ok(list) => Either::Right(view! {
                        <ul class="divide-y divide-slate-100" data-testid="sessions">
                            {list.into_iter().map(|s| view! {
                                <li class="flex flex-wrap items-center justify-between gap-3 py-3">
                                    <div>
                                        <p class="text-sm font-medium text-slate-900">
                                            {s.device.clone()}
                                            {s.current.then(|| view! { <span class="ml-2 rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700">"This device"</span> })}
                                        </p>
                                        <p class="text-xs text-slate-500">{format!("{} · active {}", if s.ip.is_empty() { "unknown address".to_string() } else { s.ip.clone() }, s.last_seen)}</p>
                                    </div>
                                    <ActionForm action=revoke>
                                        <CsrfField />
                                        <input type="hidden" name="id" value=s.id.clone() />
                                        <button type="submit" class="rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50">"Sign out"</button>
                                    </ActionForm>
                                </li>
                            }).collect_view()}
                        </ul>
                    }),
                })}
            </Suspense>
            <div class="mt-4 flex justify-end border-t border-slate-100 pt-4">
                <ActionForm action=everywhere>
                    <CsrfField />
                    <button type="submit" class="rounded-lg bg-rose-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-rose-500">"Log out everywhere"</button>
                </ActionForm>
            </div>
        </Card>
    }
}

/// Which field is being saved, and how the last save went, for the "saved" marks.
#[derive(Clone, PartialEq)]
enum FieldState {
    Idle,
    Saving,
    Saved,
    Failed(String),
}

#[component]
fn FieldStatus(state: RwSignal<FieldState>) -> impl IntoView {
    move || match state.get() {
        FieldState::Idle => ().into_any(),
        FieldState::Saving => {
            view! { <span class="inline-flex items-center gap-1 text-xs text-slate-500"><Spinner />"Saving…"</span> }.into_any()
        }
        FieldState::Saved => {
            view! { <span class="text-xs font-medium text-emerald-700" data-testid="field-saved">"✓ Saved"</span> }.into_any()
        }
        FieldState::Failed(m) => view! { <span role="alert" class="text-xs text-rose-700">{m}</span> }.into_any(),
    }
}

/// Bring-your-own-key AI: each field saves when it loses focus. Keys are write-only: after
/// saving, only their hint (`sk-…abcd`) comes back.
#[component]
fn AiCard() -> impl IntoView {
    use crate::compose_api::{ai_settings, save_ai_setting, test_ai_key, AiSettingsView};
    let settings = RwSignal::new(None::<AiSettingsView>);
    let loaded = Resource::new(|| (), |_| ai_settings());
    let testing = RwSignal::new(false);
    let test_result = RwSignal::new(None::<(bool, String)>);
    let field = move |name: &'static str, label: &'static str, secret: bool, placeholder: &'static str, help: &'static str| {
        let state = RwSignal::new(FieldState::Idle);
        let id = format!("ai-{name}");
        let current = move || {
            settings.get().map(|s| match name {
                "openai_key" => s.openai_key_hint.unwrap_or_default(),
                "gemini_key" => s.gemini_key_hint.unwrap_or_default(),
                "base_url" => s.base_url,
                _ => s.model,
            })
        };
        let on_blur = move |ev: leptos::ev::FocusEvent| {
            let value = event_target_value(&ev);
            let unchanged = if secret { value.is_empty() } else { current().as_deref() == Some(value.as_str()) };
            if unchanged {
                return;
            }
            state.set(FieldState::Saving);
            let input = event_target::<leptos::web_sys::HtmlInputElement>(&ev);
            leptos::task::spawn_local(async move {
                match save_ai_setting(csrf(), name.to_string(), value).await {
                    Ok(s) => {
                        settings.set(Some(s));
                        state.set(FieldState::Saved);
                        test_result.set(None);
                        if secret {
                            input.set_value("");
                        }
                    }
                    Err(e) => {
                        state.set(FieldState::Failed(e.to_string().trim_start_matches("error running server function: ").to_string()))
                    }
                }
            });
        };
        let remove = move |_| {
            state.set(FieldState::Saving);
            leptos::task::spawn_local(async move {
                match save_ai_setting(csrf(), name.to_string(), String::new()).await {
                    Ok(s) => {
                        settings.set(Some(s));
                        state.set(FieldState::Saved);
                    }
                    Err(e) => state.set(FieldState::Failed(e.to_string())),
                }
            });
        };
        view! {
            <div class="space-y-1.5">
                <div class="flex items-center justify-between gap-2">
                    <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
                    <FieldStatus state />
                </div>
                <div class="flex gap-2">
                    <input
                        id=id.clone()
                        name=name
                        type=if secret { "password" } else { "text" }
                        autocomplete="off"
                        spellcheck="false"
                        class=INPUT
                        data-testid=id.clone()
                        placeholder=move || match (secret, current()) {
                            (true, Some(h)) if !h.is_empty() => format!("{h} saved — paste a new key to replace it"),
                            _ => placeholder.to_string(),
                        }
                        prop:value=move || if secret { String::new() } else { current().unwrap_or_default() }
                        on:blur=on_blur
                    />
                    {secret.then(|| view! {
                        <Show when=move || current().is_some_and(|h| !h.is_empty())>
                            <button type="button" on:click=remove class="shrink-0 rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50">"Remove"</button>
                        </Show>
                    })}
                </div>
                <p class="text-xs text-slate-500">{help}</p>
            </div>
        }
    };
    let run_test = move |_| {
        testing.set(true);
        leptos::task::spawn_local(async move {
            test_result.set(Some(match test_ai_key(csrf()).await {
                Ok(t) => (t.ok, t.message),
                Err(e) => (false, e.to_string().trim_start_matches("error running server function: ").to_string()),
            }));
            testing.set(false);
        });
    };
    view! {
        <div id="ai">
        <Card title="AI writing and images" sub="Use your own keys. They are encrypted on this server and never shown again; each field saves when you leave it.">
            <Suspense fallback=|| view! { <p class="flex items-center gap-2 text-sm text-slate-500"><Spinner />"Loading…"</p> }>
                {move || loaded.get().map(|r| match r {
                    Err(e) => view! { <p role="alert" class="text-sm text-rose-700">{e.to_string()}</p> }.into_any(),
                    Ok(s) => {
                        if settings.get_untracked().is_none() {
                            settings.set(Some(s));
                        }
                        view! {
                            <div class="grid gap-5 sm:grid-cols-2" data-testid="ai-form">
                                {field("openai_key", "OpenAI-compatible API key", true, "sk-…", "Used to write posts from your ideas. Without a key the built-in writer is used.")}
                                {field("model", "Model", false, "gpt-4o-mini", "Any chat model your provider offers.")}
                                {field("base_url", "Base URL", false, "https://api.openai.com/v1", "Change it for Azure, OpenRouter, Ollama or another compatible service.")}
                                {field("gemini_key", "Google Gemini API key", true, "AIza…", "Used to generate images. Without a key, images are text cards made on this server.")}
                                <div class="flex flex-wrap items-center gap-3 sm:col-span-2">
                                    <button type="button" on:click=run_test disabled=move || testing.get() data-testid="test-key" class="inline-flex items-center gap-2 rounded-lg border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 disabled:opacity-60">
                                        <Show when=move || testing.get()><Spinner /></Show>
                                        "Test key"
                                    </button>
                                    {move || test_result.get().map(|(ok, m)| view! {
                                        <span role="status" data-testid="test-result" class=if ok { "text-sm text-emerald-700" } else { "text-sm text-rose-700" }>{m}</span>
                                    })}
                                </div>
                            </div>
                        }.into_any()
                    }
                })}
            </Suspense>
        </Card>
        </div>
    }
}
