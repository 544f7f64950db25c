//! A local stand-in for the four sign-in providers, speaking their real shapes
//! (platform-contracts.md §11): Google and LinkedIn OIDC (discovery, authorize, token with
//! PKCE S256, RS256 id_token, JWKS, userinfo), Facebook Login (GET token endpoint, Graph
//! `/me`, Graph error envelope) and GitHub (JSON token reply with errors in a 200 body,
//! `/user`, `/user/emails`, mandatory User-Agent).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "covalynce-test-client";
pub const CLIENT_SECRET: &str = "covalynce-test-secret";
const KID: &str = "test-key-1";

#[derive(Clone, Debug)]
pub struct FakeUser {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: String,
}

#[derive(Clone)]
struct Grant {
    provider: String,
    redirect_uri: String,
    challenge: Option<String>,
    nonce: Option<String>,
    user: FakeUser,
}

#[derive(Default)]
struct Inner {
    users: HashMap<String, FakeUser>,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, FakeUser>,
    /// Overrides the nonce put in the next id_token (to test nonce checking).
    forced_nonce: Option<String>,
}

#[derive(Clone)]
pub struct FakeIdp {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeIdp {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let idp = FakeIdp { base, inner: Default::default() };
        let app = Router::new()
            .route("/{p}/.well-known/openid-configuration", get(discovery))
            .route("/linkedin/oauth/.well-known/openid-configuration", get(|s| discovery(s, Path("linkedin/oauth".to_string()))))
            .route("/{p}/authorize", get(authorize))
            .route("/linkedin/oauth/v2/authorization", get(|s, q| authorize(s, Path("linkedin".into()), q)))
            .route("/{p}/token", post(oidc_token))
            .route("/linkedin/oauth/v2/accessToken", post(|s, f| oidc_token(s, Path("linkedin".into()), f)))
            .route("/{p}/certs", get(jwks))
            .route("/{p}/userinfo", get(userinfo))
            .route("/fb/v21.0/dialog/oauth", get(|s, q| authorize(s, Path("facebook".into()), q)))
            .route("/fb/v21.0/oauth/access_token", get(fb_token))
            .route("/fb/v21.0/me", get(fb_me))
            .route("/gh/login/oauth/authorize", get(|s, q| authorize(s, Path("github".into()), q)))
            .route("/gh/login/oauth/access_token", post(gh_token))
            .route("/ghapi/user", get(gh_user))
            .route("/ghapi/user/emails", get(gh_emails))
            .with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        idp
    }

    /// Who "signs in" at this provider next.
    pub fn set_user(&self, provider: &str, user: FakeUser) {
        self.inner.lock().unwrap().users.insert(provider.to_string(), user);
    }

    pub fn force_nonce(&self, nonce: &str) {
        self.inner.lock().unwrap().forced_nonce = Some(nonce.to_string());
    }

    /// Mints a code directly (for API clients that ran the authorize step themselves).
    pub fn issue_code(&self, provider: &str, redirect_uri: &str) -> String {
        let mut inner = self.inner.lock().unwrap();
        let user = inner.users.get(provider).cloned().expect("set_user first");
        let code = format!("code-{}", uuid::Uuid::new_v4());
        inner.codes.insert(
            code.clone(),
            Grant { provider: provider.into(), redirect_uri: redirect_uri.into(), challenge: None, nonce: None, user },
        );
        code
    }

    fn issuer(&self, provider: &str) -> String {
        match provider {
            "linkedin" => format!("{}/linkedin/oauth", self.base),
            p => format!("{}/{p}", self.base),
        }
    }
}

async fn discovery(State(idp): State<FakeIdp>, Path(p): Path<String>) -> Response {
    let key = if p == "linkedin/oauth" { "linkedin".to_string() } else { p.clone() };
    if key != "google" && key != "linkedin" {
        return StatusCode::NOT_FOUND.into_response();
    }
    let iss = idp.issuer(&key);
    let (auth, token) = if key == "linkedin" {
        (format!("{}/linkedin/oauth/v2/authorization", idp.base), format!("{}/linkedin/oauth/v2/accessToken", idp.base))
    } else {
        (format!("{iss}/authorize"), format!("{iss}/token"))
    };
    Json(json!({
        "issuer": iss,
        "authorization_endpoint": auth,
        "token_endpoint": token,
        "userinfo_endpoint": format!("{}/{key}/userinfo", idp.base),
        "jwks_uri": format!("{}/{key}/certs", idp.base),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["plain", "S256"],
    }))
    .into_response()
}

