//! X (Twitter) API v2: OAuth 2.0 with mandatory PKCE, Basic client auth on the token
//! endpoint, rotating refresh tokens, v2 media upload, public metrics.

use super::http::{classify_common, Answer};
use super::oauth::{refresh_token, token_grant};
use super::*;
use crate::outbound::web_url;
use serde_json::{json, Value};

/// Posts asked for when looking for a post whose answer was lost. X bills every post it returns, so the look reads no more than it needs.
const RECENT_PAGE: usize = 40;

pub struct X {
    cfg: PlatformConfig,
    http: Http,
}

const SCOPES: [&str; 5] = ["tweet.read", "tweet.write", "users.read", "offline.access", "media.write"];

impl X {
    pub fn new(cfg: PlatformConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    /// A POST to the OAuth endpoints, authenticated as our app (HTTP Basic, confidential client).
    fn as_app(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.client.post(self.cfg.api_url(path)).basic_auth(&self.cfg.client_id, Some(&self.cfg.client_secret))
    }

    async fn upload_image(&self, grant: &Grant, img: &MediaFile) -> Result<String, PlatformError> {
        let part = reqwest::multipart::Part::bytes(img.bytes.clone())
            .mime_str(&img.mime)
            .map_err(|e| PlatformError::unsupported(e.to_string()))?;
        let form = reqwest::multipart::Form::new().part("media", part).text("media_category", "tweet_image");
        let a = self
            .http
            .call(self.http.client.post(self.cfg.api_url("/2/media/upload")).bearer_auth(&grant.access_token).multipart(form), self)
            .await?;
        let v = a.json();
        let id = v["data"]["id"].as_str().ok_or_else(|| PlatformError::unsupported("X returned no media id"))?.to_string();
        // Images are usually ready at once; when X reports processing, wait as it asks.
        let mut state = v["data"]["processing_info"].clone();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while let Some(s) = state["state"].as_str() {
            match s {
                "succeeded" => break,
                "failed" => {
                    return Err(PlatformError::rejected(
                        state["error"]["message"].as_str().unwrap_or("X could not process the image").to_string(),
                    ))
                }
                _ if std::time::Instant::now() > deadline => {
                    return Err(PlatformError::new(
                        ErrorClass::RetryLater { retry_after_secs: Some(60) },
                        "X is still processing the image.",
                        None,
                    ))
                }
                _ => {
                    let wait = state["check_after_secs"].as_u64().unwrap_or(1).min(10);
                    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
                    let a = self
                        .http
                        .call(
                            self.http
                                .client
                                .get(self.cfg.api_url("/2/media/upload"))
                                .query(&[("command", "STATUS"), ("media_id", id.as_str())])
                                .bearer_auth(&grant.access_token),
                            self,
                        )
                        .await?;
                    state = a.json()["data"]["processing_info"].clone();
                }
            }
        }
        if !img.alt.is_empty() {
            let body = json!({"id": id, "metadata": {"alt_text": {"text": img.alt}}});
            self.http
                .call(self.http.client.post(self.cfg.api_url("/2/media/metadata")).bearer_auth(&grant.access_token).json(&body), self)
                .await?;
        }
        Ok(id)
    }
}

impl Classify for X {
    /// Problem JSON (`title`/`detail`) or `errors[]`, classified.
    fn error(&self, a: &Answer) -> PlatformError {
        let v = a.json();
        let msg = v["detail"]
            .as_str()
            .or_else(|| v["errors"][0]["message"].as_str())
            .or_else(|| v["error_description"].as_str())
            .or_else(|| v["title"].as_str())
            .unwrap_or("X refused the request")
            .to_string();
        let mut e = classify_common(a, msg);
        // A spent/invalid refresh token or a revoked app means the person must reconnect.
        if a.status == 400 && v["error"] == "invalid_request"
            || a.status == 403 && v["type"].as_str().is_some_and(|t| t.contains("client-forbidden"))
        {
            e.class = ErrorClass::Disconnected;
        }
        e
    }
}

#[async_trait::async_trait]
impl Platform for X {
    fn id(&self) -> PlatformId {
        PlatformId::X
    }

    fn scopes(&self) -> Vec<&'static str> {
        SCOPES.to_vec()
    }

    async fn authorize_url(&self, p: &AuthorizeParams) -> Result<(String, Value), PlatformError> {
        let pkce = [("code_challenge", p.code_challenge.as_str()), ("code_challenge_method", "S256")];
        Ok((self.cfg.consent_url("/i/oauth2/authorize", "client_id", &SCOPES.join(" "), &p.state, &pkce)?, Value::Null))
    }

