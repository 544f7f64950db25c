//! LinkedIn: 3-legged OAuth (no PKCE for web apps; client id and secret in the token form),
//! OIDC `userinfo` for the member, the versioned Posts API (`/rest/posts`) with the Images
//! API for pictures. Metrics: member posts' statistics come only through Member Post
//! Analytics (`LINKEDIN_MEMBER_ANALYTICS=1`); otherwise `socialActions`, whose 403 for normal
//! apps means "unavailable", never "reconnect". Normal apps get no refresh token:
//! access lasts 60 days, then the member reconnects (approved partners get a 365-day refresh
//! token whose expiry never resets).

use super::http::{classify_common, Answer};
use super::oauth::{self, token_grant};
use super::versions::{LINKEDIN_RESTLI, LINKEDIN_VERSION};
use super::*;
use crate::outbound::web_url;
use serde_json::{json, Value};

/// Posts asked for when looking for a post whose answer was lost.
const RECENT_PAGE: usize = 50;

pub struct Linkedin {
    cfg: PlatformConfig,
    http: Http,
}

/// OIDC sign-in scopes (who the member is) plus member posting. `email` tells several
/// LinkedIn accounts apart in the list.
const SCOPES: [&str; 4] = ["openid", "profile", "email", "w_member_social"];
/// Member Post Analytics (asked for only when the admin says the app has that product).
const MEMBER_ANALYTICS_SCOPE: &str = "r_member_postAnalytics";
/// What `memberCreatorPostAnalytics` is asked for, one request each (the API takes one
/// `queryType` per call).
const MEMBER_METRICS: [&str; 5] = ["IMPRESSION", "MEMBERS_REACHED", "REACTION", "COMMENT", "RESHARE"];

/// Why a member post shows no numbers without Member Post Analytics: `socialActions` needs
/// `r_member_social`, which LinkedIn grants only to approved partners (403 ACCESS_DENIED).
const NO_MEMBER_METRICS: &str = "LinkedIn shares statistics of profile posts only with apps approved for Member Post Analytics \
    (permission r_member_postAnalytics). Your admin can enable it with LINKEDIN_MEMBER_ANALYTICS=1 once the LinkedIn app has \
    that product; then reconnect the account. Publishing is not affected.";

/// LinkedIn's "little text" reserved characters (its documented list). Unescaped, LinkedIn
/// reads them as markup and silently drops the rest of the post.
const RESERVED: [char; 15] = ['\\', '|', '{', '}', '@', '[', ']', '(', ')', '<', '>', '#', '*', '_', '~'];

/// Plain text → "little text": every reserved character backslash-escaped.
pub fn escape_little_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if RESERVED.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// "Little text" as the Posts API returns it → plain text: each backslash escape resolved.
fn unescape_little_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// Why a member's posts cannot be listed: the Posts API's author finder needs `r_member_social`
/// for member authors, which LinkedIn grants only to approved partners (403 otherwise).
const NO_MEMBER_POSTS: &str = "LinkedIn lists a member's posts only to apps approved for the permission r_member_social; \
    the post stays unconfirmed for you to check.";

/// Path segment encoding for URNs (`urn:li:share:1` → `urn%3Ali%3Ashare%3A1`), as Rest.li 2.0 wants.
fn encode_urn(urn: &str) -> String {
    url::form_urlencoded::byte_serialize(urn.as_bytes()).collect()
}

