//! Facebook Pages through the Graph API (contracts §3): the classic server-side OAuth dialog
//! (no PKCE), a short-lived user token exchanged for a 60-day one, then one connection per
//! Page with its own Page token (which never expires when minted from a long-lived user
//! token). What Instagram and Threads share with it is in `meta.rs`.

use super::http::Answer;
use super::meta::*;
use super::*;
use crate::outbound::web_url;
use serde_json::{json, Value};

pub struct Facebook {
    cfg: PlatformConfig,
    http: Http,
}

/// The catalogue's required scopes plus `read_insights` (optional there: the person may
/// decline it in Meta's dialog, and metrics then simply lack views).
const SCOPES: [&str; 5] = ["public_profile", "pages_show_list", "pages_manage_posts", "pages_read_engagement", "read_insights"];
/// Without these no Page can be listed or posted to.
const MUST_HAVE: [&str; 3] = ["pages_show_list", "pages_manage_posts", "pages_read_engagement"];
impl Facebook {
    pub fn new(cfg: PlatformConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    fn login(&self) -> MetaLogin<'_> {
        MetaLogin { cfg: &self.cfg, http: &self.http, name: "Facebook" }
    }

    fn graph(&self, path: &str) -> String {
        self.login().graph(path)
    }

    /// Uploads one photo to the Page (`source` bytes, so no public URL is needed).
    async fn photo(&self, grant: &Grant, page: &str, img: &MediaFile, caption: Option<&str>) -> Result<Value, PlatformError> {
        let ext = img.mime.rsplit('/').next().unwrap_or("jpg");
        let part = reqwest::multipart::Part::bytes(img.bytes.clone())
            .file_name(format!("image.{ext}"))
            .mime_str(&img.mime)
            .map_err(|e| PlatformError::unsupported(e.to_string()))?;
        let mut form =
            reqwest::multipart::Form::new().part("source", part).text("published", if caption.is_some() { "true" } else { "false" });
        if let Some(c) = caption {
            form = form.text("caption", c.to_string());
        }
        if !img.alt.is_empty() {
            form = form.text("alt_text_custom", img.alt.clone());
        }
        let a = self
            .http
            .call(self.http.client.post(self.graph(&format!("/{page}/photos"))).bearer_auth(&grant.access_token).multipart(form), self)
            .await?;
        Ok(a.json())
    }

    fn accepted_without_id(status: u16) -> PlatformError {
        PlatformError::new(ErrorClass::Unknown, "Facebook accepted the post but sent no id", Some(status))
    }
}

impl Classify for Facebook {
    fn error(&self, a: &Answer) -> PlatformError {
        graph_error(a, "Facebook", false)
    }
}