    async fn exchange_code(&self, code: &str, code_verifier: &str, _pending: &Value) -> Result<Grant, PlatformError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.cfg.redirect_uri),
            ("code_verifier", code_verifier),
            ("client_id", &self.cfg.client_id),
        ];
        let a = self.http.send(self.as_app("/2/oauth2/token").form(&form)).await?;
        token_grant(&a, self, "X")
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, PlatformError> {
        let rt = refresh_token(grant, "X")?;
        let form = [("grant_type", "refresh_token"), ("refresh_token", rt), ("client_id", &self.cfg.client_id)];
        let a = self.http.send(self.as_app("/2/oauth2/token").form(&form)).await?;
        token_grant(&a, self, "X").map(|g| grant.merged_with(g))
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), PlatformError> {
        let form = [("token", grant.access_token.as_str()), ("token_type_hint", "access_token")];
        self.http.call(self.as_app("/2/oauth2/revoke").form(&form), self).await?;
        Ok(())
    }

    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError> {
        let a = self
            .http
            .call(
                self.http
                    .client
                    .get(self.cfg.api_url("/2/users/me"))
                    .query(&[("user.fields", "profile_image_url")])
                    .bearer_auth(&grant.access_token),
                self,
            )
            .await?;
        let d = &a.json()["data"];
        let profile = AccountProfile {
            external_id: d["id"].as_str().unwrap_or_default().into(),
            username: d["username"].as_str().unwrap_or_default().into(),
            display_name: d["name"].as_str().unwrap_or_default().into(),
            avatar_url: web_url(d["profile_image_url"].as_str()),
        };
        Ok(vec![(profile, grant.clone())])
    }

    async fn publish(&self, grant: &Grant, account: &AccountProfile, post: &PostContent) -> Result<Published, PlatformError> {
        let mut media_ids = vec![];
        for img in post.images.iter().take(4) {
            media_ids.push(self.upload_image(grant, img).await?);
        }
        let mut body = json!({"text": post.text});
        if !media_ids.is_empty() {
            body["media"] = json!({"media_ids": media_ids});
        }
        let a =
            self.http.call(self.http.client.post(self.cfg.api_url("/2/tweets")).bearer_auth(&grant.access_token).json(&body), self).await?;
        let id = a.json()["data"]["id"]
            .as_str()
            .ok_or_else(|| PlatformError::new(ErrorClass::Unknown, "X accepted the post but sent no id", Some(a.status)))?
            .to_string();
        Ok(Published { url: format!("https://x.com/{}/status/{id}", account.username), external_id: id })
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        let a = self
            .http
            .call(
                self.http
                    .client
                    .get(self.cfg.api_url(&format!("/2/tweets/{external_id}")))
                    .query(&[("tweet.fields", "public_metrics")])
                    .bearer_auth(&grant.access_token),
                self,
            )
            .await?;
        let m = &a.json()["data"]["public_metrics"];
        Ok(Metrics {
            views: m["impression_count"].as_i64(),
            impressions: m["impression_count"].as_i64(),
            likes: m["like_count"].as_i64(),
            comments: m["reply_count"].as_i64(),
            shares: match (m["retweet_count"].as_i64(), m["quote_count"].as_i64()) {
                (Some(r), q) => Some(r + q.unwrap_or(0)),
                _ => None,
            },
            saves: m["bookmark_count"].as_i64(),
        })
    }

    async fn recent_posts(&self, grant: &Grant, account: &AccountProfile, since_ms: i64) -> Result<Option<RecentPosts>, PlatformError> {
        let since =
            chrono::DateTime::from_timestamp_millis(since_ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let req = self.http.client.get(self.cfg.api_url(&format!("/2/users/{}/tweets", account.external_id))).query(&[
            ("start_time", since.as_str()),
            ("max_results", &RECENT_PAGE.to_string()),
            ("tweet.fields", "created_at"),
        ]);
        let a = self.http.call(req.bearer_auth(&grant.access_token), self).await?;
        let posts = a.json()["data"].as_array().cloned().unwrap_or_default();
        Ok(Some(RecentPosts::from_page(
            &posts,
            RECENT_PAGE,
            since_ms,
            |r| r["created_at"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.timestamp_millis()),
            |t| {
                let id = t["id"].as_str()?.to_string();
                Some(RecentPost {
                    url: format!("https://x.com/{}/status/{id}", account.username),
                    text: t["text"].as_str().unwrap_or_default().to_string(),
                    external_id: id,
                })
            },
        )))
    }

    async fn followers(&self, grant: &Grant, _account: &AccountProfile) -> Result<Option<i64>, PlatformError> {
        let req = self.http.client.get(self.cfg.api_url("/2/users/me")).query(&[("user.fields", "public_metrics")]);
        let a = self.http.call(req.bearer_auth(&grant.access_token), self).await?;
        Ok(a.json()["data"]["public_metrics"]["followers_count"].as_i64())
    }
}
