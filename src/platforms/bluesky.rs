//! Bluesky (AT Protocol) with a handle and an app password. Sign-in finds the person's own
//! server: handle → DID (HTTPS `/.well-known/atproto-did` on the handle's host, else the
//! entryway's `resolveHandle`), DID → DID document (the PLC directory, or `did:web`) → the
//! PDS named there, and `createSession` on that PDS. The cached session is refreshed with
//! `refreshSession` (createSession is limited to 30 per 5 minutes per account). Posts are
//! `app.bsky.feed.post` records: links, mentions and hashtags become rich-text facets (UTF-8
//! byte offsets), a post with a link and no images gets an `app.bsky.embed.external` card,
//! images are blobs.
//!
//! Hosts named by handles, DID documents and links are chosen by people, not the admin: they
//! are reached only through `Http::guarded`. The configured entryway (`api_base`) and PLC
//! directory are the admin's and use the shared client.

use super::http::{classify_common, retry_after, Answer};
use super::*;
use crate::outbound::{self, web_url};
use serde_json::{json, Value};
use std::time::Duration;
use unicode_segmentation::UnicodeSegmentation;

/// The public PLC directory (`did:plc:` documents).
const PLC_DIRECTORY: &str = "https://plc.directory";
/// What `token_base` holds when the admin set nothing for Bluesky (see `plc_base`).
const PRODUCTION_ENTRYWAY: &str = "https://bsky.social";
/// Most of a page we read for its link-card metadata (it sits in `<head>`).
const MAX_PAGE_BYTES: usize = 1 << 20;
/// Bluesky's limit for a link card's thumbnail blob.
const MAX_THUMB_BYTES: usize = 1_000_000;
/// All the time a link card may take (page and thumbnail); then the post goes without one.
const CARD_BUDGET: Duration = Duration::from_secs(10);
const MAX_REDIRECTS: usize = 3;
/// Lexicon limits of `app.bsky.richtext.facet#tag`.
const MAX_TAG_GRAPHEMES: usize = 64;
const MAX_TAG_BYTES: usize = 640;

pub struct Bluesky {
    cfg: PlatformConfig,
    http: Http,
}

