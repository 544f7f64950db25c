//! Facebook Pages through the Graph API (contracts §3): the classic server-side OAuth dialog
//! (no PKCE), a short-lived user token exchanged for a 60-day one, then one connection per
//! Page with its own Page token (which never expires when minted from a long-lived user
//! token). Also the Graph helpers Instagram and Threads share: the error envelope and the
//! container status wait.

use super::http::{classify_common, retry_after, Answer};
use super::versions::GRAPH_VERSION;
use super::*;
use crate::outbound::web_url;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub fn adapter(cfg: PlatformConfig, http: Http) -> Option<Arc<dyn Platform>> {
    Some(Arc::new(Facebook::new(cfg, http)))
}

pub struct Facebook {
    cfg: PlatformConfig,
    http: Http,
}

/// The catalogue's required scopes plus `read_insights` (optional there: the person may
/// decline it in Meta's dialog, and metrics then simply lack views).
const SCOPES: [&str; 5] = ["public_profile", "pages_show_list", "pages_manage_posts", "pages_read_engagement", "read_insights"];
/// Without these no Page can be listed or posted to.
const MUST_HAVE: [&str; 3] = ["pages_show_list", "pages_manage_posts", "pages_read_engagement"];
/// `/me/accounts` pages followed at most (100 Pages each).
const MAX_PAGES: usize = 10;
/// Posts asked for when looking for a post whose answer was lost (Pages, Instagram, Threads).
pub(super) const GRAPH_RECENT_PAGE: usize = 50;

// ------------------------------------------------------------------ shared Graph helpers

/// Token error subcodes that no refresh can fix: app removed (458), checkpoint (459),
/// password changed (460), unconfirmed user (464), invalidated (467).
const DEAD_TOKEN_SUBCODES: [i64; 5] = [458, 459, 460, 464, 467];

/// Classifies a Graph API failure from its envelope
/// `{"error":{message,type,code,error_subcode,is_transient,error_user_msg}}`.
/// `refreshable`: whether an expired token (190) can be renewed by `refresh` (Threads) or
/// only by connecting again (Facebook, Instagram with Facebook Login).
pub(super) fn graph_error(a: &Answer, name: &str, refreshable: bool) -> PlatformError {
    let v = a.json();
    let err = &v["error"];
    if !err.is_object() {
        let msg = format!("{name} refused the request (HTTP {}).", a.status);
        let mut e = classify_common(a, msg);
        if e.class == ErrorClass::RefreshNeeded && !refreshable {
            e.class = ErrorClass::Disconnected;
        }
        return e;
    }
    // The user-facing text when Meta gives one, else the developer message.
    let message = err["error_user_msg"]
        .as_str()
        .filter(|s| !s.is_empty())
        .or_else(|| err["message"].as_str())
        .unwrap_or("The request was refused")
        .to_string();
    let message = format!("{name}: {message}");
    let code = err["code"].as_i64().unwrap_or(0);
    let subcode = err["error_subcode"].as_i64();
    let later = ErrorClass::RetryLater { retry_after_secs: retry_after(a) };
    let class = match code {
        // Throttling: app (4), user (17), page (32), action-specific (613), business use case (80001+).
        4 | 17 | 32 | 613 | 80_001..=80_014 => later,
        _ if a.status == 429 => later,
        // Unknown/temporary problems on Meta's side.
        1 | 2 => later,
        _ if err["is_transient"].as_bool() == Some(true) || a.status >= 500 => later,
        190 | 102 if refreshable && !subcode.is_some_and(|s| DEAD_TOKEN_SUBCODES.contains(&s)) => ErrorClass::RefreshNeeded,
        190 | 102 => ErrorClass::Disconnected,
        // A permission is missing or was removed: only connecting again can grant it.
        10 | 200..=299 => ErrorClass::Disconnected,
        // 100 invalid parameter, 368 policy block, 506 duplicate, 9004 media fetch, …
        _ => ErrorClass::Rejected,
    };
    PlatformError::new(class, message, Some(a.status))
}

