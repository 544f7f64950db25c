//! Sign-in, sign-up, forgotten and reset password. These are plain HTML forms posting to the
//! server's `/login`, `/signup`, `/forgot` and `/reset` handlers, so they work with
//! JavaScript off; once hydrated they add live password rules and progress indicators.

use crate::components::{page_ctx, CsrfField, Field, FlashBanner, Logo, SubmitButton};
use covalynce::password_checks;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

#[component]
fn SeoTags(#[prop(into)] title: String, #[prop(into)] description: String) -> impl IntoView {
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=description.clone() />
        <Meta property="og:title" content=format!("{title} · Covalynce") />
        <Meta property="og:description" content=description />
        <Meta property="og:type" content="website" />
        <Meta property="og:site_name" content="Covalynce" />
        <Meta name="twitter:card" content="summary" />
    }
}

#[component]
fn AuthLayout(
    /// The page's `<title>` and its description for search engines and link previews.
    #[prop(into)]
    title: String,
    #[prop(into)] description: String,
    #[prop(into)] heading: String,
    #[prop(into)] sub: String,
    children: Children,
) -> impl IntoView {
    view! {
        <SeoTags title description />
        <div class="flex min-h-full">
            <aside class="relative hidden w-[42%] flex-col justify-between overflow-hidden bg-gradient-to-br from-indigo-600 via-violet-600 to-fuchsia-600 p-12 text-white lg:flex">
                <span class="flex items-center gap-2 text-lg font-semibold">
                    <span class="inline-flex h-9 w-9 items-center justify-center rounded-xl bg-white/20 font-bold">"C"</span>
                    "Covalynce"
                </span>
                <div class="space-y-6">
                    <h2 class="text-4xl font-bold leading-tight">"One idea. Every network. On time, exactly once."</h2>
                    <ul class="space-y-3 text-indigo-50">
                        <li class="flex gap-3"><span aria-hidden="true">"✓"</span>"Shape a post for X, LinkedIn, Instagram and seven more in one place"</li>
                        <li class="flex gap-3"><span aria-hidden="true">"✓"</span>"Schedule in your own time zone; we never post twice"</li>
                        <li class="flex gap-3"><span aria-hidden="true">"✓"</span>"Self-hosted: your accounts, your keys, your data"</li>
                    </ul>
                </div>
                <p class="text-sm text-indigo-100">"Open source · runs on a single binary with SQLite"</p>
            </aside>
            <main class="flex flex-1 flex-col items-center justify-center px-6 py-12 sm:px-12">
                <div class="w-full max-w-sm space-y-8">
                    <div class="space-y-3">
                        <div class="lg:hidden"><Logo large=true /></div>
                        <h1 class="text-2xl font-bold tracking-tight text-slate-900">{heading}</h1>
                        <p class="text-sm text-slate-600">{sub}</p>
                    </div>
                    <Suspense fallback=|| ()>
                        <DemoNote />
                        <FlashBanner />
                        {children()}
                    </Suspense>
                </div>
            </main>
        </div>
    }
}

/// A sign-in page's form: a plain POST (it works before and without JavaScript) with the CSRF
/// field; `busy` shows the submit button's spinner once it is sent.
#[component]
fn AuthForm(action: &'static str, busy: RwSignal<bool>, children: Children) -> impl IntoView {
    view! {
        <form method="post" action=action class="space-y-5" on:submit=move |_| busy.set(true)>
            <CsrfField />
            {children()}
        </form>
    }
}

/// Demo instances say so before anyone signs up.
#[component]
fn DemoNote() -> impl IntoView {
    let ctx = page_ctx();
    move || {
        ctx.get().and_then(Result::ok).is_some_and(|c| c.demo).then(|| {
            view! {
                <p class="rounded-lg bg-amber-100 px-3 py-2 text-xs font-medium text-amber-900" data-testid="demo-banner">
                    "Demo mode: social platforms are simulated by the built-in sandbox."
                </p>
            }
        })
    }
}

fn flash_email() -> Signal<String> {
    let ctx = page_ctx();
    Signal::derive(move || ctx.get().and_then(Result::ok).and_then(|c| c.flash).and_then(|f| f.email).unwrap_or_default())
}

