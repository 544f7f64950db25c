//! Regression tests for the hostile-user review of sign-in: Argon2 concurrency, rate limits
//! that hold under parallel requests, lockouts that say nothing about which e-mails exist,
//! reset links without mail, provider error text, the page cache's CSRF placeholder and CSRF
//! rotation at sign-in. Each test fails on the code before its fix.

use crate::helpers::*;
use covalynce::auth::Limit;
use serde_json::{json, Value};
use std::time::Duration;

/// A `(status, code, message, retry-after)` answer, for comparing two answers whole.
async fn answer(r: reqwest::Response) -> (u16, String, String, Option<String>) {
    let retry = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    let (s, code, msg) = error_code(r).await;
    (s, code, msg, retry)
}

async fn post_from(app: &TestApp, ip: &str, path: &str, body: Value) -> reqwest::Response {
    client().post(app.url(path)).header("x-forwarded-for", ip).json(&body).send().await.unwrap()
}

/// The `cov_csrf` cookie a response sets, if any.
fn csrf_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix("cov_csrf="))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .next_back()
}

// ------------------------------------------------------------------ 1. Argon2 and limits

#[tokio::test]
async fn argon2_beyond_the_permits_gets_503_with_retry_after_not_more_memory() {
    let app = spawn_app_with(|c| {
        c.policy.hash_concurrency = 1;
        c.policy.hash_queue_wait = Duration::from_millis(1);
    })
    .await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let (c, url) = (client(), app.url("/auth/signup"));
            tokio::spawn(async move {
                let r = c
                    .post(url)
                    .header("x-forwarded-for", format!("198.51.100.{i}"))
                    .json(&json!({"email": unique_email("flood"), "password": PASSWORD}))
                    .send()
                    .await
                    .unwrap();
                answer(r).await
            })
        })
        .collect();
    let mut created = 0;
    let mut busy = vec![];
    for t in tasks {
        let a = t.await.unwrap();
        match a.0 {
            201 => created += 1,
            503 => busy.push(a),
            other => panic!("unexpected answer {other}: {a:?}"),
        }
    }
    assert!(created >= 1, "the permit holder got through");
    let (_, code, msg, retry) = busy.first().expect("16 parallel hashes with one permit and no queue: some are refused").clone();
    assert_eq!(code, "server_busy");
    assert!(msg.contains("Try again in a few seconds"), "{msg}");
    assert_eq!(retry.as_deref(), Some("2"));
}