const EXPIRED: &str = "LinkedIn access lasts 60 days and LinkedIn gives this app no refresh token: reconnect the account.";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Linkedin {
    pub fn new(cfg: PlatformConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    /// OAuth lives on the www host (authorize, accessToken, revoke).
    fn oauth(&self, path: &str) -> String {
        format!("{}/oauth/v2/{path}", self.cfg.auth_base.trim_end_matches('/'))
    }

    /// `/rest/*` calls: LinkedIn has no default version and answers 400/426 without these.
    fn rest(&self, req: reqwest::RequestBuilder, grant: &Grant) -> reqwest::RequestBuilder {
        req.bearer_auth(&grant.access_token)
            .header("LinkedIn-Version", LINKEDIN_VERSION)
            .header("X-Restli-Protocol-Version", LINKEDIN_RESTLI)
    }

    fn grant_from(&self, a: &Answer) -> Result<Grant, PlatformError> {
        let g = token_grant(a, self, "LinkedIn")?;
        // Partners only: remember when the refresh token dies (its TTL never resets).
        let extra = match oauth::expires_in(a.json()["refresh_token_expires_in"].as_i64()) {
            Some(at) => json!({"refresh_expires_at": at}),
            None => Value::Null,
        };
        Ok(Grant { extra, ..g })
    }

    async fn userinfo(&self, grant: &Grant) -> Result<Value, PlatformError> {
        let a = self.http.call(self.http.client.get(self.cfg.api_url("/v2/userinfo")).bearer_auth(&grant.access_token), self).await?;
        Ok(a.json())
    }

    /// Images API: register the upload, then PUT the bytes in one request (LinkedIn does not
    /// take chunked images). Returns the image URN for the post.
    async fn upload_image(&self, grant: &Grant, author: &str, img: &MediaFile) -> Result<String, PlatformError> {
        let body = json!({"initializeUploadRequest": {"owner": author}});
        let req = self.http.client.post(self.cfg.api_url("/rest/images")).query(&[("action", "initializeUpload")]).json(&body);
        let a = self.http.call(self.rest(req, grant), self).await?;
        let v = a.json();
        let upload_url = v["value"]["uploadUrl"].as_str().ok_or_else(|| PlatformError::unsupported("LinkedIn returned no upload URL"))?;
        let urn = v["value"]["image"].as_str().ok_or_else(|| PlatformError::unsupported("LinkedIn returned no image URN"))?.to_string();
        let put = self
            .http
            .client
            .put(upload_url)
            .bearer_auth(&grant.access_token)
            .header("Content-Type", img.mime.as_str())
            .body(img.bytes.clone());
        self.http.call(put, self).await?;
        Ok(urn)
    }
}

impl Classify for Linkedin {
    /// API envelope `{status, serviceErrorCode, code?, message}` or the OAuth one
    /// `{error, error_description}`, classified.
    fn error(&self, a: &Answer) -> PlatformError {
        let v = a.json();
        let msg = v["message"].as_str().or_else(|| v["error_description"].as_str()).unwrap_or("LinkedIn refused the request").to_string();
        if let Some(oauth_error) = v["error"].as_str() {
            // Token endpoint. Our app credentials wrong: configuration, not the person.
            // A spent, expired or revoked code/refresh token: the person must reconnect.
            let class = if oauth_error == "invalid_client" { ErrorClass::Rejected } else { ErrorClass::Disconnected };
            return PlatformError::new(class, msg, Some(a.status));
        }
        let mut e = classify_common(a, msg);
        let revoked = v["serviceErrorCode"].as_i64() == Some(65601) || v["code"] == "REVOKED_ACCESS_TOKEN";
        match a.status {
            // The member removed the app in their settings: a refresh cannot help.
            401 if revoked => e.class = ErrorClass::Disconnected,
            // "Not enough permissions": the grant lacks a scope; only a new consent adds it.
            403 if v["serviceErrorCode"].as_i64() == Some(100) => e.class = ErrorClass::Disconnected,
            426 => e.message = format!("LinkedIn retired API version {LINKEDIN_VERSION}; update Covalynce. ({})", e.message),
            _ => {}
        }
        e
    }
}

#[async_trait::async_trait]
impl Platform for Linkedin {
    fn id(&self) -> PlatformId {
        PlatformId::Linkedin
    }

    fn scopes(&self) -> Vec<&'static str> {
        let mut s = SCOPES.to_vec();
        if self.cfg.member_analytics {
            s.push(MEMBER_ANALYTICS_SCOPE);
        }
        s
    }

    async fn authorize_url(&self, p: &AuthorizeParams) -> Result<(String, Value), PlatformError> {
        // No PKCE: LinkedIn offers it only to approved native clients.
        Ok((self.cfg.consent_url("/oauth/v2/authorization", "client_id", &self.scopes().join(" "), &p.state, &[])?, Value::Null))
    }

    async fn exchange_code(&self, code: &str, _code_verifier: &str, _pending: &Value) -> Result<Grant, PlatformError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.cfg.redirect_uri),
            ("client_id", &self.cfg.client_id),
            ("client_secret", &self.cfg.client_secret),
        ];
        let a = self.http.send(self.http.client.post(self.oauth("accessToken")).form(&form)).await?;
        self.grant_from(&a)
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, PlatformError> {
        let Some(rt) = grant.refresh_token.as_deref() else {
            // Normal apps: nothing to renew. While the token works the grant stays as it is;
            // ask LinkedIn rather than trust our clock, so a revoked or expired token shows.
            if grant.expires_at.is_some_and(|e| e <= now_ms()) {
                return Err(PlatformError::new(ErrorClass::RefreshNeeded, EXPIRED, None));
            }
            return match self.userinfo(grant).await {
                Ok(_) => Ok(grant.clone()),
                Err(e) if e.class == ErrorClass::RefreshNeeded => Err(PlatformError { message: EXPIRED.into(), ..e }),
                Err(e) => Err(e),
            };
        };
        if grant.extra["refresh_expires_at"].as_i64().is_some_and(|e| e <= now_ms()) {
            return Err(PlatformError::new(
                ErrorClass::Disconnected,
                "LinkedIn's refresh token reached its one-year limit: reconnect the account.",
                None,
            ));
        }
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", &self.cfg.client_id),
            ("client_secret", &self.cfg.client_secret),
        ];
        let a = self.http.send(self.http.client.post(self.oauth("accessToken")).form(&form)).await?;
        // The refresh token keeps its original expiry: never extend what we stored.
        let newer = Grant { extra: Value::Null, ..self.grant_from(&a)? };
        Ok(grant.merged_with(newer))
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), PlatformError> {
        let form = [
            ("client_id", self.cfg.client_id.as_str()),
            ("client_secret", self.cfg.client_secret.as_str()),
            ("token", grant.access_token.as_str()),
        ];
        self.http.call(self.http.client.post(self.oauth("revoke")).form(&form), self).await?;
        Ok(())
    }

    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError> {
        let v = self.userinfo(grant).await?;
        let sub = v["sub"].as_str().filter(|s| !s.is_empty()).ok_or_else(|| PlatformError::unsupported("LinkedIn sent no member id"))?;
        let name = v["name"].as_str().unwrap_or_default();
        // OIDC gives no vanity name; the email address is what tells accounts apart.
        let username = v["email"].as_str().filter(|e| !e.is_empty()).unwrap_or(if name.is_empty() { sub } else { name });
        let profile = AccountProfile {
            external_id: sub.into(),
            username: username.into(),
            display_name: if name.is_empty() { username.into() } else { name.into() },
            avatar_url: web_url(v["picture"].as_str()),
        };
        Ok(vec![(profile, grant.clone())])
    }

    async fn publish(&self, grant: &Grant, account: &AccountProfile, post: &PostContent) -> Result<Published, PlatformError> {
        let author = format!("urn:li:person:{}", account.external_id);
        let mut images = vec![];
        for img in &post.images {
            let id = self.upload_image(grant, &author, img).await?;
            images.push(if img.alt.is_empty() { json!({"id": id}) } else { json!({"id": id, "altText": img.alt}) });
        }
        let mut body = json!({
            "author": author,
            "commentary": escape_little_text(&post.text),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false,
        });
        match images.len() {
            0 => {}
            1 => body["content"] = json!({"media": images[0]}),
            _ => body["content"] = json!({"multiImage": {"images": images}}),
        }
        let a = self.http.call(self.rest(self.http.client.post(self.cfg.api_url("/rest/posts")).json(&body), grant), self).await?;
        // 201 with an empty body: the post URN comes only in this header.
        let urn = a
            .header("x-restli-id")
            .filter(|u| !u.is_empty())
            .ok_or_else(|| PlatformError::new(ErrorClass::Unknown, "LinkedIn accepted the post but sent no id", Some(a.status)))?;
        Ok(Published { url: format!("https://www.linkedin.com/feed/update/{urn}"), external_id: urn })
    }

    /// The member's own posts (`GET /rest/posts?q=author`, the Posts API's author finder), by
    /// last change, newest first. LinkedIn serves it for member authors only with
    /// `r_member_social`: its 403 means "cannot be asked", never "reconnect".
    async fn recent_posts(&self, grant: &Grant, account: &AccountProfile, since_ms: i64) -> Result<Option<RecentPosts>, PlatformError> {
        let author = encode_urn(&format!("urn:li:person:{}", account.external_id));
        let path = format!("/rest/posts?author={author}&q=author&count={RECENT_PAGE}&sortBy=LAST_MODIFIED");
        let req = self.rest(self.http.client.get(self.cfg.api_url(&path)), grant).header("X-RestLi-Method", "FINDER");
        let a = self.http.send(req).await?;
        if a.status == 403 {
            return Err(PlatformError::new(ErrorClass::MissingPermission, NO_MEMBER_POSTS, Some(403)));
        }
        if !a.ok() {
            return Err(self.error(&a));
        }
        let elements = a.json()["elements"].as_array().cloned().unwrap_or_default();
        let created = |p: &Value| p["createdAt"].as_i64().or_else(|| p["publishedAt"].as_i64());
        let mut page = RecentPosts::from_page(&elements, RECENT_PAGE, since_ms, created, |p| {
            let urn = p["id"].as_str().filter(|u| !u.is_empty())?.to_string();
            Some(RecentPost {
                url: format!("https://www.linkedin.com/feed/update/{urn}"),
                text: unescape_little_text(p["commentary"].as_str().unwrap_or_default()),
                external_id: urn,
            })
        });
        // Sorted by last change, not creation: an older post edited since proves nothing about
        // what lies past the page, so only a page that was not full is whole.
        page.complete = elements.len() < RECENT_PAGE;
        Ok(Some(page))
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        if self.cfg.member_analytics {
            if !grant.scopes.iter().any(|s| s == MEMBER_ANALYTICS_SCOPE) {
                // Connected before the admin enabled it: only a new consent adds the scope.
                return Err(PlatformError::new(
                    ErrorClass::MissingPermission,
                    "Reconnect this LinkedIn account to allow reading post statistics (permission r_member_postAnalytics).",
                    None,
                ));
            }
            return self.member_metrics(grant, external_id).await;
        }
        let req = self.http.client.get(self.cfg.api_url(&format!("/rest/socialActions/{}", encode_urn(external_id))));
        let a = self.http.send(self.rest(req, grant)).await?;
        if a.status == 403 {
            // A read this app is not allowed: the numbers are unavailable, the account is fine.
            return Err(PlatformError::new(ErrorClass::MissingPermission, NO_MEMBER_METRICS, Some(403)));
        }
        if !a.ok() {
            return Err(self.error(&a));
        }
        let v = a.json();
        Ok(Metrics {
            likes: v["likesSummary"]["totalLikes"].as_i64().or_else(|| v["likesSummary"]["aggregatedTotalLikes"].as_i64()),
            comments: v["commentsSummary"]["totalFirstLevelComments"]
                .as_i64()
                .or_else(|| v["commentsSummary"]["aggregatedTotalComments"].as_i64()),
            ..Metrics::default()
        })
    }
}