#[async_trait::async_trait]
impl Platform for Facebook {
    fn id(&self) -> PlatformId {
        PlatformId::Facebook
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

    /// Page tokens have no refresh and no expiry: a refresh confirms the token still works
    /// (it dies on password change, role loss or app removal) and keeps it.
    async fn refresh(&self, grant: &Grant) -> Result<Grant, PlatformError> {
        self.http
            .call(self.http.client.get(self.graph("/me")).query(&[("fields", "id,name")]).bearer_auth(&grant.access_token), self)
            .await?;
        Ok(grant.clone())
    }

    /// Meta has no per-token revoke: withdrawing consent removes the app's permissions for
    /// the person who connected (which also ends the other Pages' tokens from that login).
    async fn revoke(&self, grant: &Grant) -> Result<(), PlatformError> {
        let user_token = grant.extra["user_token"].as_str().unwrap_or(&grant.access_token);
        self.login().revoke(user_token).await
    }

    fn choose_accounts(&self) -> bool {
        true
    }

    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError> {
        let pages = self.login().pages(&grant.access_token, "id,name,username,access_token,picture").await?;
        let mut out = vec![];
        for p in pages {
            let (Some(id), Some(token)) = (p["id"].as_str(), p["access_token"].as_str()) else { continue };
            let name = p["name"].as_str().unwrap_or(id).to_string();
            let profile = AccountProfile {
                external_id: id.into(),
                username: p["username"].as_str().map(str::to_string).unwrap_or_else(|| name.clone()),
                display_name: name,
                avatar_url: web_url(p["picture"]["data"]["url"].as_str()),
            };
            let page_grant = Grant {
                access_token: token.into(),
                refresh_token: None,
                // Minted from a long-lived user token: does not expire.
                expires_at: None,
                scopes: grant.scopes.clone(),
                // The user token is kept (sealed like the rest) only to withdraw consent.
                extra: json!({"page_id": id, "user_token": grant.access_token, "user_token_expires_at": grant.expires_at}),
            };
            out.push((profile, page_grant));
        }
        if out.is_empty() {
            return Err(PlatformError::rejected(
                "No Facebook Pages were found. Facebook only allows posting to Pages you manage: create or get a role on a Page, then connect again.",
            ));
        }
        Ok(out)
    }

    async fn publish(&self, grant: &Grant, account: &AccountProfile, post: &PostContent) -> Result<Published, PlatformError> {
        let page = account.external_id.as_str();
        let images: Vec<&MediaFile> = post.images.iter().take(10).collect();
        if images.len() == 1 {
            // One photo: a published photo is its own feed post.
            let v = self.photo(grant, page, images[0], Some(&post.text)).await?;
            let id = v["post_id"].as_str().or_else(|| v["id"].as_str()).ok_or_else(|| Self::accepted_without_id(200))?.to_string();
            return Ok(Published { url: format!("https://www.facebook.com/{id}"), external_id: id });
        }
        let mut body = json!({"message": post.text, "published": true});
        if !images.is_empty() {
            // Several photos: upload them unpublished, then one feed post attaching them all.
            let mut attached = vec![];
            for img in images {
                let v = self.photo(grant, page, img, None).await?;
                let id = v["id"].as_str().ok_or_else(|| PlatformError::unsupported("Facebook returned no photo id"))?;
                attached.push(json!({"media_fbid": id}));
            }
            body["attached_media"] = Value::Array(attached);
        }
        let a = self
            .http
            .call(
                self.http
                    .client
                    .post(self.graph(&format!("/{page}/feed")))
                    .query(&[("fields", "id,permalink_url")])
                    .bearer_auth(&grant.access_token)
                    .json(&body),
                self,
            )
            .await?;
        let v = a.json();
        let id = v["id"].as_str().ok_or_else(|| Self::accepted_without_id(a.status))?.to_string();
        let url = web_url(v["permalink_url"].as_str()).unwrap_or_else(|| format!("https://www.facebook.com/{id}"));
        Ok(Published { external_id: id, url })
    }

    /// The Page's own posts since then (`/{page-id}/posts`, Page token; `pages_read_engagement`).
    async fn recent_posts(&self, grant: &Grant, account: &AccountProfile, since_ms: i64) -> Result<Option<RecentPosts>, PlatformError> {
        let since = since_ms.div_euclid(1000).to_string();
        let req = self.http.client.get(self.graph(&format!("/{}/posts", account.external_id))).query(&[
            ("fields", "id,message,permalink_url,created_time"),
            ("since", since.as_str()),
            ("limit", &GRAPH_RECENT_PAGE.to_string()),
        ]);
        let a = self.http.call(req.bearer_auth(&grant.access_token), self).await?;
        let fields = ["created_time", "message", "permalink_url"];
        Ok(Some(graph_recent(&a.json(), since_ms, fields, |id| format!("https://www.facebook.com/{id}"))))
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        // Counters need only pages_read_engagement.
        let a = self
            .http
            .call(
                self.http
                    .client
                    .get(self.graph(&format!("/{external_id}")))
                    .query(&[("fields", "shares,reactions.summary(total_count),comments.summary(total_count)")])
                    .bearer_auth(&grant.access_token),
                self,
            )
            .await?;
        let v = a.json();
        let mut m = Metrics {
            likes: v["reactions"]["summary"]["total_count"].as_i64(),
            comments: v["comments"]["summary"]["total_count"].as_i64(),
            // Graph omits `shares` on a post nobody shared.
            shares: Some(v["shares"]["count"].as_i64().unwrap_or(0)),
            ..Default::default()
        };
        // Views come from insights (read_insights; the media-view metric needs v23.0+). Without
        // them the other numbers still count: views stay empty.
        let a = self
            .http
            .send(
                self.http
                    .client
                    .get(self.graph(&format!("/{external_id}/insights")))
                    .query(&[("metric", "post_total_media_view_unique")])
                    .bearer_auth(&grant.access_token),
            )
            .await?;
        if a.ok() {
            m.views = insight_values(&a.json()).get("post_total_media_view_unique").copied();
        } else {
            let e = self.error(&a);
            if matches!(e.class, ErrorClass::RetryLater { .. }) || a.json()["error"]["code"] == 190 {
                return Err(e);
            }
        }
        Ok(m)
    }
}