/// The JSON body of a successful Graph answer, or its classified error.
pub(super) fn graph_ok(a: &Answer, name: &str, refreshable: bool) -> Result<Value, PlatformError> {
    if a.ok() {
        Ok(a.json())
    } else {
        Err(graph_error(a, name, refreshable))
    }
}

/// Waits until a media container (Instagram, Threads) is ready to publish. Meta processes the
/// media it fetched asynchronously: publishing before `FINISHED` fails. `field` is
/// `status_code` on Instagram and `status` on Threads.
pub(super) async fn wait_for_container(
    http: &Http,
    url: &str,
    token: &str,
    field: &str,
    name: &str,
    refreshable: bool,
) -> Result<(), PlatformError> {
    let fields = if field == "status" { "status,error_message" } else { "status_code,status" };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut wait = Duration::from_millis(400);
    loop {
        let a = http.send(http.client.get(url).query(&[("fields", fields)]).bearer_auth(token)).await?;
        let v = graph_ok(&a, name, refreshable)?;
        match v[field].as_str().unwrap_or("") {
            "FINISHED" | "PUBLISHED" => return Ok(()),
            "ERROR" => {
                // Instagram puts the reason in `status`, Threads in `error_message`.
                let why = v["error_message"].as_str().or_else(|| v["status"].as_str()).unwrap_or("the media could not be processed");
                return Err(PlatformError::rejected(format!("{name} could not process the media: {why}")));
            }
            "EXPIRED" => return Err(PlatformError::rejected(format!("{name} discarded the media before it was published."))),
            _ if Instant::now() + wait > deadline => {
                return Err(PlatformError::new(
                    ErrorClass::RetryLater { retry_after_secs: Some(60) },
                    format!("{name} is still processing the media."),
                    None,
                ))
            }
            // IN_PROGRESS (or a status we do not know yet): back off, up to Meta's suggested minute.
            _ => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Meta's container publishing (Instagram `/{user}/media`, Threads `/{user}/threads`). The
/// platform downloads every image itself, so each one needs a public URL.
pub(super) struct Containers<'a> {
    pub http: &'a Http,
    pub token: &'a str,
    /// Absolute `…/{user}/media` or `…/{user}/threads`.
    pub create_url: String,
    /// Absolute API root; a container's status lives at `{object_base}/{id}`.
    pub object_base: String,
    /// `status_code` (Instagram) or `status` (Threads).
    pub status_field: &'static str,
    /// `caption` (Instagram) or `text` (Threads).
    pub text_key: &'static str,
    /// Threads wants `media_type=IMAGE` on image containers; Instagram infers it.
    pub image_type: Option<&'static str>,
    pub name: &'static str,
    pub refreshable: bool,
}

impl Containers<'_> {
    pub async fn create(&self, params: &[(&str, &str)]) -> Result<String, PlatformError> {
        let a = self.http.send(self.http.client.post(&self.create_url).bearer_auth(self.token).form(params)).await?;
        let v = graph_ok(&a, self.name, self.refreshable)?;
        v["id"].as_str().map(str::to_string).ok_or_else(|| PlatformError::unsupported(format!("{} returned no container id", self.name)))
    }

    pub async fn wait(&self, id: &str) -> Result<(), PlatformError> {
        wait_for_container(self.http, &format!("{}/{id}", self.object_base), self.token, self.status_field, self.name, self.refreshable)
            .await
    }

    /// One image container, or captionless carousel items plus the carousel container with
    /// the text; returns the container to publish once it is ready.
    pub async fn images(&self, images: &[MediaFile], max: usize, text: &str) -> Result<String, PlatformError> {
        let mut urls = vec![];
        for img in images.iter().take(max) {
            let Some(url) = img.url.as_deref() else {
                return Err(PlatformError::rejected(format!(
                    "{} needs a public image URL: it fetches images itself, and this image is not published at a public address yet.",
                    self.name
                )));
            };
            urls.push((url, img.alt.as_str()));
        }
        // Owned pairs, borrowed for the form: (key, value).
        let image_params = |url: &str, alt: &str, extra: (&str, &str)| -> Vec<(String, String)> {
            let mut p: Vec<(String, String)> = self.image_type.map(|t| ("media_type".to_string(), t.to_string())).into_iter().collect();
            p.push(("image_url".into(), url.into()));
            p.push((extra.0.into(), extra.1.into()));
            if !alt.is_empty() {
                p.push(("alt_text".into(), alt.into()));
            }
            p
        };
        let creation = if let [(url, alt)] = urls[..] {
            let p = image_params(url, alt, (self.text_key, text));
            self.create(&p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>()).await?
        } else {
            let mut children = vec![];
            for (url, alt) in &urls {
                let p = image_params(url, alt, ("is_carousel_item", "true"));
                let id = self.create(&p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>()).await?;
                self.wait(&id).await?;
                children.push(id);
            }
            let children = children.join(",");
            self.create(&[("media_type", "CAROUSEL"), ("children", &children), (self.text_key, text)]).await?
        };
        self.wait(&creation).await?;
        Ok(creation)
    }
}

/// Meta's last publishing step (Instagram `media_publish`, Threads `threads_publish`): publish
/// the finished container, then ask for the permalink, since the public URL carries a
/// shortcode rather than the media id. The post is out once the first call succeeds, so a
/// failed permalink lookup only costs the exact link (`None`).
pub(super) async fn publish_container(
    http: &Http,
    publish_url: &str,
    object_url: impl Fn(&str) -> String,
    token: &str,
    creation_id: &str,
    name: &str,
    refreshable: bool,
) -> Result<(String, Option<String>), PlatformError> {
    let a = http.send(http.client.post(publish_url).bearer_auth(token).form(&[("creation_id", creation_id)])).await?;
    if !a.ok() {
        return Err(graph_error(&a, name, refreshable));
    }
    let id = a.json()["id"]
        .as_str()
        .ok_or_else(|| PlatformError::new(ErrorClass::Unknown, format!("{name} published the post but sent no id"), Some(a.status)))?
        .to_string();
    let permalink = match http.send(http.client.get(object_url(&id)).query(&[("fields", "permalink")]).bearer_auth(token)).await {
        Ok(a) if a.ok() => web_url(a.json()["permalink"].as_str()),
        _ => None,
    };
    Ok((id, permalink))
}

/// `data[{name, values:[{value}]}]` or `data[{name, total_value:{value}}]` → name → number.
pub(super) fn insight_values(v: &Value) -> HashMap<String, i64> {
    let mut out = HashMap::new();
    for m in v["data"].as_array().into_iter().flatten() {
        let Some(name) = m["name"].as_str() else { continue };
        let value = m["values"][0]["value"].clone();
        let value = if value.is_null() { m["total_value"]["value"].clone() } else { value };
        // Breakdown metrics (reactions by type) are objects: their total is the sum.
        let n = match &value {
            Value::Number(n) => n.as_i64(),
            Value::Object(o) => Some(o.values().filter_map(Value::as_i64).sum()),
            _ => None,
        };
        if let Some(n) = n {
            out.insert(name.to_string(), n);
        }
    }
    out
}

/// A Graph timestamp → Unix ms. Meta writes ISO 8601 with a colon-less offset
/// (`2024-05-01T09:30:00+0000`), which RFC 3339 parsing refuses; both are taken.
pub(super) fn graph_time_ms(t: &str) -> Option<i64> {
    chrono::DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(t))
        .ok()
        .map(|d| d.timestamp_millis())
}

