//! Mastodon: every instance is its own server, so the app is registered per instance
//! (`POST /api/v1/apps`) when someone first connects to it. Tokens do not expire; statuses
//! carry an `Idempotency-Key` so a retried request cannot post twice.

use super::http::{classify_common, Answer};
use super::*;
use crate::outbound::web_url;
use serde_json::{json, Value};

/// Posts asked for when looking for a post whose answer was lost. Mastodon returns at most 40.
const RECENT_PAGE: usize = 40;

pub struct Mastodon {
    cfg: PlatformConfig,
    http: Http,
    /// Apps registered per instance (client id, secret), so each server is asked once per
    /// process rather than once per connect. The registration also travels sealed with each
    /// grant, so revoke still works after a restart.
    apps: std::sync::Mutex<std::collections::HashMap<String, (String, String)>>,
}

const SCOPES: &str = "read write";

impl Mastodon {
    pub fn new(cfg: PlatformConfig, http: Http) -> Self {
        Self { cfg, http, apps: Default::default() }
    }

    /// The client for `instance`. The configured default is the admin's choice (the local
    /// sandbox in development); any other instance a person typed is resolved, checked and
    /// pinned on every use (`Http::guarded`), so a name that points inside is refused.
    async fn client(&self, instance: &str) -> Result<reqwest::Client, PlatformError> {
        if instance == self.cfg.auth_base.trim_end_matches('/') {
            return Ok(self.http.client.clone());
        }
        self.http.guarded(instance, self.cfg.allow_private).await
    }

    /// The server's own limits from `/api/v2/instance` (Mastodon 4.0+), else `/api/v1/instance`:
    /// `{max_characters, max_media_attachments, image_size_limit}`. None when it says nothing.
    async fn instance_limits(&self, base: &str) -> Option<Value> {
        let c = self.client(base).await.ok()?;
        for path in ["/api/v2/instance", "/api/v1/instance"] {
            let Ok(a) = self.http.send(c.get(format!("{base}{path}"))).await else { continue };
            if !a.ok() {
                continue;
            }
            let v = a.json();
            // v2 and v1 (3.x) both carry `configuration`; older v1 only `max_toot_chars` (Pleroma too).
            let conf = &v["configuration"];
            let chars = conf["statuses"]["max_characters"].as_u64().or_else(|| v["max_toot_chars"].as_u64());
            let media = conf["statuses"]["max_media_attachments"].as_u64();
            let image = conf["media_attachments"]["image_size_limit"].as_u64();
            if chars.is_none() && media.is_none() && image.is_none() {
                continue;
            }
            let limits = json!({"max_characters": chars, "max_media_attachments": media, "image_size_limit": image});
            return Some(limits);
        }
        None
    }

    async fn app_for(&self, instance: &str) -> Result<(String, String), PlatformError> {
        // Checked before the cache: the name may point elsewhere than when it was registered.
        let c = self.client(instance).await?;
        if let Some(app) = self.apps.lock().unwrap_or_else(|e| e.into_inner()).get(instance).cloned() {
            return Ok(app);
        }
        // A string, not an array: Mastodon before 4.3 and Pleroma/Akkoma refuse arrays (422).
        let body = json!({"client_name": versions::MASTODON_APP_NAME, "redirect_uris": self.cfg.redirect_uri, "scopes": SCOPES, "website": "https://github.com/covalynce"});
        let a = self.http.call(c.post(format!("{instance}/api/v1/apps")).json(&body), self).await?;
        let v = a.json();
        let id =
            v["client_id"].as_str().ok_or_else(|| PlatformError::rejected(format!("{instance} did not register the app.")))?.to_string();
        let secret = v["client_secret"].as_str().unwrap_or_default().to_string();
        let mut apps = self.apps.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: instance names come from people; forgetting one only re-registers it.
        if apps.len() >= 1000 {
            apps.clear();
        }
        apps.insert(instance.to_string(), (id.clone(), secret.clone()));
        Ok((id, secret))
    }

    fn instance(grant: &Grant) -> String {
        grant.extra["instance"].as_str().unwrap_or_default().trim_end_matches('/').to_string()
    }

