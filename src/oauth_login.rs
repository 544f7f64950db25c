//! Sign-in with Google, LinkedIn (OpenID Connect with issuer discovery, so any OIDC issuer
//! works), Facebook Login and GitHub. Produces an `ExternalIdentity`; linking it to a user is
//! `Auth::provider_signin`'s job.

use crate::auth::{AuthError, ExternalIdentity};
use crate::domain::LoginProvider;
use jsonwebtoken::jwk::JwkSet;
use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, ExtraTokenFields,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse,
    TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// Where a provider lives. Every URL is configurable so tests and self-hosters can point
/// elsewhere (a local fake, Keycloak, Authentik…).
#[derive(Debug, Clone)]
pub enum Endpoints {
    /// Discovery at `{issuer}/.well-known/openid-configuration`.
    Oidc {
        issuer: String,
    },
    Facebook {
        dialog_base: String,
        graph_base: String,
        version: String,
    },
    Github {
        auth_base: String,
        api_base: String,
    },
}

#[derive(Clone)]
pub struct ProviderConfig {
    pub provider: LoginProvider,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub endpoints: Endpoints,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("provider", &self.provider)
            .field("client_id", &self.client_id)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl ProviderConfig {
    /// Production endpoints for a provider.
    pub fn default_endpoints(p: LoginProvider) -> Endpoints {
        match p {
            LoginProvider::Google => Endpoints::Oidc { issuer: "https://accounts.google.com".into() },
            LoginProvider::Linkedin => Endpoints::Oidc { issuer: "https://www.linkedin.com/oauth".into() },
            LoginProvider::Facebook => Endpoints::Facebook {
                dialog_base: "https://www.facebook.com".into(),
                graph_base: "https://graph.facebook.com".into(),
                version: crate::platforms::versions::GRAPH_VERSION.into(),
            },
            LoginProvider::Github => {
                Endpoints::Github { auth_base: "https://github.com".into(), api_base: "https://api.github.com".into() }
            }
        }
    }
}

/// The browser-side half of a sign-in in flight: kept in a signed cookie between the
/// redirect and the callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub provider: LoginProvider,
    pub state: String,
    pub pkce_verifier: String,
    pub nonce: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    jwks_uri: String,
}

struct OidcMeta {
    discovery: Discovery,
    jwks: JwkSet,
    fetched: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}
impl ExtraTokenFields for IdFields {}

type IdTokenResponse = StandardTokenResponse<IdFields, BasicTokenType>;
type OAuthClient = Client<
    BasicErrorResponse,
    IdTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

const OIDC_CACHE_TTL: Duration = Duration::from_secs(3600);
/// Largest answer read from a sign-in provider (discovery, keys, tokens, profiles: a few KB).
pub const MAX_ANSWER_BYTES: usize = 1 << 20;

#[derive(Clone)]
pub struct LoginProviders {
    configs: Arc<HashMap<LoginProvider, ProviderConfig>>,
    http: reqwest::Client,
    oidc: Arc<RwLock<HashMap<String, Arc<OidcMeta>>>>,
}

fn provider_err(p: LoginProvider, what: impl std::fmt::Display) -> AuthError {
    tracing::warn!(provider = p.as_str(), error = %what, "sign-in provider failed");
    AuthError::Provider(format!("{} sign-in failed: {what}. Try again, or use another way to sign in.", p.display_name()))
}

impl LoginProviders {
    pub fn new(configs: Vec<ProviderConfig>) -> Self {
        let http = reqwest::Client::builder()
            // Never follow redirects from a token endpoint (oauth2 crate's advice: SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .user_agent("Covalynce/0.1")
            .build()
            .expect("static reqwest client config is valid");
        Self { configs: Arc::new(configs.into_iter().map(|c| (c.provider, c)).collect()), http, oidc: Default::default() }
    }

    /// Configured providers, in a stable order, for the sign-in buttons.
    pub fn enabled(&self) -> Vec<LoginProvider> {
        LoginProvider::ALL.into_iter().filter(|p| self.configs.contains_key(p)).collect()
    }

    fn config(&self, p: LoginProvider) -> Result<&ProviderConfig, AuthError> {
        // The caller's mistake (a provider this server does not offer), not the provider's failure.
        self.configs.get(&p).ok_or_else(|| {
            AuthError::Invalid(crate::DomainError::new(
                "provider_not_configured",
                format!("Sign-in with {} is not set up on this server.", p.display_name()),
            ))
        })
    }