/// The account's own posts from a Graph list `{data: [...]}` (Facebook `/{page}/posts`,
/// Instagram `/{ig-user}/media`, Threads `/me/threads`): those made since `since_ms` by
/// `time_field` (kept when it is missing or unreadable), with the text in `text_field` and the
/// web link in `link_field`, or `fallback_url` where there is none (as `publish` does).
pub(super) fn graph_recent(
    v: &Value,
    since_ms: i64,
    [time_field, text_field, link_field]: [&str; 3],
    fallback_url: impl Fn(&str) -> String,
) -> RecentPosts {
    let data = v["data"].as_array().cloned().unwrap_or_default();
    RecentPosts::from_page(
        &data,
        GRAPH_RECENT_PAGE,
        since_ms,
        |p| p[time_field].as_str().and_then(graph_time_ms),
        |p| {
            let id = p["id"].as_str().filter(|id| !id.is_empty())?.to_string();
            Some(RecentPost {
                url: web_url(p[link_field].as_str()).unwrap_or_else(|| fallback_url(&id)),
                text: p[text_field].as_str().unwrap_or_default().to_string(),
                external_id: id,
            })
        },
    )
}

/// Unix ms `secs` from now.
pub(super) fn in_secs(secs: Option<i64>) -> Option<i64> {
    secs.filter(|s| *s > 0).map(|s| chrono::Utc::now().timestamp_millis() + s * 1000)
}