impl Bluesky {
    pub fn new(cfg: PlatformConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    fn entryway(&self) -> String {
        self.cfg.api_base.trim_end_matches('/').to_string()
    }

    /// The person's PDS (stored with the session), else the configured default.
    fn pds(&self, grant: &Grant) -> String {
        grant.extra["pds"].as_str().map(str::to_string).unwrap_or_else(|| self.cfg.api_base.clone()).trim_end_matches('/').to_string()
    }

    /// The client for a PDS: the configured entryway is the admin's choice; any other PDS was
    /// named by a DID document, so it is resolved, checked and pinned on every use.
    async fn client(&self, pds: &str) -> Result<reqwest::Client, PlatformError> {
        if pds.trim_end_matches('/') == self.entryway() {
            return Ok(self.http.client.clone());
        }
        self.http.guarded(pds, self.cfg.allow_private).await
    }

    /// The account's PDS, a client for it, and its XRPC base.
    async fn at(&self, grant: &Grant) -> Result<(reqwest::Client, String), PlatformError> {
        let pds = self.pds(grant);
        Ok((self.client(&pds).await?, format!("{pds}/xrpc")))
    }

    /// Bluesky signs in with app passwords and has no OAuth token host, so `token_base`
    /// (`BLUESKY_TOKEN_BASE`) names the PLC directory instead. Left at the generic default
    /// (empty, the API host or the production entryway) it means the public directory.
    fn plc_base(&self) -> String {
        let t = self.cfg.token_base.trim_end_matches('/');
        if t.is_empty() || t == self.entryway() || t == PRODUCTION_ENTRYWAY {
            PLC_DIRECTORY.to_string()
        } else {
            t.to_string()
        }
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

    // --- identity

    /// Handle → (DID, PDS). The HTTPS method first, believed only when the DID document
    /// names the handle back; then the entryway's `resolveHandle` (which also knows DNS TXT
    /// handles, which we cannot look up without a resolver).
    async fn locate(&self, handle: &str) -> Result<(String, String), PlatformError> {
        if let Some(did) = self.did_by_https(handle).await {
            if let Ok(doc) = self.did_document(&did).await {
                if let (true, Some(pds)) = (claims_handle(&doc, handle), self.pds_in(&doc, &did)) {
                    return Ok((did, pds));
                }
            }
        }
        let did = self.did_by_entryway(handle).await?;
        let doc = self.did_document(&did).await?;
        let pds = self.pds_in(&doc, &did).ok_or_else(|| {
            PlatformError::rejected(format!("The Bluesky account @{handle} names no usable server (PDS) in its DID document."))
        })?;
        Ok((did, pds))
    }

    /// `GET https://<handle>/.well-known/atproto-did`: the body is the DID. Any failure
    /// means "ask the entryway".
    async fn did_by_https(&self, handle: &str) -> Option<String> {
        let url = format!("https://{handle}/.well-known/atproto-did");
        let c = self.http.guarded(&url, self.cfg.allow_private).await.ok()?;
        let a = self.http.send(c.get(&url)).await.ok()?;
        let did = a.body.lines().next().unwrap_or_default().trim();
        (a.ok() && is_did(did)).then(|| did.to_string())
    }

    /// `com.atproto.identity.resolveHandle` on the configured entryway.
    async fn did_by_entryway(&self, handle: &str) -> Result<String, PlatformError> {
        let url = format!("{}/xrpc/com.atproto.identity.resolveHandle", self.entryway());
        let a = self.http.send(self.http.client.get(url).query(&[("handle", handle)])).await?;
        let not_found = || {
            PlatformError::rejected(format!(
                "We could not find the Bluesky handle @{handle}. Check the spelling, or sign in with the account's email address."
            ))
        };
        if a.status == 429 || a.status >= 500 {
            return Err(self.error(&a));
        }
        if !a.ok() {
            return Err(not_found());
        }
        a.json()["did"].as_str().filter(|d| is_did(d)).map(str::to_string).ok_or_else(not_found)
    }

    /// The DID document: `did:plc` from the PLC directory, `did:web` from its host.
    async fn did_document(&self, did: &str) -> Result<Value, PlatformError> {
        let (client, url) = if did.starts_with("did:plc:") {
            (self.http.client.clone(), format!("{}/{did}", self.plc_base()))
        } else if let Some(host) = did.strip_prefix("did:web:") {
            let url = format!("https://{}/.well-known/did.json", host.replace("%3A", ":").replace("%3a", ":"));
            (self.http.guarded(&url, self.cfg.allow_private).await?, url)
        } else {
            return Err(PlatformError::rejected(format!("{did} is not a DID Bluesky uses (did:plc or did:web).")));
        };
        let a = self.http.send(client.get(&url)).await?;
        if !a.ok() {
            let msg = match a.status {
                404 | 410 => format!("The Bluesky account {did} was not found in its directory."),
                _ => format!("Bluesky's directory did not answer for {did}."),
            };
            return Err(classify_common(&a, msg));
        }
        let doc = a.json();
        if doc["id"].as_str() != Some(did) {
            return Err(PlatformError::rejected(format!("The directory answered with another account than {did}.")));
        }
        Ok(doc)
    }

    /// The `#atproto_pds` service of a DID document, if it is a web address we may use.
    fn pds_in(&self, doc: &Value, did: &str) -> Option<String> {
        let svc = doc["service"].as_array()?.iter().find(|s| {
            let id = s["id"].as_str().unwrap_or_default();
            (id == "#atproto_pds" || id.strip_prefix(did) == Some("#atproto_pds")) && s["type"] == "AtprotoPersonalDataServer"
        })?;
        let endpoint = svc["serviceEndpoint"].as_str()?.trim().trim_end_matches('/');
        let u = url::Url::parse(endpoint).ok()?;
        let open = self.cfg.allow_private;
        let scheme_ok = u.scheme() == "https" || open && u.scheme() == "http";
        (scheme_ok && outbound::check_url(&u).is_ok() && u.query().is_none() && u.fragment().is_none()).then(|| endpoint.to_string())
    }

    // --- publishing

    /// Facets for the detected spans; a mention whose handle does not resolve stays text.
    async fn facets(&self, c: &reqwest::Client, xrpc: &str, spans: &[Span]) -> Vec<Value> {
        let mut dids: HashMap<String, Option<String>> = HashMap::new();
        let mut out = vec![];
        for s in spans {
            let feature = match &s.feature {
                Feature::Link(uri) => json!({"$type": "app.bsky.richtext.facet#link", "uri": uri}),
                Feature::Tag(tag) => json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag}),
                Feature::Mention(handle) => {
                    if !dids.contains_key(handle) {
                        let did = self.resolve_mention(c, xrpc, handle).await;
                        dids.insert(handle.clone(), did);
                    }
                    match &dids[handle] {
                        Some(did) => json!({"$type": "app.bsky.richtext.facet#mention", "did": did}),
                        None => continue,
                    }
                }
            };
            out.push(json!({"index": {"byteStart": s.start, "byteEnd": s.end}, "features": [feature]}));
        }
        out
    }

    async fn resolve_mention(&self, c: &reqwest::Client, xrpc: &str, handle: &str) -> Option<String> {
        let a = self.http.send(c.get(format!("{xrpc}/com.atproto.identity.resolveHandle")).query(&[("handle", handle)])).await.ok()?;
        let did = a.json()["did"].as_str().map(str::to_string)?;
        (a.ok() && is_did(&did)).then_some(did)
    }