    async fn oidc_meta(&self, p: LoginProvider, issuer: &str, force: bool) -> Result<Arc<OidcMeta>, AuthError> {
        if !force {
            if let Some(m) = self.oidc.read().await.get(issuer) {
                if m.fetched.elapsed() < OIDC_CACHE_TTL {
                    return Ok(m.clone());
                }
            }
        }
        let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let discovery: Discovery = self.get_json(p, &url, None).await?;
        // The issuer names the endpoints we then call and send the browser to: web URLs only.
        for (what, u) in [
            ("authorization_endpoint", Some(&discovery.authorization_endpoint)),
            ("token_endpoint", Some(&discovery.token_endpoint)),
            ("jwks_uri", Some(&discovery.jwks_uri)),
            ("userinfo_endpoint", discovery.userinfo_endpoint.as_ref()),
        ] {
            if let Some(u) = u {
                if crate::outbound::web_url(Some(u)).is_none() {
                    return Err(provider_err(p, format!("the discovery document's {what} is not an http(s) URL")));
                }
            }
        }
        let jwks: JwkSet = self.get_json(p, &discovery.jwks_uri, None).await?;
        let meta = Arc::new(OidcMeta { discovery, jwks, fetched: Instant::now() });
        self.oidc.write().await.insert(issuer.to_string(), meta.clone());
        Ok(meta)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, p: LoginProvider, url: &str, bearer: Option<&str>) -> Result<T, AuthError> {
        let mut req = self.http.get(url).header("Accept", "application/json");
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        if matches!(p, LoginProvider::Github) {
            req = req.header("Accept", "application/vnd.github+json").header("X-GitHub-Api-Version", "2022-11-28");
        }
        let resp =
            // `without_url`: the Facebook token URL carries the client secret in its query.
            req.send().await.map_err(|e| provider_err(p, format!("could not reach {} ({})", host_of(url), e.without_url())))?;
        let status = resp.status();
        let body = crate::outbound::text_capped(resp, MAX_ANSWER_BYTES).await.map_err(|e| match e {
            crate::outbound::ReadError::Transport(e) => provider_err(p, e.without_url()),
            crate::outbound::ReadError::TooLarge { limit } => {
                provider_err(p, format!("{} sent more than {}", host_of(url), crate::outbound::mb(limit)))
            }
        })?;
        if !status.is_success() {
            return Err(provider_err(p, format!("{} answered {status}: {}", host_of(url), error_text(&body))));
        }
        serde_json::from_str(&body).map_err(|e| provider_err(p, format!("unexpected answer from {}: {e}", host_of(url))))
    }

    fn client(&self, cfg: &ProviderConfig, auth_url: &str, token_url: &str) -> Result<OAuthClient, AuthError> {
        let bad = |what: &str, v: &str| {
            AuthError::Provider(format!("{} sign-in is misconfigured: {what} \"{v}\" is not a URL.", cfg.provider.display_name()))
        };
        Ok(Client::new(ClientId::new(cfg.client_id.clone()))
            .set_client_secret(ClientSecret::new(cfg.client_secret.clone()))
            .set_auth_uri(AuthUrl::new(auth_url.to_string()).map_err(|_| bad("authorize URL", auth_url))?)
            .set_token_uri(TokenUrl::new(token_url.to_string()).map_err(|_| bad("token URL", token_url))?)
            .set_redirect_uri(RedirectUrl::new(cfg.redirect_uri.clone()).map_err(|_| bad("redirect URI", &cfg.redirect_uri))?)
            // LinkedIn, GitHub and Facebook want the secret in the form body; Google takes either.
            .set_auth_type(AuthType::RequestBody))
    }

    async fn endpoints(&self, cfg: &ProviderConfig) -> Result<(String, String), AuthError> {
        Ok(match &cfg.endpoints {
            Endpoints::Oidc { issuer } => {
                let m = self.oidc_meta(cfg.provider, issuer, false).await?;
                (m.discovery.authorization_endpoint.clone(), m.discovery.token_endpoint.clone())
            }
            Endpoints::Facebook { dialog_base, graph_base, version } => (
                format!("{}/{version}/dialog/oauth", dialog_base.trim_end_matches('/')),
                format!("{}/{version}/oauth/access_token", graph_base.trim_end_matches('/')),
            ),
            Endpoints::Github { auth_base, .. } => {
                let b = auth_base.trim_end_matches('/');
                (format!("{b}/login/oauth/authorize"), format!("{b}/login/oauth/access_token"))
            }
        })
    }