async fn authorize(State(idp): State<FakeIdp>, Path(provider): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return (StatusCode::BAD_REQUEST, "invalid client_id").into_response();
    }
    let Some(redirect_uri) = q.get("redirect_uri").cloned() else {
        return (StatusCode::BAD_REQUEST, "missing redirect_uri").into_response();
    };
    if provider != "facebook" && provider != "github" && q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return (StatusCode::BAD_REQUEST, "PKCE S256 required").into_response();
    }
    let mut inner = idp.inner.lock().unwrap();
    let Some(user) = inner.users.get(&provider).cloned() else {
        return (StatusCode::BAD_REQUEST, "no test user set").into_response();
    };
    let code = format!("code-{}", uuid::Uuid::new_v4());
    inner.codes.insert(
        code.clone(),
        Grant {
            provider,
            redirect_uri: redirect_uri.clone(),
            challenge: q.get("code_challenge").cloned(),
            nonce: q.get("nonce").cloned(),
            user,
        },
    );
    let state = q.get("state").cloned().unwrap_or_default();
    // The real providers show a consent screen here; the fake approves at once.
    Redirect::to(&format!("{redirect_uri}?code={code}&state={state}")).into_response()
}

fn take_grant(
    idp: &FakeIdp,
    provider: &str,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<Grant, &'static str> {
    let mut inner = idp.inner.lock().unwrap();
    let g = inner.codes.remove(code).ok_or("invalid_grant")?;
    if g.provider != provider || redirect_uri.is_some_and(|r| r != g.redirect_uri) {
        return Err("invalid_grant");
    }
    if let Some(ch) = &g.challenge {
        let v = verifier.ok_or("invalid_grant")?;
        if URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) != *ch {
            return Err("invalid_grant");
        }
    }
    Ok(g)
}

fn new_token(idp: &FakeIdp, user: &FakeUser) -> String {
    let t = format!("at-{}", uuid::Uuid::new_v4());
    idp.inner.lock().unwrap().tokens.insert(t.clone(), user.clone());
    t
}

fn bearer_user(idp: &FakeIdp, headers: &HeaderMap) -> Option<FakeUser> {
    let t = headers.get("authorization")?.to_str().ok()?.strip_prefix("Bearer ")?;
    idp.inner.lock().unwrap().tokens.get(t).cloned()
}

fn sign_id_token(idp: &FakeIdp, provider: &str, g: &Grant) -> String {
    let now = chrono::Utc::now().timestamp();
    let nonce = idp.inner.lock().unwrap().forced_nonce.take().or_else(|| g.nonce.clone());
    let mut claims = json!({
        "iss": idp.issuer(provider), "aud": CLIENT_ID, "sub": g.user.sub, "iat": now, "exp": now + 3600,
        "azp": CLIENT_ID, "nonce": nonce, "name": g.user.name,
    });
    // LinkedIn's id_token here carries no e-mail: the adapter must merge userinfo.
    if provider == "google" {
        claims["email"] = json!(g.user.email);
        claims["email_verified"] = json!(g.user.email_verified);
        claims["picture"] = json!("https://lh3.example/photo.jpg");
    }
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(KID.into());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!("fixtures/idp_rsa.pem")).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

async fn oidc_token(State(idp): State<FakeIdp>, Path(provider): Path<String>, Form(f): Form<HashMap<String, String>>) -> Response {
    let bad = |e: &str| (StatusCode::BAD_REQUEST, Json(json!({"error": e, "error_description": "Bad Request"}))).into_response();
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) || f.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "The OAuth client was not found."})),
        )
            .into_response();
    }
    if f.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return bad("unsupported_grant_type");
    }
    let g = match take_grant(
        &idp,
        &provider,
        f.get("code").map(String::as_str).unwrap_or(""),
        f.get("redirect_uri").map(String::as_str),
        f.get("code_verifier").map(String::as_str),
    ) {
        Ok(g) => g,
        Err(e) => return bad(e),
    };
    let at = new_token(&idp, &g.user);
    Json(json!({"access_token": at, "expires_in": 3599, "token_type": "Bearer", "scope": "openid email profile", "id_token": sign_id_token(&idp, &provider, &g)})).into_response()
}

async fn jwks() -> Json<serde_json::Value> {
    let n = include_str!("fixtures/idp_jwk_n.txt").trim();
    Json(json!({"keys": [{"kty": "RSA", "kid": KID, "use": "sig", "alg": "RS256", "n": n, "e": "AQAB"}]}))
}

