//! Bluesky (AT Protocol) with a handle and an app password: one `createSession`, then the
//! cached session is refreshed with `refreshSession` (createSession is limited to 30 per
//! 5 minutes per account). Posts are `app.bsky.feed.post` records; images are blobs.

use super::http::{retry_after, Answer};
use super::*;
use crate::outbound::web_url;
use serde_json::{json, Value};

pub struct Bluesky {
    cfg: PlatformConfig,
    http: Http,
}

impl Bluesky {
    pub fn new(cfg: PlatformConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    /// The person's PDS (stored with the session), else the configured default.
    fn pds(&self, grant: &Grant) -> String {
        grant.extra["pds"].as_str().map(str::to_string).unwrap_or_else(|| self.cfg.api_base.clone()).trim_end_matches('/').to_string()
    }

    fn xrpc(&self, grant: &Grant, method: &str) -> String {
        format!("{}/xrpc/{method}", self.pds(grant))
    }

    /// XRPC envelope `{error, message}`.
    fn error(&self, a: &Answer) -> PlatformError {
        let v = a.json();
        let code = v["error"].as_str().unwrap_or("");
        let msg = v["message"].as_str().unwrap_or(code).to_string();
        let class = match (a.status, code) {
            (_, "ExpiredToken") => ErrorClass::RefreshNeeded,
            (401, _) | (_, "InvalidToken" | "AuthenticationRequired" | "AccountTakedown") => ErrorClass::Disconnected,
            (429, _) | (500..=599, _) => ErrorClass::RetryLater { retry_after_secs: retry_after(a) },
            _ => ErrorClass::Rejected,
        };
        PlatformError::new(class, if msg.is_empty() { "Bluesky refused the request".into() } else { msg }, Some(a.status))
    }

    fn session_grant(&self, v: &Value, pds: &str) -> Result<Grant, PlatformError> {
        let access = v["accessJwt"].as_str().ok_or_else(|| PlatformError::unsupported("Bluesky sent no session"))?;
        Ok(Grant {
            access_token: access.into(),
            refresh_token: v["refreshJwt"].as_str().map(str::to_string),
            // Access JWTs live minutes to hours; refresh proactively after 1 h.
            expires_at: Some(chrono::Utc::now().timestamp_millis() + 3600 * 1000),
            scopes: vec![],
            extra: json!({"did": v["did"], "handle": v["handle"], "pds": pds}),
        })
    }
}

#[async_trait::async_trait]
impl Platform for Bluesky {
    fn id(&self) -> PlatformId {
        PlatformId::Bluesky
    }

    fn scopes(&self) -> Vec<&'static str> {
        vec![]
    }

    async fn authorize_url(&self, _p: &AuthorizeParams) -> Result<(String, Value), PlatformError> {
        Err(PlatformError::unsupported("Bluesky connects with your handle and an app password."))
    }

    async fn exchange_code(&self, _c: &str, _v: &str, _p: &Value) -> Result<Grant, PlatformError> {
        Err(PlatformError::unsupported("Bluesky connects with your handle and an app password."))
    }

