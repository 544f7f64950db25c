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
/// What a link card asks for: the page, or the image it names.
const PAGE_ACCEPT: &str = "text/html,application/xhtml+xml,image/*;q=0.9,*/*;q=0.5";
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
        let (body, ctype, at) = self.http.fetch_public(link, self.cfg.allow_private, MAX_PAGE_BYTES, true, PAGE_ACCEPT).await.ok()?;
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
        let (bytes, ctype, _) = self.http.fetch_public(url, self.cfg.allow_private, MAX_THUMB_BYTES, false, PAGE_ACCEPT).await.ok()?;
        let mime = image_mime(&ctype, &bytes)?;
        let req = c.post(format!("{xrpc}/com.atproto.repo.uploadBlob")).bearer_auth(&grant.access_token).header("Content-Type", mime);
        let a = self.http.send(req.body(bytes)).await.ok()?;
        let blob = a.json()["blob"].clone();
        (a.ok() && blob.is_object()).then_some(blob)
    }
}

impl Classify for Bluesky {
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
        let a = self.http.call(req.bearer_auth(&grant.access_token), self).await?;
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
            let a = self.http.call(req.body(img.bytes.clone()), self).await?;
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
    async fn recent_posts(&self, grant: &Grant, account: &AccountProfile, since_ms: i64) -> Result<Option<RecentPosts>, PlatformError> {
        let (c, xrpc) = self.at(grant).await?;
        let req = c.get(format!("{xrpc}/com.atproto.repo.listRecords")).query(&[
            ("repo", account.external_id.as_str()),
            ("collection", "app.bsky.feed.post"),
            ("limit", &RECENT_PAGE.to_string()),
        ]);
        let a = self.http.call(req.bearer_auth(&grant.access_token), self).await?;
        let records = a.json()["records"].as_array().cloned().unwrap_or_default();
        // Record keys are creation-time ids, listed newest first.
        Ok(Some(RecentPosts::from_page(
            &records,
            RECENT_PAGE,
            since_ms,
            |r| r["value"]["createdAt"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.timestamp_millis()),
            |r| {
                let uri = r["uri"].as_str()?.to_string();
                let rkey = uri.rsplit('/').next().unwrap_or_default().to_string();
                Some(RecentPost {
                    url: format!("https://bsky.app/profile/{}/post/{rkey}", account.username),
                    text: r["value"]["text"].as_str().unwrap_or_default().to_string(),
                    external_id: uri,
                })
            },
        )))
    }

    async fn metrics(&self, grant: &Grant, _account: &AccountProfile, external_id: &str) -> Result<Metrics, PlatformError> {
        let (c, xrpc) = self.at(grant).await?;
        let req = c.get(format!("{xrpc}/app.bsky.feed.getPosts")).query(&[("uris", external_id)]);
        let a = self.http.call(req.bearer_auth(&grant.access_token), self).await?;
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
        let a = self.http.call(req.bearer_auth(&grant.access_token), self).await?;
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

mod card;
mod richtext;
#[cfg(test)]
mod tests;

use card::*;
use richtext::*;

/// Posts asked for when looking for a post whose answer was lost. `listRecords` returns at most 100.
const RECENT_PAGE: usize = 100;
