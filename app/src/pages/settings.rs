//! Settings: profile (name, time zone), sign-in methods and active sessions.

use super::app::AppShell;
use crate::api::{LogoutEverywhere, RevokeSession, UpdateProfile};
use crate::components::{page_ctx, toast, CsrfField, PageRefresh, Spinner};
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <AppShell title="Settings">
            <div class="space-y-8">
                <ProfileCard />
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
                            <p class="text-sm text-slate-600">{u.email.clone().unwrap_or_else(|| "No e-mail on this account".into())}</p>
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