    /// Builds the provider's authorize URL with a fresh `state`, PKCE S256 challenge (where
    /// the provider takes one) and OIDC `nonce`.
    pub async fn authorize(&self, p: LoginProvider) -> Result<(String, PendingLogin), AuthError> {
        let cfg = self.config(p)?;
        let (auth_url, token_url) = self.endpoints(cfg).await?;
        let client = self.client(cfg, &auth_url, &token_url)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = crate::crypto::random_token();
        let mut req = client.authorize_url(CsrfToken::new_random);
        req = match &cfg.endpoints {
            Endpoints::Oidc { .. } => req
                .add_scopes(["openid", "email", "profile"].map(|s| Scope::new(s.into())))
                .add_extra_param("nonce", nonce.clone())
                .set_pkce_challenge(challenge),
            // Facebook's classic server flow takes comma-separated scopes and no PKCE.
            Endpoints::Facebook { .. } => req.add_scope(Scope::new("public_profile,email".into())),
            Endpoints::Github { .. } => req.add_scope(Scope::new("read:user user:email".into())).set_pkce_challenge(challenge),
        };
        let (url, state) = req.url();
        Ok((url.to_string(), PendingLogin { provider: p, state: state.secret().clone(), pkce_verifier: verifier.secret().clone(), nonce }))
    }

