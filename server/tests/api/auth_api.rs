//! The JSON auth API (seed 000): sign-up, sign-in, lockout, per-IP limit, refresh rotation,
//! logout, sessions, password reset.

use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn signup_returns_tokens_and_sets_session_cookies() {
    let app = spawn_app().await;
    let email = unique_email("ada");
    let r = app.post_json("/auth/signup", json!({"email": email.to_uppercase(), "password": PASSWORD, "name": "Ada"})).await;
    assert_eq!(r.status(), 201);
    let cookies: Vec<String> = r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("cov_at=") && c.contains("HttpOnly") && c.contains("SameSite=Lax")));
    assert!(cookies.iter().any(|c| c.starts_with("cov_rt=") && c.contains("HttpOnly")));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["user"]["email"], email, "e-mail is normalised to lower case");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() <= 15 * 60, "access tokens are short-lived");
    // The cookie session works for /auth/me, and so does the bearer token.
    let me: serde_json::Value = app.client.get(app.url("/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["email"], email);
    let bearer = reqwest::Client::new().get(app.url("/auth/me")).bearer_auth(body["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(bearer.status(), 200);
    assert!(me.get("password_hash").is_none());
}

#[tokio::test]
async fn signup_errors_are_clear_json() {
    let app = spawn_app().await;
    let email = unique_email("dup");
    app.signup(&email).await;
    let (s, code, msg) = error_code(app.post_json("/auth/signup", json!({"email": email, "password": PASSWORD})).await).await;
    assert_eq!((s, code.as_str()), (409, "email_taken"));
    assert!(msg.contains("already exists"));

    let (s, code, _) = error_code(app.post_json("/auth/signup", json!({"email": "not-an-email", "password": PASSWORD})).await).await;
    assert_eq!((s, code.as_str()), (422, "invalid_email"));

    let (s, code, msg) = error_code(app.post_json("/auth/signup", json!({"email": unique_email("w"), "password": "short"})).await).await;
    assert_eq!((s, code.as_str()), (422, "weak_password"));
    assert!(msg.contains("at least 10 characters"), "{msg}");

    let (s, code, _) =
        error_code(app.client.post(app.url("/auth/signup")).header("content-type", "application/json").body("{oops").send().await.unwrap())
            .await;
    assert_eq!((s, code.as_str()), (400, "malformed_json"));

    let (s, code, _) = error_code(app.post_json("/auth/signup", json!({"email": unique_email("m")})).await).await;
    assert_eq!((s, code.as_str()), (422, "invalid_body"));
}

#[tokio::test]
async fn signin_wrong_password_and_unknown_email_look_the_same() {
    let app = spawn_app().await;
    let email = unique_email("si");
    app.signup(&email).await;
    let c = client();
    let ok = c.post(app.url("/auth/signin")).json(&json!({"email": email, "password": PASSWORD})).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let wrong =
        error_code(c.post(app.url("/auth/signin")).json(&json!({"email": email, "password": "wrong password 1"})).send().await.unwrap())
            .await;
    let unknown = error_code(
        c.post(app.url("/auth/signin"))
            .json(&json!({"email": unique_email("nobody"), "password": "wrong password 1"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong, unknown, "no difference reveals which e-mails have accounts");
}

#[tokio::test]
async fn five_failures_lock_the_account_with_backoff() {
    let app = spawn_app().await;
    let email = unique_email("lock");
    app.signup(&email).await;
    let c = client();
    for i in 1..=4 {
        let (s, code, _) =
            error_code(c.post(app.url("/auth/signin")).json(&json!({"email": email, "password": "bad password 1"})).send().await.unwrap())
                .await;
        assert_eq!((s, code.as_str()), (401, "invalid_credentials"), "attempt {i}");
    }
    let r = c.post(app.url("/auth/signin")).json(&json!({"email": email, "password": "bad password 1"})).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"].to_str().unwrap(), "60");
    let (_, code, msg) = error_code(r).await;
    assert_eq!(code, "account_locked");
    assert!(msg.contains("locked for 1 minute"), "{msg}");
    // Even the right password waits out the lock.
    let (s, code, _) =
        error_code(c.post(app.url("/auth/signin")).json(&json!({"email": email, "password": PASSWORD})).send().await.unwrap()).await;
    assert_eq!((s, code.as_str()), (429, "account_locked"));
}

#[tokio::test]
async fn lock_expires_and_backoff_doubles() {
    let app = spawn_app_with(|c| c.policy.lockout_base = Duration::from_millis(300)).await;
    let email = unique_email("backoff");
    app.signup(&email).await;
    let c = client();
    let attempt = |pw: &'static str| {
        let c = c.clone();
        let (url, email) = (app.url("/auth/signin"), email.clone());
        async move { c.post(url).json(&json!({"email": email, "password": pw})).send().await.unwrap().status().as_u16() }
    };
    for _ in 0..4 {
        assert_eq!(attempt("bad password 1").await, 401);
    }
    assert_eq!(attempt("bad password 1").await, 429);
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Next failure locks for twice as long.
    assert_eq!(attempt("bad password 1").await, 429);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(attempt(PASSWORD).await, 429, "second lock is 600 ms, not 300");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(attempt(PASSWORD).await, 200);
    // Success resets the counter.
    assert_eq!(attempt("bad password 1").await, 401);
}

#[tokio::test]
async fn per_ip_limit_throttles_spraying_across_accounts() {
    let app = spawn_app_with(|c| c.policy.ip_max_failures = 3).await;
    let from = |ip: &'static str, email: String| {
        let c = client();
        let url = app.url("/auth/signin");
        async move {
            error_code(
                c.post(url).header("x-forwarded-for", ip).json(&json!({"email": email, "password": "guess guess 1"})).send().await.unwrap(),
            )
            .await
        }
    };
    for _ in 0..3 {
        assert_eq!(from("203.0.113.7", unique_email("spray")).await.0, 401);
    }
    let (s, code, msg) = from("203.0.113.7", unique_email("spray")).await;
    assert_eq!((s, code.as_str()), (429, "too_many_attempts"));
    assert!(msg.contains("your network"));
    assert_eq!(from("198.51.100.1", unique_email("other")).await.0, 401, "another address is not affected");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = spawn_app().await;
    let body = app.signup(&unique_email("rot")).await;
    let rt1 = body["refresh_token"].as_str().unwrap().to_string();
    let api = reqwest::Client::new();
    let r = api.post(app.url("/auth/refresh")).json(&json!({"refresh_token": rt1})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let b2: serde_json::Value = r.json().await.unwrap();
    let rt2 = b2["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt1, rt2);
    // The spent token comes back: theft. The whole session dies, including the new token.
    let (s, code, _) = error_code(api.post(app.url("/auth/refresh")).json(&json!({"refresh_token": rt1})).send().await.unwrap()).await;
    assert_eq!((s, code.as_str()), (401, "unauthenticated"));
    assert_eq!(api.post(app.url("/auth/refresh")).json(&json!({"refresh_token": rt2})).send().await.unwrap().status(), 401);
    let at2 = b2["access_token"].as_str().unwrap();
    assert_eq!(api.get(app.url("/auth/me")).bearer_auth(at2).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn refresh_tokens_are_stored_hashed() {
    let app = spawn_app().await;
    let body = app.signup(&unique_email("hash")).await;
    let rt = body["refresh_token"].as_str().unwrap();
    use sqlx::Row;
    let rows = sqlx::query("select token_hash from refresh_tokens").fetch_all(app.db.pool()).await.unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let h: String = r.get("token_hash");
        assert_ne!(h, rt);
        assert_eq!(h.len(), 64);
    }
    let pw: String = sqlx::query("select password_hash from users").fetch_one(app.db.pool()).await.unwrap().get(0);
    assert!(pw.starts_with("$argon2id$"), "{pw}");
}

#[tokio::test]
async fn expired_access_cookie_is_renewed_from_the_refresh_cookie() {
    let app = spawn_app_with(|c| c.policy.access_ttl = Duration::from_secs(1)).await;
    app.signup(&unique_email("renew")).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = app.client.get(app.url("/auth/me")).send().await.unwrap();
    assert_eq!(r.status(), 200, "the middleware rotated the refresh cookie transparently");
    assert!(r.headers().get_all("set-cookie").iter().any(|v| v.to_str().unwrap().starts_with("cov_rt=")));
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = spawn_app().await;
    let body = app.signup(&unique_email("out")).await;
    let at = body["access_token"].as_str().unwrap().to_string();
    let r = reqwest::Client::new().post(app.url("/auth/logout")).bearer_auth(&at).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let (s, code, _) = error_code(reqwest::Client::new().get(app.url("/auth/me")).bearer_auth(&at).send().await.unwrap()).await;
    assert_eq!((s, code.as_str()), (401, "unauthenticated"));
}

#[tokio::test]
async fn log_out_everywhere_and_sessions_list() {
    let app = spawn_app().await;
    let email = unique_email("every");
    app.signup(&email).await;
    let laptop = client();
    let r = laptop.post(app.url("/auth/signin")).json(&json!({"email": email, "password": PASSWORD})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let list: serde_json::Value = app.client.get(app.url("/auth/sessions")).send().await.unwrap().json().await.unwrap();
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);

    // Another user cannot end these sessions: their ids are unknown to them.
    let other = spawn_other(&app).await;
    let victim_sid = sessions[0]["id"].as_str().unwrap();
    let r = other.delete(app.url(&format!("/auth/sessions/{victim_sid}"))).header("x-csrf-token", "x").send().await.unwrap();
    assert_eq!(r.status(), 403, "cookie-authenticated DELETE needs the CSRF token");
    let at: String = other_token(&app).await;
    let r = reqwest::Client::new().delete(app.url(&format!("/auth/sessions/{victim_sid}"))).bearer_auth(&at).send().await.unwrap();
    assert_eq!(r.status(), 404);

    let r: serde_json::Value = app.client.post(app.url("/auth/logout-all")).json(&json!({})).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["revoked_sessions"], 2);
    assert_eq!(laptop.get(app.url("/auth/me")).send().await.unwrap().status(), 401);
    assert_eq!(app.client.get(app.url("/auth/me")).send().await.unwrap().status(), 401);
}

async fn spawn_other(app: &TestApp) -> reqwest::Client {
    let c = client();
    c.post(app.url("/auth/signup")).json(&json!({"email": unique_email("mallory"), "password": PASSWORD})).send().await.unwrap();
    c
}

async fn other_token(app: &TestApp) -> String {
    let r: serde_json::Value = client()
        .post(app.url("/auth/signup"))
        .json(&json!({"email": unique_email("eve"), "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn password_reset_by_one_time_link() {
    let app = spawn_app().await;
    let email = unique_email("reset");
    app.signup(&email).await;
    let r = app.post_json("/auth/forgot", json!({"email": email})).await;
    assert_eq!(r.status(), 202);
    let mail = app.last_mail(&email).await.expect("reset e-mail in the outbox");
    assert!(mail.subject.contains("Reset"));
    let link = mail.body.lines().find(|l| l.contains("/reset?token=")).unwrap();
    assert!(link.starts_with(&app.addr), "the link points at this server: {link}");
    let token = link.split("token=").nth(1).unwrap().trim();

    let (s, code, _) = error_code(app.post_json("/auth/reset", json!({"token": token, "password": "weak"})).await).await;
    assert_eq!((s, code.as_str()), (422, "weak_password"));
    let new_pw = "a brand new passphrase 2";
    assert_eq!(app.post_json("/auth/reset", json!({"token": token, "password": new_pw})).await.status(), 200);
    // Every old session is gone; the old password no longer works, the new one does.
    assert_eq!(app.client.get(app.url("/auth/me")).send().await.unwrap().status(), 401);
    assert_eq!(
        client().post(app.url("/auth/signin")).json(&json!({"email": email, "password": PASSWORD})).send().await.unwrap().status(),
        401
    );
    assert_eq!(
        client().post(app.url("/auth/signin")).json(&json!({"email": email, "password": new_pw})).send().await.unwrap().status(),
        200
    );
    // One use only.
    let (s, code, _) = error_code(app.post_json("/auth/reset", json!({"token": token, "password": "yet another phrase 3"})).await).await;
    assert_eq!((s, code.as_str()), (400, "invalid_reset_token"));
}

#[tokio::test]
async fn reset_links_expire_and_unknown_emails_get_no_mail() {
    let app = spawn_app_with(|c| c.policy.reset_ttl = Duration::from_millis(200)).await;
    let email = unique_email("exp");
    app.signup(&email).await;
    let nobody = unique_email("nobody");
    assert_eq!(app.post_json("/auth/forgot", json!({"email": nobody})).await.status(), 202, "same answer for unknown addresses");
    assert!(app.last_mail(&nobody).await.is_none());
    app.post_json("/auth/forgot", json!({"email": email})).await;
    let mail = app.last_mail(&email).await.unwrap();
    let token = mail.body.split("token=").nth(1).unwrap().lines().next().unwrap().trim().to_string();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (s, code, _) =
        error_code(app.post_json("/auth/reset", json!({"token": token, "password": "a brand new passphrase 2"})).await).await;
    assert_eq!((s, code.as_str()), (400, "invalid_reset_token"));
}

#[tokio::test]
async fn health_reports_the_database() {
    let app = spawn_app().await;
    let v: serde_json::Value = app.client.get(app.url("/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["database"], "ok");
}

#[tokio::test]
async fn every_response_names_its_request_so_a_report_can_be_found_in_the_log() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    let id = r.headers().get("x-request-id").expect("an id on every response").to_str().unwrap().to_string();
    assert_eq!(uuid::Uuid::parse_str(&id).map(|u| u.get_version_num()), Ok(4), "a fresh random id: {id}");
    let r2 = app.client.get(app.url("/login")).send().await.unwrap();
    assert_ne!(r2.headers()["x-request-id"].to_str().unwrap(), id, "one id per request");
    // A proxy's id is kept, so one request can be followed through both logs.
    let r3 = app.client.get(app.url("/health")).header("x-request-id", "proxy-abc-123").send().await.unwrap();
    assert_eq!(r3.headers()["x-request-id"], "proxy-abc-123");
}