    /// An `app.bsky.embed.external` card for `link`, from its page's Open Graph tags. Any
    /// failure is no card (or no thumbnail), never a failed post.
    async fn link_card(&self, c: &reqwest::Client, xrpc: &str, grant: &Grant, link: &str) -> Option<Value> {
        let (body, ctype, at) = self.fetch(link, MAX_PAGE_BYTES, true).await?;
        if !(ctype.is_empty() || ctype.contains("html")) {
            return None;
        }
        let meta = page_meta(&String::from_utf8_lossy(&body));
        if meta.title.is_empty() && meta.description.is_empty() {
            return None;
        }
        let mut external = json!({"uri": link, "title": meta.title, "description": meta.description});
        if let Some(img) = meta.image.and_then(|i| at.join(&i).ok()) {
            if let Some(blob) = self.thumb(c, xrpc, grant, img.as_str()).await {
                external["thumb"] = blob;
            }
        }
        Some(json!({"$type": "app.bsky.embed.external", "external": external}))
    }

    /// The thumbnail uploaded as a blob, if it is an image of at most 1,000,000 bytes.
    async fn thumb(&self, c: &reqwest::Client, xrpc: &str, grant: &Grant, url: &str) -> Option<Value> {
        let (bytes, ctype, _) = self.fetch(url, MAX_THUMB_BYTES, false).await?;
        let mime = image_mime(&ctype, &bytes)?;
        let req = c.post(format!("{xrpc}/com.atproto.repo.uploadBlob")).bearer_auth(&grant.access_token).header("Content-Type", mime);
        let a = self.http.send(req.body(bytes)).await.ok()?;
        let blob = a.json()["blob"].clone();
        (a.ok() && blob.is_object()).then_some(blob)
    }