#[component]
fn ProviderButtons() -> impl IntoView {
    let ctx = page_ctx();
    move || {
        let providers = ctx.get().and_then(Result::ok).map(|c| c.providers).unwrap_or_default();
        (!providers.is_empty()).then(|| {
            view! {
                <div class="space-y-4">
                    <div class="flex items-center gap-3 text-xs uppercase tracking-wide text-slate-400">
                        <span class="h-px flex-1 bg-slate-200"></span>"or"<span class="h-px flex-1 bg-slate-200"></span>
                    </div>
                    <div class="grid grid-cols-1 gap-3">
                        {providers
                            .into_iter()
                            .map(|p| {
                                // The server runs the sign-in: `rel="external"` keeps the client
                                // router from taking the link (it showed its own 404).
                                view! {
                                    <a
                                        href=format!("/auth/{}/start", p.id)
                                        rel="external"
                                        data-testid=format!("continue-{}", p.id)
                                        class="inline-flex w-full items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-3 py-2.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                    >
                                        {format!("Continue with {}", p.name)}
                                    </a>
                                }
                            })
                            .collect_view()}
                    </div>
                </div>
            }
        })
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let busy = RwSignal::new(false);
    view! {
        <AuthLayout title="Sign in" description="Sign in to Covalynce, the self-hosted social media publishing platform: plan, write and schedule posts for ten networks." heading="Welcome back" sub="Sign in to plan, write and publish.">
            <AuthForm action="/login" busy>
                <input type="hidden" name="next" value=next />
                <Field label="E-mail" name="email" kind="email" autocomplete="email" required=true value=flash_email() />
                <Field label="Password" name="password" kind="password" autocomplete="current-password" required=true />
                <div class="flex justify-end">
                    <a href="/forgot" class="text-sm font-medium text-indigo-600 hover:text-indigo-500">"Forgot your password?"</a>
                </div>
                <SubmitButton label="Sign in" busy_label="Signing in…" busy />
            </AuthForm>
            <ProviderButtons />
            <p class="text-center text-sm text-slate-600">
                "New to Covalynce? " <a href="/signup" class="font-semibold text-indigo-600 hover:text-indigo-500">"Create an account"</a>
            </p>
        </AuthLayout>
    }
}

/// The live checklist under a new-password field.
#[component]
fn PasswordRules(password: RwSignal<String>, email: Signal<String>) -> impl IntoView {
    view! {
        <ul class="grid grid-cols-1 gap-1 text-xs sm:grid-cols-2" aria-label="Password rules" data-testid="password-rules">
            {move || {
                password_checks(&password.get(), &email.get())
                    .into_iter()
                    .map(|c| {
                        view! {
                            <li class=if c.ok { "flex items-center gap-1.5 text-emerald-700" } else { "flex items-center gap-1.5 text-slate-500" } data-ok=c.ok.to_string()>
                                <span aria-hidden="true">{if c.ok { "✓" } else { "○" }}</span>
                                {c.label}
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}

#[component]
fn NewPasswordField(email: Signal<String>) -> impl IntoView {
    let password = RwSignal::new(String::new());
    view! {
        <div class="space-y-2">
            <label for="f-password" class="block text-sm font-medium text-slate-700">"Password"</label>
            <input
                id="f-password"
                name="password"
                type="password"
                autocomplete="new-password"
                required
                minlength="10"
                maxlength="128"
                aria-describedby="password-rules"
                on:input=move |ev| password.set(event_target_value(&ev))
                class="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30"
            />
            <div id="password-rules"><PasswordRules password email /></div>
        </div>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let timezone = RwSignal::new("UTC".to_string());
    let busy = RwSignal::new(false);
    // The browser knows the person's zone; the server cannot. Runs only after hydration.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let opts = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
            if let Some(tz) = js_sys::Reflect::get(&opts, &"timeZone".into()).ok().and_then(|v| v.as_string()) {
                timezone.set(tz);
            }
        }
    });
    view! {
        <AuthLayout title="Create your account" description="Create a free Covalynce account: connect your social networks and publish to all of them at once." heading="Create your account" sub="Free and self-hosted. It takes a minute.">
            <AuthForm action="/signup" busy>
                <input type="hidden" name="timezone" value=move || timezone.get() />
                <Field label="Your name" name="name" autocomplete="name" />
                <div class="space-y-1.5">
                    <label for="f-email" class="block text-sm font-medium text-slate-700">"E-mail"</label>
                    <input
                        id="f-email"
                        name="email"
                        type="email"
                        autocomplete="email"
                        required
                        prop:value=flash_email()
                        value=flash_email()
                        on:input=move |ev| email.set(event_target_value(&ev))
                        class="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30"
                    />
                </div>
                <NewPasswordField email=email.into() />
                <SubmitButton label="Create account" busy_label="Creating your account…" busy />
            </AuthForm>
            <ProviderButtons />
            <p class="text-center text-sm text-slate-600">
                "Already have an account? " <a href="/login" class="font-semibold text-indigo-600 hover:text-indigo-500">"Sign in"</a>
            </p>
        </AuthLayout>
    }
}

#[component]
pub fn ForgotPage() -> impl IntoView {
    let busy = RwSignal::new(false);
    view! {
        <AuthLayout title="Reset your password" description="Forgot your Covalynce password? We will e-mail you a link to choose a new one." heading="Reset your password" sub="Enter your e-mail and we will send you a link to choose a new password.">
            <AuthForm action="/forgot" busy>
                <Field label="E-mail" name="email" kind="email" autocomplete="email" required=true value=flash_email() />
                <SubmitButton label="Send reset link" busy_label="Sending…" busy />
            </AuthForm>
            <p class="text-center text-sm text-slate-600"><a href="/login" class="font-semibold text-indigo-600 hover:text-indigo-500">"Back to sign in"</a></p>
        </AuthLayout>
    }
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let busy = RwSignal::new(false);
    view! {
        <AuthLayout title="Choose a new password" description="Choose a new password for your Covalynce account." heading="Choose a new password" sub="After this, every device is signed out and you sign in with the new password.">
            <AuthForm action="/reset" busy>
                <input type="hidden" name="token" value=token />
                <NewPasswordField email=Signal::derive(String::new) />
                <SubmitButton label="Set new password" busy_label="Saving…" busy />
            </AuthForm>
        </AuthLayout>
    }
}
