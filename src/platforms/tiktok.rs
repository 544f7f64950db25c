//! TikTok Login Kit v2 + Content Posting API: `client_key` (not client_id) and comma-separated
//! scopes, rotating refresh tokens, mandatory creator_info query before a direct post,
//! FILE_UPLOAD videos (init → PUT with Content-Range to the returned `upload_url`) or
//! PULL_FROM_URL photos, then `status/fetch` until PUBLISH_COMPLETE. Every API answer carries
//! `error{code,message,log_id}` with `code:"ok"` on success.

use super::http::{retry_after, Answer};
use super::oauth::{refresh_token, token_grant};
use super::*;
use crate::outbound::web_url;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub struct TikTok {
    cfg: PlatformConfig,
    http: Http,
}

/// Required catalogue scopes (profile, direct post) plus the two optional ones this adapter
/// uses: `user.info.profile` for the @username in post links, `video.list` for metrics.
const SCOPES: [&str; 4] = ["user.info.basic", "user.info.profile", "video.publish", "video.list"];

/// A file up to 64 MB goes as one chunk; larger ones in 10 MB chunks (allowed: 5–64 MB),
/// the remainder folded into the last chunk.
const SINGLE_CHUNK_MAX: usize = 64 * 1024 * 1024;
const CHUNK: usize = 10_000_000;
/// Photo post titles are capped at 90 characters (the text goes in the description).
const PHOTO_TITLE_MAX: usize = 90;
/// How long to wait for TikTok to finish processing before handing back "unknown".
const PUBLISH_DEADLINE: Duration = Duration::from_secs(120);