    /// GET a page or image a person linked to, through the guarded client, following a few
    /// redirects (each hop checked again). `truncate`: keep the first `limit` bytes of a
    /// longer answer; else a longer answer is nothing. Returns (body, content type, final URL).
    async fn fetch(&self, url: &str, limit: usize, truncate: bool) -> Option<(Vec<u8>, String, url::Url)> {
        let mut u = url::Url::parse(&web_url(Some(url))?).ok()?;
        for _ in 0..=MAX_REDIRECTS {
            let c = self.http.guarded(u.as_str(), self.cfg.allow_private).await.ok()?;
            let mut resp =
                c.get(u.clone()).header("Accept", "text/html,application/xhtml+xml,image/*;q=0.9,*/*;q=0.5").send().await.ok()?;
            if resp.status().is_redirection() {
                let to = resp.headers().get(reqwest::header::LOCATION)?.to_str().ok()?;
                u = u.join(to).ok()?;
                continue;
            }
            if !resp.status().is_success() {
                return None;
            }
            let ctype = resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
            let body =
                if truncate { outbound::read_head(&mut resp, limit).await } else { outbound::read_capped(resp, limit).await.ok()? };
            return Some((body, ctype, u));
        }
        None
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

    /// A handle (or DID) is followed to the account's own PDS; an email address or a bare
    /// name is the entryway's to place, as before.
    async fn login(&self, identifier: &str, password: &str) -> Result<Grant, PlatformError> {
        let typed = identifier.trim().trim_start_matches('@');
        let handle = typed.to_ascii_lowercase();
        let (pds, ident) = if is_did(typed) {
            let doc = self.did_document(typed).await?;
            let pds = self
                .pds_in(&doc, typed)
                .ok_or_else(|| PlatformError::rejected(format!("{typed} names no usable Bluesky server (PDS) in its DID document.")))?;
            (pds, typed.to_string())
        } else if is_handle(&handle) {
            (self.locate(&handle).await?.1, handle)
        } else {
            (self.entryway(), typed.to_string())
        };
        let c = self.client(&pds).await?;
        let body = json!({"identifier": ident, "password": password});
        let a = self.http.send(c.post(format!("{pds}/xrpc/com.atproto.server.createSession")).json(&body)).await?;
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
        let (c, xrpc) = self.at(grant).await?;
        let a = self.http.send(c.post(format!("{xrpc}/com.atproto.server.refreshSession")).bearer_auth(rt)).await?;
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
        let (c, xrpc) = self.at(grant).await?;
        let a = self.http.send(c.post(format!("{xrpc}/com.atproto.server.deleteSession")).bearer_auth(rt)).await?;
        if a.ok() || a.status == 401 {
            Ok(())
        } else {
            Err(self.error(&a))
        }
    }

    async fn accounts(&self, grant: &Grant) -> Result<Vec<(AccountProfile, Grant)>, PlatformError> {
        let did = grant.extra["did"].as_str().unwrap_or_default().to_string();
        let (c, xrpc) = self.at(grant).await?;
        let req = c.get(format!("{xrpc}/app.bsky.actor.getProfile")).query(&[("actor", did.as_str())]);
        let a = self.http.send(req.bearer_auth(&grant.access_token)).await?;
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
        let (c, xrpc) = self.at(grant).await?;
        let mut images = vec![];
        for img in post.images.iter().take(4) {
            let req =
                c.post(format!("{xrpc}/com.atproto.repo.uploadBlob")).bearer_auth(&grant.access_token).header("Content-Type", &img.mime);
            let a = self.http.send(req.body(img.bytes.clone())).await?;
            if !a.ok() {
                return Err(self.error(&a));
            }
            images.push(json!({"alt": img.alt, "image": a.json()["blob"]}));
        }
        // No `langs`: nothing tells us the post's language, and a wrong one misfiles it in
        // people's language-filtered feeds.
        let mut record = json!({"$type": "app.bsky.feed.post", "text": post.text, "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)});
        let spans = detect(&post.text);
        let facets = self.facets(&c, &xrpc, &spans).await;
        if !facets.is_empty() {
            record["facets"] = json!(facets);
        }
        if !images.is_empty() {
            record["embed"] = json!({"$type": "app.bsky.embed.images", "images": images});
        } else if let Some(link) = spans.iter().find_map(|s| match &s.feature {
            Feature::Link(uri) => Some(uri.clone()),
            _ => None,
        }) {
            if let Ok(Some(card)) = tokio::time::timeout(CARD_BUDGET, self.link_card(&c, &xrpc, grant, &link)).await {
                record["embed"] = card;
            }
        }
        let body = json!({"repo": account.external_id, "collection": "app.bsky.feed.post", "record": record});
        let a =
            self.http.send(c.post(format!("{xrpc}/com.atproto.repo.createRecord")).bearer_auth(&grant.access_token).json(&body)).await?;
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
        let (c, xrpc) = self.at(grant).await?;
        let req = c.get(format!("{xrpc}/com.atproto.repo.listRecords")).query(&[
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
        let (c, xrpc) = self.at(grant).await?;
        let req = c.get(format!("{xrpc}/app.bsky.feed.getPosts")).query(&[("uris", external_id)]);
        let a = self.http.send(req.bearer_auth(&grant.access_token)).await?;
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
        let (c, xrpc) = self.at(grant).await?;
        let req = c.get(format!("{xrpc}/app.bsky.actor.getProfile")).query(&[("actor", account.external_id.as_str())]);
        let a = self.http.send(req.bearer_auth(&grant.access_token)).await?;
        if !a.ok() {
            return Err(self.error(&a));
        }
        Ok(a.json()["followersCount"].as_i64())
    }
}

// --- identifiers

/// A handle: a domain name of at least two labels whose last starts with a letter
/// (lowercase it first; handles are case-insensitive).
fn is_handle(h: &str) -> bool {
    let labels: Vec<&str> = h.split('.').collect();
    h.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| is_label(l))
        && labels.last().is_some_and(|t| t.as_bytes()[0].is_ascii_alphabetic())
}

fn is_label(l: &str) -> bool {
    !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') && !l.starts_with('-') && !l.ends_with('-')
}

/// A DID of a method Bluesky uses, in a shape safe to put in a URL.
fn is_did(d: &str) -> bool {
    if let Some(id) = d.strip_prefix("did:plc:") {
        return !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    }
    if let Some(host) = d.strip_prefix("did:web:") {
        let (name, port) = match host.split_once("%3A").or_else(|| host.split_once("%3a")) {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        };
        let name = name.to_ascii_lowercase();
        return (is_handle(&name) || name == "localhost")
            && port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    }
    false
}

/// The DID document names the handle back (`alsoKnownAs: at://<handle>`).
fn claims_handle(doc: &Value, handle: &str) -> bool {
    let want = format!("at://{handle}");
    doc["alsoKnownAs"].as_array().is_some_and(|a| a.iter().any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&want))))
}

// --- rich text

#[derive(Debug, Clone, PartialEq)]
enum Feature {
    Link(String),
    /// The handle, lowercased, without the `@`.
    Mention(String),
    /// The tag without the `#`.
    Tag(String),
}

/// A facet's place in the text: UTF-8 byte offsets, `end` exclusive.
#[derive(Debug, Clone, PartialEq)]
struct Span {
    start: usize,
    end: usize,
    feature: Feature,
}

/// Links (`http(s)://…`), mentions (`@handle.domain`) and hashtags (`#tag`), as Bluesky's
/// own apps find them: each starts the text, follows whitespace, or (links and mentions)
/// follows an opening bracket or quote; trailing punctuation is not part of it.
fn detect(text: &str) -> Vec<Span> {
    let mut out = vec![];
    let mut prev: Option<char> = None;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        let after_space = prev.is_none_or(char::is_whitespace);
        let opener = after_space || matches!(prev, Some('(' | '[' | '"' | '\'' | '“' | '‘' | '«'));
        let found = if opener && (starts_with_ci(rest, "https://") || starts_with_ci(rest, "http://")) {
            link_at(rest)
        } else if opener && c == '@' {
            mention_at(rest)
        } else if after_space && (c == '#' || c == '＃') {
            tag_at(rest)
        } else {
            None
        };
        let len = match found {
            Some((len, feature)) => {
                out.push(Span { start: i, end: i + len, feature });
                len
            }
            None => c.len_utf8(),
        };
        i += len;
        prev = text[..i].chars().next_back();
    }
    out
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

fn link_at(rest: &str) -> Option<(usize, Feature)> {
    let mut t = &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())];
    while let Some(last) = t.chars().next_back() {
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '"' | '\'' | '”' | '’' | '»' | '…' => true,
            // Kept when it closes a bracket of the link's own (Wikipedia's `Rust_(language)`).
            ')' => t.matches('(').count() < t.matches(')').count(),
            ']' => t.matches('[').count() < t.matches(']').count(),
            _ => false,
        };
        if !strip {
            break;
        }
        t = &t[..t.len() - last.len_utf8()];
    }
    let u = url::Url::parse(&web_url(Some(t))?).ok()?;
    u.host_str().is_some_and(|h| !h.is_empty()).then(|| (t.len(), Feature::Link(t.to_string())))
}

