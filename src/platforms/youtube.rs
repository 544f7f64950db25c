//! YouTube Data API v3 behind Google OAuth: offline access with `prompt=consent` (the only
//! way to get a refresh token), PKCE S256, non-rotating refresh tokens, resumable video
//! upload (metadata POST → session `Location` → PUT bytes), statistics as strings and the
//! Google error envelope `{error:{code,message,errors:[{reason}]}}`.

use super::http::{retry_after, Answer};
use super::oauth::{refresh_token, token_grant};
use super::*;
use crate::outbound::web_url;
use serde_json::{json, Value};
use std::time::Duration;

pub struct YouTube {
    cfg: PlatformConfig,
    http: Http,
}

/// The catalogue's required scopes: channel identity + statistics, and uploads.
const SCOPES: [&str; 2] = ["https://www.googleapis.com/auth/youtube.readonly", "https://www.googleapis.com/auth/youtube.upload"];

/// Data API limits (videos resource): title ≤ 100 characters, description ≤ 5000 bytes.
const TITLE_MAX_CHARS: usize = 100;
const DESCRIPTION_MAX_BYTES: usize = 5000;

const VIDEO_ONLY: &str = "YouTube posts are videos: attach a video";

/// YouTube refuses titles and descriptions containing `<` or `>`.
fn strip_angle_brackets(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '<' | '>')).collect()
}

impl YouTube {
    pub fn new(cfg: PlatformConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    /// The title YouTube shows: the post's own title, else the text's first line, without
    /// `<` and `>` (the API refuses them) and cut at 100 characters (else `invalidTitle`).
    fn title(post: &PostContent) -> Option<String> {
        let own = post.title.as_deref().map(strip_angle_brackets);
        let t =
            own.filter(|t| !t.trim().is_empty()).or_else(|| post.text.lines().map(strip_angle_brackets).find(|l| !l.trim().is_empty()))?;
        let cut: String = t.trim().chars().take(TITLE_MAX_CHARS).collect();
        Some(cut.trim_end().to_string())
    }

    /// The description: the text without `<` and `>`, cut at 5,000 bytes on a character
    /// boundary (else `invalidDescription`).
    fn description(text: &str) -> String {
        let mut d = strip_angle_brackets(text);
        if d.len() > DESCRIPTION_MAX_BYTES {
            let mut end = DESCRIPTION_MAX_BYTES;
            while !d.is_char_boundary(end) {
                end -= 1;
            }
            d.truncate(end);
        }
        d
    }

    /// Uploads time out on size, not the shared 30-second budget: at least 2 minutes, plus
    /// a second per 256 KiB (the resumable protocol's chunk unit).
    fn upload_timeout(len: usize) -> Duration {
        Duration::from_secs(120 + (len / (256 * 1024)) as u64)
    }

    /// PUTs the bytes to the session URI; on `308 Resume Incomplete` sends what the `Range`
    /// header says is still missing. Returns the video resource.
    async fn send_bytes(&self, grant: &Grant, session: &str, video: &MediaFile) -> Result<Value, PlatformError> {
        let total = video.bytes.len();
        let mut from = 0usize;
        for _ in 0..4 {
            let chunk = video.bytes[from..].to_vec();
            let req = self
                .http
                .client
                .put(session)
                .bearer_auth(&grant.access_token)
                .header(reqwest::header::CONTENT_TYPE, video.mime.as_str())
                .header(reqwest::header::CONTENT_RANGE, format!("bytes {from}-{}/{total}", total - 1))
                .timeout(Self::upload_timeout(chunk.len()))
                .body(chunk);
            let a = self.http.send(req).await?;
            match a.status {
                200 | 201 => return Ok(a.json()),
                308 => {
                    // `Range: bytes=0-N` = what arrived; no Range = nothing did.
                    from = a
                        .header("range")
                        .and_then(|r| r.rsplit('-').next().and_then(|n| n.trim().parse::<usize>().ok()))
                        .map(|last| last + 1)
                        .unwrap_or(0);
                    if from >= total {
                        return Err(PlatformError::new(
                            ErrorClass::Unknown,
                            "YouTube received the whole video but did not confirm it; check the channel before retrying.",
                            Some(308),
                        ));
                    }
                }
                // The session expired: nothing was published, start over later.
                404 | 410 => {
                    return Err(PlatformError::new(
                        ErrorClass::RetryLater { retry_after_secs: None },
                        "The YouTube upload session expired before the video was sent.",
                        Some(a.status),
                    ))
                }
                _ => return Err(self.error(&a)),
            }
        }
        Err(PlatformError::new(
            ErrorClass::RetryLater { retry_after_secs: None },
            "YouTube kept asking for the rest of the video.",
            Some(308),
        ))
    }
}

impl Classify for YouTube {
    /// Google API envelope, or the OAuth `{error, error_description}` shape of the token
    /// endpoint, classified by `errors[0].reason` first and the status second.
    fn error(&self, a: &Answer) -> PlatformError {
        let v = a.json();
        if let Some(oauth) = v["error"].as_str() {
            // Token endpoint: invalid_grant = refresh token revoked, expired (7 days for
            // apps in "Testing"), or unused for months: only reconnecting helps.
            let msg = v["error_description"].as_str().unwrap_or(oauth).to_string();
            let class = match (a.status, oauth) {
                (429 | 500..=599, _) => ErrorClass::RetryLater { retry_after_secs: retry_after(a) },
                (_, "invalid_grant" | "invalid_token" | "unauthorized_client") => ErrorClass::Disconnected,
                _ => ErrorClass::Rejected,
            };
            return PlatformError::new(class, format!("Google: {msg}"), Some(a.status));
        }
        let e = &v["error"];
        let reason = e["errors"][0]["reason"].as_str().unwrap_or("");
        let msg = e["message"]
            .as_str()
            .or_else(|| e["errors"][0]["message"].as_str())
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("YouTube refused the request (HTTP {})", a.status));
        let class = match (a.status, reason) {
            (_, "authError" | "expiredToken") | (401, _) => ErrorClass::RefreshNeeded,
            (_, "quotaExceeded" | "rateLimitExceeded" | "userRateLimitExceeded" | "uploadLimitExceeded" | "backendError") => {
                ErrorClass::RetryLater { retry_after_secs: retry_after(a) }
            }
            (429 | 500..=599, _) => ErrorClass::RetryLater { retry_after_secs: retry_after(a) },
            // The grant lacks the upload scope, or the Google account has no channel:
            // the person has to act and connect again.
            (_, "insufficientPermissions" | "youtubeSignupRequired" | "channelNotFound") => ErrorClass::Disconnected,
            // invalidTitle, invalidDescription, invalidTags, invalidCategoryId, forbidden, …
            _ => ErrorClass::Rejected,
        };
        PlatformError::new(class, msg, Some(a.status))
    }
}

