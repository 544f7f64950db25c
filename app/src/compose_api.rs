//! Server functions for the editor and the AI settings: thin wrappers over `covalynce::drafts`
//! and `covalynce::ai`, the same core code the JSON API uses.

use crate::errors::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DraftView {
    pub id: String,
    pub title: String,
    pub idea: String,
    pub status: covalynce::DraftStatus,
    pub image_url: Option<String>,
    pub image_generated: bool,
    pub variants: BTreeMap<String, String>,
    /// "14:05" in the user's time zone, computed on the server.
    pub saved_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateOption {
    pub id: String,
    pub name: String,
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorInit {
    pub draft: Option<DraftView>,
    pub templates: Vec<TemplateOption>,
    /// Platforms with at least one connected account.
    pub connected: Vec<String>,
    pub has_ai_key: bool,
    pub author: String,
    /// Accounts the publish dialog offers.
    pub accounts: Vec<AccountOption>,
    /// The profile's zone, and a sensible default for "schedule" (an hour from now, local).
    pub timezone: String,
    pub default_when: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountOption {
    pub id: String,
    pub platform: String,
    pub username: String,
    pub display_name: String,
    pub healthy: bool,
    /// The most characters this account takes (a Mastodon server sets its own).
    pub text_limit: u32,
}

/// One publication as the publish dialog shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostView {
    pub id: String,
    pub batch_id: String,
    pub platform: String,
    pub account_name: String,
    pub status: covalynce::PostStatus,
    pub external_url: Option<String>,
    pub error_message: Option<String>,
    pub guidance: Option<String>,
    /// Local "24 Nov 14:30", computed on the server.
    pub when: String,
}

/// What a TikTok account may choose for a post right now (from TikTok's `creator_info`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TiktokCreatorView {
    pub nickname: String,
    /// (TikTok's value, the words to show), in TikTok's order.
    pub privacy: Vec<(String, String)>,
    pub comment_disabled: bool,
    /// False until TikTok audits this app: only private posts.
    pub audited: bool,
}

/// A Pinterest account's boards, and the one its last post went to (preselected).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PinterestBoardsView {
    /// (board id, board name), in Pinterest's order.
    pub boards: Vec<(String, String)>,
    /// The board of this account's most recent post that named one.
    pub last_board: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedView {
    pub variants: BTreeMap<String, String>,
    pub source: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionView {
    pub id: String,
    pub kind: String,
    pub when: String,
    pub title: String,
    pub platforms: usize,
}

pub use covalynce_views::*;

/// Types shared with the browser build (the core's `ai` module is server-only).
mod covalynce_views {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
    pub struct AiSettingsView {
        pub openai_key_hint: Option<String>,
        pub base_url: String,
        pub model: String,
        pub gemini_key_hint: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct KeyTestView {
        pub ok: bool,
        pub message: String,
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;

    pub use crate::api::ssr::Kind;

    /// Local "HH:MM" for the "Saved" indicator.
    pub async fn local_time(st: &crate::state::AppState, user_id: &str, ms: i64) -> String {
        let tz = st
            .auth
            .user(user_id)
            .await
            .ok()
            .and_then(|u| covalynce::Timezone::parse(&u.timezone).ok())
            .unwrap_or_else(covalynce::Timezone::utc)
            .tz();
        chrono::DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&tz).format("%H:%M").to_string()).unwrap_or_default()
    }

    pub async fn view(st: &crate::state::AppState, user_id: &str, d: covalynce::drafts::Draft) -> DraftView {
        DraftView {
            saved_at: local_time(st, user_id, d.updated_at).await,
            id: d.id,
            title: d.title,
            idea: d.idea,
            status: d.status,
            image_url: d.image_url,
            image_generated: d.image_generated,
            variants: d.variants,
        }
    }

    pub async fn post_views(st: &crate::state::AppState, user_id: &str, posts: Vec<covalynce::publish::Post>) -> Vec<PostView> {
        let tz = st.publisher.timezone(user_id).await;
        posts
            .into_iter()
            .map(|p| PostView {
                when: covalynce::utc_ms_to_local(&tz, p.published_at.unwrap_or(p.scheduled_at))
                    .map(|t| t.format("%-d %b %H:%M").to_string())
                    .unwrap_or_default(),
                id: p.id,
                batch_id: p.batch_id,
                platform: p.platform,
                account_name: p.account_name,
                status: p.status,
                external_url: p.external_url,
                error_message: p.error_message,
                guidance: p.guidance,
            })
            .collect()
    }

    /// One of the person's accounts, its tokens and its platform's adapter, for a question
    /// the publish dialog asks the platform (`name` words the refusals).
    pub async fn account_adapter(
        st: &crate::state::AppState,
        user_id: &str,
        connection: &str,
        name: &str,
    ) -> Result<
        (covalynce::connections::Connection, covalynce::platforms::Grant, std::sync::Arc<dyn covalynce::platforms::Platform>),
        AppError,
    > {
        let (conn, grant, _) = st
            .connections
            .grant(user_id, connection)
            .await
            .map_err(|_| AppError::refuse(Kind::NotFound, "not_found", format!("That {name} account was not found.")))?;
        let adapter =
            st.connections.platforms().get(conn.platform).ok_or_else(|| {
                AppError::refuse(Kind::Invalid, "platform_not_configured", format!("{name} is not set up on this server."))
            })?;
        Ok((conn, grant, adapter))
    }

    pub fn settings_view(s: covalynce::ai::AiSettingsView) -> AiSettingsView {
        AiSettingsView { openai_key_hint: s.openai_key_hint, base_url: s.base_url, model: s.model, gemini_key_hint: s.gemini_key_hint }
    }
}

#[server(prefix = "/sfn", endpoint = "editor_data", input = server_fn::codec::GetUrl)]
pub async fn editor_data(draft: Option<String>) -> Result<EditorInit, AppError> {
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let draft = match draft.filter(|d| !d.is_empty()) {
        Some(id) => Some(view(&st, &me.sub, st.drafts.get(&me.sub, &id).await?).await),
        None => None,
    };
    let templates =
        st.drafts.templates(&me.sub).await?.into_iter().map(|t| TemplateOption { id: t.id, name: t.name, category: t.category }).collect();
    let conns = st.connections.list(&me.sub).await?;
    let mut connected: Vec<String> = conns.iter().map(|c| c.platform.as_str().to_string()).collect();
    connected.dedup();
    let mut accounts = Vec::with_capacity(conns.len());
    for c in conns {
        accounts.push(AccountOption {
            text_limit: st.connections.text_limit(&me.sub, &c).await,
            healthy: !c.needs_reconnect(),
            id: c.id,
            platform: c.platform.as_str().into(),
            username: c.username,
            display_name: c.display_name,
        });
    }
    let tz = st.publisher.timezone(&me.sub).await;
    let default_when = covalynce::utc_ms_to_local(&tz, covalynce::db::now_ms() + 3_600_000)
        .map(|t| t.format("%Y-%m-%dT%H:00").to_string())
        .unwrap_or_default();
    let has_ai_key = st.ai.settings(&me.sub).await?.openai_key_hint.is_some();
    let author = st.auth.user(&me.sub).await.map(|u| u.name).unwrap_or_default();
    Ok(EditorInit { draft, templates, connected, has_ai_key, author, accounts, timezone: tz.as_str().to_string(), default_when })
}

/// Creates the draft on the first save (`id` empty), then updates it. `variants` is a JSON
/// object platform → text; a platform missing from it is removed from the draft.
#[server(prefix = "/sfn", endpoint = "save_draft")]
pub async fn save_draft(
    csrf: String,
    id: String,
    title: String,
    idea: String,
    variants: String,
    autosave: bool,
) -> Result<DraftView, AppError> {
    let _ = csrf;
    use self::ssr::*;
    use crate::api::ssr::require_user;
    use covalynce::drafts::{DraftInput, SaveKind};
    let (st, me) = require_user()?;
    let wanted: BTreeMap<String, String> = serde_json::from_str(&variants)
        .map_err(|_| AppError::refuse(Kind::Invalid, "invalid_variants", "The post texts could not be read. Reload the page."))?;
    let title = Some(title).filter(|t| !t.trim().is_empty());
    let d = if id.is_empty() {
        let input = DraftInput { title, idea: Some(idea), variants: Some(wanted.into_iter().collect()), ..Default::default() };
        st.drafts.create(&me.sub, input).await?
    } else {
        let current = st.drafts.get(&me.sub, &id).await?;
        let mut all: std::collections::HashMap<String, String> = current.variants.keys().map(|k| (k.clone(), String::new())).collect();
        all.extend(wanted);
        let input = DraftInput { title, idea: Some(idea), variants: Some(all), ..Default::default() };
        let kind = if autosave { SaveKind::Autosave } else { SaveKind::Save };
        st.drafts.save(&me.sub, &id, input, kind).await?
    };
    Ok(view(&st, &me.sub, d).await)
}

/// `platforms` is comma-separated platform ids.
#[server(prefix = "/sfn", endpoint = "generate_variants")]
pub async fn generate_variants(csrf: String, idea: String, platforms: String, mode: String) -> Result<GeneratedView, AppError> {
    let _ = csrf;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let req = covalynce::ai::GenerateRequest {
        idea,
        platforms: platforms.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect(),
        mode: Some(mode).filter(|m| !m.is_empty()),
    };
    let g = st.ai.generate(&me.sub, &req).await?;
    Ok(GeneratedView { variants: g.variants, source: g.source, warnings: g.warnings })
}

#[server(prefix = "/sfn", endpoint = "apply_template")]
pub async fn apply_template(csrf: String, template: String, idea: String, platforms: String) -> Result<BTreeMap<String, String>, AppError> {
    let _ = csrf;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let mut list = vec![];
    for p in platforms.split(',').filter(|p| !p.is_empty()) {
        list.push(covalynce::PlatformId::parse(p)?);
    }
    let mut out = st.drafts.use_template(&me.sub, &template, &idea, &list).await?;
    // Templates may not cover every platform: those keep what they have.
    for (p, body) in out.iter_mut() {
        if let Ok(pid) = covalynce::PlatformId::parse(p) {
            *body = covalynce::fit_to_limit(pid, body);
        }
    }
    Ok(out)
}

#[server(prefix = "/sfn", endpoint = "draft_versions", input = server_fn::codec::GetUrl)]
pub async fn draft_versions(id: String) -> Result<Vec<VersionView>, AppError> {
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let now = covalynce::db::now_ms();
    let list = st.drafts.versions(&me.sub, &id).await?;
    let mut out = vec![];
    for v in list {
        let when = format!("{} · {}", local_time(&st, &me.sub, v.created_at).await, crate::components::ago(v.created_at, now));
        out.push(VersionView { id: v.id, kind: v.kind, when, title: v.title, platforms: v.variants.len() });
    }
    Ok(out)
}

#[server(prefix = "/sfn", endpoint = "restore_version")]
pub async fn restore_version(csrf: String, id: String, version: String) -> Result<DraftView, AppError> {
    let _ = csrf;
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let d = st.drafts.restore(&me.sub, &id, &version).await?;
    Ok(view(&st, &me.sub, d).await)
}

/// Detaches the image from the draft (the stored file goes too when it is ours).
#[server(prefix = "/sfn", endpoint = "remove_draft_image")]
pub async fn remove_draft_image(csrf: String, id: String) -> Result<DraftView, AppError> {
    let _ = csrf;
    use self::ssr::*;
    use crate::api::ssr::require_user;
    use covalynce::drafts::DraftInput;
    let (st, me) = require_user()?;
    let d = st.drafts.get(&me.sub, &id).await?;
    let input = DraftInput { image_url: Some(None), image_generated: Some(false), ..Default::default() };
    let updated = st.drafts.update(&me.sub, &id, input).await?;
    let upload = d.image_url.as_deref().and_then(|u| covalynce::ImageRef::parse(u).ok());
    if let Some(image_id) = upload.as_ref().and_then(|r| r.upload_id()) {
        // Best effort: the draft no longer points at it either way.
        let _ = st.media.delete(&me.sub, image_id).await;
    }
    Ok(view(&st, &me.sub, updated).await)
}

#[server(prefix = "/sfn", endpoint = "ai_settings", input = server_fn::codec::GetUrl)]
pub async fn ai_settings() -> Result<AiSettingsView, AppError> {
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    Ok(settings_view(st.ai.settings(&me.sub).await?))
}

/// Saves one field (the settings form saves each on blur). `field` is openai_key, base_url,
/// model or gemini_key.
#[server(prefix = "/sfn", endpoint = "save_ai_setting")]
pub async fn save_ai_setting(csrf: String, field: String, value: String) -> Result<AiSettingsView, AppError> {
    let _ = csrf;
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let mut input = covalynce::ai::AiSettingsInput::default();
    match field.as_str() {
        "openai_key" => input.openai_key = Some(value),
        "base_url" => input.base_url = Some(value),
        "model" => input.model = Some(value),
        "gemini_key" => input.gemini_key = Some(value),
        _ => return Err(AppError::refuse(Kind::Invalid, "unknown_setting", "Unknown setting.")),
    }
    Ok(settings_view(st.ai.save(&me.sub, input).await?))
}

#[server(prefix = "/sfn", endpoint = "test_ai_key")]
pub async fn test_ai_key(csrf: String) -> Result<KeyTestView, AppError> {
    let _ = csrf;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let t = st.ai.test_key(&me.sub).await?;
    Ok(KeyTestView { ok: t.ok, message: t.message })
}

/// Publishes the draft to the chosen accounts (`accounts` comma-separated), now (`when`
/// empty) or at a local time `YYYY-MM-DDTHH:MM` in the profile's zone. Errors are
/// `code|message`. `options` is the JSON of each network's choices (`PostOptions`).
#[server(prefix = "/sfn", endpoint = "publish_draft")]
pub async fn publish_draft(
    csrf: String,
    draft: String,
    accounts: String,
    when: String,
    fold: String,
    options: String,
) -> Result<Vec<PostView>, AppError> {
    let _ = csrf;
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let d = st.drafts.get(&me.sub, &draft).await?;
    let at = if when.trim().is_empty() { None } else { Some(st.publisher.local_to_utc(&me.sub, &when, &fold).await?) };
    // JSON: a form-encoded nested struct with every part empty does not decode.
    let options: covalynce::domain::PostOptions = if options.trim().is_empty() {
        Default::default()
    } else {
        serde_json::from_str(&options)
            .map_err(|e| AppError::refuse(Kind::Invalid, "invalid_options", format!("The network choices could not be read: {e}")))?
    };
    let req = covalynce::publish::PublishRequest {
        connection_ids: accounts.split(',').filter(|a| !a.is_empty()).map(str::to_string).collect(),
        scheduled_at: at,
        options,
        ..Default::default()
    };
    let posts = st.publisher.publish(&me.sub, Some(&d), req).await?;
    Ok(post_views(&st, &me.sub, posts).await)
}

/// "Add to queue": the draft goes to each chosen account's next free posting time, all or none.
#[server(prefix = "/sfn", endpoint = "queue_draft")]
pub async fn queue_draft(csrf: String, draft: String, accounts: String) -> Result<Vec<PostView>, AppError> {
    let _ = csrf;
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let d = st.drafts.get(&me.sub, &draft).await?;
    let ids: Vec<String> = accounts.split(',').filter(|a| !a.is_empty()).map(str::to_string).collect();
    let posts = crate::schedule_api::ssr::scheduler(&st).queue_draft(&me.sub, &d, &ids).await?;
    Ok(post_views(&st, &me.sub, posts).await)
}

/// The publications of one publish action, for the dialog's live progress.
#[server(prefix = "/sfn", endpoint = "batch_status", input = server_fn::codec::GetUrl)]
pub async fn batch_status(batch: String) -> Result<Vec<PostView>, AppError> {
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let q = covalynce::publish::PostQuery { batch_id: Some(batch), ..Default::default() };
    let posts = st.publisher.list(&me.sub, &q).await?;
    Ok(post_views(&st, &me.sub, posts).await)
}

/// The choices one of the person's TikTok accounts has right now (asked of TikTok each time
/// the publish dialog needs them, as TikTok's guidelines require).
#[server(prefix = "/sfn", endpoint = "tiktok_creator", input = server_fn::codec::GetUrl)]
pub async fn tiktok_creator(connection: String) -> Result<TiktokCreatorView, AppError> {
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let (conn, grant, adapter) = account_adapter(&st, &me.sub, &connection, "TikTok").await?;
    let account = conn.profile();
    let o = adapter
        .creator_options(&grant, &account)
        .await
        .map_err(|e| AppError::refuse(Kind::Upstream, "platform_error", format!("TikTok did not say what this account may post: {e}")))?
        .ok_or_else(|| AppError::refuse(Kind::Invalid, "wrong_platform", "Only TikTok accounts have these choices."))?;
    Ok(TiktokCreatorView {
        nickname: if o.nickname.is_empty() { conn.display_name } else { o.nickname },
        privacy: o
            .privacy_levels
            .into_iter()
            .map(|l| {
                let label = covalynce::domain::TiktokSettings::privacy_label(&l).to_string();
                (l, label)
            })
            .collect(),
        comment_disabled: o.comment_disabled,
        audited: o.audited,
    })
}

/// The boards one of the person's Pinterest accounts can pin to (asked of Pinterest each time),
/// and the board its last post went to.
#[server(prefix = "/sfn", endpoint = "pinterest_boards", input = server_fn::codec::GetUrl)]
pub async fn pinterest_boards(connection: String) -> Result<PinterestBoardsView, AppError> {
    use self::ssr::*;
    use crate::api::ssr::require_user;
    let (st, me) = require_user()?;
    let (conn, grant, adapter) = account_adapter(&st, &me.sub, &connection, "Pinterest").await?;
    let account = conn.profile();
    let boards = adapter
        .boards(&grant, &account)
        .await
        .map_err(|e| AppError::refuse(Kind::Upstream, "platform_error", format!("Pinterest did not list this account's boards: {e}")))?
        .ok_or_else(|| AppError::refuse(Kind::Invalid, "wrong_platform", "Only Pinterest accounts have boards."))?;
    let last = st.publisher.last_options(&me.sub, &conn.id).await?;
    Ok(PinterestBoardsView { boards: boards.into_iter().map(|b| (b.id, b.name)).collect(), last_board: last.pinterest.map(|p| p.board_id) })
}
