//! Sign-in with Google, LinkedIn (OIDC discovery), Facebook and GitHub against the local fake
//! providers: the browser redirect flow with state + PKCE, linking rules, and the JSON
//! callback for API clients.

use crate::fake_idp::{FakeIdp, FakeUser, CLIENT_ID, CLIENT_SECRET};
use crate::helpers::*;
use covalynce::oauth_login::{Endpoints, ProviderConfig};
use covalynce::LoginProvider;
use serde_json::json;

const ALL: [&str; 4] = ["google", "linkedin", "facebook", "github"];

pub async fn app_with_idp() -> (TestApp, FakeIdp) {
    let idp = FakeIdp::start().await;
    let base = idp.base.clone();
    let app = spawn_app_with(move |c| {
        c.login_providers = LoginProvider::ALL
            .into_iter()
            .map(|p| ProviderConfig {
                provider: p,
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
                redirect_uri: format!("{}/auth/{}/callback", c.base_url, p.as_str()),
                endpoints: match p {
                    LoginProvider::Google => Endpoints::Oidc { issuer: format!("{base}/google") },
                    LoginProvider::Linkedin => Endpoints::Oidc { issuer: format!("{base}/linkedin/oauth") },
                    LoginProvider::Facebook => {
                        Endpoints::Facebook { dialog_base: format!("{base}/fb"), graph_base: format!("{base}/fb"), version: "v21.0".into() }
                    }
                    LoginProvider::Github => Endpoints::Github { auth_base: format!("{base}/gh"), api_base: format!("{base}/ghapi") },
                },
            })
            .collect();
    })
    .await;
    (app, idp)
}

pub fn person(email: Option<&str>, verified: bool) -> FakeUser {
    FakeUser {
        sub: format!("{}", rand::random::<u32>()),
        email: email.map(str::to_string),
        email_verified: verified,
        name: "Katherine Johnson".into(),
    }
}

/// Plays the browser: our start URL → provider authorize (auto-consent) → our callback.
/// `tamper` may rewrite the callback URL. Returns our callback's response.
pub async fn browser_flow(app: &TestApp, provider: &str, tamper: impl Fn(String) -> String) -> reqwest::Response {
    let r = app.client.get(app.url(&format!("/auth/{provider}/start"))).send().await.unwrap();
    assert_eq!(r.status(), 303, "{provider} start redirects to the provider");
    let authorize = location(&r);
    let q: std::collections::HashMap<String, String> = url::Url::parse(&authorize).unwrap().query_pairs().into_owned().collect();
    assert!(q.get("state").is_some_and(|s| s.len() >= 16), "{provider}: state is sent");
    assert_eq!(q.get("client_id").map(String::as_str), Some(CLIENT_ID));
    if provider != "facebook" {
        assert_eq!(q.get("code_challenge_method").map(String::as_str), Some("S256"), "{provider}: PKCE S256");
    }
    let r = app.client.get(&authorize).send().await.unwrap();
    assert_eq!(r.status(), 303, "{provider}: fake consent redirects back: {}", r.text().await.unwrap_or_default());
    let callback = tamper(location(&r));
    app.client.get(callback).send().await.unwrap()
}

async fn flash_text(app: &TestApp) -> String {
    app.client.get(app.url("/login")).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn each_provider_signs_in_a_new_person() {
    let (app, idp) = app_with_idp().await;
    for p in ALL {
        let email = unique_email(p);
        idp.set_user(p, person(Some(&email), true));
        let r = browser_flow(&app, p, |u| u).await;
        assert_eq!(location(&r), "/dashboard", "{p}: signed in");
        let me: serde_json::Value = app.client.get(app.url("/auth/me")).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["email"], email, "{p}: the provider's verified e-mail is the account e-mail");
        assert_eq!(me["name"], "Katherine Johnson");
        assert_eq!(me["has_password"], false);
        // Signing in again with the same identity lands on the same account.
        app.client.post(app.url("/auth/logout")).json(&json!({})).send().await.unwrap();
        let again = browser_flow(&app, p, |u| u).await;
        assert_eq!(location(&again), "/dashboard");
        let me2: serde_json::Value = app.client.get(app.url("/auth/me")).send().await.unwrap().json().await.unwrap();
        assert_eq!(me2["id"], me["id"], "{p}: same user the second time");
        app.client.post(app.url("/auth/logout")).json(&json!({})).send().await.unwrap();
    }
}

#[tokio::test]
async fn a_tampered_state_is_rejected_for_every_provider() {
    let (app, idp) = app_with_idp().await;
    for p in ALL {
        idp.set_user(p, person(Some(&unique_email(p)), true));
        let r = browser_flow(&app, p, |u| u.replace("state=", "state=evil")).await;
        assert_eq!(location(&r), "/login", "{p}");
        assert!(flash_text(&app).await.contains("did not match this browser"), "{p}: the reason is shown");
        assert_eq!(app.client.get(app.url("/auth/me")).send().await.unwrap().status(), 401, "{p}: no session");
    }
}