impl Linkedin {
    /// Member Post Analytics: lifetime totals of one post, one metric per request.
    async fn member_metrics(&self, grant: &Grant, external_id: &str) -> Result<Metrics, PlatformError> {
        let kind = if external_id.starts_with("urn:li:ugcPost:") { "ugc" } else { "share" };
        let mut m = Metrics::default();
        for metric in MEMBER_METRICS {
            let path = format!(
                "/rest/memberCreatorPostAnalytics?q=entity&entity=({kind}:{})&queryType={metric}&aggregation=TOTAL",
                encode_urn(external_id)
            );
            let a = self.http.send(self.rest(self.http.client.get(self.cfg.api_url(&path)), grant)).await?;
            if a.status == 403 {
                return Err(PlatformError::new(
                    ErrorClass::MissingPermission,
                    "LinkedIn refused post statistics for this account (permission r_member_postAnalytics). Reconnect it to grant them.",
                    Some(403),
                ));
            }
            if !a.ok() {
                return Err(self.error(&a));
            }
            let count = a.json()["elements"][0]["count"].as_i64();
            match metric {
                "IMPRESSION" => m.impressions = count,
                "MEMBERS_REACHED" => m.views = count,
                "REACTION" => m.likes = count,
                "COMMENT" => m.comments = count,
                _ => m.shares = count,
            }
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_text_reserved_characters_are_escaped() {
        assert_eq!(escape_little_text("Hi (all) @team #1 a_b"), r"Hi \(all\) \@team \#1 a\_b");
        assert_eq!(escape_little_text(r"back\slash"), r"back\\slash");
        assert_eq!(escape_little_text("plain, text: ok!"), "plain, text: ok!");
    }

    #[test]
    fn little_text_from_linkedin_reads_back_as_what_was_posted() {
        let text = r"Hi (all) @team #1 a_b \ back\slash";
        assert_eq!(unescape_little_text(&escape_little_text(text)), text);
    }

    #[test]
    fn asks_for_every_required_catalogue_scope() {
        for s in crate::domain::platform_info(PlatformId::Linkedin).scopes.iter().filter(|s| s.required) {
            assert!(SCOPES.contains(&s.scope), "{}", s.scope);
        }
    }

    #[test]
    fn urns_are_encoded_as_one_path_segment() {
        assert_eq!(encode_urn("urn:li:share:7012"), "urn%3Ali%3Ashare%3A7012");
    }
}
