//! Server functions: thin wrappers that check the session, parse input into domain types and
//! call the core. Mutations are posted by forms carrying the CSRF field (checked by the
//! server's middleware before any of these run).

use crate::errors::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A one-time message carried across a redirect (e.g. "wrong password").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flash {
    /// `error` or `success`.
    pub kind: String,
    pub message: String,
    /// The e-mail the user typed, to refill the form.
    #[serde(default)]
    pub email: Option<String>,
}

/// The signed-in person: the core's `User` and the sign-in providers linked to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    #[serde(flatten)]
    pub user: covalynce::User,
    pub providers: Vec<String>,
}

/// Pages read the person's fields directly (`me.name`).
impl std::ops::Deref for UserView {
    type Target = covalynce::User;
    fn deref(&self) -> &covalynce::User {
        &self.user
    }
}

impl UserView {
    pub fn initials(&self) -> String {
        crate::components::initials(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderButton {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageCtx {
    pub user: Option<UserView>,
    pub csrf: String,
    pub providers: Vec<ProviderButton>,
    pub demo: bool,
    pub flash: Option<Flash>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    pub device: String,
    pub ip: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// "5 min ago", computed on the server (the browser build has no clock of its own here).
    pub last_seen: String,
    pub current: bool,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::state::{AppState, RequestCtx};
    use covalynce::auth::AccessClaims;
    pub use covalynce::Kind;
    use http::request::Parts;

    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| AppError::internal("server state missing"))
    }

    pub fn request_ctx() -> Result<RequestCtx, AppError> {
        use_context::<Parts>()
            .and_then(|p| p.extensions.get::<RequestCtx>().cloned())
            .ok_or_else(|| AppError::internal("request context missing"))
    }

    /// The signed-in caller, or a 401 with a message the page can show.
    pub fn require_user() -> Result<(AppState, AccessClaims), AppError> {
        let st = state()?;
        match request_ctx()?.user {
            Some(u) => Ok((st, u)),
            None => Err(covalynce::auth::AuthError::Unauthenticated.into()),
        }
    }

    pub async fn user_view(st: &AppState, user_id: &str) -> Result<UserView, AppError> {
        let u = st.auth.user(user_id).await?;
        let providers = st.auth.identities(user_id).await?;
        Ok(UserView { user: u, providers })
    }
}

#[server(prefix = "/sfn", endpoint = "page_context", input = server_fn::codec::GetUrl)]
pub async fn page_context() -> Result<PageCtx, AppError> {
    use self::ssr::*;
    let st = state()?;
    let rc = request_ctx()?;
    let user = match &rc.user {
        Some(c) => user_view(&st, &c.sub).await.ok(),
        None => None,
    };
    if rc.flash.is_some() {
        // Shown once: clear it with this response.
        if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
            r.append_header(
                http::header::SET_COOKIE,
                http::HeaderValue::from_static("cov_flash=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
            );
        }
    }
    Ok(PageCtx {
        user,
        csrf: rc.csrf,
        providers: st
            .providers
            .enabled()
            .into_iter()
            .map(|p| ProviderButton { id: p.as_str().into(), name: p.display_name().into() })
            .collect(),
        demo: st.site.demo,
        flash: rc.flash,
    })
}

#[server(prefix = "/sfn", endpoint = "update_profile")]
/// `csrf` is checked by the server middleware before this runs; it is an argument so the
/// hydrated form sends it too.
pub async fn update_profile(csrf: String, name: String, timezone: String) -> Result<UserView, AppError> {
    let _ = csrf;
    use self::ssr::*;
    let (st, me) = require_user()?;
    st.auth.update_profile(&me.sub, &name, &timezone).await?;
    user_view(&st, &me.sub).await
}

#[server(prefix = "/sfn", endpoint = "list_sessions", input = server_fn::codec::GetUrl)]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    use self::ssr::*;
    let (st, me) = require_user()?;
    let list = st.auth.sessions(&me.sub).await?;
    let now = covalynce::db::now_ms();
    Ok(list
        .into_iter()
        .map(|s| SessionView {
            current: s.id == me.sid,
            device: crate::components::describe_agent(&s.user_agent),
            id: s.id,
            ip: s.ip,
            created_at: s.created_at,
            last_seen: crate::components::ago(s.last_seen_at, now),
            last_seen_at: s.last_seen_at,
        })
        .collect())
}

#[server(prefix = "/sfn", endpoint = "revoke_session")]
pub async fn revoke_session(csrf: String, id: String) -> Result<(), AppError> {
    let _ = csrf;
    use self::ssr::*;
    let (st, me) = require_user()?;
    if !st.auth.logout(&me.sub, &id).await? {
        return Err(AppError::refuse(Kind::NotFound, "not_found", "That session was not found. It may have ended already."));
    }
    if id == me.sid {
        leptos_axum::redirect("/login");
    }
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "logout_everywhere")]
pub async fn logout_everywhere(csrf: String) -> Result<u64, AppError> {
    let _ = csrf;
    use self::ssr::*;
    let (st, me) = require_user()?;
    let n = st.auth.logout_all(&me.sub).await?;
    leptos_axum::redirect("/login");
    Ok(n)
}