fn mention_at(rest: &str) -> Option<(usize, Feature)> {
    let body = &rest[1..];
    let n = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')).unwrap_or(body.len());
    let h = body[..n].trim_end_matches(['.', '-']);
    // `@a.example_x`, `@a.example@b`, `@a.examplé` are something else.
    if body[h.len()..].chars().next().is_some_and(|c| c == '_' || c == '@' || c.is_alphanumeric()) {
        return None;
    }
    let handle = h.to_ascii_lowercase();
    is_handle(&handle).then(|| (1 + h.len(), Feature::Mention(handle)))
}

/// Where a tag ends without the character being part of it: whitespace, and the invisible
/// characters Bluesky's apps stop at (soft hyphen, word joiner, zero-width and hair spaces,
/// the enclosing keycap).
fn tag_stop(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{AD}' | '\u{2060}' | '\u{200A}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{20E2}')
}

fn tag_at(rest: &str) -> Option<(usize, Feature)> {
    let hash = rest.chars().next()?.len_utf8();
    let body = &rest[hash..];
    // `#️⃣` is the keycap emoji, not a tag.
    if body.starts_with('\u{FE0F}') {
        return None;
    }
    let tag = body[..body.find(tag_stop).unwrap_or(body.len())].trim_end_matches(is_punct);
    let meaningful = tag.chars().any(|c| !c.is_ascii_digit() && !is_punct(c));
    let fits = tag.len() <= MAX_TAG_BYTES && tag.graphemes(true).count() <= MAX_TAG_GRAPHEMES;
    (meaningful && fits).then(|| (hash + tag.len(), Feature::Tag(tag.to_string())))
}

/// Unicode punctuation (general category P) in the blocks people write in: ASCII, Latin-1,
/// general punctuation, CJK and full-width forms. `$+<=>^`|~` are symbols, not punctuation.
fn is_punct(c: char) -> bool {
    matches!(
        c,
        '!' | '"' | '#' | '%' | '&' | '\'' | '(' | ')' | '*' | ',' | '-' | '.' | '/' | ':' | ';' | '?' | '@' | '[' | '\\' | ']' | '_' | '{' | '}'
            | '¡' | '§' | '«' | '¶' | '·' | '»' | '¿'
            | '\u{2010}'..='\u{2027}'
            | '\u{2030}'..='\u{2043}'
            | '\u{2045}'..='\u{2051}'
            | '\u{2053}'..='\u{205E}'
            | '\u{3001}'..='\u{3003}'
            | '\u{3008}'..='\u{3011}'
            | '\u{3014}'..='\u{301F}'
            | '\u{FF01}'..='\u{FF03}'
            | '\u{FF05}'..='\u{FF0A}'
            | '\u{FF0C}'..='\u{FF0F}'
            | '\u{FF1A}' | '\u{FF1B}' | '\u{FF1F}' | '\u{FF20}'
            | '\u{FF3B}'..='\u{FF3D}'
            | '\u{FF3F}' | '\u{FF5B}' | '\u{FF5D}'
            | '\u{FF5F}'..='\u{FF65}'
    )
}

// --- link cards

#[derive(Debug, Default, PartialEq)]
struct PageMeta {
    title: String,
    description: String,
    /// As written in the page (maybe relative).
    image: Option<String>,
}