    /// What the person typed ("mastodon.social", "https://x.y/@me") → the instance origin:
    /// https on the standard port, no path. Where it points is `client`'s check (by address,
    /// not by name). The configured default instance (maybe a local sandbox) is taken as is;
    /// with the admin's private-address opt-in, http and other ports are allowed too.
    fn normalise(&self, instance: &str) -> Result<String, PlatformError> {
        let bad = || PlatformError::rejected(format!("\"{instance}\" is not a server address like mastodon.social."));
        let raw = instance.trim().trim_end_matches('/');
        let default = self.cfg.auth_base.trim_end_matches('/');
        if raw == default || (!raw.contains("://") && default.ends_with(&format!("://{raw}"))) {
            return Ok(default.to_string());
        }
        let with_scheme = if raw.contains("://") { raw.to_string() } else { format!("https://{raw}") };
        let u = url::Url::parse(&with_scheme).map_err(|_| bad())?;
        if u.host().is_none() || !u.username().is_empty() || u.password().is_some() {
            return Err(bad());
        }
        let open = self.cfg.allow_private;
        if !(u.scheme() == "https" || open && u.scheme() == "http") || !open && u.port().is_some_and(|p| p != 443) {
            return Err(PlatformError::rejected(format!("Mastodon servers are reached over https; \"{instance}\" is not one.")));
        }
        Ok(u.origin().ascii_serialization())
    }
}

/// A status's `content` (HTML) → its text: tags dropped, `<br>` a line break, a new paragraph
/// a blank line, the basic and numeric character references decoded. Link text is kept
/// whole (Mastodon hides `https://` and long tails in invisible spans, still in the text).
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            let Some(end) = rest.find('>') else { break };
            let tag = rest[1..end].trim_start_matches('/').trim();
            let name = tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("").to_ascii_lowercase();
            let opening = !rest[1..].starts_with('/');
            match name.as_str() {
                "br" => out.push('\n'),
                "p" if opening && !out.is_empty() => out.push_str("\n\n"),
                _ => {}
            }
            rest = &rest[end + 1..];
        } else {
            let entity = rest[1..].find(';').filter(|n| *n <= 10).map(|n| &rest[1..n + 1]);
            match entity.and_then(decode_entity) {
                Some(c) => {
                    out.push(c);
                    rest = &rest[entity.map_or(0, str::len) + 2..];
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        }
    }
    out.push_str(rest);
    out
}

/// `amp` → '&', `#39` → '\'', `#x27` → '\'' …
fn decode_entity(name: &str) -> Option<char> {
    let numeric = |digits: &str, radix| u32::from_str_radix(digits, radix).ok().and_then(char::from_u32);
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => match name.strip_prefix('#')? {
            hex if hex.starts_with(['x', 'X']) => numeric(&hex[1..], 16),
            dec => numeric(dec, 10),
        },
    }
}

impl Classify for Mastodon {
    fn error(&self, a: &Answer) -> PlatformError {
        let msg = a.json()["error"].as_str().unwrap_or("Mastodon refused the request").to_string();
        let mut e = classify_common(a, msg);
        // Mastodon tokens never expire: a 401 means the token was revoked.
        if a.status == 401 || a.status == 403 {
            e.class = ErrorClass::Disconnected;
        }
        e
    }
}

#[async_trait::async_trait]
impl Platform for Mastodon {
    fn id(&self) -> PlatformId {
        PlatformId::Mastodon
    }