    async fn login(&self, identifier: &str, password: &str) -> Result<Grant, PlatformError> {
        let pds = self.cfg.api_base.trim_end_matches('/').to_string();
        let a = self
            .http
            .send(
                self.http
                    .client
                    .post(format!("{pds}/xrpc/com.atproto.server.createSession"))
                    .json(&json!({"identifier": identifier.trim().trim_start_matches('@'), "password": password})),
            )
            .await?;
        if !a.ok() {
            let mut e = self.error(&a);
            if a.status == 401 {
                e.class = ErrorClass::Rejected;
                e.message = "Bluesky did not accept that handle and app password. Create an app password under Settings → Privacy and security → App passwords.".into();
            }
            return Err(e);
        }
        self.session_grant(&a.json(), &pds)
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, PlatformError> {
        let Some(rt) = grant.refresh_token.as_deref() else {
            return Err(PlatformError::new(ErrorClass::Disconnected, "The Bluesky session ended; reconnect with an app password.", None));
        };
        // refreshSession takes the *refresh* JWT as the bearer.
        let a = self.http.send(self.http.client.post(self.xrpc(grant, "com.atproto.server.refreshSession")).bearer_auth(rt)).await?;
        if !a.ok() {
            let mut e = self.error(&a);
            if matches!(e.class, ErrorClass::RefreshNeeded) {
                e.class = ErrorClass::Disconnected;
            }
            return Err(e);
        }
        let pds = self.pds(grant);
        self.session_grant(&a.json(), &pds).map(|g| grant.merged_with(g))
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), PlatformError> {
        let Some(rt) = grant.refresh_token.as_deref() else { return Ok(()) };
        let a = self.http.send(self.http.client.post(self.xrpc(grant, "com.atproto.server.deleteSession")).bearer_auth(rt)).await?;
        if a.ok() || a.status == 401 {
            Ok(())
        } else {
            Err(self.error(&a))
        }
    }

    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError> {
        let did = grant.extra["did"].as_str().unwrap_or_default().to_string();
        let a = self
            .http
            .send(
                self.http
                    .client
                    .get(self.xrpc(grant, "app.bsky.actor.getProfile"))
                    .query(&[("actor", did.as_str())])
                    .bearer_auth(&grant.access_token),
            )
            .await?;
        if !a.ok() {
            return Err(self.error(&a));
        }
        let v = a.json();
        let handle = v["handle"].as_str().or_else(|| grant.extra["handle"].as_str()).unwrap_or_default().to_string();
        Ok(vec![(
            AccountProfile {
                external_id: did,
                display_name: v["displayName"].as_str().filter(|s| !s.is_empty()).unwrap_or(&handle).to_string(),
                username: handle,
                avatar_url: web_url(v["avatar"].as_str()),
            },
            grant.clone(),
        )])
    }

    async fn publish(&self, grant: &Grant, account: &AccountProfile, post: &PostContent) -> Result<Published, PlatformError> {
        let mut images = vec![];
        for img in post.images.iter().take(4) {
            let a = self
                .http
                .send(
                    self.http
                        .client
                        .post(self.xrpc(grant, "com.atproto.repo.uploadBlob"))
                        .bearer_auth(&grant.access_token)
                        .header("Content-Type", &img.mime)
                        .body(img.bytes.clone()),
                )
                .await?;
            if !a.ok() {
                return Err(self.error(&a));
            }
            images.push(json!({"alt": img.alt, "image": a.json()["blob"]}));
        }
        let mut record = json!({"$type": "app.bsky.feed.post", "text": post.text, "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "langs": ["en"]});
        let facets = link_facets(&post.text);
        if !facets.is_empty() {
            record["facets"] = json!(facets);
        }
        if !images.is_empty() {
            record["embed"] = json!({"$type": "app.bsky.embed.images", "images": images});
        }
        let body = json!({"repo": account.external_id, "collection": "app.bsky.feed.post", "record": record});
        let a = self
            .http
            .send(self.http.client.post(self.xrpc(grant, "com.atproto.repo.createRecord")).bearer_auth(&grant.access_token).json(&body))
            .await?;
        if !a.ok() {
            return Err(self.error(&a));
        }
        let uri = a.json()["uri"]
            .as_str()
            .ok_or_else(|| PlatformError::new(ErrorClass::Unknown, "Bluesky accepted the post but sent no uri", Some(a.status)))?
            .to_string();
        let rkey = uri.rsplit('/').next().unwrap_or_default();
        Ok(Published { url: format!("https://bsky.app/profile/{}/post/{rkey}", account.username), external_id: uri })
    }

    /// Read from the account's own repository on its PDS, which has a record as soon as it
    /// is written (the AppView's feeds may lag).
    async fn recent_posts(&self, grant: &Grant, account: &AccountProfile, since_ms: i64) -> Result<Option<Vec<RecentPost>>, PlatformError> {
        let req = self.http.client.get(self.xrpc(grant, "com.atproto.repo.listRecords")).query(&[
            ("repo", account.external_id.as_str()),
            ("collection", "app.bsky.feed.post"),
            ("limit", "100"),
        ]);
        let a = self.http.send(req.bearer_auth(&grant.access_token)).await?;
        if !a.ok() {
            return Err(self.error(&a));
        }
        let records = a.json()["records"].as_array().cloned().unwrap_or_default();
        Ok(Some(
            records
                .iter()
                .filter(|r| {
                    let at = r["value"]["createdAt"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
                    at.is_none_or(|t| t.timestamp_millis() >= since_ms)
                })
                .filter_map(|r| {
                    let uri = r["uri"].as_str()?.to_string();
                    let rkey = uri.rsplit('/').next().unwrap_or_default().to_string();
                    Some(RecentPost {
                        url: format!("https://bsky.app/profile/{}/post/{rkey}", account.username),
                        text: r["value"]["text"].as_str().unwrap_or_default().to_string(),
                        external_id: uri,
                    })
                })
                .collect(),
        ))
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        let a = self
            .http
            .send(
                self.http
                    .client
                    .get(self.xrpc(grant, "app.bsky.feed.getPosts"))
                    .query(&[("uris", external_id)])
                    .bearer_auth(&grant.access_token),
            )
            .await?;
        if !a.ok() {
            return Err(self.error(&a));
        }
        let p = &a.json()["posts"][0];
        // Bluesky reports no views or impressions: they stay empty, not zero.
        Ok(Metrics {
            likes: p["likeCount"].as_i64(),
            comments: p["replyCount"].as_i64(),
            shares: p["repostCount"].as_i64().map(|r| r + p["quoteCount"].as_i64().unwrap_or(0)),
            ..Default::default()
        })
    }

    async fn followers(&self, grant: &Grant, account: &AccountProfile) -> Result<Option<i64>, PlatformError> {
        let req = self.http.client.get(self.xrpc(grant, "app.bsky.actor.getProfile")).query(&[("actor", account.external_id.as_str())]);
        let a = self.http.send(req.bearer_auth(&grant.access_token)).await?;
        if !a.ok() {
            return Err(self.error(&a));
        }
        Ok(a.json()["followersCount"].as_i64())
    }
}

/// Links are only clickable through facets, with UTF-8 *byte* offsets.
fn link_facets(text: &str) -> Vec<Value> {
    let mut out = vec![];
    let mut offset = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        let trimmed = word.trim_end();
        if trimmed.starts_with("https://") || trimmed.starts_with("http://") {
            out.push(json!({"index": {"byteStart": offset, "byteEnd": offset + trimmed.len()}, "features": [{"$type": "app.bsky.richtext.facet#link", "uri": trimmed}]}));
        }
        offset += word.len();
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn facets_use_byte_offsets() {
        let f = super::link_facets("héllo https://example.com now");
        assert_eq!(f[0]["index"]["byteStart"], 7);
        assert_eq!(f[0]["index"]["byteEnd"], 26);
    }
}
