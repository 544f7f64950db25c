//! Threads API (contracts §5): its own OAuth (comma-separated scopes, no PKCE), a 1-hour
//! token exchanged for a 60-day one that `th_refresh_token` replaces, and container → wait →
//! `threads_publish` publishing (text-only allowed; media fetched from public URLs).

use super::http::Answer;
use super::meta::{graph_error, graph_ok, graph_recent, insight_values, publish_container, Containers, GRAPH_RECENT_PAGE};
use super::versions::THREADS_VERSION;
use super::*;
use crate::outbound::web_url;
use serde_json::{json, Value};

pub struct Threads {
    cfg: PlatformConfig,
    http: Http,
}

/// The catalogue's required scopes plus `threads_manage_insights` (optional there: the only
/// source of Threads metrics, so without it they stay empty).
const SCOPES: [&str; 3] = ["threads_basic", "threads_content_publish", "threads_manage_insights"];
/// Carousel items per post.
const MAX_ITEMS: usize = 20;
/// Meta refreshes only tokens at least this old.
const REFRESH_MIN_AGE_MS: i64 = 24 * 3_600_000;
/// The earliest `since` the Threads API takes (2023-07-05, its launch); earlier is an error.
const EARLIEST_SINCE: i64 = 1_688_540_400;

impl Threads {
    pub fn new(cfg: PlatformConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    fn api(&self, path: &str) -> String {
        self.cfg.api_url(&format!("/{THREADS_VERSION}{path}"))
    }

    /// A long-lived token answer → grant. The token itself is the refresh credential.
    fn grant_from(&self, v: &Value, user_id: &Value) -> Result<Grant, PlatformError> {
        let token = v["access_token"].as_str().ok_or_else(|| PlatformError::unsupported("Threads sent no access token"))?;
        Ok(Grant {
            access_token: token.into(),
            refresh_token: None,
            expires_at: super::oauth::expires_in(v["expires_in"].as_i64()),
            scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
            // `issued_at`: Meta refuses to refresh tokens younger than a day.
            extra: json!({"user_id": user_id, "issued_at": chrono::Utc::now().timestamp_millis()}),
        })
    }

    /// `POST /{user}/threads` containers, polled on `status`.
    fn containers<'a>(&'a self, grant: &'a Grant, user: &str) -> Containers<'a> {
        Containers {
            http: &self.http,
            token: &grant.access_token,
            create_url: self.api(&format!("/{user}/threads")),
            object_base: self.api(""),
            status_field: "status",
            text_key: "text",
            image_type: Some("IMAGE"),
            name: "Threads",
            refreshable: true,
        }
    }
}

impl Classify for Threads {
    /// An expired token is worth one refresh; a revoked one is not (see `graph_error`).
    fn error(&self, a: &Answer) -> PlatformError {
        graph_error(a, "Threads", true)
    }
}

#[async_trait::async_trait]
impl Platform for Threads {
    fn id(&self) -> PlatformId {
        PlatformId::Threads
    }

    fn scopes(&self) -> Vec<&'static str> {
        SCOPES.to_vec()
    }

    async fn authorize_url(&self, p: &AuthorizeParams) -> Result<(String, Value), PlatformError> {
        Ok((self.cfg.consent_url("/oauth/authorize", "client_id", &SCOPES.join(","), &p.state, &[])?, Value::Null))
    }