    fn scopes(&self) -> Vec<&'static str> {
        vec!["read", "write"]
    }

    async fn authorize_url(&self, p: &AuthorizeParams) -> Result<(String, Value), PlatformError> {
        let typed = p.instance.clone().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| self.cfg.auth_base.clone());
        let instance = self.normalise(&typed)?;
        let (client_id, client_secret) = self.app_for(&instance).await?;
        let mut u = url::Url::parse(&format!("{instance}/oauth/authorize")).map_err(|e| PlatformError::unsupported(e.to_string()))?;
        u.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &client_id)
            .append_pair("redirect_uri", &self.cfg.redirect_uri)
            .append_pair("scope", SCOPES)
            .append_pair("state", &p.state)
            .append_pair("code_challenge", &p.code_challenge)
            .append_pair("code_challenge_method", "S256");
        Ok((u.to_string(), json!({"instance": instance, "client_id": client_id, "client_secret": client_secret})))
    }

    async fn exchange_code(&self, code: &str, code_verifier: &str, pending: &Value) -> Result<Grant, PlatformError> {
        let instance = pending["instance"].as_str().unwrap_or_default();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", pending["client_id"].as_str().unwrap_or_default()),
            ("client_secret", pending["client_secret"].as_str().unwrap_or_default()),
            ("redirect_uri", &self.cfg.redirect_uri),
            ("scope", SCOPES),
            ("code_verifier", code_verifier),
        ];
        let a = self.http.call(self.client(instance).await?.post(format!("{instance}/oauth/token")).form(&form), self).await?;
        let v = a.json();
        Ok(Grant {
            access_token: v["access_token"].as_str().ok_or_else(|| PlatformError::unsupported("Mastodon sent no access token"))?.into(),
            refresh_token: None,
            expires_at: None,
            scopes: v["scope"].as_str().unwrap_or(SCOPES).split_whitespace().map(str::to_string).collect(),
            extra: pending.clone(),
        })
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, PlatformError> {
        // Nothing to refresh: tokens live until revoked.
        Ok(grant.clone())
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), PlatformError> {
        let form = [
            ("client_id", grant.extra["client_id"].as_str().unwrap_or_default()),
            ("client_secret", grant.extra["client_secret"].as_str().unwrap_or_default()),
            ("token", grant.access_token.as_str()),
        ];
        let base = Self::instance(grant);
        self.http.call(self.client(&base).await?.post(format!("{base}/oauth/revoke")).form(&form), self).await?;
        Ok(())
    }

    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError> {
        let base = Self::instance(grant);
        let a = self
            .http
            .call(
                self.client(&base).await?.get(format!("{base}/api/v1/accounts/verify_credentials")).bearer_auth(&grant.access_token),
                self,
            )
            .await?;
        let v = a.json();
        let host = url::Url::parse(&Self::instance(grant)).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
        let username = v["username"].as_str().unwrap_or_default();
        // Each server sets its own limits; kept with the grant so scheduling checks them.
        let mut grant = grant.clone();
        if let Some(limits) = self.instance_limits(&base).await {
            grant.extra["limits"] = limits;
        }
        Ok(vec![(
            AccountProfile {
                external_id: v["id"].as_str().unwrap_or_default().into(),
                username: format!("{username}@{host}"),
                display_name: v["display_name"].as_str().filter(|s| !s.is_empty()).unwrap_or(username).into(),
                avatar_url: web_url(v["avatar"].as_str()),
            },
            grant,
        )])
    }

    async fn publish(&self, grant: &Grant, _account: &AccountProfile, post: &PostContent) -> Result<Published, PlatformError> {
        let base = Self::instance(grant);
        let c = self.client(&base).await?;
        let mut media_ids = vec![];
        for img in post.images.iter().take(4) {
            let part = reqwest::multipart::Part::bytes(img.bytes.clone())
                .file_name("image")
                .mime_str(&img.mime)
                .map_err(|e| PlatformError::unsupported(e.to_string()))?;
            let form = reqwest::multipart::Form::new().part("file", part).text("description", img.alt.clone());
            let a = self.http.call(c.post(format!("{base}/api/v2/media")).bearer_auth(&grant.access_token).multipart(form), self).await?;
            let id = a.json()["id"].as_str().unwrap_or_default().to_string();
            // 202 = still processing: poll until 200 (206 while processing), with a deadline.
            if a.status == 202 {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    let s = self.http.send(c.get(format!("{base}/api/v1/media/{id}")).bearer_auth(&grant.access_token)).await?;
                    match s.status {
                        200 => break,
                        206 if std::time::Instant::now() < deadline => continue,
                        206 => {
                            return Err(PlatformError::new(
                                ErrorClass::RetryLater { retry_after_secs: Some(60) },
                                "Mastodon is still processing the image.",
                                None,
                            ))
                        }
                        _ => return Err(self.error(&s)),
                    }
                }
            }
            media_ids.push(id);
        }
        let body = json!({"status": post.text, "media_ids": media_ids, "visibility": "public"});
        let a = self
            .http
            .call(
                c.post(format!("{base}/api/v1/statuses"))
                    .bearer_auth(&grant.access_token)
                    .header("Idempotency-Key", post.idempotency_key.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()))
                    .json(&body),
                self,
            )
            .await?;
        let v = a.json();
        // The instance chooses the link; only a web link is kept (never `javascript:`).
        Ok(Published { external_id: v["id"].as_str().unwrap_or_default().into(), url: web_url(v["url"].as_str()).unwrap_or_default() })
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        let base = Self::instance(grant);
        let a = self
            .http
            .call(self.client(&base).await?.get(format!("{base}/api/v1/statuses/{external_id}")).bearer_auth(&grant.access_token), self)
            .await?;
        let v = a.json();
        Ok(Metrics {
            likes: v["favourites_count"].as_i64(),
            comments: v["replies_count"].as_i64(),
            shares: v["reblogs_count"].as_i64(),
            ..Default::default()
        })
    }

    /// The account's own statuses (`/api/v1/accounts/:id/statuses`, at most 40, reblogs left
    /// out), on the person's instance through the same checked client.
    async fn recent_posts(&self, grant: &Grant, account: &AccountProfile, since_ms: i64) -> Result<Option<RecentPosts>, PlatformError> {
        let base = Self::instance(grant);
        let mut u = url::Url::parse(&base).map_err(|_| PlatformError::rejected(format!("\"{base}\" is not a server address.")))?;
        u.path_segments_mut()
            .map_err(|_| PlatformError::rejected(format!("\"{base}\" is not a server address.")))?
            .pop_if_empty()
            .extend(["api", "v1", "accounts", account.external_id.as_str(), "statuses"]);
        let req = self.client(&base).await?.get(u).query(&[("limit", RECENT_PAGE.to_string().as_str()), ("exclude_reblogs", "true")]);
        let a = self.http.call(req.bearer_auth(&grant.access_token), self).await?;
        let statuses = a.json().as_array().cloned().unwrap_or_default();
        Ok(Some(RecentPosts::from_page(
            &statuses,
            RECENT_PAGE,
            since_ms,
            |r| r["created_at"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.timestamp_millis()),
            |s| {
                let id = s["id"].as_str().filter(|id| !id.is_empty() && s["reblog"].is_null())?.to_string();
                Some(RecentPost {
                    // As `publish` keeps it: the instance's web link, never `javascript:`.
                    url: web_url(s["url"].as_str()).unwrap_or_default(),
                    text: html_to_text(s["content"].as_str().unwrap_or_default()),
                    external_id: id,
                })
            },
        )))
    }

    async fn followers(&self, grant: &Grant, _account: &AccountProfile) -> Result<Option<i64>, PlatformError> {
        let base = Self::instance(grant);
        let a = self
            .http
            .call(
                self.client(&base).await?.get(format!("{base}/api/v1/accounts/verify_credentials")).bearer_auth(&grant.access_token),
                self,
            )
            .await?;
        Ok(a.json()["followers_count"].as_i64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(default: &str) -> Mastodon {
        Mastodon::new(PlatformConfig { auth_base: default.into(), ..Default::default() }, Http::new(std::time::Duration::from_secs(1)))
    }

    #[test]
    fn status_html_reads_back_as_the_text_that_was_posted() {
        let html = r#"<p>Lost &amp; found &lt;3: <a href="https://example.com/launch" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="">example.com/launch</span><span class="invisible"></span></a></p><p>it&#39;s<br />here&#x21; &bogus; a&b</p>"#;
        assert_eq!(html_to_text(html), "Lost & found <3: https://example.com/launch\n\nit's\nhere! &bogus; a&b");
    }

    #[test]
    fn instances_are_https_origins() {
        let a = m("https://mastodon.social");
        assert_eq!(a.normalise("fosstodon.org/").unwrap(), "https://fosstodon.org");
        assert_eq!(a.normalise("https://Hachyderm.io/@someone").unwrap(), "https://hachyderm.io");
        for bad in ["http://fosstodon.org", "https://a.example:8443", "https://user:pw@a.example", "not a url at all", "ftp://a.example"] {
            assert!(a.normalise(bad).is_err(), "{bad} must be refused");
        }
        // The configured default (a local sandbox in development) is the one exception.
        let local = m("http://127.0.0.1:4000/mastodon");
        assert_eq!(local.normalise("http://127.0.0.1:4000/mastodon/").unwrap(), "http://127.0.0.1:4000/mastodon");
    }

    #[tokio::test]
    async fn instances_that_point_inside_are_refused_by_address_not_name() {
        let a = m("https://mastodon.social");
        for (typed, ip) in [
            ("localhost", "points at this server itself"),
            ("https://169.254.169.254", "169.254.169.254"),
            ("https://10.0.0.1", "10.0.0.1"),
            ("https://[::ffff:127.0.0.1]", "127.0.0.1"),
            ("https://2130706433", "127.0.0.1"),
        ] {
            let p = AuthorizeParams { state: "s".into(), code_challenge: "c".into(), instance: Some(typed.into()) };
            let e = a.authorize_url(&p).await.unwrap_err();
            assert_eq!(e.class, ErrorClass::Rejected, "{typed}");
            assert!(e.message.contains(ip) && e.message.contains("public addresses"), "{typed}: {}", e.message);
        }
    }
}
