//! Small shared UI pieces: brand, icons, form fields, toasts, banners.

use crate::PageResource;
use leptos::prelude::*;

/// Lets an action ask the page context (user name in the header…) to reload.
#[derive(Clone, Copy)]
pub struct PageRefresh(pub RwSignal<u32>);

impl PageRefresh {
    pub fn bump(&self) {
        self.0.update(|n| *n += 1);
    }
}

pub fn page_ctx() -> PageResource {
    expect_context::<PageResource>()
}

/// This page's CSRF token, for server functions that change something.
pub fn csrf() -> String {
    page_ctx().get_untracked().and_then(Result::ok).map(|c| c.csrf).unwrap_or_default()
}

/// Text for a `<textarea>`'s children (what a page shows before hydration and without
/// JavaScript). The SSR renderer writes textarea children unescaped, so a draft containing
/// `</textarea><img onerror=…>` would end the element and run script: the server escapes it.
/// In the browser the same text goes in as a DOM text node, which needs no escaping.
/// "AL" for "Ada Lovelace": the avatar stand-in for a person, a Page or an account.
pub fn initials(name: &str) -> String {
    let s: String = name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect();
    if s.is_empty() {
        "?".into()
    } else {
        s.to_uppercase()
    }
}

/// A status chip's label and colours: every status in the app reads the same way.
pub fn badge(s: impl covalynce::Status) -> (&'static str, &'static str) {
    (s.label(), tone_badge(s.tone()))
}

/// The chip colours of a tone.
fn tone_badge(t: covalynce::Tone) -> &'static str {
    use covalynce::Tone::*;
    match t {
        Neutral => "bg-slate-100 text-slate-700 ring-slate-500/20",
        Info => "bg-sky-50 text-sky-800 ring-sky-600/20",
        Progress => "bg-indigo-50 text-indigo-700 ring-indigo-600/20",
        Good => "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
        Warning => "bg-amber-50 text-amber-800 ring-amber-600/20",
        Bad => "bg-rose-50 text-rose-700 ring-rose-600/20",
        Muted => "bg-slate-50 text-slate-500 ring-slate-400/20",
    }
}

/// The text colour of a tone, for a status named in running text (the attempts log).
pub fn tone_text(t: covalynce::Tone) -> &'static str {
    use covalynce::Tone::*;
    match t {
        Good => "text-emerald-700",
        Warning => "text-amber-700",
        Bad => "text-rose-700",
        Info => "text-sky-800",
        Progress => "text-indigo-700",
        Neutral | Muted => "text-slate-600",
    }
}

pub fn textarea_text(s: String) -> String {
    if cfg!(feature = "ssr") {
        s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    } else {
        s
    }
}

#[component]
pub fn Logo(#[prop(optional)] large: bool) -> impl IntoView {
    let size = if large { "h-10 w-10 text-lg" } else { "h-8 w-8 text-sm" };
    view! {
        <span class="flex items-center gap-2 font-semibold tracking-tight text-slate-900">
            <span class=format!("{size} inline-flex items-center justify-center rounded-xl bg-gradient-to-br from-indigo-500 to-violet-600 font-bold text-white shadow-sm")>
                "C"
            </span>
            <span class=if large { "text-2xl" } else { "text-lg" }>"Covalynce"</span>
        </span>
    }
}

/// The hidden field every state-changing form carries. Its value comes from the page
/// context, which is identical on the server render and after hydration.
#[component]
pub fn CsrfField() -> impl IntoView {
    let ctx = page_ctx();
    view! {
        <input
            type="hidden"
            name="csrf"
            value=move || ctx.get().and_then(Result::ok).map(|c| c.csrf).unwrap_or_default()
        />
    }
}

#[component]
pub fn Spinner(#[prop(optional, into)] class: String) -> impl IntoView {
    view! {
        <svg class=format!("animate-spin h-4 w-4 {class}") viewBox="0 0 24 24" fill="none" aria-hidden="true">
            <circle class="opacity-25" cx="12" cy="12" r="10" stroke="currentColor" stroke-width="4"></circle>
            <path class="opacity-75" fill="currentColor" d="M4 12a8 8 0 018-8v4a4 4 0 00-4 4H4z"></path>
        </svg>
    }
}

/// A submit button that shows progress while its form submits. The form sets `busy` in its
/// `on:submit` (which only fires once the browser's own validation passed); without
/// JavaScript it is a plain button.
#[component]
pub fn SubmitButton(#[prop(into)] label: String, #[prop(into)] busy_label: String, busy: RwSignal<bool>) -> impl IntoView {
    view! {
        <button
            type="submit"
            class="inline-flex w-full items-center justify-center gap-2 rounded-lg bg-indigo-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm transition hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2 disabled:cursor-wait disabled:opacity-70"
            aria-busy=move || busy.get().to_string()
            disabled=move || busy.get()
        >
            <Show when=move || busy.get()>
                <Spinner />
            </Show>
            {move || if busy.get() { busy_label.clone() } else { label.clone() }}
        </button>
    }
}

