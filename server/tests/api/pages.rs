//! Server-rendered pages and the no-JavaScript form flows, CSRF on forms and server
//! functions, page gating.

use crate::helpers::*;

async fn form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client.post(app.url(path)).form(fields).send().await.unwrap()
}

#[tokio::test]
async fn login_page_is_seo_ready_and_carries_csrf() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>Sign in · Covalynce</title>"));
    assert!(html.contains(r#"<meta name="description" content="Sign in to Covalynce"#));
    assert!(html.contains(r#"property="og:title""#));
    assert!(html.contains(r#"<form method="post" action="/login""#), "a plain form that works without JavaScript");
    assert!(extract_csrf(&html).unwrap().len() >= 32);
    let signup = app.client.get(app.url("/signup")).send().await.unwrap().text().await.unwrap();
    assert!(signup.contains("At least 10 characters"), "password rules are listed even before hydration");
}

#[tokio::test]
async fn app_pages_need_a_session() {
    let app = spawn_app().await;
    for p in ["/dashboard", "/sources", "/editor", "/library", "/calendar", "/queue", "/settings"] {
        let r = app.client.get(app.url(p)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{p}");
        assert_eq!(location(&r), format!("/login?next=%2F{}", &p[1..]));
    }
    assert_eq!(location(&app.client.get(app.url("/")).send().await.unwrap()), "/login");
}

#[tokio::test]
async fn no_js_signup_login_wrong_password_and_lockout() {
    let app = spawn_app().await;
    let email = unique_email("nojs");
    let csrf = app.csrf().await;
    let r = form(
        &app,
        "/signup",
        &[("csrf", &csrf), ("name", "Grace Hopper"), ("email", &email), ("password", PASSWORD), ("timezone", "Europe/Berlin")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/dashboard");
    let dash = app.client.get(app.url("/dashboard")).send().await.unwrap().text().await.unwrap();
    assert!(dash.contains("Welcome, Grace"), "dashboard greets the new user");
    let me: serde_json::Value = app.client.get(app.url("/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["timezone"], "Europe/Berlin");

    // Signing in rotates the CSRF token: forms use the one on the new page.
    let csrf = app.csrf().await;
    let r = form(&app, "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(location(&r), "/login");
    assert_eq!(app.client.get(app.url("/dashboard")).send().await.unwrap().status(), 303);

    // Wrong password: back to the form with the message, e-mail kept.
    let r = form(&app, "/login", &[("csrf", &csrf), ("email", &email), ("password", "not my password 1")]).await;
    assert_eq!(location(&r), "/login");
    let page = app.client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("That e-mail and password do not match"));
    assert!(page.contains(&format!("value=\"{email}\"")));
    // Shown once.
    let again = app.client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(!again.contains("do not match"));

    for _ in 0..4 {
        form(&app, "/login", &[("csrf", &csrf), ("email", &email), ("password", "not my password 1")]).await;
    }
    let page = app.client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Too many failed attempts"), "lockout is explained");

    // next= survives a successful sign-in, but only to local paths.
    let other = unique_email("next");
    app.signup(&other).await;
    form(&app, "/logout", &[("csrf", &app.csrf().await)]).await;
    let csrf = app.csrf().await;
    let r = form(&app, "/login", &[("csrf", &csrf), ("email", &other), ("password", PASSWORD), ("next", "/settings")]).await;
    assert_eq!(location(&r), "/settings");
    form(&app, "/logout", &[("csrf", &app.csrf().await)]).await;
    let csrf = app.csrf().await;
    let r = form(&app, "/login", &[("csrf", &csrf), ("email", &other), ("password", PASSWORD), ("next", "//evil.example")]).await;
    assert_eq!(location(&r), "/dashboard");
    // Browsers drop tabs from URLs: "/\t/evil.example" would become "//evil.example".
    form(&app, "/logout", &[("csrf", &app.csrf().await)]).await;
    let csrf = app.csrf().await;
    let r = form(&app, "/login", &[("csrf", &csrf), ("email", &other), ("password", PASSWORD), ("next", "/\t/evil.example")]).await;
    assert_eq!(location(&r), "/dashboard");
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    let email = unique_email("csrf");
    app.signup(&email).await;
    let _ = app.csrf().await;
    let r = form(&app, "/login", &[("email", &email), ("password", PASSWORD)]).await;
    assert_eq!(r.status(), 403);
    let r = form(&app, "/login", &[("csrf", "forged-forged-forged-forged-forged-forged"), ("email", &email), ("password", PASSWORD)]).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Reload the page"));
    // Server functions too.
    let r = form(&app, "/sfn/update_profile", &[("name", "Mallory"), ("timezone", "UTC")]).await;
    assert_eq!(r.status(), 403);
    let me: serde_json::Value = app.client.get(app.url("/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["name"], "Ada Lovelace", "nothing changed");
}

#[tokio::test]
async fn settings_server_functions_update_profile_and_list_sessions() {
    let app = spawn_app().await;
    app.signup(&unique_email("sfn")).await;
    let csrf = app.csrf().await;
    let r = app
        .client
        .post(app.url("/sfn/update_profile"))
        .header("accept", "application/json")
        .form(&[("csrf", csrf.as_str()), ("name", "Ada King"), ("timezone", "America/New_York")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: serde_json::Value = app.client.get(app.url("/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!((me["name"].as_str(), me["timezone"].as_str()), (Some("Ada King"), Some("America/New_York")));

    let r = app
        .client
        .post(app.url("/sfn/update_profile"))
        .header("accept", "application/json")
        .form(&[("csrf", csrf.as_str()), ("name", "Ada"), ("timezone", "Mars/Olympus")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("not a time zone we know"));

    let settings = app.client.get(app.url("/settings")).send().await.unwrap().text().await.unwrap();
    assert!(settings.contains("Ada King") && settings.contains("Log out everywhere"));

    // Signed out, server functions answer 401, not data.
    let stranger = client();
    let r = stranger.get(app.url("/sfn/list_sessions")).header("accept", "application/json").send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn cached_sign_in_pages_still_carry_each_visitors_own_token() {
    let app = spawn_app().await;
    let (a, b) = (client(), client());
    let mut tokens = vec![];
    for c in [&a, &b] {
        let r = c.get(app.url("/login")).send().await.unwrap();
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("cov_csrf="))
            .map(|v| v.split(';').next().unwrap().to_string())
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(!html.contains("PLACEHOLDER"));
        assert_eq!(extract_csrf(&html).unwrap(), cookie, "the form's token is this visitor's cookie");
        assert!(html.contains(&format!("\\\"csrf\\\":\\\"{cookie}\\\"")), "and so is the hydration data");
        tokens.push(cookie);
    }
    assert_ne!(tokens[0], tokens[1]);
    assert!(app.state.page_cache.read().unwrap().contains_key("/login"), "the second visitor was served from the cache");
    // A flash message is personal: that page is rendered fresh and not cached.
    let email = unique_email("cache");
    app.signup(&email).await;
    let csrf = app.csrf().await;
    app.client.post(app.url("/logout")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    let page = app.client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("You are signed out."));
    let again = b.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(!again.contains("You are signed out."), "one visitor's message never reaches another");
}