#[async_trait::async_trait]
impl Platform for YouTube {
    fn id(&self) -> PlatformId {
        PlatformId::Youtube
    }

    fn scopes(&self) -> Vec<&'static str> {
        SCOPES.to_vec()
    }

    async fn authorize_url(&self, p: &AuthorizeParams) -> Result<(String, Value), PlatformError> {
        let extra = [
            // A refresh token only comes with offline access, and only from a consent
            // screen: returning users skip it unless `prompt=consent`.
            ("access_type", "offline"),
            ("prompt", "consent"),
            ("include_granted_scopes", "true"),
            ("code_challenge", p.code_challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        Ok((self.cfg.consent_url("/o/oauth2/v2/auth", "client_id", &SCOPES.join(" "), &p.state, &extra)?, Value::Null))
    }

    async fn exchange_code(&self, code: &str, code_verifier: &str, _pending: &Value) -> Result<Grant, PlatformError> {
        let form = [
            ("code", code),
            ("client_id", &self.cfg.client_id),
            ("client_secret", &self.cfg.client_secret),
            ("redirect_uri", &self.cfg.redirect_uri),
            ("grant_type", "authorization_code"),
            ("code_verifier", code_verifier),
        ];
        let a = self.http.send(self.http.client.post(self.cfg.token_url("/token")).form(&form)).await?;
        token_grant(&a, self, "Google")
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, PlatformError> {
        let rt = refresh_token(grant, "Google")?;
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", &self.cfg.client_id),
            ("client_secret", &self.cfg.client_secret),
        ];
        let a = self.http.send(self.http.client.post(self.cfg.token_url("/token")).form(&form)).await?;
        // No rotation: the answer has no refresh token and the stored one stays valid.
        token_grant(&a, self, "Google").map(|g| grant.merged_with(g))
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), PlatformError> {
        // Revoking the refresh token ends the whole grant (its access tokens too).
        let token = grant.refresh_token.as_deref().filter(|t| !t.is_empty()).unwrap_or(&grant.access_token);
        let a = self.http.send(self.http.client.post(self.cfg.token_url("/revoke")).form(&[("token", token)])).await?;
        // `invalid_token` = already expired or revoked: the goal is reached.
        if a.ok() || a.json()["error"] == "invalid_token" {
            Ok(())
        } else {
            Err(self.error(&a))
        }
    }

    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError> {
        let a = self
            .http
            .call(
                self.http
                    .client
                    .get(self.cfg.api_url("/youtube/v3/channels"))
                    .query(&[("part", "snippet,statistics"), ("mine", "true")])
                    .bearer_auth(&grant.access_token),
                self,
            )
            .await?;
        let v = a.json();
        let Some(ch) = v["items"].get(0) else {
            return Err(PlatformError::rejected(
                "This Google account has no YouTube channel yet: create one on youtube.com, then connect again.",
            ));
        };
        let id = ch["id"].as_str().ok_or_else(|| PlatformError::unsupported("YouTube sent a channel without an id"))?;
        let s = &ch["snippet"];
        let title = s["title"].as_str().unwrap_or(id);
        let profile = AccountProfile {
            external_id: id.into(),
            // `customUrl` is the @handle; older channels may have none.
            username: s["customUrl"].as_str().map(|h| h.trim_start_matches('@').to_string()).unwrap_or_else(|| id.to_string()),
            display_name: title.into(),
            avatar_url: ["high", "medium", "default"].iter().find_map(|k| web_url(s["thumbnails"][k]["url"].as_str())),
        };
        Ok(vec![(profile, grant.clone())])
    }

    async fn publish(&self, grant: &Grant, _account: &AccountProfile, post: &PostContent) -> Result<Published, PlatformError> {
        // The Data API has no text or image posts: one video, nothing else.
        let videos: Vec<&MediaFile> = post.images.iter().filter(|m| m.mime.starts_with("video/")).collect();
        let Some(video) = videos.first().copied() else { return Err(PlatformError::rejected(VIDEO_ONLY)) };
        if post.images.len() > 1 {
            return Err(PlatformError::rejected("A YouTube post is one video: remove the other attachments."));
        }
        if video.bytes.is_empty() {
            return Err(PlatformError::rejected("The video file is empty."));
        }
        let Some(title) = Self::title(post) else {
            return Err(PlatformError::rejected("YouTube videos need a title: add a title or some text."));
        };
        let Some(chosen) = post.options.youtube.as_ref() else {
            return Err(PlatformError::rejected(
                "Choose the YouTube privacy and say whether the video is made for kids (YouTube requires it), then retry.",
            ));
        };
        // Privacy and made-for-kids have no default; the category is YouTube's to judge
        // (`invalidCategoryId`), as its assignable list can change.
        let (Some(kids), false) = (chosen.made_for_kids, chosen.privacy_status.is_empty()) else {
            return Err(PlatformError::rejected(
                "Choose the YouTube privacy and say whether the video is made for kids (YouTube requires it), then retry.",
            ));
        };
        let meta = json!({
            "snippet": {"title": title, "description": Self::description(&post.text), "categoryId": chosen.category()},
            "status": {"privacyStatus": chosen.privacy_status, "selfDeclaredMadeForKids": kids},
        });
        let upload = format!("{}/youtube/v3/videos", self.cfg.upload_base.trim_end_matches('/'));
        let a = self
            .http
            .call(
                self.http
                    .client
                    .post(&upload)
                    .query(&[("uploadType", "resumable"), ("part", "snippet,status"), ("notifySubscribers", "true")])
                    .bearer_auth(&grant.access_token)
                    .header("X-Upload-Content-Length", video.bytes.len().to_string())
                    .header("X-Upload-Content-Type", video.mime.as_str())
                    .json(&meta),
                self,
            )
            .await?;
        // The session URI; resolved against the request in case a proxy answers relatively.
        let session = a
            .header("location")
            .and_then(|l| url::Url::parse(&upload).ok().and_then(|base| base.join(&l).ok()))
            .ok_or_else(|| PlatformError::unsupported("YouTube opened no upload session (no Location header)"))?;
        let v = self.send_bytes(grant, session.as_str(), video).await?;
        if v["status"]["uploadStatus"] == "rejected" || v["status"]["uploadStatus"] == "failed" {
            let why = v["status"]["rejectionReason"].as_str().or_else(|| v["status"]["failureReason"].as_str()).unwrap_or("unknown");
            return Err(PlatformError::rejected(format!("YouTube refused the video ({why}).")));
        }
        let id = v["id"]
            .as_str()
            .ok_or_else(|| PlatformError::new(ErrorClass::Unknown, "YouTube accepted the video but sent no id", None))?
            .to_string();
        Ok(Published { url: format!("https://www.youtube.com/watch?v={id}"), external_id: id })
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        let a = self
            .http
            .call(
                self.http
                    .client
                    .get(self.cfg.api_url("/youtube/v3/videos"))
                    .query(&[("part", "statistics"), ("id", external_id)])
                    .bearer_auth(&grant.access_token),
                self,
            )
            .await?;
        let v = a.json();
        let Some(item) = v["items"].get(0) else {
            return Err(PlatformError::rejected("YouTube no longer lists this video (deleted or made private)."));
        };
        // Counts are strings ("1234"); a hidden like count is simply absent.
        let n = |k: &str| {
            let s = &item["statistics"][k];
            s.as_str().and_then(|x| x.parse::<i64>().ok()).or_else(|| s.as_i64())
        };
        Ok(Metrics {
            views: n("viewCount"),
            impressions: None,
            likes: n("likeCount"),
            comments: n("commentCount"),
            shares: None,
            // favoriteCount is deprecated (always 0): not a real saves figure.
            saves: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_for_every_required_catalogue_scope() {
        for s in crate::domain::platform_info(PlatformId::Youtube).scopes.iter().filter(|s| s.required) {
            assert!(SCOPES.contains(&s.scope), "{}", s.scope);
        }
    }

    #[test]
    fn title_falls_back_to_the_first_line_cut_at_100_chars() {
        let post = PostContent { text: format!("\n  {}\nsecond line", "é".repeat(150)), ..Default::default() };
        assert_eq!(YouTube::title(&post).map(|t| t.chars().count()), Some(100));
        let titled = PostContent { title: Some(" Launch ".into()), text: "body".into(), ..Default::default() };
        assert_eq!(YouTube::title(&titled).as_deref(), Some("Launch"));
        assert_eq!(YouTube::title(&PostContent::default()), None);
    }

    #[test]
    fn title_and_description_lose_angle_brackets_and_are_cut_at_the_limits() {
        let own = PostContent { title: Some(format!("<b>{}</b>", "x".repeat(120))), text: "a <tag> b".into(), ..Default::default() };
        let t = YouTube::title(&own).unwrap();
        assert!(!t.contains(['<', '>']), "{t}");
        assert!(t.starts_with("bxxx") && t.chars().count() == 100, "{t}");
        // A title of only brackets falls back to the text.
        let only = PostContent { title: Some("<>".into()), text: "<Hi> there".into(), ..Default::default() };
        assert_eq!(YouTube::title(&only).as_deref(), Some("Hi there"));

        assert_eq!(YouTube::description("1 < 2 > 0"), "1  2  0");
        // 4,999 ASCII bytes then a 2-byte character: the cut never splits it.
        let long = format!("{}é{}", "a".repeat(4999), "<b>".repeat(10));
        let d = YouTube::description(&long);
        assert_eq!(d.len(), 4999);
        assert!(d.is_char_boundary(d.len()));
        let exact = "é".repeat(2600);
        assert_eq!(YouTube::description(&exact).len(), 5000);
        assert_eq!(YouTube::description("short"), "short");
    }
}
