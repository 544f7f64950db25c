//! Pinterest API v5: OAuth code flow with Basic client auth on the token endpoint and
//! continuous (rotating) refresh tokens, the user account, boards, Pins created from images
//! (by URL or inline base64) and Pin analytics. There are no text-only Pins.

use super::http::{classify_common, Answer};
use super::oauth::{refresh_token, token_grant};
use super::versions::PINTEREST_VERSION;
use super::*;
use crate::outbound::web_url;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

pub struct Pinterest {
    cfg: PlatformConfig,
    http: Http,
}

/// The catalogue's required scopes plus `pins:read`, without which Pin analytics answer 403.
const SCOPES: [&str; 4] = ["user_accounts:read", "boards:read", "pins:write", "pins:read"];
/// Pinterest caps Pin titles at 100 characters.
const TITLE_MAX: usize = 100;
/// At most this many boards are listed (Pinterest pages them by 250 at most).
const BOARDS_MAX: usize = 250;
/// Alt text limit on a Pin.
const ALT_MAX: usize = 500;

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The first web link in the text becomes the Pin's destination.
fn first_link(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|w| w.starts_with("https://") || w.starts_with("http://"))
        .map(|w| w.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']).to_string())
}

impl Pinterest {
    pub fn new(cfg: PlatformConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    fn api(&self, path: &str) -> String {
        self.cfg.api_url(&format!("/{PINTEREST_VERSION}{path}"))
    }

    fn token_url(&self) -> String {
        self.cfg.token_url(&format!("/{PINTEREST_VERSION}/oauth/token"))
    }

    /// A POST to the token endpoint, authenticated as our app (HTTP Basic).
    fn token_post(&self) -> reqwest::RequestBuilder {
        self.http.client.post(self.token_url()).basic_auth(&self.cfg.client_id, Some(&self.cfg.client_secret))
    }

    fn grant_from(&self, a: &Answer) -> Result<Grant, PlatformError> {
        if !a.ok() {
            let mut e = self.error(a);
            // A spent, expired or revoked code/refresh token: only a new consent helps. 401
            // here is our app's Basic credentials, which no refresh can fix either.
            if matches!(a.status, 400 | 401 | 403) {
                e.class = if a.status == 401 { ErrorClass::Rejected } else { ErrorClass::Disconnected };
            }
            return Err(e);
        }
        token_grant(a, self, "Pinterest")
    }

    async fn get(&self, grant: &Grant, path: &str, query: &[(&str, &str)]) -> Result<Value, PlatformError> {
        let a = self.http.call(self.http.client.get(self.api(path)).query(query).bearer_auth(&grant.access_token), self).await?;
        Ok(a.json())
    }

    /// A Pin needs a board: the account's first one. Creating boards needs `boards:write`,
    /// which Covalynce does not ask for, so an account without boards is told what to do.
    async fn board(&self, grant: &Grant) -> Result<String, PlatformError> {
        let v = self.get(grant, "/boards", &[("page_size", "250")]).await?;
        v["items"][0]["id"].as_str().map(str::to_string).ok_or_else(|| {
            PlatformError::rejected("Your Pinterest account has no board yet. Create a board on Pinterest, then publish again.")
        })
    }

    /// The post's title, else its first non-empty line, cut to Pinterest's 100 characters.
    fn title(post: &PostContent) -> String {
        let first_line = || post.text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
        let title = post.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or_else(first_line);
        truncate(title, TITLE_MAX)
    }

    /// `image_url` when the file is already public (Pinterest fetches it), else inline base64.
    fn media_source(images: &[MediaFile]) -> Result<Value, PlatformError> {
        let base64_item = |img: &MediaFile| -> Result<Value, PlatformError> {
            // Inline uploads take JPEG or PNG only.
            if !matches!(img.mime.as_str(), "image/jpeg" | "image/png") {
                return Err(PlatformError::rejected(format!(
                    "Pinterest takes uploaded images as JPEG or PNG only ({} is not accepted).",
                    img.mime
                )));
            }
            Ok(json!({"content_type": img.mime, "data": STANDARD.encode(&img.bytes)}))
        };
        let all_urls: Option<Vec<&str>> = images.iter().map(|i| i.url.as_deref()).collect();
        Ok(match (images, all_urls) {
            ([], _) => return Err(PlatformError::rejected("Pinterest needs an image for every Pin: add one and publish again.")),
            ([_], Some(urls)) => json!({"source_type": "image_url", "url": urls[0]}),
            ([img], None) => {
                let mut v = base64_item(img)?;
                v["source_type"] = json!("image_base64");
                v
            }
            (_, Some(urls)) => {
                json!({"source_type": "multiple_image_urls", "items": urls.iter().map(|u| json!({"url": u})).collect::<Vec<_>>()})
            }
            (imgs, None) => {
                json!({"source_type": "multiple_image_base64", "items": imgs.iter().map(base64_item).collect::<Result<Vec<_>, _>>()?})
            }
        })
    }
}

impl Classify for Pinterest {
    /// Envelope `{code, message}`, classified.
    fn error(&self, a: &Answer) -> PlatformError {
        let v = a.json();
        let msg = v["message"].as_str().filter(|m| !m.is_empty()).unwrap_or("Pinterest refused the request").to_string();
        classify_common(a, msg)
    }
}

#[async_trait::async_trait]
impl Platform for Pinterest {
    fn id(&self) -> PlatformId {
        PlatformId::Pinterest
    }

