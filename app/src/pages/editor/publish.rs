//! The publish dialog: choose accounts, now or a time, then watch each publication live.

use super::*;

/// Choose accounts, now or a time, then watch each publication live.
#[component]
pub(super) fn PublishDialog(doc: Doc, data: EditorInit, open: RwSignal<bool>) -> impl IntoView {
    let accounts = StoredValue::new(data.accounts.clone());
    let chosen = RwSignal::new(
        data.accounts
            .iter()
            .filter(|a| a.healthy && doc.variants.with_untracked(|v| v.get(&a.platform).is_some_and(|t| !t.trim().is_empty())))
            .map(|a| a.id.clone())
            .collect::<Vec<_>>(),
    );
    // "now", "at" (a date and time) or "queue" (each account's next free posting time).
    let mode = RwSignal::new("now");
    let when = RwSignal::new(data.default_when.clone());
    let fold = RwSignal::new(String::new());
    let ask_fold = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let posts = RwSignal::new(None::<Vec<PostView>>);
    let timezone = StoredValue::new(data.timezone.clone());
    let tiktok = RwSignal::new(TiktokSettings::default());
    // The chosen TikTok account (the first, when there are several).
    let tiktok_account = Memo::new(move |_| {
        let ids = chosen.get();
        accounts.with_value(|a| a.iter().find(|x| x.platform == "tiktok" && ids.contains(&x.id)).map(|x| x.id.clone()))
    });

    let youtube = RwSignal::new(YoutubeSettings::default());
    // The chosen YouTube account (the first, when there are several).
    let youtube_account = Memo::new(move |_| {
        let ids = chosen.get();
        accounts.with_value(|a| a.iter().find(|x| x.platform == "youtube" && ids.contains(&x.id)).map(|x| x.id.clone()))
    });

    let pinterest = RwSignal::new(PinterestSettings::default());
    // The chosen Pinterest account (the first, when there are several).
    let pinterest_account = Memo::new(move |_| {
        let ids = chosen.get();
        accounts.with_value(|a| a.iter().find(|x| x.platform == "pinterest" && ids.contains(&x.id)).map(|x| x.id.clone()))
    });

    // Polls the batch until every publication has an outcome (or the dialog closes).
    fn poll(batch: String, posts: RwSignal<Option<Vec<PostView>>>, open: RwSignal<bool>) {
        set_timeout(
            move || {
                if !open.get_untracked() {
                    return;
                }
                spawn_local(async move {
                    if let Ok(list) = batch_status(batch.clone()).await {
                        let open_ones = list.iter().any(|p| p.status.is_open());
                        posts.set(Some(list));
                        if open_ones {
                            poll(batch, posts, open);
                        }
                    } else {
                        poll(batch, posts, open);
                    }
                });
            },
            Duration::from_millis(700),
        );
    }

    let submit = move |_| {
        let ids = chosen.get_untracked();
        if ids.is_empty() {
            error.set(Some("Choose at least one account.".into()));
            return;
        }
        let options = PostOptions {
            tiktok: tiktok_account.get_untracked().map(|_| tiktok.get_untracked()),
            youtube: youtube_account.get_untracked().map(|_| youtube.get_untracked()),
            // No board (the list did not load) = Pinterest's first board, as before.
            pinterest: pinterest_account.get_untracked().map(|_| pinterest.get_untracked()).filter(|p| !p.board_id.is_empty()),
        };
        // The same checks the server makes, for every network among the chosen accounts.
        let platforms: Vec<PlatformId> =
            accounts.with_value(|a| a.iter().filter(|x| ids.contains(&x.id)).filter_map(|x| pid(&x.platform)).collect());
        if let Some(e) = platforms.iter().find_map(|p| options.validate_for(*p).err()) {
            error.set(Some(e.message));
            return;
        }
        busy.set(true);
        error.set(None);
        let m = mode.get_untracked();
        let at = if m == "at" { when.get_untracked() } else { String::new() };
        let (f, draft) = (fold.get_untracked(), doc.id.get_untracked());
        let (title, idea) = (doc.title.get_untracked(), doc.idea.get_untracked());
        let selected = doc.selected.get_untracked();
        let body: BTreeMap<String, String> =
            doc.variants.get_untracked().into_iter().filter(|(p, t)| selected.contains(p) && !t.trim().is_empty()).collect();
        spawn_local(async move {
            // Publish exactly what is on screen: save first.
            let saved = save_draft(csrf(), draft.clone(), title, idea, serde_json::to_string(&body).unwrap_or_default(), false).await;
            if let Err(e) = saved {
                error.set(Some(e.to_string()));
                busy.set(false);
                return;
            }
            let sent = if m == "queue" {
                queue_draft(csrf(), draft, ids.join(",")).await
            } else {
                publish_draft(csrf(), draft, ids.join(","), at, f, serde_json::to_string(&options).unwrap_or_default()).await
            };
            match sent {
                Ok(list) => {
                    if let Some(b) = list.first().map(|p| p.batch_id.clone()) {
                        poll(b, posts, open);
                    }
                    posts.set(Some(list));
                }
                Err(e) => {
                    let (code, msg) = (e.code, e.message);
                    if code == "ambiguous_time" {
                        ask_fold.set(Some(msg));
                    } else {
                        error.set(Some(msg));
                    }
                }
            }
            busy.set(false);
        });
    };
    let account_row = move |a: AccountOption| {
        let pid = pid(&a.platform);
        let info = pid.map(platform_info);
        let color = info.map(|i| i.brand_color).unwrap_or("#64748b");
        let text = doc.variants.with_untracked(|v| v.get(&a.platform).cloned().unwrap_or_default());
        let check = pid.map(|p| check_length_within(p, &text, a.text_limit));
        let problem = if !a.healthy {
            Some("Reconnect in Sources first".to_string())
        } else if text.trim().is_empty() {
            Some(format!("No {} text in this draft", info.map(|i| i.display_name).unwrap_or("")))
        } else if check.is_some_and(|c| c.over()) {
            Some("Over the character limit".to_string())
        } else {
            None
        };
        let disabled = problem.is_some();
        let id = a.id.clone();
        let checked = {
            let id = id.clone();
            move || chosen.with(|c| c.contains(&id))
        };
        let snippet: String = text.chars().take(90).collect();
        view! {
            <li>
                <label class=format!("flex items-start gap-3 rounded-xl border border-slate-200 px-4 py-3 {}", if disabled { "opacity-60" } else { "cursor-pointer hover:bg-slate-50" })>
                    <input
                        type="checkbox"
                        class="mt-1 h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500"
                        prop:checked=checked
                        disabled=disabled
                        data-account=a.platform.clone()
                        on:change=move |_| chosen.update(|c| if c.contains(&id) { c.retain(|x| x != &id) } else { c.push(id.clone()) })
                    />
                    <span class="min-w-0 flex-1">
                        <span class="flex items-center gap-2 text-sm font-semibold text-slate-900">
                            <span class="h-2.5 w-2.5 rounded-full" style=format!("background:{color}")></span>
                            {info.map(|i| i.display_name).unwrap_or("?")}
                            <span class="font-normal text-slate-500">{format!("@{}", a.username)}</span>
                        </span>
                        <span class="mt-0.5 block truncate text-xs text-slate-500">{if snippet.is_empty() { "—".to_string() } else { snippet }}</span>
                        {problem.map(|p| view! { <span class="mt-1 block text-xs font-medium text-rose-700">{p}</span> })}
                    </span>
                </label>
            </li>
        }
    };
    let close = move |_| open.set(false);
    view! {
        <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/40 p-4 sm:items-center" on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
            <div role="dialog" aria-modal="true" aria-labelledby="publish-title" class="max-h-[90vh] w-full max-w-xl overflow-y-auto rounded-2xl bg-white shadow-xl" data-testid="publish-dialog">
                <div class="flex items-center justify-between border-b border-slate-100 px-6 py-4">
                    <h2 id="publish-title" class="text-lg font-semibold text-slate-900">{move || if posts.get().is_some() { "Publishing" } else { "Publish" }}</h2>
                    <button type="button" class="rounded-lg p-1 text-slate-400 hover:text-slate-700 focus:outline-none focus:ring-2 focus:ring-indigo-500/40" aria-label="Close" on:click=close>"✕"</button>
                </div>
                {move || match posts.get() {
                    Some(list) => view! {
                        <div class="space-y-3 px-6 py-5">
                            <ul class="space-y-2" data-testid="publish-progress">
                                {list.into_iter().map(|p| {
                                    let (label, cls) = crate::components::badge(p.status);
                                    let name = pid(&p.platform).map(|x| x.display_name()).unwrap_or("?");
                                    view! {
                                        <li class="rounded-xl border border-slate-200 px-4 py-3" data-post-status=p.status.as_str()>
                                            <div class="flex items-center justify-between gap-3">
                                                <span class="text-sm font-medium text-slate-900">{format!("{name} · @{}", p.account_name)}</span>
                                                <span class=format!("inline-flex items-center gap-1 rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset {cls}")>
                                                    {(p.status == PostStatus::Publishing).then(|| view! { <Spinner class="h-3 w-3" /> })}
                                                    {label}
                                                </span>
                                            </div>
                                            <p class="mt-1 text-xs text-slate-500">{p.when.clone()}</p>
                                            {p.external_url.clone().map(|u| view! { <a href=u target="_blank" rel="noopener" class="mt-1 inline-block text-xs font-medium text-indigo-600 hover:underline">"View post ↗"</a> })}
                                            {p.error_message.clone().filter(|_| p.status != PostStatus::Pending).map(|m| view! { <p class="mt-1 text-xs text-rose-700">{m}</p> })}
                                            {p.guidance.clone().map(|g| view! { <p class="mt-1 text-xs text-slate-600">{g}</p> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <div class="flex justify-end gap-2 pt-2">
                                <a href="/calendar" class=BTN>"Open calendar"</a>
                                <button type="button" class=BTN_PRIMARY on:click=close>"Done"</button>
                            </div>
                        </div>
                    }.into_any(),
                    None => view! {
                        <div class="space-y-5 px-6 py-5">
                            {if accounts.with_value(|a| a.is_empty()) {
                                view! {
                                    <div class="rounded-xl border-2 border-dashed border-slate-200 p-6 text-center text-sm text-slate-600">
                                        <p class="font-medium text-slate-900">"No accounts connected yet"</p>
                                        <p class="mt-1">"Connect a social account to publish this draft."</p>
                                        <a href="/sources" class="mt-3 inline-block font-semibold text-indigo-600 hover:underline">"Go to Sources"</a>
                                    </div>
                                }.into_any()
                            } else {
                                view! {
                                    <fieldset>
                                        <legend class="mb-2 text-sm font-semibold text-slate-900">"Accounts"</legend>
                                        <ul class="space-y-2">{accounts.get_value().into_iter().map(account_row).collect_view()}</ul>
                                    </fieldset>
                                }.into_any()
                            }}
                            {move || tiktok_account.get().map(|id| view! { <TiktokChoices connection=id settings=tiktok /> })}
                            {move || youtube_account.get().map(|_| view! { <YoutubeChoices settings=youtube /> })}
                            {move || pinterest_account.get().map(|id| view! { <PinterestChoices connection=id settings=pinterest /> })}
                            <fieldset class="space-y-2">
                                <legend class="mb-1 text-sm font-semibold text-slate-900">"When"</legend>
                                <label class="flex items-center gap-2 text-sm text-slate-700">
                                    <input type="radio" name="when" prop:checked=move || mode.get() == "now" on:change=move |_| mode.set("now") />
                                    "Publish now"
                                </label>
                                <label class="flex items-center gap-2 text-sm text-slate-700">
                                    <input type="radio" name="when" data-testid="queue-radio" prop:checked=move || mode.get() == "queue" on:change=move |_| mode.set("queue") />
                                    "Add to queue"
                                    <span class="text-xs text-slate-500">"(each account's next free posting time)"</span>
                                </label>
                                <Show when=move || mode.get() == "queue">
                                    <p class="pl-6 text-xs text-slate-500">
                                        "Posting times are set per account on the "
                                        <a href="/queue" class="font-medium text-indigo-600 hover:underline">"Queue page"</a>
                                        "."
                                    </p>
                                </Show>
                                <label class="flex items-center gap-2 text-sm text-slate-700">
                                    <input type="radio" name="when" data-testid="schedule-radio" prop:checked=move || mode.get() == "at" on:change=move |_| mode.set("at") />
                                    "Schedule for"
                                </label>
                                <Show when=move || mode.get() == "at">
                                    <div class="flex flex-wrap items-center gap-2 pl-6">
                                        <label for="publish-when" class="sr-only">"Date and time"</label>
                                        <input id="publish-when" type="datetime-local" step="1" class=INPUT style="max-width:16rem" data-testid="publish-when"
                                            prop:value=move || when.get() on:input=move |ev| { when.set(event_target_value(&ev)); ask_fold.set(None); fold.set(String::new()); } />
                                        <span class="text-xs text-slate-500">{format!("Time zone: {}", timezone.get_value())}</span>
                                    </div>
                                </Show>
                                {move || ask_fold.get().map(|m| view! {
                                    <div class="ml-6 space-y-2 rounded-lg border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" role="alert">
                                        <p>{m}</p>
                                        <div class="flex gap-2">
                                            <button type="button" class=BTN on:click=move |_| { fold.set("earlier".into()); ask_fold.set(None); }>"The earlier one"</button>
                                            <button type="button" class=BTN on:click=move |_| { fold.set("later".into()); ask_fold.set(None); }>"The later one"</button>
                                        </div>
                                    </div>
                                })}
                            </fieldset>
                            {move || error.get().map(|e| view! { <p role="alert" class="rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800">{e}</p> })}
                            <div class="flex justify-end gap-2 border-t border-slate-100 pt-4">
                                <button type="button" class=BTN on:click=close>"Cancel"</button>
                                <button type="button" class=BTN_PRIMARY on:click=submit disabled=move || busy.get() || chosen.with(|c| c.is_empty()) data-testid="publish-submit">
                                    <Show when=move || busy.get()><Spinner /></Show>
                                    {move || {
                                        let n = chosen.with(|c| c.len());
                                        let verb = match mode.get() {
                                            "queue" => "Add to queue for",
                                            "at" => "Schedule for",
                                            _ => "Publish to",
                                        };
                                        format!("{verb} {n} account{}", if n == 1 { "" } else { "s" })
                                    }}
                                </button>
                            </div>
                        </div>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}

/// TikTok's Direct Post choices, asked of TikTok for the chosen account: who can see it (no
/// default, as TikTok requires), comments, and the commercial-content disclosure.
#[component]
fn TiktokChoices(connection: String, settings: RwSignal<TiktokSettings>) -> impl IntoView {
    let creator = Resource::new(move || connection.clone(), tiktok_creator);
    let disclose = RwSignal::new(settings.with_untracked(|s| s.your_brand || s.branded_content));
    let check = "h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500";
    view! {
        <fieldset class="space-y-3 rounded-xl border border-slate-200 px-4 py-3" data-testid="tiktok-choices">
            <legend class="px-1 text-sm font-semibold text-slate-900">"TikTok"</legend>
            <Transition fallback=|| view! { <p class="flex items-center gap-2 text-xs text-slate-500"><Spinner class="h-3 w-3" />"Asking TikTok what this account can post…"</p> }>
                {move || creator.get().map(|r| match r {
                    Err(e) => view! { <p role="alert" class="text-sm text-rose-700">{e.to_string()}</p> }.into_any(),
                    Ok(c) => view! {
                        <p class="text-xs text-slate-500">{format!("Posting as {}", c.nickname)}</p>
                        <div>
                            <label for="tiktok-privacy" class="mb-1 block text-sm font-medium text-slate-700">"Who can see this post"</label>
                            <select id="tiktok-privacy" class=INPUT required=true data-testid="tiktok-privacy"
                                on:change=move |ev| { let v = event_target_value(&ev); settings.update(|s| s.privacy_level = v); }>
                                <option value="" selected=move || settings.with(|s| s.privacy_level.is_empty())>"Choose…"</option>
                                {c.privacy.into_iter().map(|(value, label)| {
                                    let (v1, v2) = (value.clone(), value.clone());
                                    // TikTok does not allow branded content to be private.
                                    let blocked = move || v2 == "SELF_ONLY" && settings.with(|s| s.branded_content);
                                    view! { <option value=value selected=move || settings.with(|s| s.privacy_level == v1) disabled=blocked>{label}</option> }
                                }).collect_view()}
                            </select>
                            {(!c.audited).then(|| view! {
                                <p class="mt-1 text-xs text-amber-800">"TikTok has not audited this app yet, so its posts can only be private (Only me)."</p>
                            })}
                        </div>
                        <label class="flex items-center gap-2 text-sm text-slate-700">
                            <input type="checkbox" class=check disabled=c.comment_disabled
                                prop:checked=move || settings.with(|s| s.allow_comments)
                                on:change=move |ev| { let on = event_target_checked(&ev); settings.update(|s| s.allow_comments = on); } />
                            "Allow comments"
                            {c.comment_disabled.then(|| view! { <span class="text-xs text-slate-500">"(off in this account's TikTok settings)"</span> })}
                        </label>
                        <div class="space-y-2">
                            <label class="flex items-center gap-2 text-sm text-slate-700">
                                <input type="checkbox" class=check data-testid="tiktok-disclose" prop:checked=move || disclose.get()
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        disclose.set(on);
                                        if !on { settings.update(|s| { s.your_brand = false; s.branded_content = false; }); }
                                    } />
                                "This post promotes a brand, product or service"
                            </label>
                            <Show when=move || disclose.get()>
                                <div class="space-y-1.5 pl-6">
                                    <label class="flex items-start gap-2 text-sm text-slate-700">
                                        <input type="checkbox" class=format!("mt-0.5 {check}") prop:checked=move || settings.with(|s| s.your_brand)
                                            on:change=move |ev| { let on = event_target_checked(&ev); settings.update(|s| s.your_brand = on); } />
                                        <span>"Your brand"<span class="block text-xs text-slate-500">"You are promoting yourself or your own business. Labelled \"Promotional content\"."</span></span>
                                    </label>
                                    <label class="flex items-start gap-2 text-sm text-slate-700">
                                        <input type="checkbox" class=format!("mt-0.5 {check}") prop:checked=move || settings.with(|s| s.branded_content)
                                            on:change=move |ev| { let on = event_target_checked(&ev); settings.update(|s| s.branded_content = on); } />
                                        <span>"Branded content"<span class="block text-xs text-slate-500">"You are promoting another brand or a third party. Labelled \"Paid partnership\"; it cannot be private."</span></span>
                                    </label>
                                </div>
                            </Show>
                        </div>
                        <p class="text-xs text-slate-500">
                            {move || if settings.with(|s| s.branded_content) {
                                "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation."
                            } else {
                                "By posting, you agree to TikTok's Music Usage Confirmation."
                            }}
                        </p>
                    }.into_any(),
                })}
            </Transition>
        </fieldset>
    }
}

/// Pinterest's board for the Pin, listed by Pinterest for the chosen account and preselected
/// with the board this account's last post went to (else its first board).
#[component]
fn PinterestChoices(connection: String, settings: RwSignal<PinterestSettings>) -> impl IntoView {
    let boards = Resource::new(move || connection.clone(), pinterest_boards);
    // Once the list is in, keep the current choice if it is one of them, else preselect.
    Effect::new(move |_| {
        if let Some(Ok(v)) = boards.get() {
            let current = settings.with_untracked(|s| s.board_id.clone());
            if !v.boards.iter().any(|(id, _)| *id == current) {
                let last = v.last_board.filter(|l| v.boards.iter().any(|(id, _)| id == l));
                let pick = last.or_else(|| v.boards.first().map(|(id, _)| id.clone())).unwrap_or_default();
                settings.update(|s| s.board_id = pick);
            }
        }
    });
    view! {
        <fieldset class="space-y-3 rounded-xl border border-slate-200 px-4 py-3" data-testid="pinterest-choices">
            <legend class="px-1 text-sm font-semibold text-slate-900">"Pinterest"</legend>
            <Transition fallback=|| view! { <p class="flex items-center gap-2 text-xs text-slate-500"><Spinner class="h-3 w-3" />"Asking Pinterest for this account's boards…"</p> }>
                {move || boards.get().map(|r| match r {
                    Err(e) => view! { <p role="alert" class="text-sm text-rose-700">{e.to_string()}</p> }.into_any(),
                    Ok(v) if v.boards.is_empty() => view! {
                        <p class="text-sm text-amber-800">"This Pinterest account has no board yet. Create a board on Pinterest, then publish again."</p>
                    }.into_any(),
                    Ok(v) => view! {
                        <div>
                            <label for="pinterest-board" class="mb-1 block text-sm font-medium text-slate-700">"Board"</label>
                            <select id="pinterest-board" class=INPUT required=true data-testid="pinterest-board"
                                on:change=move |ev| { let v = event_target_value(&ev); settings.update(|s| s.board_id = v); }>
                                {v.boards.into_iter().map(|(id, name)| {
                                    let id1 = id.clone();
                                    view! { <option value=id selected=move || settings.with(|s| s.board_id == id1)>{name}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </fieldset>
    }
}

/// YouTube's upload choices: who can see the video and whether it is made for kids (neither
/// has a default: YouTube requires the made-for-kids answer under COPPA), and its category.
#[component]
fn YoutubeChoices(settings: RwSignal<YoutubeSettings>) -> impl IntoView {
    let radio = "h-4 w-4 border-slate-300 text-indigo-600 focus:ring-indigo-500";
    let kids = move |answer: bool, label: &'static str, testid: &'static str| {
        view! {
            <label class="flex items-center gap-2 text-sm text-slate-700">
                <input type="radio" name="youtube-kids" class=radio required=true data-testid=testid
                    prop:checked=move || settings.with(|s| s.made_for_kids == Some(answer))
                    on:change=move |_| settings.update(|s| s.made_for_kids = Some(answer)) />
                {label}
            </label>
        }
    };
    view! {
        <fieldset class="space-y-3 rounded-xl border border-slate-200 px-4 py-3" data-testid="youtube-choices">
            <legend class="px-1 text-sm font-semibold text-slate-900">"YouTube"</legend>
            <div>
                <label for="youtube-privacy" class="mb-1 block text-sm font-medium text-slate-700">"Who can see this video"</label>
                <select id="youtube-privacy" class=INPUT required=true data-testid="youtube-privacy"
                    on:change=move |ev| { let v = event_target_value(&ev); settings.update(|s| s.privacy_status = v); }>
                    <option value="" selected=move || settings.with(|s| s.privacy_status.is_empty())>"Choose…"</option>
                    {YOUTUBE_PRIVACY.into_iter().map(|(value, label)| view! {
                        <option value=value selected=move || settings.with(|s| s.privacy_status == value)>{label}</option>
                    }).collect_view()}
                </select>
            </div>
            <fieldset class="space-y-1.5">
                <legend class="mb-1 text-sm font-medium text-slate-700">"Is this video made for kids? (required)"</legend>
                {kids(true, "Yes, it's made for kids", "youtube-kids-yes")}
                {kids(false, "No, it's not made for kids", "youtube-kids-no")}
                <p class="text-xs text-slate-500">"YouTube requires this answer for every video (COPPA)."</p>
            </fieldset>
            <div>
                <label for="youtube-category" class="mb-1 block text-sm font-medium text-slate-700">"Category"</label>
                <select id="youtube-category" class=INPUT data-testid="youtube-category"
                    on:change=move |ev| { let v = event_target_value(&ev); settings.update(|s| s.category_id = v); }>
                    {YOUTUBE_CATEGORIES.into_iter().map(|(id, name)| view! {
                        <option value=id selected=move || settings.with(|s| s.category() == id)>{name}</option>
                    }).collect_view()}
                </select>
            </div>
        </fieldset>
    }
}
