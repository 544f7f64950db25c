//! What Facebook, Instagram and Threads share: Facebook Login (`MetaLogin`), the Graph error
//! envelope, media containers and their status wait, insights and recent-post pages.

use super::http::{classify_common, retry_after, Answer};
use super::versions::GRAPH_VERSION;
use super::*;
use crate::outbound::web_url;
use serde_json::Value;
use std::time::{Duration, Instant};

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
        self.cfg.consent_url(&format!("/{GRAPH_VERSION}/dialog/oauth"), "client_id", &scopes.join(","), state, &[])
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
        Ok((token.to_string(), super::oauth::expires_in(v["expires_in"].as_i64())))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_timestamps_with_a_colonless_offset_are_read() {
        assert_eq!(graph_time_ms("2024-05-01T09:30:00+0000"), Some(1_714_555_800_000));
        assert_eq!(graph_time_ms("2024-05-01T11:30:00+02:00"), Some(1_714_555_800_000));
    }
}