#[tokio::test]
async fn a_callback_without_the_pending_cookie_is_rejected() {
    let (app, idp) = app_with_idp().await;
    idp.set_user("google", person(Some(&unique_email("g")), true));
    let r = app.client.get(app.url("/auth/google/start")).send().await.unwrap();
    let r = app.client.get(location(&r)).send().await.unwrap();
    // Replay the callback from a different browser (no pending-login cookie).
    let other = client();
    let r = other.get(location(&r)).send().await.unwrap();
    assert_eq!(location(&r), "/login");
    assert_eq!(other.get(app.url("/auth/me")).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn oidc_id_token_with_the_wrong_nonce_is_rejected() {
    let (app, idp) = app_with_idp().await;
    idp.set_user("google", person(Some(&unique_email("nonce")), true));
    idp.force_nonce("someone-elses-nonce");
    let r = browser_flow(&app, "google", |u| u).await;
    assert_eq!(location(&r), "/login");
    assert!(flash_text(&app).await.contains("nonce does not match"));
}

#[tokio::test]
async fn verified_email_links_to_the_existing_account() {
    let (app, idp) = app_with_idp().await;
    for p in ["google", "github"] {
        let email = unique_email(&format!("link-{p}"));
        let created = app.signup(&email).await;
        app.client.post(app.url("/auth/logout")).json(&json!({})).send().await.unwrap();
        idp.set_user(p, person(Some(&email), true));
        let r = browser_flow(&app, p, |u| u).await;
        assert_eq!(location(&r), "/dashboard");
        let me: serde_json::Value = app.client.get(app.url("/auth/me")).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["id"], created["user"]["id"], "{p}: linked to the password account");
        // Nobody had proven owning the address, so the password set at sign-up (possibly by
        // someone else) is dropped once the provider proves it.
        assert_eq!(me["has_password"], false);
        app.client.post(app.url("/auth/logout")).json(&json!({})).send().await.unwrap();
    }
}

#[tokio::test]
async fn unverified_email_never_links() {
    let (app, idp) = app_with_idp().await;
    for p in ["google", "linkedin"] {
        let email = unique_email(&format!("unv-{p}"));
        app.signup(&email).await;
        app.client.post(app.url("/auth/logout")).json(&json!({})).send().await.unwrap();
        idp.set_user(p, person(Some(&email), false));
        let r = browser_flow(&app, p, |u| u).await;
        assert_eq!(location(&r), "/login", "{p}");
        assert!(flash_text(&app).await.contains("has not verified the address"), "{p}");
        assert_eq!(app.client.get(app.url("/auth/me")).send().await.unwrap().status(), 401);
    }
}

#[tokio::test]
async fn github_ignores_an_unverified_primary_email() {
    let (app, idp) = app_with_idp().await;
    let email = unique_email("unv-gh");
    let existing = app.signup(&email).await;
    app.client.post(app.url("/auth/logout")).json(&json!({})).send().await.unwrap();
    idp.set_user("github", person(Some(&email), false));
    let r = browser_flow(&app, "github", |u| u).await;
    assert_eq!(location(&r), "/dashboard");
    let me: serde_json::Value = app.client.get(app.url("/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_ne!(me["id"], existing["user"]["id"], "not linked to the account that owns the address");
    assert!(me["email"].is_null(), "an unverified address is not taken over");
}

#[tokio::test]
async fn facebook_without_email_creates_an_account_without_one() {
    let (app, idp) = app_with_idp().await;
    idp.set_user("facebook", person(None, false));
    let r = browser_flow(&app, "facebook", |u| u).await;
    assert_eq!(location(&r), "/dashboard");
    let me: serde_json::Value = app.client.get(app.url("/auth/me")).send().await.unwrap().json().await.unwrap();
    assert!(me["email"].is_null());
}

#[tokio::test]
async fn api_clients_post_the_code_and_get_tokens() {
    let (app, idp) = app_with_idp().await;
    for p in ALL {
        let email = unique_email(&format!("api-{p}"));
        idp.set_user(p, person(Some(&email), true));
        let code = idp.issue_code(p, &app.url(&format!("/auth/{p}/callback")));
        let r = reqwest::Client::new().post(app.url(&format!("/auth/{p}/callback"))).json(&json!({"code": code})).send().await.unwrap();
        assert_eq!(r.status(), 201, "{p}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["user"]["email"], email);
        assert_eq!(body["created"], true);
        assert!(body["access_token"].as_str().unwrap().len() > 20);
        // A used code is refused with the provider's reason, as JSON.
        let (s, err, msg) = error_code(
            reqwest::Client::new().post(app.url(&format!("/auth/{p}/callback"))).json(&json!({"code": code})).send().await.unwrap(),
        )
        .await;
        assert_eq!((s, err.as_str()), (502, "provider_error"), "{p}");
        let expected = match p {
            "github" => "incorrect or expired",
            "facebook" => "authorization code has been used",
            _ => "invalid_grant",
        };
        assert!(msg.contains(expected), "{p}: {msg}");
    }
}

#[tokio::test]
async fn unknown_or_unconfigured_providers_get_clear_answers() {
    let app = spawn_app().await;
    let (s, code, _) = error_code(app.client.get(app.url("/auth/myspace/start")).send().await.unwrap()).await;
    assert_eq!((s, code.as_str()), (404, "unknown_provider"));
    let r = app.client.get(app.url("/auth/google/start")).send().await.unwrap();
    assert_eq!(location(&r), "/login");
    assert!(flash_text(&app).await.contains("not set up on this server"));
}