#[tokio::test]
async fn argon2_requests_over_the_permits_queue_briefly_instead_of_failing() {
    let app = spawn_app_with(|c| c.policy.hash_concurrency = 1).await;
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (c, url) = (client(), app.url("/auth/signup"));
            tokio::spawn(async move {
                c.post(url).json(&json!({"email": unique_email("queue"), "password": PASSWORD})).send().await.unwrap().status().as_u16()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
}

#[tokio::test]
async fn signup_is_rate_limited_per_ip_and_per_email() {
    let app = spawn_app_with(|c| {
        c.policy.limits.signup_per_ip = Limit::per_hour(2);
        c.policy.limits.signup_per_email = Limit::per_hour(2);
    })
    .await;
    let body = |email: &str| json!({"email": email, "password": PASSWORD});
    for _ in 0..2 {
        assert_eq!(post_from(&app, "203.0.113.1", "/auth/signup", body(&unique_email("ip"))).await.status(), 201);
    }
    let (s, code, msg, retry) = answer(post_from(&app, "203.0.113.1", "/auth/signup", body(&unique_email("ip"))).await).await;
    assert_eq!((s, code.as_str()), (429, "rate_limited"));
    assert!(msg.contains("Too many accounts were created from your network") && msg.contains("Try again in 60 minutes"), "{msg}");
    assert_eq!(retry.as_deref(), Some("3600"));
    // Input errors cost nothing and are not counted.
    let (s, code, _, _) =
        answer(post_from(&app, "203.0.113.2", "/auth/signup", json!({"email": unique_email("w"), "password": "short"})).await).await;
    assert_eq!((s, code.as_str()), (422, "weak_password"));
    assert_eq!(post_from(&app, "203.0.113.2", "/auth/signup", body(&unique_email("ok"))).await.status(), 201, "another IP");

    // One address, from ever new IPs: created, taken, then limited.
    let email = unique_email("same");
    assert_eq!(post_from(&app, "203.0.113.10", "/auth/signup", body(&email)).await.status(), 201);
    assert_eq!(post_from(&app, "203.0.113.11", "/auth/signup", body(&email)).await.status(), 409);
    let (s, code, _, _) = answer(post_from(&app, "203.0.113.12", "/auth/signup", body(&email)).await).await;
    assert_eq!((s, code.as_str()), (429, "rate_limited"));
}

#[tokio::test]
async fn forgot_password_is_rate_limited_per_address_the_same_for_unknown_ones_and_per_ip() {
    let app = spawn_app_with(|c| {
        c.policy.limits.forgot_per_email = Limit::per_hour(2);
        c.policy.limits.forgot_per_ip = Limit::per_hour(3);
    })
    .await;
    let known = unique_email("known");
    app.signup(&known).await;
    let unknown = unique_email("unknown");
    let mut answers = vec![];
    for email in [&known, &unknown] {
        let mut seq = vec![];
        for i in 0..3 {
            seq.push(answer(post_from(&app, &format!("192.0.2.{i}"), "/auth/forgot", json!({"email": email})).await).await.0);
        }
        answers.push(seq);
    }
    assert_eq!(answers[0], vec![202, 202, 429], "two links an hour per address");
    assert_eq!(answers[0], answers[1], "an address without an account is limited identically");
    let r = post_from(&app, "192.0.2.1", "/auth/forgot", json!({"email": known})).await;
    let (s, code, msg, retry) = answer(r).await;
    assert_eq!((s, code.as_str()), (429, "rate_limited"));
    assert!(msg.contains("Too many password-reset requests"), "{msg}");
    assert!(retry.is_some());

    // One IP asking for many addresses.
    for _ in 0..3 {
        assert_eq!(post_from(&app, "192.0.2.99", "/auth/forgot", json!({"email": unique_email("spray")})).await.status(), 202);
    }
    let (s, code, _, _) = answer(post_from(&app, "192.0.2.99", "/auth/forgot", json!({"email": unique_email("spray")})).await).await;
    assert_eq!((s, code.as_str()), (429, "rate_limited"));
}

/// A signed-in cookie client with one webhook endpoint at `url` (nothing listens there: the
/// ping fails, which is still a ping).
async fn user_with_webhook(app: &TestApp, url: &str) -> (reqwest::Client, String) {
    let c = client();
    let r = c.post(app.url("/auth/signup")).json(&json!({"email": unique_email("hook"), "password": PASSWORD})).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let r = c.post(app.url("/api/webhooks")).json(&json!({"url": url, "events": ["post.published"]})).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    (c, v["id"].as_str().unwrap().to_string())
}

async fn ping(app: &TestApp, c: &reqwest::Client, id: &str) -> (u16, String, String, Option<String>) {
    answer(c.post(app.url(&format!("/api/webhooks/{id}/test"))).header("content-type", "application/json").send().await.unwrap()).await
}

#[tokio::test]
async fn webhook_send_test_is_rate_limited_per_user_and_per_target() {
    let app = spawn_app_with(|c| {
        c.webhooks.allow_private = true;
        c.webhooks.timeout = Duration::from_secs(1);
        c.policy.limits.webhook_test_per_user = Limit::per_minute(3);
        c.policy.limits.webhook_test_per_target = Limit::per_minute(2);
    })
    .await;
    // Two accounts aiming at one receiver share its allowance.
    let victim = "http://127.0.0.1:9/victim";
    let (a, a_id) = user_with_webhook(&app, victim).await;
    let (b, b_id) = user_with_webhook(&app, victim).await;
    assert_eq!(ping(&app, &a, &a_id).await.0, 200);
    assert_eq!(ping(&app, &b, &b_id).await.0, 200);
    let (s, code, msg, retry) = ping(&app, &b, &b_id).await;
    assert_eq!((s, code.as_str()), (429, "rate_limited"), "{msg}");
    assert!(msg.contains("Too many test deliveries") && msg.contains("1 minute"), "{msg}");
    assert_eq!(retry.as_deref().and_then(|r| r.parse::<u64>().ok()).map(|r| r <= 60), Some(true));

    // One account across its own endpoints.
    let (c, first) = user_with_webhook(&app, "http://127.0.0.1:9/one").await;
    let r =
        c.post(app.url("/api/webhooks")).json(&json!({"url": "http://127.0.0.1:9/two", "events": ["post.failed"]})).send().await.unwrap();
    let second = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(ping(&app, &c, &first).await.0, 200);
    assert_eq!(ping(&app, &c, &second).await.0, 200);
    assert_eq!(ping(&app, &c, &first).await.0, 200);
    assert_eq!(ping(&app, &c, &second).await.1, "rate_limited", "the fourth ping in a minute by one user");
}

// ------------------------------------------------------------------ 2. parallel sign-ins

#[tokio::test]
async fn parallel_wrong_sign_ins_from_one_ip_are_checked_no_more_than_the_ip_limit() {
    let app = spawn_app_with(|c| c.policy.ip_max_failures = 30).await;
    let tasks: Vec<_> = (0..60)
        .map(|_| {
            let (c, url) = (client(), app.url("/auth/signin"));
            tokio::spawn(async move {
                let r = c
                    .post(url)
                    .header("x-forwarded-for", "203.0.113.66")
                    .json(&json!({"email": unique_email("spray"), "password": "guess guess 1"}))
                    .send()
                    .await
                    .unwrap();
                error_code(r).await
            })
        })
        .collect();
    let mut checked = 0;
    for t in tasks {
        let (s, code, _) = t.await.unwrap();
        match (s, code.as_str()) {
            (401, "invalid_credentials") => checked += 1,
            (429, "too_many_attempts") => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(checked, 30, "exactly the limit was evaluated");
}

#[tokio::test]
async fn parallel_guesses_on_one_account_are_checked_no_more_than_the_lockout_threshold() {
    let app = spawn_app().await;
    let email = unique_email("target");
    app.signup(&email).await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (c, url, email) = (client(), app.url("/auth/signin"), email.clone());
            tokio::spawn(async move {
                let r = c.post(url).json(&json!({"email": email, "password": format!("wrong guess {i}")})).send().await.unwrap();
                error_code(r).await
            })
        })
        .collect();
    let (mut wrong, mut locked) = (0, 0);
    for t in tasks {
        let (s, code, _) = t.await.unwrap();
        match (s, code.as_str()) {
            (401, "invalid_credentials") => wrong += 1,
            (429, "account_locked") => locked += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    // Attempts 1-4 answer 401; the 5th is checked, fails and locks; the rest are not checked.
    assert_eq!((wrong, locked), (4, 36));
    let r = client().post(app.url("/auth/signin")).json(&json!({"email": email, "password": PASSWORD})).send().await.unwrap();
    assert_eq!(error_code(r).await.1, "account_locked", "the right password waits out the lock too");
}

#[tokio::test]
async fn a_correct_password_takes_back_its_count_on_the_ip_limit() {
    let app = spawn_app_with(|c| c.policy.ip_max_failures = 2).await;
    let email = unique_email("regular");
    app.signup(&email).await;
    for _ in 0..5 {
        assert_eq!(post_from(&app, "198.51.100.200", "/auth/signin", json!({"email": email, "password": PASSWORD})).await.status(), 200);
    }
}

// ------------------------------------------------------------------ 3. lockout and existence

#[tokio::test]
async fn lockout_answers_are_identical_for_unknown_and_known_emails() {
    let app = spawn_app().await;
    let known = unique_email("known");
    app.signup(&known).await;
    let unknown = unique_email("ghost");
    let mut runs = vec![];
    for email in [&known, &unknown] {
        let mut run = vec![];
        for _ in 0..6 {
            let r =
                client().post(app.url("/auth/signin")).json(&json!({"email": email, "password": "not it at all 1"})).send().await.unwrap();
            run.push(answer(r).await);
        }
        runs.push(run);
    }
    assert_eq!(runs[0][4].1, "account_locked", "the 5th failure locks: {:?}", runs[0][4]);
    assert_eq!(runs[0], runs[1], "an address without an account is locked the same way");
}

// ------------------------------------------------------------------ 4. reset links and mail

#[tokio::test]
async fn reset_tokens_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let email = unique_email("hashed");
    app.signup(&email).await;
    assert_eq!(app.post_json("/auth/forgot", json!({"email": email})).await.status(), 202);
    let mail = app.last_mail(&email).await.unwrap();
    let token = mail.body.split("token=").nth(1).unwrap().lines().next().unwrap().trim().to_string();
    use sqlx::Row;
    let rows = sqlx::query("select token_hash, user_id from password_resets").fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(rows.len(), 1);
    let stored: String = rows[0].get("token_hash");
    assert_eq!(stored.len(), 64, "a SHA-256 hex digest");
    assert!(!stored.contains(&token) && !rows[0].get::<String, _>("user_id").contains(&token));
}

#[tokio::test]
async fn without_mail_a_reset_is_refused_with_a_clear_503_and_nothing_is_stored() {
    let app = spawn_app_with(|c| c.dev_outbox = false).await;
    let email = unique_email("nomail");
    app.signup(&email).await;
    let (s, code, msg, retry) = answer(app.post_json("/auth/forgot", json!({"email": email})).await).await;
    assert_eq!((s, code.as_str()), (503, "mail_not_configured"));
    assert_eq!(msg, "Password reset by e-mail is not configured on this server; ask your admin.");
    assert!(retry.is_some(), "503s carry Retry-After");
    assert!(app.last_mail(&email).await.is_none(), "no outbox copy");
    use sqlx::Row;
    let n: i64 = sqlx::query("select count(*) as n from password_resets").fetch_one(app.db.pool()).await.unwrap().get("n");
    assert_eq!(n, 0, "no reset started");

    // The no-JavaScript form says the same on the page.
    let c = client();
    let html = c.get(app.url("/forgot")).send().await.unwrap().text().await.unwrap();
    let csrf = extract_csrf(&html).unwrap();
    let r = c.post(app.url("/forgot")).form(&[("csrf", csrf.as_str()), ("email", email.as_str())]).send().await.unwrap();
    assert_eq!(location(&r), "/forgot");
    let page = c.get(app.url("/forgot")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("not configured on this server; ask your admin"));
}

#[tokio::test]
async fn health_reports_how_mail_is_sent() {
    let outbox = spawn_app().await;
    let off = spawn_app_with(|c| c.dev_outbox = false).await;
    let smtp = spawn_app_with(|c| c.smtp_url = Some("smtp://127.0.0.1:2525".into())).await;
    for (app, want) in [(&outbox, "outbox"), (&off, "off"), (&smtp, "smtp")] {
        let v: Value = app.client.get(app.url("/health")).send().await.unwrap().json().await.unwrap();
        assert_eq!(v["mail"], want);
    }
}

#[tokio::test]
async fn the_dev_outbox_is_off_by_default_and_on_in_demo_mode() {
    // Only MAIL_OUTBOX=1 turns it on outside demo mode; the test runner never sets it.
    if std::env::var("MAIL_OUTBOX").is_ok() {
        return;
    }
    let config = server::config::Config::from_env().unwrap();
    assert!(!config.dev_outbox, "production without SMTP_URL keeps no reset links");
    assert!(config.into_demo().dev_outbox);
}

// ------------------------------------------------------------------ 5. provider error text

#[tokio::test]
async fn provider_error_text_never_reaches_the_sign_in_page() {
    let app = spawn_app().await;
    let bait = "Your+account+is+suspended.+Call+1-555-0100+now";
    let r = app.client.get(app.url(&format!("/auth/google/callback?error=server_error&error_description={bait}"))).send().await.unwrap();
    assert_eq!(location(&r), "/login");
    let page = app.client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("suspended") && !page.contains("1-555-0100"), "attacker text is not shown");
    assert!(page.contains("Sign-in with Google did not complete. Please try again"));

    app.client.get(app.url(&format!("/auth/github/callback?error=access_denied&error_description={bait}"))).send().await.unwrap();
    let page = app.client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("suspended"));
    assert!(page.contains("You cancelled sign-in with GitHub."));
}

// ------------------------------------------------------------------ 6. page cache placeholder

#[tokio::test]
async fn cached_sign_in_page_never_pastes_the_csrf_token_into_query_text() {
    let app = spawn_app().await;
    // The old fixed placeholder, and something shaped like the new one.
    for bait in ["__COVALYNCE_CSRF_PLACEHOLDER__", "__csrf_x__"] {
        // The first visitor fills the cache, the second is served from it.
        for visitor in [client(), client()] {
            let html = visitor.get(app.url(&format!("/login?next={bait}"))).send().await.unwrap().text().await.unwrap();
            let token = extract_csrf(&html).unwrap();
            assert!(html.contains(&format!("name=\"next\" value=\"{bait}\"")), "the query text is echoed as sent");
            assert_eq!(html.matches(&token).count(), 2, "the token is only in the form field and the hydration data");
        }
    }
}

// ------------------------------------------------------------------ 7. CSRF rotation

/// A fresh browser's CSRF token (from a page), as cookie and form field.
async fn browser(app: &TestApp) -> (reqwest::Client, String) {
    let c = client();
    let html = c.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    (c, extract_csrf(&html).unwrap())
}

/// `old` no longer passes the CSRF check in `c`, and the page's new token does.
async fn assert_rotated(app: &TestApp, c: &reqwest::Client, old: &str, new: Option<String>) {
    let new = new.expect("a sign-in sets a new cov_csrf cookie");
    assert_ne!(new, old);
    let r = c.post(app.url("/sfn/update_profile")).form(&[("csrf", old), ("name", "Mallory"), ("timezone", "UTC")]).send().await.unwrap();
    assert_eq!(r.status(), 403, "the pre-sign-in token is dead");
    let html = c.get(app.url("/forgot")).send().await.unwrap().text().await.unwrap();
    assert_eq!(extract_csrf(&html).as_deref(), Some(new.as_str()));
    let r = c
        .post(app.url("/sfn/update_profile"))
        .header("accept", "application/json")
        .form(&[("csrf", new.as_str()), ("name", "Ada"), ("timezone", "UTC")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the new one works");
}

#[tokio::test]
async fn signing_in_with_the_forms_rotates_the_csrf_token() {
    let app = spawn_app().await;
    let email = unique_email("formrot");
    let (c, old) = browser(&app).await;
    let r = c
        .post(app.url("/signup"))
        .form(&[("csrf", old.as_str()), ("email", email.as_str()), ("password", PASSWORD), ("timezone", "UTC")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/dashboard");
    let new = csrf_cookie(&r);
    assert_rotated(&app, &c, &old, new).await;

    let (c, old) = browser(&app).await;
    let r =
        c.post(app.url("/login")).form(&[("csrf", old.as_str()), ("email", email.as_str()), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(location(&r), "/dashboard");
    let new = csrf_cookie(&r);
    assert_rotated(&app, &c, &old, new).await;
}

#[tokio::test]
async fn signing_in_through_the_json_api_rotates_the_csrf_token() {
    let app = spawn_app().await;
    let email = unique_email("apirot");
    let (c, old) = browser(&app).await;
    let r = c.post(app.url("/auth/signup")).json(&json!({"email": email, "password": PASSWORD})).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let new = csrf_cookie(&r);
    assert_rotated(&app, &c, &old, new).await;

    let (c, old) = browser(&app).await;
    let r = c.post(app.url("/auth/signin")).json(&json!({"email": email, "password": PASSWORD})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let new = csrf_cookie(&r);
    assert_rotated(&app, &c, &old, new).await;

    // A refresh is not a sign-in: open tabs keep working.
    let r = c.post(app.url("/auth/refresh")).header("content-type", "application/json").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(csrf_cookie(&r), None);
}

#[tokio::test]
async fn signing_in_with_a_provider_rotates_the_csrf_token() {
    let (app, idp) = crate::oauth::app_with_idp().await;
    idp.set_user("google", crate::oauth::person(Some(&unique_email("g")), true));
    let html = app.client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let old = extract_csrf(&html).unwrap();
    let r = crate::oauth::browser_flow(&app, "google", |u| u).await;
    assert_eq!(location(&r), "/dashboard");
    let new = csrf_cookie(&r);
    assert_rotated(&app, &app.client, &old, new).await;
}