async fn userinfo(State(idp): State<FakeIdp>, headers: HeaderMap) -> Response {
    match bearer_user(&idp, &headers) {
        Some(u) => Json(json!({"sub": u.sub, "name": u.name, "email": u.email, "email_verified": u.email_verified, "picture": "https://media.example/p.jpg", "locale": "en_US"})).into_response(),
        None => (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_token"}))).into_response(),
    }
}

fn graph_error(status: StatusCode, message: &str, code: u32) -> Response {
    (status, Json(json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf123"}})))
        .into_response()
}

async fn fb_token(State(idp): State<FakeIdp>, Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID) || q.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
        return graph_error(StatusCode::BAD_REQUEST, "Error validating client secret.", 1);
    }
    match take_grant(&idp, "facebook", q.get("code").map(String::as_str).unwrap_or(""), q.get("redirect_uri").map(String::as_str), None) {
        Ok(g) => Json(json!({"access_token": new_token(&idp, &g.user), "token_type": "bearer", "expires_in": 5183944})).into_response(),
        Err(_) => graph_error(StatusCode::BAD_REQUEST, "This authorization code has been used.", 100),
    }
}

async fn fb_me(State(idp): State<FakeIdp>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(u) = bearer_user(&idp, &headers) else {
        return graph_error(StatusCode::UNAUTHORIZED, "Invalid OAuth access token - Cannot parse access token", 190);
    };
    let fields = q.get("fields").cloned().unwrap_or_default();
    let mut v = json!({"id": u.sub, "name": u.name});
    if fields.contains("email") {
        if let Some(e) = &u.email {
            v["email"] = json!(e);
        }
    }
    if fields.contains("picture") {
        v["picture"] =
            json!({"data": {"height": 200, "is_silhouette": false, "url": "https://platform-lookaside.example/pic.jpg", "width": 200}});
    }
    Json(v).into_response()
}

async fn gh_token(State(idp): State<FakeIdp>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let json_wanted = headers.get("accept").and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("json"));
    let reply = |v: serde_json::Value| {
        if json_wanted {
            Json(v).into_response()
        } else {
            let form: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(v.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())))
                .finish();
            ([("content-type", "application/x-www-form-urlencoded")], form).into_response()
        }
    };
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) || f.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
        return reply(
            json!({"error": "incorrect_client_credentials", "error_description": "The client_id and/or client_secret passed are incorrect.", "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials"}),
        );
    }
    // GitHub answers errors with HTTP 200 and an `error` field.
    match take_grant(
        &idp,
        "github",
        f.get("code").map(String::as_str).unwrap_or(""),
        f.get("redirect_uri").map(String::as_str),
        f.get("code_verifier").map(String::as_str),
    ) {
        Ok(g) => reply(json!({"access_token": new_token(&idp, &g.user), "token_type": "bearer", "scope": "read:user,user:email"})),
        Err(_) => reply(
            json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired.", "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"}),
        ),
    }
}

fn gh_auth(idp: &FakeIdp, headers: &HeaderMap) -> Result<FakeUser, Box<Response>> {
    if headers.get("user-agent").is_none() {
        return Err(Box::new(
            (StatusCode::FORBIDDEN, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header")
                .into_response(),
        ));
    }
    bearer_user(idp, headers).ok_or_else(|| {
        Box::new(
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})),
            )
                .into_response(),
        )
    })
}

async fn gh_user(State(idp): State<FakeIdp>, headers: HeaderMap) -> Response {
    match gh_auth(&idp, &headers) {
        // A private e-mail: `/user.email` is null, the address is only in /user/emails.
        Ok(u) => Json(json!({"login": u.name.to_lowercase().replace(' ', "-"), "id": u.sub.parse::<u64>().unwrap_or(1), "name": u.name, "email": null, "avatar_url": "https://avatars.example/u/1"})).into_response(),
        Err(r) => *r,
    }
}

async fn gh_emails(State(idp): State<FakeIdp>, headers: HeaderMap) -> Response {
    match gh_auth(&idp, &headers) {
        Ok(u) => {
            let mut list = vec![
                json!({"email": format!("{}@users.noreply.github.com", u.sub), "primary": false, "verified": true, "visibility": null}),
            ];
            if let Some(e) = u.email {
                list.push(json!({"email": e, "primary": true, "verified": u.email_verified, "visibility": "private"}));
            }
            Json(list).into_response()
        }
        Err(r) => *r,
    }
}