// ------------------------------------------------------------------ Facebook Login (FB + IG)

/// The Facebook Login steps Facebook Pages and Instagram (with Facebook Login) share.
pub(super) struct MetaLogin<'a> {
    pub cfg: &'a PlatformConfig,
    pub http: &'a Http,
    pub name: &'static str,
}

impl MetaLogin<'_> {
    pub fn graph(&self, path: &str) -> String {
        self.cfg.api_url(&format!("/{GRAPH_VERSION}{path}"))
    }

    pub fn dialog_url(&self, state: &str, scopes: &[&str]) -> Result<String, PlatformError> {
        let mut u = url::Url::parse(&format!("{}/{GRAPH_VERSION}/dialog/oauth", self.cfg.auth_base.trim_end_matches('/')))
            .map_err(|e| PlatformError::unsupported(e.to_string()))?;
        u.query_pairs_mut()
            .append_pair("client_id", &self.cfg.client_id)
            .append_pair("redirect_uri", &self.cfg.redirect_uri)
            .append_pair("state", state)
            .append_pair("response_type", "code")
            .append_pair("scope", &scopes.join(","));
        Ok(u.to_string())
    }

    /// `GET /oauth/access_token` with the given parameters (client id and secret added).
    async fn token_call(&self, params: &[(&str, &str)]) -> Result<Value, PlatformError> {
        let mut q = vec![("client_id", self.cfg.client_id.as_str()), ("client_secret", self.cfg.client_secret.as_str())];
        q.extend_from_slice(params);
        let a = self.http.send(self.http.client.get(self.graph("/oauth/access_token")).query(&q)).await?;
        graph_ok(&a, self.name, false)
    }

    /// Exchanges a (short- or long-lived) user token for a long-lived one (~60 days).
    pub async fn long_lived(&self, user_token: &str) -> Result<(String, Option<i64>), PlatformError> {
        let v = self.token_call(&[("grant_type", "fb_exchange_token"), ("fb_exchange_token", user_token)]).await?;
        let token = v["access_token"].as_str().ok_or_else(|| PlatformError::unsupported(format!("{} sent no access token", self.name)))?;
        Ok((token.to_string(), in_secs(v["expires_in"].as_i64())))
    }

    /// Code → short-lived user token → long-lived user token, with the permissions the
    /// person actually granted (Meta lets them untick some in the dialog).
    pub async fn exchange(&self, code: &str, must_have: &[&str]) -> Result<Grant, PlatformError> {
        let v = self.token_call(&[("redirect_uri", &self.cfg.redirect_uri), ("code", code)]).await?;
        let short = v["access_token"].as_str().ok_or_else(|| PlatformError::unsupported(format!("{} sent no access token", self.name)))?;
        let (token, expires_at) = self.long_lived(short).await?;
        let scopes = self.granted(&token).await?;
        let missing: Vec<&str> = must_have.iter().copied().filter(|s| !scopes.iter().any(|g| g == s)).collect();
        if !missing.is_empty() {
            return Err(PlatformError::rejected(format!(
                "{} was connected without the permissions Covalynce needs ({}). Connect again and leave them ticked.",
                self.name,
                missing.join(", ")
            )));
        }
        Ok(Grant { access_token: token, refresh_token: None, expires_at, scopes, extra: Value::Null })
    }

    /// `GET /me/permissions` → the granted ones.
    async fn granted(&self, token: &str) -> Result<Vec<String>, PlatformError> {
        let a = self.http.send(self.http.client.get(self.graph("/me/permissions")).bearer_auth(token)).await?;
        let v = graph_ok(&a, self.name, false)?;
        Ok(v["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["status"] == "granted")
            .filter_map(|p| p["permission"].as_str().map(str::to_string))
            .collect())
    }

    /// Every Page the user manages (`/me/accounts`, following `paging.next`).
    pub async fn pages(&self, user_token: &str, fields: &str) -> Result<Vec<Value>, PlatformError> {
        let mut out = vec![];
        let mut req =
            self.http.client.get(self.graph("/me/accounts")).query(&[("fields", fields), ("limit", "100")]).bearer_auth(user_token);
        for _ in 0..MAX_PAGES {
            let a = self.http.send(req).await?;
            let v = graph_ok(&a, self.name, false)?;
            out.extend(v["data"].as_array().cloned().unwrap_or_default());
            // Only follow a next link on the same Graph host: it carries our token.
            match v["paging"]["next"].as_str() {
                Some(next) if next.starts_with(self.cfg.api_base.trim_end_matches('/')) => {
                    req = self.http.client.get(next).bearer_auth(user_token);
                }
                _ => break,
            }
        }
        Ok(out)
    }

    /// Withdraws the app's permissions for this person (`DELETE /me/permissions`, user token).
    pub async fn revoke(&self, user_token: &str) -> Result<(), PlatformError> {
        let a = self.http.send(self.http.client.delete(self.graph("/me/permissions")).bearer_auth(user_token)).await?;
        graph_ok(&a, self.name, false).map(|_| ())
    }
}