/// Time-zone names for the profile picker.
#[server(prefix = "/sfn", endpoint = "timezones", input = server_fn::codec::GetUrl)]
#[allow(clippy::unused_async)] // server functions are async by contract
pub async fn timezones() -> Result<Vec<String>, AppError> {
    Ok(covalynce::Timezone::all_names().map(str::to_string).collect())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub id: String,
    pub platform: String,
    pub display_name: String,
    pub username: String,
    pub avatar_url: Option<String>,
    pub scopes: Vec<String>,
    /// e.g. "24 Nov 2026", formatted on the server.
    pub consent_date: String,
    pub last_used: String,
    /// healthy | expiring_soon | expired | reconnect_needed
    pub health: covalynce::Health,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourcesData {
    pub connections: Vec<ConnectionView>,
    /// Platforms this server can connect (others need configuration).
    pub configured: Vec<String>,
    /// Pinned platform API versions near their sunset: what to update, and by when.
    pub api_warnings: Vec<String>,
}

#[server(prefix = "/sfn", endpoint = "list_connections", input = server_fn::codec::GetUrl)]
pub async fn list_connections() -> Result<SourcesData, AppError> {
    use self::ssr::*;
    let (st, me) = require_user()?;
    let list = st.connections.list(&me.sub).await?;
    let now = covalynce::db::now_ms();
    let connections = list
        .into_iter()
        .map(|c| {
            let health = c.health(now);
            ConnectionView {
                id: c.id,
                platform: c.platform.as_str().into(),
                display_name: c.display_name,
                username: c.username,
                avatar_url: c.avatar_url,
                scopes: c.scopes,
                consent_date: chrono::DateTime::from_timestamp_millis(c.consent_at)
                    .map(|t| t.format("%-d %b %Y").to_string())
                    .unwrap_or_default(),
                last_used: c.last_used_at.map(|t| crate::components::ago(t, now)).unwrap_or_else(|| "not used yet".into()),
                health,
                last_error: c.last_error,
            }
        })
        .collect();
    let configured = st.connections.platforms().configured().into_iter().map(|p| p.as_str().to_string()).collect();
    let api_warnings =
        covalynce::platforms::versions::sunset_warnings(chrono::Utc::now().date_naive()).into_iter().map(|w| w.message).collect();
    Ok(SourcesData { connections, configured, api_warnings })
}

/// The accounts a login offered to choose from (`/sources/choose/{id}`).
#[server(prefix = "/sfn", endpoint = "connect_pick", input = server_fn::codec::GetUrl)]
pub async fn connect_pick(id: String) -> Result<covalynce::domain::Pick, AppError> {
    use self::ssr::*;
    let (st, me) = require_user()?;
    st.connections.pick(&me.sub, &id).await.map_err(AppError::from)
}