/// Open Graph (then Twitter card, then plain HTML) title, description and image of a page.
fn page_meta(html: &str) -> PageMeta {
    // ASCII lowercasing keeps every byte offset, so positions found in `lower` cut `html`.
    let lower = html.to_ascii_lowercase();
    let mut found: HashMap<String, String> = HashMap::new();
    let mut pos = 0;
    while let Some(i) = lower[pos..].find("<meta") {
        let start = pos + i + "<meta".len();
        if !lower[start..].starts_with(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>') {
            pos = start;
            continue;
        }
        let end = tag_end(html, start);
        let attrs = attributes(&html[start..end]);
        let key = attrs.iter().find(|(k, _)| k == "property" || k == "name").map(|(_, v)| v.trim().to_ascii_lowercase());
        let content = attrs.iter().find(|(k, _)| k == "content").map(|(_, v)| v.clone());
        if let (Some(k), Some(v)) = (key, content) {
            found.entry(k).or_insert(v);
        }
        pos = end;
    }
    let title_tag = lower.find("<title").and_then(|i| {
        let open = i + lower[i..].find('>')? + 1;
        let close = open + lower[open..].find("</title")?;
        Some(clean(&html[open..close]))
    });
    let pick = |keys: &[&str]| keys.iter().find_map(|k| found.get(*k).map(|v| clean(v)).filter(|v| !v.is_empty()));
    PageMeta {
        title: pick(&["og:title", "twitter:title"]).or(title_tag).map(|t| shorten(&t, 300)).unwrap_or_default(),
        description: pick(&["og:description", "twitter:description", "description"]).map(|d| shorten(&d, 1000)).unwrap_or_default(),
        image: pick(&["og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"]),
    }
}

/// The `>` closing a tag whose attributes start at `from` (quotes respected).
fn tag_end(html: &str, from: usize) -> usize {
    let mut quote = None;
    for (i, b) in html.bytes().enumerate().skip(from) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return i,
            _ => {}
        }
    }
    html.len()
}