    /// Code → 1-hour token → 60-day token (`th_exchange_token`).
    async fn exchange_code(&self, code: &str, _code_verifier: &str, _pending: &Value) -> Result<Grant, PlatformError> {
        let form = [
            ("client_id", self.cfg.client_id.as_str()),
            ("client_secret", self.cfg.client_secret.as_str()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", self.cfg.redirect_uri.as_str()),
            ("code", code),
        ];
        let a = self.http.send(self.http.client.post(self.cfg.token_url("/oauth/access_token")).form(&form)).await?;
        let v = graph_ok(&a, "Threads", false)?;
        let short = v["access_token"].as_str().ok_or_else(|| PlatformError::unsupported("Threads sent no access token"))?;
        let q = [("grant_type", "th_exchange_token"), ("client_secret", self.cfg.client_secret.as_str()), ("access_token", short)];
        let a = self.http.send(self.http.client.get(self.cfg.token_url("/access_token")).query(&q)).await?;
        let long = graph_ok(&a, "Threads", false)?;
        self.grant_from(&long, &v["user_id"])
    }

    /// `th_refresh_token` replaces the token with a new 60-day one. It must be unexpired (an
    /// expired one needs the person again) and at least a day old (a younger one is simply
    /// kept: it has nearly 60 days left).
    async fn refresh(&self, grant: &Grant) -> Result<Grant, PlatformError> {
        let q = [("grant_type", "th_refresh_token"), ("access_token", grant.access_token.as_str())];
        let a = self.http.send(self.http.client.get(self.cfg.token_url("/refresh_access_token")).query(&q)).await?;
        if a.ok() {
            return self.grant_from(&a.json(), &grant.extra["user_id"]);
        }
        // Refreshing cannot revive a dead token: reconnect.
        let mut e = graph_error(&a, "Threads", false);
        let issued = grant.extra["issued_at"].as_i64().unwrap_or(0);
        let young = chrono::Utc::now().timestamp_millis() - issued < REFRESH_MIN_AGE_MS;
        if e.class == ErrorClass::Rejected && young {
            return Ok(grant.clone());
        }
        if e.class == ErrorClass::Rejected {
            e.class = ErrorClass::Disconnected;
        }
        Err(e)
    }

    /// Threads documents no revoke endpoint: the person removes the app in Threads' settings
    /// (Website permissions). Deleting our copy of the token is all we can do.
    async fn revoke(&self, _grant: &Grant) -> Result<(), PlatformError> {
        Ok(())
    }

    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError> {
        let a = self
            .http
            .send(
                self.http
                    .client
                    .get(self.api("/me"))
                    .query(&[("fields", "id,username,name,threads_profile_picture_url")])
                    .bearer_auth(&grant.access_token),
            )
            .await?;
        let v = graph_ok(&a, "Threads", true)?;
        let id = v["id"].as_str().ok_or_else(|| PlatformError::unsupported("Threads returned no profile id"))?;
        let username = v["username"].as_str().unwrap_or(id).to_string();
        let profile = AccountProfile {
            external_id: id.into(),
            display_name: v["name"].as_str().filter(|n| !n.is_empty()).unwrap_or(&username).to_string(),
            username,
            avatar_url: web_url(v["threads_profile_picture_url"].as_str()),
        };
        Ok(vec![(profile, grant.clone())])
    }

    async fn publish(&self, grant: &Grant, account: &AccountProfile, post: &PostContent) -> Result<Published, PlatformError> {
        let user = account.external_id.as_str();
        let c = self.containers(grant, user);
        let creation = if post.images.is_empty() {
            let id = c.create(&[("media_type", "TEXT"), ("text", &post.text)]).await?;
            c.wait(&id).await?;
            id
        } else {
            c.images(&post.images, MAX_ITEMS, &post.text).await?
        };
        let (id, permalink) = publish_container(
            &self.http,
            &self.api(&format!("/{user}/threads_publish")),
            |id| self.api(&format!("/{id}")),
            &grant.access_token,
            &creation,
            "Threads",
            true,
        )
        .await?;
        let url = permalink.unwrap_or_else(|| format!("https://www.threads.net/@{}", account.username));
        Ok(Published { external_id: id, url })
    }

    /// The profile's own posts since then (`/me/threads`, `threads_basic`), newest first.
    async fn recent_posts(&self, grant: &Grant, account: &AccountProfile, since_ms: i64) -> Result<Option<RecentPosts>, PlatformError> {
        let since = since_ms.div_euclid(1000).max(EARLIEST_SINCE).to_string();
        let req = self.http.client.get(self.api("/me/threads")).query(&[
            ("fields", "id,text,permalink,timestamp"),
            ("since", since.as_str()),
            ("limit", &GRAPH_RECENT_PAGE.to_string()),
        ]);
        let a = self.http.call(req.bearer_auth(&grant.access_token), self).await?;
        let profile = format!("https://www.threads.net/@{}", account.username);
        Ok(Some(graph_recent(&a.json(), since_ms, ["timestamp", "text", "permalink"], |_| profile.clone())))
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        let a = self
            .http
            .send(
                self.http
                    .client
                    .get(self.api(&format!("/{external_id}/insights")))
                    .query(&[("metric", "views,likes,replies,reposts,quotes,shares")])
                    .bearer_auth(&grant.access_token),
            )
            .await?;
        if !a.ok() {
            let e = self.error(&a);
            // Insights permission declined: Threads has no other source of numbers.
            if e.class == ErrorClass::Disconnected && a.json()["error"]["code"] != 190 {
                return Ok(Metrics::default());
            }
            return Err(e);
        }
        let m = insight_values(&a.json());
        let shares = ["reposts", "quotes", "shares"].iter().filter_map(|k| m.get(*k)).copied().reduce(|a, b| a + b);
        Ok(Metrics {
            views: m.get("views").copied(),
            impressions: None,
            likes: m.get("likes").copied(),
            comments: m.get("replies").copied(),
            shares,
            saves: None,
        })
    }
}