#[component]
pub fn Field(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    #[prop(into, default = "text".into())] kind: String,
    #[prop(into, optional)] autocomplete: String,
    #[prop(into, optional)] value: Signal<String>,
    #[prop(optional)] required: bool,
    #[prop(into, optional)] hint: String,
) -> impl IntoView {
    let id = format!("f-{name}");
    let hint_id = format!("{id}-hint");
    let has_hint = !hint.is_empty();
    view! {
        <div class="space-y-1.5">
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                prop:value=move || value.get()
                value=move || value.get()
                aria-describedby=if has_hint { Some(hint_id.clone()) } else { None }
                class="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30"
            />
            {has_hint.then(|| view! { <p id=hint_id class="text-xs text-slate-500">{hint}</p> })}
        </div>
    }
}

/// The flash message of the page (error or success), announced to screen readers.
#[component]
pub fn FlashBanner() -> impl IntoView {
    let ctx = page_ctx();
    move || {
        ctx.get().and_then(Result::ok).and_then(|c| c.flash).map(|f| {
            let (cls, role) = if f.kind == "error" {
                ("border-rose-200 bg-rose-50 text-rose-800", "alert")
            } else {
                ("border-emerald-200 bg-emerald-50 text-emerald-800", "status")
            };
            view! {
                <div role=role data-testid="flash" class=format!("rounded-lg border px-4 py-3 text-sm {cls}")>
                    {f.message}
                </div>
            }
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub id: u64,
    pub error: bool,
    pub message: String,
}

#[derive(Clone, Copy)]
pub struct ToastStore(RwSignal<Vec<Toast>>, StoredValue<u64>);

pub fn provide_toasts() {
    provide_context(ToastStore(RwSignal::new(vec![]), StoredValue::new(0)));
}

/// Shows a toast for a few seconds (errors stay until dismissed).
pub fn toast(error: bool, message: impl Into<String>) {
    if let Some(ToastStore(list, next)) = use_context::<ToastStore>() {
        let id = next.get_value() + 1;
        next.set_value(id);
        list.update(|l| l.push(Toast { id, error, message: message.into() }));
        if !error {
            set_timeout(move || list.update(|l| l.retain(|t| t.id != id)), std::time::Duration::from_secs(4));
        }
    }
}

#[component]
pub fn Toasts() -> impl IntoView {
    let ToastStore(list, _) = expect_context::<ToastStore>();
    view! {
        <div aria-live="polite" class="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex flex-col items-center gap-2 px-4 sm:items-end sm:pr-6">
            <For each=move || list.get() key=|t| t.id let:t>
                <div
                    role=if t.error { "alert" } else { "status" }
                    class=if t.error {
                        "pointer-events-auto flex w-full max-w-sm items-start gap-3 rounded-lg border border-rose-200 bg-white px-4 py-3 text-sm text-rose-800 shadow-lg"
                    } else {
                        "pointer-events-auto flex w-full max-w-sm items-start gap-3 rounded-lg border border-emerald-200 bg-white px-4 py-3 text-sm text-emerald-800 shadow-lg"
                    }
                >
                    <span class="flex-1">{t.message.clone()}</span>
                    <button
                        type="button"
                        class="text-slate-400 hover:text-slate-600"
                        aria-label="Dismiss"
                        on:click=move |_| list.update(|l| l.retain(|x| x.id != t.id))
                    >
                        "✕"
                    </button>
                </div>
            </For>
        </div>
    }
}

/// "Firefox on Linux" from a User-Agent string, for the sessions list.
pub fn describe_agent(ua: &str) -> String {
    if ua.is_empty() {
        return "Unknown device".into();
    }
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("reqwest", "API client"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, v)| *v)
    .unwrap_or("Browser");
    let os = [("Windows", "Windows"), ("Mac OS X", "macOS"), ("Android", "Android"), ("iPhone", "iOS"), ("Linux", "Linux")]
        .iter()
        .find(|(k, _)| ua.contains(k))
        .map(|(_, v)| *v);
    match os {
        Some(os) => format!("{browser} on {os}"),
        None => browser.to_string(),
    }
}

/// "3 min ago" style text from unix milliseconds, relative to `now_ms`.
pub fn ago(then_ms: i64, now_ms: i64) -> String {
    let s = ((now_ms - then_ms) / 1000).max(0);
    match s {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents() {
        assert_eq!(describe_agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"), "Chrome on Linux");
        assert_eq!(describe_agent(""), "Unknown device");
    }

    #[test]
    fn relative_times() {
        assert_eq!(ago(0, 30_000), "just now");
        assert_eq!(ago(0, 5 * 60_000), "5 min ago");
        assert_eq!(ago(0, 3 * 86_400_000), "3 days ago");
    }
}