// ------------------------------------------------------------------ Facebook Pages

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

    fn err(&self, a: &Answer) -> PlatformError {
        graph_error(a, "Facebook", false)
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
            .send(self.http.client.post(self.graph(&format!("/{page}/photos"))).bearer_auth(&grant.access_token).multipart(form))
            .await?;
        if !a.ok() {
            return Err(self.err(&a));
        }
        Ok(a.json())
    }

    fn accepted_without_id(status: u16) -> PlatformError {
        PlatformError::new(ErrorClass::Unknown, "Facebook accepted the post but sent no id", Some(status))
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
        let a = self
            .http
            .send(self.http.client.get(self.graph("/me")).query(&[("fields", "id,name")]).bearer_auth(&grant.access_token))
            .await?;
        if !a.ok() {
            return Err(self.err(&a));
        }
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
            .send(
                self.http
                    .client
                    .post(self.graph(&format!("/{page}/feed")))
                    .query(&[("fields", "id,permalink_url")])
                    .bearer_auth(&grant.access_token)
                    .json(&body),
            )
            .await?;
        if !a.ok() {
            return Err(self.err(&a));
        }
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
        let a = self.http.send(req.bearer_auth(&grant.access_token)).await?;
        if !a.ok() {
            return Err(self.err(&a));
        }
        let fields = ["created_time", "message", "permalink_url"];
        Ok(Some(graph_recent(&a.json(), since_ms, fields, |id| format!("https://www.facebook.com/{id}"))))
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        // Counters need only pages_read_engagement.
        let a = self
            .http
            .send(
                self.http
                    .client
                    .get(self.graph(&format!("/{external_id}")))
                    .query(&[("fields", "shares,reactions.summary(total_count),comments.summary(total_count)")])
                    .bearer_auth(&grant.access_token),
            )
            .await?;
        if !a.ok() {
            return Err(self.err(&a));
        }
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
            let e = self.err(&a);
            if matches!(e.class, ErrorClass::RetryLater { .. }) || a.json()["error"]["code"] == 190 {
                return Err(e);
            }
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_timestamps_with_a_colonless_offset_are_read() {
        assert_eq!(graph_time_ms("2024-05-01T09:30:00+0000"), Some(1_714_555_800_000));
        assert_eq!(graph_time_ms("2024-05-01T11:30:00+02:00"), Some(1_714_555_800_000));
    }
}
