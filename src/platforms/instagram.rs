//! Instagram API with Facebook Login (contracts §4): the Facebook dialog and long-lived user
//! token, the Instagram professional account linked to each Page, and container → wait →
//! `media_publish` publishing. Instagram fetches media itself from a public URL and has no
//! text-only posts.

use super::http::Answer;
use super::meta::{graph_error, graph_ok, graph_recent, insight_values, publish_container, Containers, MetaLogin, GRAPH_RECENT_PAGE};
use super::*;
use crate::outbound::web_url;
use serde_json::{json, Value};

pub struct Instagram {
    cfg: PlatformConfig,
    http: Http,
}

/// The catalogue's required scopes plus `instagram_manage_insights` (optional there: without
/// it metrics fall back to like and comment counts).
const SCOPES: [&str; 5] =
    ["instagram_basic", "instagram_content_publish", "pages_show_list", "pages_read_engagement", "instagram_manage_insights"];
const MUST_HAVE: [&str; 4] = ["instagram_basic", "instagram_content_publish", "pages_show_list", "pages_read_engagement"];
/// Carousel items per post.
const MAX_ITEMS: usize = 10;

impl Instagram {
    pub fn new(cfg: PlatformConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    fn login(&self) -> MetaLogin<'_> {
        MetaLogin { cfg: &self.cfg, http: &self.http, name: "Instagram" }
    }

    fn graph(&self, path: &str) -> String {
        self.login().graph(path)
    }

    /// `POST /{ig-user-id}/media` containers, polled on `status_code`.
    fn containers<'a>(&'a self, grant: &'a Grant, ig_user: &str) -> Containers<'a> {
        Containers {
            http: &self.http,
            token: &grant.access_token,
            create_url: self.graph(&format!("/{ig_user}/media")),
            object_base: self.graph(""),
            status_field: "status_code",
            text_key: "caption",
            image_type: None,
            name: "Instagram",
            refreshable: false,
        }
    }
}

impl Classify for Instagram {
    fn error(&self, a: &Answer) -> PlatformError {
        graph_error(a, "Instagram", false)
    }
}

#[async_trait::async_trait]
impl Platform for Instagram {
    fn id(&self) -> PlatformId {
        PlatformId::Instagram
    }