    /// Exchanges an authorization code and returns who signed in. `pkce_verifier` and `nonce`
    /// come from the pending login (browser flow) or from an API client that started the
    /// flow itself (then they may be absent).
    pub async fn exchange(
        &self,
        p: LoginProvider,
        code: &str,
        pkce_verifier: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<ExternalIdentity, AuthError> {
        let cfg = self.config(p)?;
        if code.trim().is_empty() {
            return Err(AuthError::Provider(format!("{} did not send an authorization code. Start the sign-in again.", p.display_name())));
        }
        match &cfg.endpoints {
            Endpoints::Oidc { issuer } => self.exchange_oidc(cfg, issuer, code, pkce_verifier, nonce).await,
            Endpoints::Facebook { graph_base, version, .. } => self.exchange_facebook(cfg, graph_base, version, code).await,
            Endpoints::Github { api_base, .. } => self.exchange_github(cfg, api_base, code, pkce_verifier).await,
        }
    }

    async fn code_exchange(&self, cfg: &ProviderConfig, code: &str, pkce_verifier: Option<&str>) -> Result<IdTokenResponse, AuthError> {
        let (auth_url, token_url) = self.endpoints(cfg).await?;
        let client = self.client(cfg, &auth_url, &token_url)?;
        let mut req = client.exchange_code(AuthorizationCode::new(code.to_string()));
        if let Some(v) = pkce_verifier {
            req = req.set_pkce_verifier(PkceCodeVerifier::new(v.to_string()));
        }
        // The token answer is read through the same byte cap as every other provider answer.
        req.request_async(&Capped(self.http.clone())).await.map_err(|e| {
            let why = match &e {
                RequestTokenError::ServerResponse(r) => {
                    format!("{}{}", r.error(), r.error_description().map(|d| format!(" ({d})")).unwrap_or_default())
                }
                // GitHub reports errors with HTTP 200 and an `error` field, which oauth2 sees as a parse failure.
                RequestTokenError::Parse(_, body) => error_text(&String::from_utf8_lossy(body)),
                RequestTokenError::Request(oauth2::HttpClientError::Other(m)) => m.clone(),
                RequestTokenError::Request(_) => "could not reach the token endpoint".into(),
                RequestTokenError::Other(o) => o.clone(),
            };
            provider_err(cfg.provider, format!("the code was not accepted: {why}"))
        })
    }

    async fn exchange_oidc(
        &self,
        cfg: &ProviderConfig,
        issuer: &str,
        code: &str,
        pkce_verifier: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<ExternalIdentity, AuthError> {
        let p = cfg.provider;
        let tokens = self.code_exchange(cfg, code, pkce_verifier).await?;
        let id_token = tokens.extra_fields().id_token.clone().ok_or_else(|| provider_err(p, "no id_token in the token response"))?;
        let claims = self.verify_id_token(cfg, issuer, &id_token, nonce).await?;
        let mut email = claims.get("email").and_then(Value::as_str).map(str::to_string);
        let mut verified = truthy(claims.get("email_verified"));
        let mut name = claims.get("name").and_then(Value::as_str).map(str::to_string);
        let mut picture = crate::outbound::web_url(claims.get("picture").and_then(Value::as_str));
        // Some issuers put profile claims only in userinfo.
        if email.is_none() || name.is_none() {
            let meta = self.oidc_meta(p, issuer, false).await?;
            if let Some(ui) = &meta.discovery.userinfo_endpoint {
                let info: Value = self.get_json(p, ui, Some(tokens.access_token().secret())).await?;
                if info.get("sub").and_then(Value::as_str) == claims.get("sub").and_then(Value::as_str) {
                    email = email.or_else(|| info.get("email").and_then(Value::as_str).map(str::to_string));
                    verified = verified || truthy(info.get("email_verified"));
                    name = name.or_else(|| info.get("name").and_then(Value::as_str).map(str::to_string));
                    picture = picture.or_else(|| crate::outbound::web_url(info.get("picture").and_then(Value::as_str)));
                }
            }
        }
        let subject = claims.get("sub").and_then(Value::as_str).ok_or_else(|| provider_err(p, "the id_token has no subject"))?.to_string();
        Ok(ExternalIdentity { provider: p, subject, email, email_verified: verified, name, avatar_url: picture })
    }

    /// Signature (issuer's JWKS, RS256/ES256 only), issuer, audience, expiry and nonce.
    async fn verify_id_token(
        &self,
        cfg: &ProviderConfig,
        issuer: &str,
        id_token: &str,
        nonce: Option<&str>,
    ) -> Result<serde_json::Map<String, Value>, AuthError> {
        use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
        let p = cfg.provider;
        let header = decode_header(id_token).map_err(|_| provider_err(p, "the id_token is malformed"))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(provider_err(p, format!("the id_token uses an algorithm we do not accept ({:?})", header.alg)));
        }
        let mut meta = self.oidc_meta(p, issuer, false).await?;
        let find = |m: &OidcMeta| match &header.kid {
            Some(kid) => m.jwks.find(kid).cloned(),
            None => m.jwks.keys.first().cloned(),
        };
        let jwk = match find(&meta) {
            Some(k) => k,
            None => {
                // Keys rotate: refetch once before giving up.
                meta = self.oidc_meta(p, issuer, true).await?;
                find(&meta).ok_or_else(|| provider_err(p, "the id_token is signed with an unknown key"))?
            }
        };
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| provider_err(p, "the issuer published a key we cannot use"))?;
        let mut v = Validation::new(header.alg);
        v.set_audience(&[cfg.client_id.as_str()]);
        let mut issuers = vec![meta.discovery.issuer.clone()];
        // Google documents both spellings of its issuer.
        if meta.discovery.issuer == "https://accounts.google.com" {
            issuers.push("accounts.google.com".into());
        }
        v.set_issuer(&issuers);
        v.leeway = 60;
        let data = decode::<serde_json::Map<String, Value>>(id_token, &key, &v)
            .map_err(|e| provider_err(p, format!("the id_token is not valid ({e})")))?;
        if let Some(expected) = nonce {
            if data.claims.get("nonce").and_then(Value::as_str) != Some(expected) {
                return Err(provider_err(p, "the id_token nonce does not match this sign-in"));
            }
        }
        Ok(data.claims)
    }