impl TikTok {
    pub fn new(cfg: PlatformConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    /// A JSON API answer's `data`, or its error (TikTok may say `code != "ok"` with HTTP 200).
    fn data(&self, a: &Answer) -> Result<Value, PlatformError> {
        let v = a.json();
        let code = v["error"]["code"].as_str().unwrap_or("ok");
        if !a.ok() || code != "ok" {
            return Err(self.error(a));
        }
        Ok(v["data"].clone())
    }

    /// Rotates the refresh token on every refresh: the caller must persist the new one.
    fn grant_from(&self, a: &Answer) -> Result<Grant, PlatformError> {
        let g = token_grant(a, self, "TikTok")?;
        let v = a.json();
        Ok(Grant { extra: json!({"open_id": v["open_id"], "refresh_expires_in": v["refresh_expires_in"]}), ..g })
    }

    /// `creator_info/query`: what this creator may choose now. An unaudited app may only
    /// post privately, whatever TikTok lists.
    async fn creator_info(&self, grant: &Grant) -> Result<CreatorOptions, PlatformError> {
        let c = self.post_json(grant, "/v2/post/publish/creator_info/query/", &json!({})).await?;
        let mut privacy_levels: Vec<String> = c["privacy_level_options"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        if !self.cfg.audited {
            privacy_levels.retain(|l| l == "SELF_ONLY");
        }
        Ok(CreatorOptions {
            nickname: c["creator_nickname"].as_str().unwrap_or_default().to_string(),
            privacy_levels,
            comment_disabled: c["comment_disabled"].as_bool().unwrap_or(false),
            duet_disabled: c["duet_disabled"].as_bool().unwrap_or(false),
            stitch_disabled: c["stitch_disabled"].as_bool().unwrap_or(false),
            max_video_secs: c["max_video_post_duration_sec"].as_i64(),
            audited: self.cfg.audited,
        })
    }

    async fn post_json(&self, grant: &Grant, path: &str, body: &Value) -> Result<Value, PlatformError> {
        let a = self
            .http
            .send(
                self.http
                    .client
                    .post(self.cfg.api_url(path))
                    .bearer_auth(&grant.access_token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json; charset=UTF-8")
                    .body(body.to_string()),
            )
            .await?;
        self.data(&a)
    }

    /// FILE_UPLOAD: the chunks TikTok expects, as (first byte, last byte) pairs.
    fn chunks(size: usize) -> Vec<(usize, usize)> {
        if size <= SINGLE_CHUNK_MAX {
            return vec![(0, size - 1)];
        }
        let count = size / CHUNK;
        (0..count).map(|i| (i * CHUNK, if i + 1 == count { size - 1 } else { (i + 1) * CHUNK - 1 })).collect()
    }

    async fn upload_video(&self, grant: &Grant, post_info: Value, video: &MediaFile) -> Result<String, PlatformError> {
        let size = video.bytes.len();
        let chunks = Self::chunks(size);
        let chunk_size = if chunks.len() == 1 { size } else { CHUNK };
        let body = json!({
            "post_info": post_info,
            "source_info": {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk_size, "total_chunk_count": chunks.len()},
        });
        let d = self.post_json(grant, "/v2/post/publish/video/init/", &body).await?;
        let publish_id = d["publish_id"].as_str().ok_or_else(|| PlatformError::unsupported("TikTok sent no publish_id"))?.to_string();
        let upload_url = d["upload_url"].as_str().ok_or_else(|| PlatformError::unsupported("TikTok sent no upload_url"))?.to_string();
        for (first, last) in chunks {
            // The upload URL is pre-signed: no bearer token goes to the upload host.
            let req = self
                .http
                .client
                .put(&upload_url)
                .header(reqwest::header::CONTENT_TYPE, video.mime.as_str())
                .header(reqwest::header::CONTENT_RANGE, format!("bytes {first}-{last}/{size}"))
                .timeout(Duration::from_secs(120 + ((last - first) / (256 * 1024)) as u64))
                .body(video.bytes[first..=last].to_vec());
            let a = self.http.send(req).await?;
            // 206 = chunk taken, more expected; 201 = complete.
            if !a.ok() {
                return Err(self.error(&a));
            }
        }
        Ok(publish_id)
    }

    /// Polls `status/fetch` until PUBLISH_COMPLETE. Returns the public post id when TikTok
    /// already gives one (it may arrive minutes later, after moderation).
    async fn wait_published(&self, grant: &Grant, publish_id: &str) -> Result<Option<String>, PlatformError> {
        let deadline = Instant::now() + PUBLISH_DEADLINE;
        // Status fetch allows 30 requests a minute: start quick, then back off to 5 s.
        let mut wait = Duration::from_millis(500);
        loop {
            tokio::time::sleep(wait).await;
            let d = self.post_json(grant, "/v2/post/publish/status/fetch/", &json!({"publish_id": publish_id})).await?;
            match d["status"].as_str().unwrap_or("") {
                "PUBLISH_COMPLETE" => {
                    let id = &d["publicaly_available_post_id"][0];
                    return Ok(id.as_u64().map(|n| n.to_string()).or_else(|| id.as_str().map(str::to_string)));
                }
                "FAILED" => {
                    let why = d["fail_reason"].as_str().unwrap_or("unknown reason");
                    return Err(PlatformError::rejected(format!("TikTok could not publish the post ({why}).")));
                }
                // Inbox uploads finish in the app; direct posts never land here.
                "SEND_TO_USER_INBOX" => return Ok(None),
                _ if Instant::now() >= deadline => {
                    return Err(PlatformError::new(
                        ErrorClass::Unknown,
                        "TikTok is still processing the post; check the profile before posting it again.",
                        None,
                    ))
                }
                _ => wait = (wait * 2).min(Duration::from_secs(5)),
            }
        }
    }
}

impl Classify for TikTok {
    /// `{error:{code,message,log_id}}` (API) or `{error,error_description}` (OAuth).
    fn error(&self, a: &Answer) -> PlatformError {
        let v = a.json();
        if let Some(oauth) = v["error"].as_str() {
            let msg = v["error_description"].as_str().filter(|m| !m.is_empty()).unwrap_or(oauth);
            let class = match (a.status, oauth) {
                (429 | 500..=599, _) => ErrorClass::RetryLater { retry_after_secs: retry_after(a) },
                // A spent (rotated) or revoked refresh token: only reconnecting helps.
                (_, "invalid_grant" | "access_denied" | "invalid_token") => ErrorClass::Disconnected,
                _ => ErrorClass::Rejected,
            };
            return PlatformError::new(class, format!("TikTok: {msg}"), Some(a.status));
        }
        let code = v["error"]["code"].as_str().unwrap_or("");
        let msg = v["error"]["message"].as_str().filter(|m| !m.is_empty()).map(str::to_string).unwrap_or_else(|| {
            if code.is_empty() {
                format!("TikTok refused the request (HTTP {})", a.status)
            } else {
                code.to_string()
            }
        });
        let class = match (a.status, code) {
            (_, "access_token_invalid") => ErrorClass::RefreshNeeded,
            (_, "rate_limit_exceeded") | (429, _) => ErrorClass::RetryLater { retry_after_secs: retry_after(a) },
            (_, "internal_error") | (500..=599, _) => ErrorClass::RetryLater { retry_after_secs: retry_after(a) },
            // The person did not grant what this needs: connect again and allow it.
            (_, "scope_not_authorized" | "scope_permission_missed") => ErrorClass::Disconnected,
            (401, _) => ErrorClass::RefreshNeeded,
            // spam_risk_*, privacy_level_option_mismatch, unaudited_client_…, invalid_params,
            // invalid_file_upload, url_ownership_unverified, …: the post itself.
            _ => ErrorClass::Rejected,
        };
        PlatformError::new(class, msg, Some(a.status))
    }
}

#[async_trait::async_trait]
impl Platform for TikTok {
    fn id(&self) -> PlatformId {
        PlatformId::Tiktok
    }

    fn scopes(&self) -> Vec<&'static str> {
        SCOPES.to_vec()
    }

    async fn authorize_url(&self, p: &AuthorizeParams) -> Result<(String, Value), PlatformError> {
        // Web apps send no PKCE to TikTok (it is for mobile/desktop apps only).
        Ok((self.cfg.consent_url("/v2/auth/authorize/", "client_key", &SCOPES.join(","), &p.state, &[])?, Value::Null))
    }

    async fn exchange_code(&self, code: &str, _code_verifier: &str, _pending: &Value) -> Result<Grant, PlatformError> {
        let form = [
            ("client_key", self.cfg.client_id.as_str()),
            ("client_secret", &self.cfg.client_secret),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", &self.cfg.redirect_uri),
        ];
        let a = self.http.send(self.http.client.post(self.cfg.token_url("/v2/oauth/token/")).form(&form)).await?;
        self.grant_from(&a)
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, PlatformError> {
        let rt = refresh_token(grant, "TikTok")?;
        let form = [
            ("client_key", self.cfg.client_id.as_str()),
            ("client_secret", &self.cfg.client_secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
        ];
        let a = self.http.send(self.http.client.post(self.cfg.token_url("/v2/oauth/token/")).form(&form)).await?;
        self.grant_from(&a).map(|g| grant.merged_with(g))
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), PlatformError> {
        let form =
            [("client_key", self.cfg.client_id.as_str()), ("client_secret", &self.cfg.client_secret), ("token", &grant.access_token)];
        let a = self.http.send(self.http.client.post(self.cfg.token_url("/v2/oauth/revoke/")).form(&form)).await?;
        if a.ok() && !a.json()["error"].is_string() {
            Ok(())
        } else {
            Err(self.error(&a))
        }
    }

    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError> {
        let a = self
            .http
            .send(
                self.http
                    .client
                    .get(self.cfg.api_url("/v2/user/info/"))
                    .query(&[("fields", "open_id,union_id,avatar_url,display_name,username")])
                    .bearer_auth(&grant.access_token),
            )
            .await?;
        let d = self.data(&a)?;
        let u = &d["user"];
        let open_id = u["open_id"]
            .as_str()
            .or_else(|| grant.extra["open_id"].as_str())
            .ok_or_else(|| PlatformError::unsupported("TikTok sent no open_id"))?;
        let display = u["display_name"].as_str().unwrap_or_default();
        let profile = AccountProfile {
            external_id: open_id.into(),
            // Without user.info.profile there is no username; links then use the open_id.
            username: u["username"].as_str().filter(|s| !s.is_empty()).unwrap_or(open_id).into(),
            display_name: if display.is_empty() { open_id.into() } else { display.into() },
            avatar_url: web_url(u["avatar_url"].as_str()),
        };
        Ok(vec![(profile, grant.clone())])
    }

    async fn publish(&self, grant: &Grant, account: &AccountProfile, post: &PostContent) -> Result<Published, PlatformError> {
        if post.images.is_empty() {
            return Err(PlatformError::rejected("TikTok posts need a video or photos: attach one."));
        }
        let video = post.images.iter().find(|m| m.mime.starts_with("video/"));
        if video.is_some() && post.images.len() > 1 {
            return Err(PlatformError::rejected("A TikTok post is one video, or photos without a video."));
        }
        let photo_urls: Vec<&str> = if video.is_none() {
            let urls: Option<Vec<&str>> = post.images.iter().map(|m| m.url.as_deref()).collect();
            match urls {
                Some(u) => u,
                None => return Err(PlatformError::rejected("TikTok fetches photos from a public link, and this image has none yet.")),
            }
        } else {
            vec![]
        };
        if video.is_some_and(|v| v.bytes.is_empty()) {
            return Err(PlatformError::rejected("The video file is empty."));
        }

        // Mandatory before a direct post: what this creator allows right now (a private
        // account or an unaudited app narrows it). The person's choice must be among it.
        let creator = self.creator_info(grant).await?;
        let chosen = post
            .options
            .tiktok
            .as_ref()
            .ok_or_else(|| PlatformError::rejected("Choose who can see this TikTok post (TikTok asks each time), then retry."))?;
        if !creator.privacy_levels.contains(&chosen.privacy_level) {
            let allowed: Vec<&str> = creator.privacy_levels.iter().map(|l| crate::domain::TiktokSettings::privacy_label(l)).collect();
            let why = if creator.audited { "" } else { " Until TikTok audits this app, posts can only be private (Only me)." };
            return Err(PlatformError::rejected(format!(
                "TikTok does not allow \"{}\" for this account now; choose one of: {}.{why}",
                crate::domain::TiktokSettings::privacy_label(&chosen.privacy_level),
                allowed.join(", ")
            )));
        }
        let privacy = chosen.privacy_level.clone();
        let comments_off = creator.comment_disabled || !chosen.allow_comments;
        let disclosure = json!({"brand_organic_toggle": chosen.your_brand, "brand_content_toggle": chosen.branded_content});

        let (publish_id, kind) = match video {
            Some(v) => {
                let mut post_info = json!({
                    "title": post.text, "privacy_level": privacy,
                    "disable_duet": creator.duet_disabled || !chosen.allow_duet,
                    "disable_comment": comments_off,
                    "disable_stitch": creator.stitch_disabled || !chosen.allow_stitch,
                    "video_cover_timestamp_ms": 1000,
                });
                merge(&mut post_info, &disclosure);
                (self.upload_video(grant, post_info, v).await?, "video")
            }
            None => {
                let title: String = post
                    .title
                    .clone()
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or_else(|| post.text.lines().next().unwrap_or("").to_string())
                    .chars()
                    .take(PHOTO_TITLE_MAX)
                    .collect();
                let mut post_info = json!({"title": title, "description": post.text, "privacy_level": privacy,
                                           "disable_comment": comments_off, "auto_add_music": true});
                merge(&mut post_info, &disclosure);
                let body = json!({
                    "post_info": post_info,
                    "source_info": {"source": "PULL_FROM_URL", "photo_cover_index": 0, "photo_images": photo_urls},
                    "post_mode": "DIRECT_POST",
                    "media_type": "PHOTO",
                });
                let d = self.post_json(grant, "/v2/post/publish/content/init/", &body).await?;
                let id = d["publish_id"].as_str().ok_or_else(|| PlatformError::unsupported("TikTok sent no publish_id"))?;
                (id.to_string(), "photo")
            }
        };
        match self.wait_published(grant, &publish_id).await? {
            Some(post_id) => {
                Ok(Published { url: format!("https://www.tiktok.com/@{}/{kind}/{post_id}", account.username), external_id: post_id })
            }
            // Accepted, but the public id comes after moderation: link the profile meanwhile.
            None => Ok(Published { url: format!("https://www.tiktok.com/@{}", account.username), external_id: publish_id }),
        }
    }

    async fn creator_options(&self, grant: &Grant, _account: &AccountProfile) -> Result<Option<CreatorOptions>, PlatformError> {
        self.creator_info(grant).await.map(Some)
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        // A publish id (no public post id yet): ask again whether the post id arrived.
        let video_id = if external_id.chars().all(|c| c.is_ascii_digit()) {
            external_id.to_string()
        } else {
            let d = self.post_json(grant, "/v2/post/publish/status/fetch/", &json!({"publish_id": external_id})).await?;
            let id = &d["publicaly_available_post_id"][0];
            match id.as_u64().map(|n| n.to_string()).or_else(|| id.as_str().map(str::to_string)) {
                Some(id) => id,
                None => return Ok(Metrics::default()),
            }
        };
        let a = self
            .http
            .send(
                self.http
                    .client
                    .post(self.cfg.api_url("/v2/video/query/"))
                    .query(&[("fields", "id,like_count,comment_count,share_count,view_count")])
                    .bearer_auth(&grant.access_token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json; charset=UTF-8")
                    .body(json!({"filters": {"video_ids": [video_id]}}).to_string()),
            )
            .await?;
        let d = self.data(&a)?;
        let Some(v) = d["videos"].as_array().and_then(|vs| {
            vs.iter()
                .find(|v| v["id"].as_str() == Some(video_id.as_str()) || v["id"].as_u64().map(|n| n.to_string()) == Some(video_id.clone()))
        }) else {
            return Err(PlatformError::rejected("TikTok no longer lists this post (deleted or private)."));
        };
        Ok(Metrics {
            views: v["view_count"].as_i64(),
            impressions: None,
            likes: v["like_count"].as_i64(),
            comments: v["comment_count"].as_i64(),
            shares: v["share_count"].as_i64(),
            saves: None,
        })
    }
}

/// Adds `extra`'s fields to the object `v`.
fn merge(v: &mut Value, extra: &Value) {
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_for_every_required_catalogue_scope() {
        let info = crate::domain::platform_info(PlatformId::Tiktok);
        for s in info.scopes.iter().filter(|s| s.required) {
            assert!(SCOPES.contains(&s.scope), "{}", s.scope);
        }
        assert!(SCOPES.iter().all(|s| info.scopes.iter().any(|c| c.scope == *s)), "every scope asked for is explained");
    }

    #[test]
    fn chunks_follow_tiktoks_rules() {
        assert_eq!(TikTok::chunks(1000), vec![(0, 999)]);
        let big = 64 * 1024 * 1024 + 5;
        let c = TikTok::chunks(big);
        assert_eq!(c.len(), big / CHUNK);
        assert_eq!(c.last().map(|l| l.1), Some(big - 1), "the remainder is folded into the last chunk");
        assert!(c.windows(2).all(|w| w[0].1 + 1 == w[1].0));
    }
}