    fn scopes(&self) -> Vec<&'static str> {
        SCOPES.to_vec()
    }

    async fn authorize_url(&self, p: &AuthorizeParams) -> Result<(String, Value), PlatformError> {
        Ok((self.login().dialog_url(&p.state, &SCOPES)?, Value::Null))
    }

    async fn exchange_code(&self, code: &str, _code_verifier: &str, _pending: &Value) -> Result<Grant, PlatformError> {
        self.login().exchange(code, &MUST_HAVE).await
    }

    /// No refresh grant with Facebook Login: the long-lived token is re-exchanged for a new
    /// 60-day one while it still works; an expired one needs the person to log in again.
    async fn refresh(&self, grant: &Grant) -> Result<Grant, PlatformError> {
        if grant.expires_at.is_some_and(|e| e <= chrono::Utc::now().timestamp_millis()) {
            return Err(PlatformError::new(
                ErrorClass::Disconnected,
                "Instagram's 60-day access has ended. Connect the account again.",
                None,
            ));
        }
        let (token, expires_at) = self.login().long_lived(&grant.access_token).await?;
        Ok(Grant { access_token: token, refresh_token: None, expires_at, scopes: grant.scopes.clone(), extra: grant.extra.clone() })
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), PlatformError> {
        self.login().revoke(&grant.access_token).await
    }

    /// The Instagram professional account linked to each Page (`instagram_business_account`).
    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError> {
        let pages = self.login().pages(&grant.access_token, "id,name,instagram_business_account").await?;
        let mut out = vec![];
        for p in pages {
            let (Some(page_id), Some(ig)) = (p["id"].as_str(), p["instagram_business_account"]["id"].as_str()) else { continue };
            let a = self
                .http
                .send(
                    self.http
                        .client
                        .get(self.graph(&format!("/{ig}")))
                        .query(&[("fields", "id,username,name,profile_picture_url")])
                        .bearer_auth(&grant.access_token),
                )
                .await?;
            let v = graph_ok(&a, "Instagram", false)?;
            let username = v["username"].as_str().unwrap_or(ig).to_string();
            let profile = AccountProfile {
                external_id: ig.into(),
                display_name: v["name"].as_str().filter(|n| !n.is_empty()).unwrap_or(&username).to_string(),
                username,
                avatar_url: web_url(v["profile_picture_url"].as_str()),
            };
            let mut g = grant.clone();
            g.extra = json!({"page_id": page_id, "ig_user_id": ig});
            out.push((profile, g));
        }
        if out.is_empty() {
            return Err(PlatformError::rejected(
                "No Instagram professional account is linked to your Facebook Pages. Switch Instagram to a Business or Creator account, link it to a Page, then connect again.",
            ));
        }
        Ok(out)
    }

    async fn publish(&self, grant: &Grant, account: &AccountProfile, post: &PostContent) -> Result<Published, PlatformError> {
        if post.images.is_empty() {
            return Err(PlatformError::rejected("Instagram posts need at least one image: Instagram has no text-only posts."));
        }
        let ig = account.external_id.as_str();
        let creation = self.containers(grant, ig).images(&post.images, MAX_ITEMS, &post.text).await?;
        let (id, permalink) = publish_container(
            &self.http,
            &self.graph(&format!("/{ig}/media_publish")),
            |id| self.graph(&format!("/{id}")),
            &grant.access_token,
            &creation,
            "Instagram",
            false,
        )
        .await?;
        let url = permalink.unwrap_or_else(|| format!("https://www.instagram.com/{}/", account.username));
        Ok(Published { external_id: id, url })
    }

    /// The account's own media, newest first (`/{ig-user-id}/media`, `instagram_basic`). The
    /// edge is read without `since`: the timestamps are compared here.
    async fn recent_posts(&self, grant: &Grant, account: &AccountProfile, since_ms: i64) -> Result<Option<RecentPosts>, PlatformError> {
        let req = self
            .http
            .client
            .get(self.graph(&format!("/{}/media", account.external_id)))
            .query(&[("fields", "id,caption,permalink,timestamp"), ("limit", &GRAPH_RECENT_PAGE.to_string())]);
        let a = self.http.call(req.bearer_auth(&grant.access_token), self).await?;
        let profile = format!("https://www.instagram.com/{}/", account.username);
        Ok(Some(graph_recent(&a.json(), since_ms, ["timestamp", "caption", "permalink"], |_| profile.clone())))
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        let a = self
            .http
            .send(
                self.http
                    .client
                    .get(self.graph(&format!("/{external_id}/insights")))
                    .query(&[("metric", "views,reach,likes,comments,shares,saved,total_interactions")])
                    .bearer_auth(&grant.access_token),
            )
            .await?;
        if a.ok() {
            let m = insight_values(&a.json());
            return Ok(Metrics {
                views: m.get("views").copied(),
                impressions: None,
                likes: m.get("likes").copied(),
                comments: m.get("comments").copied(),
                shares: m.get("shares").copied(),
                saves: m.get("saved").copied(),
            });
        }
        let e = self.error(&a);
        if matches!(e.class, ErrorClass::RetryLater { .. } | ErrorClass::RefreshNeeded | ErrorClass::Unknown)
            || a.json()["error"]["code"] == 190
        {
            return Err(e);
        }
        // Insights permission declined (or a metric this media type lacks): the basic
        // counters still work.
        let a = self
            .http
            .send(
                self.http
                    .client
                    .get(self.graph(&format!("/{external_id}")))
                    .query(&[("fields", "like_count,comments_count")])
                    .bearer_auth(&grant.access_token),
            )
            .await?;
        let v = graph_ok(&a, "Instagram", false)?;
        Ok(Metrics { likes: v["like_count"].as_i64(), comments: v["comments_count"].as_i64(), ..Default::default() })
    }
}