    async fn exchange_facebook(
        &self,
        cfg: &ProviderConfig,
        graph_base: &str,
        version: &str,
        code: &str,
    ) -> Result<ExternalIdentity, AuthError> {
        let p = cfg.provider;
        let base = format!("{}/{version}", graph_base.trim_end_matches('/'));
        let mut token_url = url::Url::parse(&format!("{base}/oauth/access_token")).map_err(|e| provider_err(p, e))?;
        token_url
            .query_pairs_mut()
            .append_pair("client_id", &cfg.client_id)
            .append_pair("redirect_uri", &cfg.redirect_uri)
            .append_pair("client_secret", &cfg.client_secret)
            .append_pair("code", code);
        let tok: Value = self.get_json(p, token_url.as_str(), None).await?;
        let access =
            tok.get("access_token").and_then(Value::as_str).ok_or_else(|| provider_err(p, "no access_token in the token response"))?;
        let me: Value = self.get_json(p, &format!("{base}/me?fields=id,name,email,picture.type(large)"), Some(access)).await?;
        let subject = me.get("id").and_then(Value::as_str).ok_or_else(|| provider_err(p, "the profile has no id"))?.to_string();
        let email = me.get("email").and_then(Value::as_str).map(str::to_string);
        Ok(ExternalIdentity {
            provider: p,
            subject,
            // Facebook only returns an e-mail it has confirmed; phone-only accounts have none.
            email_verified: email.is_some(),
            email,
            name: me.get("name").and_then(Value::as_str).map(str::to_string),
            avatar_url: crate::outbound::web_url(me.pointer("/picture/data/url").and_then(Value::as_str)),
        })
    }

    async fn exchange_github(
        &self,
        cfg: &ProviderConfig,
        api_base: &str,
        code: &str,
        pkce_verifier: Option<&str>,
    ) -> Result<ExternalIdentity, AuthError> {
        let p = cfg.provider;
        let tokens = self.code_exchange(cfg, code, pkce_verifier).await?;
        let access = tokens.access_token().secret();
        let api = api_base.trim_end_matches('/');
        let user: Value = self.get_json(p, &format!("{api}/user"), Some(access)).await?;
        let emails: Vec<Value> = self.get_json(p, &format!("{api}/user/emails"), Some(access)).await.unwrap_or_default();
        // `/user.email` is null when private; the primary verified address is the one to trust.
        let primary = emails.iter().find(|e| truthy(e.get("primary")) && truthy(e.get("verified")));
        let id =
            user.get("id").map(|v| v.to_string().trim_matches('"').to_string()).ok_or_else(|| provider_err(p, "the profile has no id"))?;
        let (email, verified) = match primary {
            Some(e) => (e.get("email").and_then(Value::as_str).map(str::to_string), true),
            None => (user.get("email").and_then(Value::as_str).map(str::to_string), false),
        };
        Ok(ExternalIdentity {
            provider: p,
            subject: id,
            email,
            email_verified: verified,
            name: user.get("name").and_then(Value::as_str).or_else(|| user.get("login").and_then(Value::as_str)).map(str::to_string),
            avatar_url: crate::outbound::web_url(user.get("avatar_url").and_then(Value::as_str)),
        })
    }
}

/// oauth2's HTTP client: ours, with the answer read up to `MAX_ANSWER_BYTES`.
struct Capped(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for Capped {
    type Error = oauth2::HttpClientError<reqwest::Error>;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(capped_call(&self.0, request))
    }
}

async fn capped_call(
    client: &reqwest::Client,
    req: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, oauth2::HttpClientError<reqwest::Error>> {
    let req = reqwest::Request::try_from(req).map_err(Box::new)?;
    let resp = client.execute(req).await.map_err(Box::new)?;
    let mut b = oauth2::http::Response::builder().status(resp.status());
    for (name, value) in resp.headers() {
        b = b.header(name, value);
    }
    let body = crate::outbound::read_capped(resp, MAX_ANSWER_BYTES).await.map_err(|e| match e {
        crate::outbound::ReadError::Transport(e) => oauth2::HttpClientError::Reqwest(Box::new(e)),
        crate::outbound::ReadError::TooLarge { limit } => {
            oauth2::HttpClientError::Other(format!("the token endpoint sent more than {}", crate::outbound::mb(limit)))
        }
    })?;
    b.body(body).map_err(oauth2::HttpClientError::Http)
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

fn host_of(url: &str) -> String {
    url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_else(|| "the provider".into())
}

/// The human part of an OAuth/Graph error body, without echoing anything huge.
fn error_text(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let msg = v
        .pointer("/error/message")
        .or_else(|| v.get("error_description"))
        .or_else(|| v.get("error"))
        .or_else(|| v.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| body.chars().take(120).collect());
    msg.chars().take(200).collect()
}