/// `name="value"` pairs of one tag (names lowercased, values as written).
fn attributes(s: &str) -> Vec<(String, String)> {
    let b = s.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() || b[i] == b'/' {
            i += 1;
            continue;
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        let name = s[name_start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let from = i + 1;
                i = from;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                value = s[from..i].to_string();
                i = (i + 1).min(b.len());
            } else {
                let from = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = s[from..i].to_string();
            }
        }
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

/// Entities decoded, whitespace collapsed.
fn clean(s: &str) -> String {
    decode_entities(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.char_indices().take(12).find(|(_, c)| *c == ';').and_then(|(j, _)| Some((entity(&rest[1..j])?, j)));
        match decoded {
            Some((c, j)) => {
                out.push(c);
                rest = &rest[j + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code).filter(|c| !c.is_control() || c.is_whitespace())?
        }
    })
}

/// At most `max` graphemes, an ellipsis marking the cut.
fn shorten(s: &str, max: usize) -> String {
    if s.graphemes(true).count() <= max {
        return s.to_string();
    }
    let mut t: String = s.graphemes(true).take(max - 1).collect();
    t.push('…');
    t
}

/// The image type of a thumbnail: as declared, or sniffed when the server did not say.
fn image_mime(content_type: &str, bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let declared = content_type.split(';').next().unwrap_or_default().trim();
    let sniffed = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF8") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    };
    match declared {
        // SVG is not shown as a thumbnail (and can carry script).
        d if d.starts_with("image/") && d != "image/svg+xml" => Some(d.to_string()),
        "" | "application/octet-stream" | "binary/octet-stream" => sniffed.map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<(usize, usize, Feature)> {
        detect(text).into_iter().map(|s| (s.start, s.end, s.feature)).collect()
    }

    fn link(s: &str) -> Feature {
        Feature::Link(s.into())
    }

    fn tag(s: &str) -> Feature {
        Feature::Tag(s.into())
    }

    fn mention(s: &str) -> Feature {
        Feature::Mention(s.into())
    }

    /// Every span cuts the text on character boundaries and covers exactly what it names.
    fn covered(text: &str) -> Vec<&str> {
        detect(text).iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn offsets_are_utf8_bytes_after_accents_and_emoji() {
        // "héllo " is 7 bytes (é is 2).
        assert_eq!(spans("héllo https://example.com now"), [(7, 26, link("https://example.com"))]);
        // C a f é(2) space ☕(3) space = 10 bytes before the @.
        assert_eq!(spans("Café ☕ @bob.bsky.social"), [(10, 26, mention("bob.bsky.social"))]);
        // 🚀 is 4 bytes, 👩‍💻 is 11 (three code points joined).
        assert_eq!(spans("🚀 #launch"), [(5, 12, tag("launch"))]);
        assert_eq!(spans("👩‍💻 #dev"), [(12, 16, tag("dev"))]);
        let text = "Ça démarre 🎉🇫🇷: https://exemple.fr/été?q=ü, avec @ana.bsky.social et #Rentrée2025!";
        assert_eq!(covered(text), ["https://exemple.fr/été?q=ü", "@ana.bsky.social", "#Rentrée2025"]);
        let s = detect(text);
        assert_eq!(s[0].start, text.find("https").unwrap());
        assert_eq!(s[0].start, "Ça démarre 🎉🇫🇷: ".len());
        assert_eq!(s[0].start, 2 + 1 + 1 + 8 + 1 + 4 + 8 + 1 + 1, "Ç(2) a space démarre(8) space 🎉(4) 🇫🇷(8) : space");
        assert_eq!(s[2].end, text.len() - 1, "the ! is not part of the tag");
    }

    #[test]
    fn trailing_punctuation_and_quotes_stay_outside_links() {
        assert_eq!(covered("Read https://example.com/a."), ["https://example.com/a"]);
        assert_eq!(
            covered("https://a.example/x, https://b.example/y; https://c.example/z: ok"),
            ["https://a.example/x", "https://b.example/y", "https://c.example/z"]
        );
        assert_eq!(covered("Really? https://example.com/q?x=1!?"), ["https://example.com/q?x=1"]);
        assert_eq!(covered("(see https://example.com/a)"), ["https://example.com/a"]);
        assert_eq!(covered("(https://en.wikipedia.org/wiki/Rust_(language))."), ["https://en.wikipedia.org/wiki/Rust_(language)"]);
        assert_eq!(covered("He said \"https://example.com/said\"."), ["https://example.com/said"]);
        assert_eq!(covered("“https://example.com/curly”"), ["https://example.com/curly"]);
        assert_eq!(covered("HTTP://EXAMPLE.COM/Up"), ["HTTP://EXAMPLE.COM/Up"]);
        // Not links: no host, another scheme, glued to a word.
        assert!(covered("https:// ftp://example.com javascript:alert(1) xhttps://example.com").is_empty());
    }

    #[test]
    fn mentions_need_a_domain_handle_at_a_word_start() {
        assert_eq!(spans("hi @Bob.Bsky.Social."), [(3, 19, mention("bob.bsky.social"))]);
        assert_eq!(covered("(@ada.example.com) @ada.example.com's"), ["@ada.example.com", "@ada.example.com"]);
        for not in ["mail ada@example.com", "@bob", "@bob.", "@-bob.example", "@bob.123", "@bob.example_x", "@a.example@b.example"] {
            assert!(detect(not).is_empty(), "{not}");
        }
        // Inside a link it is part of the link.
        assert_eq!(covered("https://bsky.app/profile/@bob.bsky.social"), ["https://bsky.app/profile/@bob.bsky.social"]);
    }

    #[test]
    fn hashtags_skip_numbers_punctuation_and_long_tags() {
        assert_eq!(
            spans("#rust2025! and #café, then #日本語。"),
            [(0, 9, tag("rust2025")), (15, 21, tag("café")), (28, 38, tag("日本語"))]
        );
        // Full-width ＃ is 3 bytes.
        assert_eq!(spans("＃タグ"), [(0, 9, tag("タグ"))]);
        for not in ["#2025", "#1.000", "#", "# tag", "a#b", "#️⃣", "https://example.com/#frag"] {
            assert!(detect(not).iter().all(|s| !matches!(s.feature, Feature::Tag(_))), "{not}");
        }
        let longest = format!("#{}", "a".repeat(64));
        assert_eq!(covered(&longest), [longest.as_str()]);
        assert!(detect(&format!("#{}", "a".repeat(65))).is_empty());
        // 64 graphemes of 2 code points each are still 64.
        let accented = format!("#{}", "e\u{301}".repeat(64));
        assert_eq!(covered(&accented).len(), 1);
        assert_eq!(covered("#C++ #tag-with-dash- #a_b"), ["#C++", "#tag-with-dash", "#a_b"]);
    }

    #[test]
    fn a_post_with_everything_gets_ordered_non_overlapping_spans() {
        let text = "🚀 Launch! https://example.com/news?id=7. Thanks @bob.bsky.social #Launch #2025 (cc @ana.bsky.social)";
        let s = detect(text);
        assert_eq!(covered(text), ["https://example.com/news?id=7", "@bob.bsky.social", "#Launch", "@ana.bsky.social"]);
        assert!(s.windows(2).all(|w| w[0].end <= w[1].start));
        assert!(s.iter().all(|s| text.is_char_boundary(s.start) && text.is_char_boundary(s.end)));
    }

    #[test]
    fn identifiers() {
        for h in ["ada.bsky.social", "a.co", "xn--caf-dma.example", "1.example"] {
            assert!(is_handle(h), "{h}");
        }
        for h in ["ada", "ada.", ".ada.com", "a..b", "ada.123", "ad_a.com", "-a.com", "a-.com", "ada.bsky.social/x", "did:plc:abc"] {
            assert!(!is_handle(h), "{h}");
        }
        for d in ["did:plc:ewvi7nxzyoun6zhxrhs64oiz", "did:plc:sbx123", "did:web:example.com", "did:web:localhost%3A8080"] {
            assert!(is_did(d), "{d}");
        }
        for d in
            ["did:plc:", "did:plc:ABC", "did:plc:a/../b", "did:web:exa mple.com", "did:web:a.com/path", "did:key:z6M", "did:web:a.com%3Ax"]
        {
            assert!(!is_did(d), "{d}");
        }
    }

    fn adapter(allow_private: bool, token_base: &str) -> Bluesky {
        let cfg =
            PlatformConfig { api_base: "https://bsky.social".into(), token_base: token_base.into(), allow_private, ..Default::default() };
        Bluesky::new(cfg, Http::new(Duration::from_secs(5)))
    }

    #[test]
    fn the_pds_is_the_atproto_pds_service_of_the_did_document() {
        let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
        let doc = |id: &str, ty: &str, ep: &str| {
            json!({"id": did, "alsoKnownAs": ["at://ada.example.com"], "service": [
                {"id": "#atproto_labeler", "type": "AtprotoLabeler", "serviceEndpoint": "https://labels.example"},
                {"id": id, "type": ty, "serviceEndpoint": ep},
            ]})
        };
        let b = adapter(false, "");
        assert_eq!(
            b.pds_in(&doc("#atproto_pds", "AtprotoPersonalDataServer", "https://pds.example/"), did).as_deref(),
            Some("https://pds.example")
        );
        assert_eq!(
            b.pds_in(&doc(&format!("{did}#atproto_pds"), "AtprotoPersonalDataServer", "https://pds.example"), did).as_deref(),
            Some("https://pds.example")
        );
        assert_eq!(b.pds_in(&doc("did:plc:other#atproto_pds", "AtprotoPersonalDataServer", "https://pds.example"), did), None);
        assert_eq!(b.pds_in(&doc("#atproto_pds", "Other", "https://pds.example"), did), None);
        for bad in ["http://pds.example", "javascript:alert(1)", "https://u:p@pds.example", "https://pds.example/?x=1", "pds.example"] {
            assert_eq!(b.pds_in(&doc("#atproto_pds", "AtprotoPersonalDataServer", bad), did), None, "{bad}");
        }
        // http only with the admin's private-network opt-in (a local PDS or the sandbox).
        assert_eq!(
            adapter(true, "").pds_in(&doc("#atproto_pds", "AtprotoPersonalDataServer", "http://127.0.0.1:2583"), did).as_deref(),
            Some("http://127.0.0.1:2583")
        );
        assert!(claims_handle(&doc("#atproto_pds", "x", "y"), "ada.example.com"));
        assert!(!claims_handle(&doc("#atproto_pds", "x", "y"), "eve.example.com"));
    }

    #[test]
    fn the_plc_directory_is_the_public_one_unless_token_base_names_another() {
        assert_eq!(adapter(false, "").plc_base(), PLC_DIRECTORY);
        assert_eq!(adapter(false, "https://bsky.social/").plc_base(), PLC_DIRECTORY);
        assert_eq!(adapter(false, "http://127.0.0.1:9/bluesky/plc/").plc_base(), "http://127.0.0.1:9/bluesky/plc");
    }

    #[test]
    fn open_graph_then_twitter_then_html_metadata() {
        let html = r#"<!doctype html><html><head>
            <title> Plain &amp; simple </title>
            <meta name="description" content="Fallback description">
            <META content='Caf&eacute; &quot;launch&quot; &#8212; &#x1F680;' PROPERTY="og:title"/>
            <meta property="og:description" content="It's   here.&nbsp;Now">
            <meta property=og:image content=/img/card.png>
            <metadata>not a meta tag</metadata>
            </head><body><meta property="og:title" content="later duplicate"></body></html>"#;
        let m = page_meta(html);
        assert_eq!(m.title, "Caf&eacute; \"launch\" — 🚀", "unknown entities stay as written");
        assert_eq!(m.description, "It's here. Now");
        assert_eq!(m.image.as_deref(), Some("/img/card.png"));
        let plain = page_meta("<html><head><title>Just a title</title><meta name=description content=\"Short\"></head></html>");
        assert_eq!((plain.title.as_str(), plain.description.as_str(), plain.image), ("Just a title", "Short", None));
        let tw = page_meta(r#"<meta name="twitter:title" content="Tw"><meta name="twitter:image" content="https://i.example/t.jpg">"#);
        assert_eq!((tw.title.as_str(), tw.image.as_deref()), ("Tw", Some("https://i.example/t.jpg")));
        assert_eq!(page_meta("<p>no head at all"), PageMeta::default());
        assert_eq!(page_meta(&format!("<title>{}</title>", "é".repeat(400))).title.chars().count(), 300);
    }

    #[test]
    fn thumbnails_must_be_images() {
        let png = b"\x89PNG\r\n\x1a\n....";
        assert_eq!(image_mime("image/png", png).as_deref(), Some("image/png"));
        assert_eq!(image_mime("image/jpeg; charset=binary", b"x").as_deref(), Some("image/jpeg"));
        assert_eq!(image_mime("", png).as_deref(), Some("image/png"));
        assert_eq!(image_mime("application/octet-stream", &[0xFF, 0xD8, 0xFF, 0xE0]).as_deref(), Some("image/jpeg"));
        assert_eq!(image_mime("text/html", png), None);
        assert_eq!(image_mime("image/svg+xml", b"<svg/>"), None);
        assert_eq!(image_mime("", b"plain text"), None);
        assert_eq!(image_mime("image/png", b""), None);
    }
}
