//! AI text on the user's own key (BYOK): settings sealed at rest, a key test that costs
//! nothing (`GET /models`), and generation through the OpenAI-compatible Chat Completions API.
//! Without a key the built-in generator (`domain::builtin_variants`) answers instead.
//!
//! Nothing here retries a request: a generation that timed out may still have been billed,
//! so the person decides whether to try again.

use crate::crypto::Keys;
use crate::db::{now_ms, opt, Db};
use crate::domain::{builtin_variants, check_length, fit_to_limit, limit_hint, tone, DomainError, Failure, Kind, PlatformId};
use crate::outbound;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
/// Largest answer read from an AI service (a chat completion is a few KB).
pub const MAX_ANSWER_BYTES: usize = 4 << 20;
const USER_AGENT: &str = concat!("Covalynce/", env!("CARGO_PKG_VERSION"));

/// What the browser may see: never a key, only its hint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct AiSettingsView {
    /// `sk-…abcd` when a key is stored.
    pub openai_key_hint: Option<String>,
    pub base_url: String,
    pub model: String,
    pub gemini_key_hint: Option<String>,
}

/// A partial update: absent fields stay; an empty key removes the stored key; an empty base
/// URL or model goes back to the default.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AiSettingsInput {
    pub openai_key: Option<String>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub gemini_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyTest {
    pub ok: bool,
    pub message: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GenerateRequest {
    pub idea: String,
    /// Platform ids; empty = the ten.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// "auto" (the key when there is one) or "builtin".
    #[serde(default)]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Generated {
    pub variants: BTreeMap<String, String>,
    /// "openai" (whatever OpenAI-compatible service the base URL names) or "builtin".
    pub source: String,
    pub model: Option<String>,
    /// E.g. a variant the model returned too long, trimmed to fit.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// 422
    #[error("{0}")]
    Invalid(#[from] DomainError),
    /// The AI service refused or failed; `status` is ours to return (4xx when the person can
    /// fix it: key, quota; 5xx when the service is at fault).
    #[error("{message}")]
    Provider { kind: Kind, code: &'static str, message: String, retry_after: Option<u64> },
    #[error("Something went wrong on our side. Please try again.")]
    Internal(#[from] anyhow::Error),
}

internal_error!(AiError);

impl Failure for AiError {
    fn kind(&self) -> Kind {
        match self {
            Self::Invalid(_) => Kind::Invalid,
            Self::Provider { kind, .. } => *kind,
            Self::Internal(_) => Kind::Internal,
        }
    }
    fn cause(&self) -> Option<&dyn std::fmt::Debug> {
        self.internal_cause()
    }
    fn code(&self) -> &str {
        match self {
            Self::Invalid(e) => &e.code,
            Self::Provider { code, .. } => code,
            Self::Internal(_) => "internal",
        }
    }
    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Provider { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn invalid(code: &str, msg: impl Into<String>) -> AiError {
    AiError::Invalid(DomainError::new(code, msg))
}

fn provider(kind: Kind, code: &'static str, message: impl Into<String>) -> AiError {
    AiError::Provider { kind, code, message: message.into(), retry_after: None }
}

/// `sk-proj-abc…wxyz` → `sk-…wxyz`: enough to recognise a key, useless to anyone else.
pub fn key_hint(key: &str) -> String {
    let prefix: String = key.split_inclusive('-').next().filter(|p| p.len() <= 4 && p.ends_with('-')).unwrap_or("").to_string();
    let last: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{prefix}…{last}")
}

fn clean_key(raw: &str, what: &str) -> Result<Option<String>, AiError> {
    let k = raw.trim();
    if k.is_empty() {
        return Ok(None);
    }
    if k.len() < 8 || k.len() > 512 || k.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("invalid_key", format!("That does not look like {what}: paste the whole key, without spaces.")));
    }
    Ok(Some(k.to_string()))
}

fn clean_base_url(raw: &str) -> Result<String, AiError> {
    let raw = raw.trim().trim_end_matches('/');
    if raw.is_empty() {
        return Ok(DEFAULT_BASE_URL.to_string());
    }
    let bad = || invalid("invalid_base_url", "The base URL must be a web address like https://api.openai.com/v1.");
    let u = url::Url::parse(raw).map_err(|_| bad())?;
    // http is allowed: a self-hosted, OpenAI-compatible server (Ollama, vLLM) often lives on
    // the same machine or network.
    if !matches!(u.scheme(), "https" | "http") || u.host_str().is_none() || u.query().is_some() || u.fragment().is_some() {
        return Err(bad());
    }
    Ok(raw.to_string())
}

fn clean_model(raw: &str) -> Result<String, AiError> {
    let m = raw.trim();
    if m.is_empty() {
        return Ok(DEFAULT_MODEL.to_string());
    }
    if m.len() > 100 || !m.chars().all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c)) {
        return Err(invalid("invalid_model", "Model names use letters, digits and . _ : / - (for example gpt-4o-mini)."));
    }
    Ok(m.to_string())
}

/// Platforms named in a request, or all ten.
pub fn parse_platforms(raw: &[String]) -> Result<Vec<PlatformId>, AiError> {
    if raw.is_empty() {
        return Ok(PlatformId::ALL.to_vec());
    }
    let mut out = vec![];
    for p in raw {
        let p = PlatformId::parse(p)?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Scheme, host and port: where a key may be sent. A new origin needs the key again, so a
/// stored key never follows the base URL to a server its owner did not give it to.
fn origin(base_url: &str) -> Option<url::Origin> {
    url::Url::parse(base_url).ok().map(|u| u.origin())
}

#[derive(Clone)]
pub struct Ai {
    db: Db,
    keys: Keys,
    timeout: Duration,
    /// Base URLs may reach private and loopback addresses (`AI_ALLOW_PRIVATE`: an admin's
    /// choice for a model server on this machine or network). Off: public addresses only.
    allow_private: bool,
}

struct Stored {
    openai_key: Option<String>,
    base_url: String,
    model: String,
}

impl Ai {
    /// `timeout` bounds one generation; models can be slow, but a person is waiting.
    pub fn new(db: Db, keys: Keys, timeout: Duration, allow_private: bool) -> Self {
        Self { db, keys, timeout, allow_private }
    }

    /// The guarded client for one request to `url` (a user's base URL: resolved, checked,
    /// pinned; see `outbound`).
    async fn client(&self, url: &str) -> Result<(url::Url, reqwest::Client), AiError> {
        let u = url::Url::parse(url).map_err(|_| invalid("invalid_base_url", "The base URL in Settings → AI is not a web address."))?;
        let c = outbound::client_for(&u, self.allow_private, self.timeout, USER_AGENT).await.map_err(|r| self.refused(r))?;
        Ok((u, c))
    }

    fn refused(&self, r: outbound::Refused) -> AiError {
        match r {
            outbound::Refused::Blocked { .. } => invalid(
                "private_address",
                format!("{r} The AI base URL must be a public address; an admin can allow a model server on this machine or network with AI_ALLOW_PRIVATE=1."),
            ),
            outbound::Refused::UnknownHost(_) => invalid("unknown_host", format!("{r} Check the base URL in Settings → AI.")),
            outbound::Refused::Url(_) => invalid("invalid_base_url", format!("{r} Check the base URL in Settings → AI.")),
            outbound::Refused::Client(e) => AiError::Internal(anyhow::anyhow!("building the AI client: {e}")),
        }
    }

    /// The answer's status, Retry-After (seconds) and body, read up to `MAX_ANSWER_BYTES`.
    async fn read(&self, resp: Result<reqwest::Response, reqwest::Error>) -> Result<(u16, Option<f64>, String), AiError> {
        let resp = resp.map_err(|e| self.transport(e))?;
        let status = resp.status().as_u16();
        let retry = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<f64>().ok());
        let body = outbound::text_capped(resp, MAX_ANSWER_BYTES).await.map_err(|e| match e {
            outbound::ReadError::TooLarge { limit } => provider(
                Kind::Upstream,
                "ai_answer_too_large",
                format!("The AI service sent more than {}, far more than any answer needs; we stopped reading. Check the base URL in Settings → AI.", outbound::mb(limit)),
            ),
            outbound::ReadError::Transport(e) => self.transport(e),
        })?;
        Ok((status, retry, body))
    }

    async fn row(&self, user_id: &str) -> Result<Option<sqlx::any::AnyRow>, AiError> {
        Ok(sqlx::query("select * from ai_settings where user_id = $1").bind(user_id).fetch_optional(self.db.pool()).await?)
    }

    pub async fn settings(&self, user_id: &str) -> Result<AiSettingsView, AiError> {
        Ok(match self.row(user_id).await? {
            Some(r) => AiSettingsView {
                openai_key_hint: opt(&r, "openai_key_hint"),
                base_url: r.get("base_url"),
                model: r.get("model"),
                gemini_key_hint: opt(&r, "gemini_key_hint"),
            },
            None => AiSettingsView { base_url: DEFAULT_BASE_URL.into(), model: DEFAULT_MODEL.into(), ..Default::default() },
        })
    }

    pub async fn save(&self, user_id: &str, input: AiSettingsInput) -> Result<AiSettingsView, AiError> {
        // Validate everything before writing anything.
        let openai = input.openai_key.as_deref().map(|k| clean_key(k, "an API key")).transpose()?;
        let gemini = input.gemini_key.as_deref().map(|k| clean_key(k, "a Gemini API key")).transpose()?;
        let base = input.base_url.as_deref().map(clean_base_url).transpose()?;
        let model = input.model.as_deref().map(clean_model).transpose()?;
        if let Some(b) = &base {
            let current = self.row(user_id).await?;
            let has_key = current.as_ref().is_some_and(|r| opt::<String>(r, "openai_key").is_some());
            let old = current.as_ref().map(|r| r.get::<String, _>("base_url")).unwrap_or_else(|| DEFAULT_BASE_URL.into());
            if has_key && openai.is_none() && origin(b) != origin(&old) {
                return Err(invalid(
                    "key_required",
                    "Enter the API key again for the new server: a saved key is only sent to the server it was saved for. \
                     Send the key together with the new base URL (in Settings → AI: remove the saved key, change the base URL, then paste the key).",
                ));
            }
            // Refused now rather than at the first generation.
            let u = url::Url::parse(b)
                .map_err(|_| invalid("invalid_base_url", "The base URL must be a web address like https://api.openai.com/v1."))?;
            outbound::vet(&u, self.allow_private).await.map_err(|r| self.refused(r))?;
        }
        let now = now_ms();
        let mut tx = self.db.pool().begin().await?;
        sqlx::query("insert into ai_settings (user_id, updated_at) values ($1, $2) on conflict (user_id) do nothing")
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        for (col, hint_col, key) in [("openai_key", "openai_key_hint", openai), ("gemini_key", "gemini_key_hint", gemini)] {
            let Some(key) = key else { continue };
            let sealed = key.as_deref().map(|k| self.keys.encrypt(k));
            let hint = key.as_deref().map(key_hint);
            sqlx::query(&format!("update ai_settings set {col} = $1, {hint_col} = $2, updated_at = $3 where user_id = $4"))
                .bind(sealed)
                .bind(hint)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(b) = base {
            sqlx::query("update ai_settings set base_url = $1, updated_at = $2 where user_id = $3")
                .bind(b)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(m) = model {
            sqlx::query("update ai_settings set model = $1, updated_at = $2 where user_id = $3")
                .bind(m)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.settings(user_id).await
    }

    fn unseal(&self, sealed: Option<String>) -> Result<Option<String>, AiError> {
        sealed.map(|s| self.keys.decrypt(&s)).transpose().map_err(AiError::Internal)
    }

    async fn stored(&self, user_id: &str) -> Result<Stored, AiError> {
        Ok(match self.row(user_id).await? {
            Some(r) => Stored { openai_key: self.unseal(opt(&r, "openai_key"))?, base_url: r.get("base_url"), model: r.get("model") },
            None => Stored { openai_key: None, base_url: DEFAULT_BASE_URL.into(), model: DEFAULT_MODEL.into() },
        })
    }

    /// The user's Gemini key, for image generation.
    pub async fn gemini_key(&self, user_id: &str) -> Result<Option<String>, AiError> {
        match self.row(user_id).await? {
            Some(r) => self.unseal(opt(&r, "gemini_key")),
            None => Ok(None),
        }
    }

    /// Lists models with the stored key: proves key and base URL work, and costs nothing.
    pub async fn test_key(&self, user_id: &str) -> Result<KeyTest, AiError> {
        let s = self.stored(user_id).await?;
        let Some(key) = s.openai_key else {
            return Ok(KeyTest {
                ok: false,
                message: "No API key saved yet. Paste one above; it is saved when you leave the field.".into(),
            });
        };
        let (u, client) = self.client(&format!("{}/models", s.base_url)).await?;
        let (status, _, body) = self.read(client.get(u).bearer_auth(&key).send().await).await?;
        if !(200..300).contains(&status) {
            return Err(openai_error(status, &body, None));
        }
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let ids: Vec<&str> = v["data"].as_array().map(|a| a.iter().filter_map(|m| m["id"].as_str()).collect()).unwrap_or_default();
        let message = if ids.is_empty() || ids.contains(&s.model.as_str()) {
            format!("Key works. Model {} is available.", s.model)
        } else {
            format!("Key works, but model {} is not in the {} models this key can use. Check the model name.", s.model, ids.len())
        };
        Ok(KeyTest { ok: ids.is_empty() || ids.contains(&s.model.as_str()), message })
    }

    fn transport(&self, e: reqwest::Error) -> AiError {
        if e.is_timeout() {
            provider(
                Kind::Timeout,
                "ai_timeout",
                format!(
                    "The AI service did not answer within {} seconds. It may still have used credit, so we did not retry; try again or use the built-in generator.",
                    self.timeout.as_secs()
                ),
            )
        } else if e.is_connect() {
            provider(Kind::Upstream, "ai_unreachable", "Could not reach the AI service. Check the base URL in Settings → AI.")
        } else {
            provider(Kind::Upstream, "ai_unavailable", "The connection to the AI service broke. Try again in a moment.")
        }
    }

    /// One variant per platform: through the user's key when there is one (and `mode` is not
    /// "builtin"), else the built-in generator.
    pub async fn generate(&self, user_id: &str, req: &GenerateRequest) -> Result<Generated, AiError> {
        let idea = req.idea.trim();
        if idea.is_empty() {
            return Err(invalid("empty_idea", "Write the idea first: a sentence or a few notes is enough."));
        }
        if idea.chars().count() > 10_000 {
            return Err(invalid("idea_too_long", "Keep the idea under 10000 characters."));
        }
        let platforms = parse_platforms(&req.platforms)?;
        let builtin =
            || Generated { variants: builtin_variants(idea, &platforms), source: "builtin".into(), model: None, warnings: vec![] };
        match req.mode.as_deref().unwrap_or("auto") {
            "builtin" => return Ok(builtin()),
            "auto" => {}
            other => return Err(invalid("invalid_mode", format!("\"{other}\" is not a mode. Use auto or builtin."))),
        }
        let s = self.stored(user_id).await?;
        let Some(key) = s.openai_key.as_deref() else { return Ok(builtin()) };
        self.chat(key, &s, idea, &platforms).await
    }

    async fn chat(&self, key: &str, s: &Stored, idea: &str, platforms: &[PlatformId]) -> Result<Generated, AiError> {
        let lines: Vec<String> =
            platforms.iter().map(|p| format!("- \"{}\" ({}): {}; {}.", p.as_str(), p.display_name(), tone(*p), limit_hint(*p))).collect();
        let system = "You write social media posts from an idea. Answer with one JSON object only: \
                      each key is a platform id from the list, each value is that platform's post text. \
                      Stay strictly within each platform's length limit. Keep the author's facts; invent nothing.";
        let user = format!("Idea:\n{idea}\n\nPlatforms:\n{}", lines.join("\n"));
        let body = serde_json::json!({
            "model": s.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "response_format": {"type": "json_object"},
            "temperature": 0.7,
        });
        let (u, client) = self.client(&format!("{}/chat/completions", s.base_url)).await?;
        let (status, retry, text) = self.read(client.post(u).bearer_auth(key).json(&body).send().await).await?;
        if !(200..300).contains(&status) {
            return Err(openai_error(status, &text, retry.map(|r| r.ceil() as u64)));
        }
        let bad = || {
            provider(
                Kind::Upstream,
                "ai_bad_response",
                "The AI service answered with something we could not read. Try again or use the built-in generator.",
            )
        };
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| bad())?;
        let content = v["choices"][0]["message"]["content"].as_str().ok_or_else(bad)?;
        if v["choices"][0]["finish_reason"] == "content_filter" {
            return Err(provider(
                Kind::Invalid,
                "ai_refused",
                "The AI service declined this idea (content filter). Rephrase it or use the built-in generator.",
            ));
        }
        let parsed: serde_json::Value = serde_json::from_str(strip_fences(content)).map_err(|_| bad())?;
        let mut out = Generated { variants: BTreeMap::new(), source: "openai".into(), model: Some(s.model.clone()), warnings: vec![] };
        let fallback = builtin_variants(idea, platforms);
        for p in platforms {
            let id = p.as_str();
            match parsed[id].as_str().map(str::trim).filter(|t| !t.is_empty()) {
                Some(t) => {
                    let c = check_length(*p, t);
                    if c.over() {
                        out.warnings.push(format!(
                            "{} came back {} over its limit of {}; trimmed to fit.",
                            p.display_name(),
                            -c.remaining,
                            c.limit
                        ));
                    }
                    out.variants.insert(id.to_string(), fit_to_limit(*p, t));
                }
                None => {
                    out.warnings.push(format!("The model wrote nothing for {}; the built-in generator filled it in.", p.display_name()));
                    out.variants.insert(id.to_string(), fallback[id].clone());
                }
            }
        }
        Ok(out)
    }
}

/// Models sometimes wrap JSON in a Markdown fence despite `response_format`.
fn strip_fences(s: &str) -> &str {
    let t = s.trim();
    let t = t.strip_prefix("```json").or_else(|| t.strip_prefix("```")).unwrap_or(t);
    t.strip_suffix("```").unwrap_or(t).trim()
}

/// OpenAI's error body is `{"error": {"message", "type", "code"}}`; turn it into something a
/// person can act on. The provider's message is not echoed: it can contain part of the key.
fn openai_error(status: u16, body: &str, retry_after: Option<u64>) -> AiError {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let code = v["error"]["code"].as_str().or(v["error"]["type"].as_str()).unwrap_or("");
    match status {
        401 => provider(Kind::Invalid, "ai_key_rejected", "The AI service rejected your API key. Check or replace it in Settings → AI."),
        403 => provider(
            Kind::Invalid,
            "ai_forbidden",
            "Your API key is not allowed to use this model or region. Check the model in Settings → AI.",
        ),
        404 => provider(
            Kind::Invalid,
            "ai_model_not_found",
            "The AI service does not know that model or base URL. Check both in Settings → AI.",
        ),
        429 if code == "insufficient_quota" => provider(
            Kind::OutOfCredit,
            "ai_insufficient_quota",
            "Your AI account has run out of credit. Add credit with your provider, or use the built-in generator meanwhile.",
        ),
        429 => AiError::Provider {
            kind: Kind::RateLimited,
            code: "ai_rate_limited",
            message: "The AI service is rate-limiting your key. Wait a moment, then try again.".into(),
            retry_after: retry_after.or(Some(20)),
        },
        400 => provider(
            Kind::Invalid,
            "ai_bad_request",
            "The AI service refused the request. Try a shorter idea, or check the model in Settings → AI.",
        ),
        _ => provider(Kind::Upstream, "ai_unavailable", format!("The AI service failed (HTTP {status}). Try again in a moment.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_never_show_more_than_the_last_four() {
        assert_eq!(key_hint("sk-proj-abcdefghijklmnop1234"), "sk-…1234");
        assert_eq!(key_hint("AIzaSyD-abcdefgh9876"), "…9876");
        assert!(!key_hint("sk-secretsecretsecret").contains("secret"));
    }

    #[test]
    fn settings_are_validated() {
        assert!(clean_key("sk live", "an API key").is_err());
        assert_eq!(clean_key("  ", "k").unwrap(), None);
        assert!(clean_base_url("ftp://x").is_err());
        assert!(clean_base_url("https://api.example.com/v1?x=1").is_err());
        assert_eq!(clean_base_url("http://127.0.0.1:11434/v1/").unwrap(), "http://127.0.0.1:11434/v1");
        assert_eq!(clean_base_url("").unwrap(), DEFAULT_BASE_URL);
        assert!(clean_model("gpt 4").is_err());
        assert_eq!(clean_model("llama3.1:8b").unwrap(), "llama3.1:8b");
    }

    #[test]
    fn quota_and_key_errors_are_told_apart() {
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        assert_eq!(openai_error(429, quota, None).code(), "ai_insufficient_quota");
        assert_eq!(openai_error(429, r#"{"error":{"code":"rate_limit_exceeded"}}"#, Some(7)).retry_after(), Some(7));
        let e = openai_error(401, r#"{"error":{"message":"Incorrect API key provided: sk-abc***wxyz"}}"#, None);
        assert_eq!((e.kind(), e.code()), (Kind::Invalid, "ai_key_rejected"));
        assert!(!e.to_string().contains("sk-"), "the provider's message may carry part of the key");
        assert_eq!(strip_fences("```json\n{\"x\":\"hi\"}\n```"), "{\"x\":\"hi\"}");
    }
}