    fn scopes(&self) -> Vec<&'static str> {
        SCOPES.to_vec()
    }

    async fn authorize_url(&self, p: &AuthorizeParams) -> Result<(String, Value), PlatformError> {
        // Pinterest separates scopes with commas.
        Ok((self.cfg.consent_url("/oauth/", "client_id", &SCOPES.join(","), &p.state, &[])?, Value::Null))
    }

    async fn exchange_code(&self, code: &str, _code_verifier: &str, _pending: &Value) -> Result<Grant, PlatformError> {
        let form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &self.cfg.redirect_uri)];
        let a = self.http.send(self.token_post().form(&form)).await?;
        self.grant_from(&a)
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, PlatformError> {
        let rt = refresh_token(grant, "Pinterest")?;
        // `refresh_on=true` asks for continuous refresh: a new refresh token every time, the
        // old one retired. It is Pinterest's default now; storing what comes back is safe either way.
        let form = [("grant_type", "refresh_token"), ("refresh_token", rt), ("refresh_on", "true")];
        let a = self.http.send(self.token_post().form(&form)).await?;
        self.grant_from(&a).map(|g| grant.merged_with(g))
    }

    async fn revoke(&self, _grant: &Grant) -> Result<(), PlatformError> {
        // API v5 has no token revocation endpoint: the tokens are deleted on our side and the
        // person can remove the app under Pinterest's "Apps" settings.
        Ok(())
    }

    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError> {
        let v = self.get(grant, "/user_account", &[]).await?;
        let username = v["username"].as_str().unwrap_or_default();
        let id = v["id"].as_str().filter(|i| !i.is_empty()).unwrap_or(username);
        if id.is_empty() {
            return Err(PlatformError::unsupported("Pinterest sent no account id"));
        }
        // Business accounts have a display name; personal ones only the username.
        let display = v["business_name"].as_str().filter(|n| !n.is_empty()).unwrap_or(username);
        let profile = AccountProfile {
            external_id: id.into(),
            username: username.into(),
            display_name: display.into(),
            avatar_url: web_url(v["profile_image"].as_str()),
        };
        Ok(vec![(profile, grant.clone())])
    }

    async fn publish(&self, grant: &Grant, _account: &AccountProfile, post: &PostContent) -> Result<Published, PlatformError> {
        // Checked before any call: an image-less Pin cannot exist.
        let media_source = Self::media_source(&post.images)?;
        // The chosen board, else the account's first (Pinterest refuses a board not its own).
        let board_id = match post.options.pinterest.as_ref().filter(|p| !p.board_id.is_empty()) {
            Some(p) => p.board_id.clone(),
            None => self.board(grant).await?,
        };
        let mut body = json!({
            "board_id": board_id,
            "title": Self::title(post),
            "description": post.text,
            "media_source": media_source,
        });
        if let Some(alt) = post.images.iter().map(|i| i.alt.as_str()).find(|a| !a.is_empty()) {
            body["alt_text"] = json!(truncate(alt, ALT_MAX));
        }
        if let Some(link) = first_link(&post.text) {
            body["link"] = json!(link);
        }
        let a = self.http.call(self.http.client.post(self.api("/pins")).bearer_auth(&grant.access_token).json(&body), self).await?;
        let id = a.json()["id"]
            .as_str()
            .filter(|i| !i.is_empty())
            .map(str::to_string)
            .ok_or_else(|| PlatformError::new(ErrorClass::Unknown, "Pinterest accepted the Pin but sent no id", Some(a.status)))?;
        Ok(Published { url: format!("https://www.pinterest.com/pin/{id}/"), external_id: id })
    }

    async fn boards(&self, grant: &Grant, _account: &AccountProfile) -> Result<Option<Vec<Board>>, PlatformError> {
        let mut boards = Vec::new();
        let mut bookmark: Option<String> = None;
        loop {
            let mut q = vec![("page_size", "100")];
            if let Some(b) = bookmark.as_deref() {
                q.push(("bookmark", b));
            }
            let v = self.get(grant, "/boards", &q).await?;
            for item in v["items"].as_array().into_iter().flatten() {
                let Some(id) = item["id"].as_str().filter(|i| !i.is_empty()) else { continue };
                let name = item["name"].as_str().unwrap_or(id);
                boards.push(Board { id: id.into(), name: name.into() });
            }
            bookmark = v["bookmark"].as_str().filter(|b| !b.is_empty()).map(str::to_string);
            if bookmark.is_none() || boards.len() >= BOARDS_MAX {
                break;
            }
        }
        boards.truncate(BOARDS_MAX);
        Ok(Some(boards))
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        // Analytics cover at most the last 90 days.
        let today = chrono::Utc::now().date_naive();
        let start = (today - chrono::Days::new(89)).format("%Y-%m-%d").to_string();
        let end = today.format("%Y-%m-%d").to_string();
        let q = [("start_date", start.as_str()), ("end_date", end.as_str()), ("metric_types", "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK")];
        let v = self.get(grant, &format!("/pins/{external_id}/analytics"), &q).await?;
        let all = &v["all"];
        let m = if all["summary_metrics"].is_object() { &all["summary_metrics"] } else { &all["lifetime_metrics"] };
        // Pinterest has no likes, comments or shares for organic Pins; views are video-only.
        Ok(Metrics { impressions: m["IMPRESSION"].as_i64(), saves: m["SAVE"].as_i64(), ..Metrics::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(url: Option<&str>, mime: &str) -> MediaFile {
        MediaFile { bytes: b"img".to_vec(), mime: mime.into(), alt: String::new(), url: url.map(str::to_string) }
    }

    #[test]
    fn media_source_follows_what_the_files_offer() {
        let one_url = Pinterest::media_source(&[img(Some("https://cdn.example/a.png"), "image/png")]).unwrap();
        assert_eq!(one_url["source_type"], "image_url");
        let inline = Pinterest::media_source(&[img(None, "image/png")]).unwrap();
        assert_eq!((inline["source_type"].as_str(), inline["data"].as_str()), (Some("image_base64"), Some("aW1n")));
        let two = Pinterest::media_source(&[img(Some("https://a/1.png"), "image/png"), img(None, "image/jpeg")]).unwrap();
        assert_eq!(two["source_type"], "multiple_image_base64");
        assert_eq!(Pinterest::media_source(&[img(None, "image/webp")]).unwrap_err().class, ErrorClass::Rejected);
        assert!(Pinterest::media_source(&[]).unwrap_err().message.contains("needs an image"));
    }

    #[test]
    fn asks_for_every_required_catalogue_scope() {
        for s in crate::domain::platform_info(PlatformId::Pinterest).scopes.iter().filter(|s| s.required) {
            assert!(SCOPES.contains(&s.scope), "{}", s.scope);
        }
    }

    #[test]
    fn title_falls_back_to_the_first_line_cut_at_100_chars() {
        let post = PostContent { text: format!("\n  {}\nsecond line", "é".repeat(150)), ..Default::default() };
        assert_eq!(Pinterest::title(&post).chars().count(), 100);
        let titled = PostContent { title: Some(" Autumn ".into()), text: "body".into(), ..Default::default() };
        assert_eq!(Pinterest::title(&titled), "Autumn");
    }

    #[test]
    fn the_first_link_becomes_the_destination() {
        assert_eq!(first_link("Read https://example.com/a, now").as_deref(), Some("https://example.com/a"));
        assert_eq!(first_link("no link here"), None);
    }
}
