//! Hardening regressions: each test is named after the hole it proves closed (script in the
//! editor, amplification through templates and CSV errors, ids from another tenant, times that
//! silently meant "now", bodies that answered 500, missing security headers), and one test
//! sends every JSON endpoint malformed bodies.

use crate::helpers::*;
use crate::scheduling::{account, call, call_as, setup};
use reqwest::Method;
use serde_json::{json, Value};

const EVIL: &str = "</textarea><img src=x onerror=alert(document.domain)>";

#[test]
fn editor_escapes_draft_text_that_tries_to_close_its_textarea() {
    big_stack(editor_escapes());
}

async fn editor_escapes() {
    let app = spawn_app().await;
    app.signup(&unique_email("xss")).await;
    let r = app.post_json("/api/drafts", json!({"title": "t", "idea": EVIL, "variants": {"x": EVIL}})).await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let html = app.client.get(app.url(&format!("/editor?draft={id}"))).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("<img src=x"), "the draft text became markup");
    assert!(
        html.contains("&lt;/textarea&gt;&lt;img src=x onerror=alert(document.domain)&gt;</textarea>"),
        "the idea is shown as text, escaped once"
    );
}

#[tokio::test]
async fn templates_cannot_expand_a_small_request_into_megabytes() {
    let app = spawn_app().await;
    app.signup(&unique_email("tpl")).await;
    let too_long = "{idea}".repeat(3_400); // 20,400 characters
    let (s, e, _) = error_code(app.post_json("/api/templates", json!({"name": "Big", "bodies": {"x": too_long}})).await).await;
    assert_eq!((s, e.as_str()), (422, "invalid_template"));

    // Accepted (18,000 characters), but a 500-character idea would fill it to 1.5 M characters.
    let r = app.post_json("/api/templates", json!({"name": "Many", "bodies": {"x": "{idea}".repeat(3_000)}})).await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let r = app.post_json(&format!("/api/templates/{id}/use"), json!({"idea": "i".repeat(500)})).await;
    let len = r.content_length();
    let (s, e, msg) = error_code(r).await;
    assert_eq!((s, e.as_str()), (422, "invalid_template"), "{msg}");
    assert!(msg.contains("longer than 65000 characters"), "{msg}");
    assert!(len.unwrap_or(0) < 4096, "the refusal is short");

    let (s, e, _) = error_code(app.post_json(&format!("/api/templates/{id}/use"), json!({"idea": "i".repeat(10_001)})).await).await;
    assert_eq!((s, e.as_str()), (422, "idea_too_long"));
    // A draft variant longer than any network's limit is refused too.
    let (s, e, _) =
        error_code(app.post_json("/api/drafts", json!({"title": "t", "variants": {"facebook": "f".repeat(65_001)}})).await).await;
    assert_eq!((s, e.as_str()), (422, "variant_too_long"));
}

/// Eve (a second browser) with a draft and an image of her own.
async fn eve_with_draft_and_image(app: &TestApp) -> (reqwest::Client, String, String) {
    let eve = client();
    let (s, _) =
        call_as(&eve, app, Method::POST, "/auth/signup", Some(json!({"email": unique_email("eve"), "password": PASSWORD, "name": "Eve"})))
            .await;
    assert_eq!(s, 201);
    let (s, d) = call_as(&eve, app, Method::POST, "/api/drafts", Some(json!({"title": "Eve's", "idea": "mine"}))).await;
    assert_eq!(s, 201, "{d}");
    let (s, img) = call_as(&eve, app, Method::POST, "/image/generate", Some(json!({"prompt": "eve", "mode": "text_card"}))).await;
    assert_eq!(s, 201, "{img}");
    (eve, d["id"].as_str().unwrap().to_string(), img["url"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn queue_add_and_publish_refuse_another_users_draft_and_image() {
    let app = setup().await;
    let x = account(&app, "x", "ada_x").await;
    let (eve, draft, image) = eve_with_draft_and_image(&app).await;
    let (s, _) = call(&app, Method::POST, "/api/slots", Some(json!({"connection_id": x, "weekday": 0, "time": "08:00"}))).await;
    assert_eq!(s, 201);

    let attempts = [
        ("/api/queue/add", json!({"connection_id": x, "text": "hijack", "draft_id": draft})),
        ("/api/queue/add", json!({"connection_id": x, "text": "hijack", "image_url": image})),
        ("/api/queue/add", json!({"connection_id": x, "text": "hijack", "image_url": format!("{image}/thumb")})),
        ("/api/posts/publish", json!({"connection_ids": [x], "text": "hijack", "image_url": image})),
        ("/api/queue/add", json!({"connection_id": x, "text": "unknown", "draft_id": "no-such-draft"})),
    ];
    for (path, body) in attempts {
        let (s, e) = call(&app, Method::POST, path, Some(body.clone())).await;
        assert_eq!((s, e["error"].as_str()), (404, Some("not_found")), "{path} {body}: {e}");
    }
    let (_, posts) = call(&app, Method::GET, "/api/posts", None).await;
    assert_eq!(posts["posts"].as_array().map(Vec::len), Some(0), "nothing was queued");
    let (_, d) = call_as(&eve, &app, Method::GET, &format!("/api/drafts/{draft}"), None).await;
    assert_eq!(d["status"], "draft", "Eve's draft is untouched: {d}");

    // An empty draft id means none (it answered 500 before), for queue/add and for series.
    let (s, v) = call(&app, Method::POST, "/api/queue/add", Some(json!({"connection_id": x, "text": "fine", "draft_id": ""}))).await;
    assert_eq!(s, 201, "{v}");
    let start = (chrono::Utc::now() + chrono::Duration::days(5)).format("%Y-%m-%dT09:00").to_string();
    let series = json!({"connection_ids": [x], "text": "weekly", "draft_id": "", "start": start, "freq": "weekly", "count": 2});
    let (s, v) = call(&app, Method::POST, "/api/schedule/recurring", Some(series)).await;
    assert_eq!(s, 201, "{v}");
}

#[tokio::test]
async fn a_float_or_out_of_range_scheduled_at_never_means_now() {
    let app = setup().await;
    let x = account(&app, "x", "ada_x").await;
    let soon = chrono::Utc::now().timestamp_millis() + 3_600_000;
    for at in [
        json!(soon as f64 + 0.5),
        json!(1.5e12),
        json!(u64::MAX),
        json!(-1),
        json!(i64::MAX),
        json!(i64::MIN),
        json!("1764579600000"),
        json!({"at": soon}),
    ] {
        let (s, e) =
            call(&app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [x], "text": "when?", "scheduled_at": at}))).await;
        assert_eq!(s, 422, "scheduled_at {at}: {e}");
    }
    let (_, posts) = call(&app, Method::GET, "/api/posts", None).await;
    assert_eq!(posts["posts"].as_array().map(Vec::len), Some(0), "nothing was published or scheduled");
    let (s, v) =
        call(&app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [x], "text": "later", "scheduled_at": soon}))).await;
    assert_eq!(s, 201, "{v}");
    let id = v["posts"][0]["id"].as_str().unwrap().to_string();
    let (s, e) = call(&app, Method::PATCH, &format!("/api/posts/{id}"), Some(json!({"scheduled_at": i64::MAX}))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("too_far_ahead")), "{e}");
}

#[tokio::test]
async fn csv_import_lists_at_most_a_hundred_problems_and_counts_the_rest() {
    let app = spawn_app().await;
    app.signup(&unique_email("csv")).await;
    let unknown = format!("{},", "z".repeat(60)).repeat(3_000); // a 183 KB header
    let csv = format!("date,time,accounts,text,{unknown}\n2026-12-01,09:00,x,hello\n");
    let r = app
        .client
        .post(app.url("/api/schedule/bulk"))
        .header("content-type", "text/csv")
        .header("x-csrf-token", app.csrf().await)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let text = r.text().await.unwrap();
    assert!(text.len() < 64 * 1024, "the reply is {} bytes", text.len());
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(100));
    assert_eq!(v["more_errors"], 2_900);
    assert!(v["message"].as_str().unwrap().contains("2900 more not shown"), "{v}");
    assert!(v["errors"][0]["column"].as_str().unwrap().chars().count() <= 41, "long names are cut when quoted");
}

#[tokio::test]
async fn oversized_bodies_get_a_json_413_not_a_400_or_500() {
    let app = spawn_app().await;
    app.signup(&unique_email("big")).await;
    let big = "a".repeat(10 * 1024 * 1024);
    let r = app
        .client
        .post(app.url("/api/drafts"))
        .header("content-type", "application/json")
        .body(format!("{{\"idea\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    let (s, e, _) = error_code(r).await;
    assert_eq!((s, e.as_str()), (413, "body_too_large"));
    // A server function with 10 MB of form data.
    let csrf = app.csrf().await;
    let r = app.client.post(app.url("/sfn/update_profile")).form(&[("csrf", csrf.as_str()), ("name", big.as_str())]).send().await.unwrap();
    let (s, e, _) = error_code(r).await;
    assert_eq!((s, e.as_str()), (413, "body_too_large"));
}

#[tokio::test]
async fn pages_carry_a_fresh_nonce_policy_and_every_response_the_security_headers() {
    let app = spawn_app().await;
    let nonce_of = |r: &reqwest::Response| {
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
        let n = app::state::nonce_in_policy(&csp).expect("the page policy names a nonce").to_string();
        (csp, n)
    };
    let mut seen = vec![];
    // The second /login comes from the page cache: it needs its own nonce too.
    for _ in 0..2 {
        let r = app.client.get(app.url("/login")).send().await.unwrap();
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.headers()["referrer-policy"], "strict-origin-when-cross-origin");
        assert!(r.headers().get("strict-transport-security").is_none(), "no HSTS over http");
        let (csp, nonce) = nonce_of(&r);
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
        assert!(!script_src.contains("unsafe-inline"), "{csp}");
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the policy's nonce");
        let scripts = html.matches("<script").count();
        assert!(scripts > 0 && html.matches(&format!("nonce=\"{nonce}\"")).count() >= scripts, "every script carries it");
        seen.push(nonce);
    }
    assert_ne!(seen[0], seen[1], "a nonce is never reused");
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");

    let https = spawn_app_with(|c| c.base_url = "https://covalynce.example".into()).await;
    let r = https.client.get(https.url("/health")).send().await.unwrap();
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
}

/// Field names the JSON endpoints read, each given a value of the wrong type.
fn wrong_types() -> Value {
    let names = [
        "email",
        "password",
        "name",
        "timezone",
        "refresh_token",
        "token",
        "code",
        "code_verifier",
        "nonce",
        "provider",
        "scopes",
        "username",
        "instance",
        "app_password",
        "title",
        "idea",
        "status",
        "template_id",
        "image_url",
        "variants",
        "base_url",
        "api_key",
        "model",
        "provider_kind",
        "platforms",
        "connection_ids",
        "connection_id",
        "text",
        "draft_id",
        "scheduled_at",
        "local_time",
        "fold",
        "content_id",
        "schedule_time",
        "csv",
        "start",
        "freq",
        "interval",
        "until",
        "count",
        "weekday",
        "time",
        "bodies",
        "category",
        "url",
        "events",
        "prompt",
        "mode",
        "platform",
        "confirm_missing",
        "symptom",
        "error",
        "message",
    ];
    let odd = [json!({"deep": [1, {"x": null}]}), json!([[]]), json!(1.5), json!(true), json!(-9_223_372_036_854_775_808i64)];
    Value::Object(names.iter().enumerate().map(|(i, n)| (n.to_string(), odd[i % odd.len()].clone())).collect())
}

/// Every field a long string: within the body limit, far beyond every field's own.
fn long_strings() -> Value {
    let s = "x".repeat(30_000);
    let Value::Object(m) = wrong_types() else { unreachable!() };
    Value::Object(m.into_iter().map(|(k, _)| (k, json!(s))).collect())
}

#[tokio::test]
async fn every_json_endpoint_answers_malformed_bodies_with_a_json_4xx() {
    let app = setup().await;
    let x = account(&app, "x", "ada_x").await;
    let (_, d) = call(&app, Method::POST, "/api/drafts", Some(json!({"title": "t", "idea": "an idea"}))).await;
    let draft = d["id"].as_str().unwrap().to_string();
    let (_, t) = call(&app, Method::POST, "/api/templates", Some(json!({"name": "T", "bodies": {"x": "{idea}"}}))).await;
    let template = t["id"].as_str().unwrap().to_string();
    let soon = chrono::Utc::now().timestamp_millis() + 3_600_000;
    let (_, p) =
        call(&app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [x], "text": "p", "scheduled_at": soon}))).await;
    let post = p["posts"][0]["id"].as_str().unwrap().to_string();
    let endpoints: Vec<(Method, String)> = [
        (Method::POST, "/auth/signup".to_string()),
        (Method::POST, "/auth/signin".into()),
        (Method::POST, "/auth/forgot".into()),
        (Method::POST, "/auth/reset".into()),
        (Method::POST, "/auth/google/callback".into()),
        (Method::POST, "/integrations/consent".into()),
        (Method::POST, "/integrations/bluesky/connect".into()),
        (Method::POST, "/api/drafts".into()),
        (Method::PATCH, format!("/api/drafts/{draft}")),
        (Method::PUT, "/api/settings/ai".into()),
        (Method::PATCH, "/api/settings/ai".into()),
        (Method::POST, "/api/ai/generate".into()),
        (Method::POST, "/api/posts/publish".into()),
        (Method::POST, "/api/content/publish".into()),
        (Method::PATCH, format!("/api/posts/{post}")),
        (Method::POST, format!("/api/posts/{post}/retry")),
        (Method::POST, "/api/schedule/bulk".into()),
        (Method::POST, "/api/schedule/recurring".into()),
        (Method::POST, "/api/slots".into()),
        (Method::POST, "/api/queue/add".into()),
        (Method::POST, "/api/templates".into()),
        (Method::PATCH, format!("/api/templates/{template}")),
        (Method::POST, format!("/api/templates/{template}/use")),
        (Method::POST, "/api/webhooks".into()),
        (Method::POST, "/image/generate".into()),
        (Method::POST, "/api/connection/quick-connect/x".into()),
        (Method::POST, "/api/connection/bulk-connect/prepare".into()),
        (Method::POST, "/api/connection/troubleshoot".into()),
    ]
    .into_iter()
    .collect();
    // Not listed: routes that read no body at all (`/api/settings/ai/test`, logout, deletes).
    let mut deep = "[".repeat(20_000);
    deep.push_str(&"]".repeat(20_000));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("wrong types", serde_json::to_vec(&wrong_types()).unwrap()),
        ("not an object", b"[1, 2, 3]".to_vec()),
        ("a bare string", b"\"hello\"".to_vec()),
        ("null", b"null".to_vec()),
        ("long strings", serde_json::to_vec(&long_strings()).unwrap()),
        ("over 2 MB", format!("{{\"text\": \"{}\"}}", "y".repeat(2 * 1024 * 1024 + 16)).into_bytes()),
        ("invalid UTF-8", b"{\"text\": \"\xff\xfe\xfd\", \"idea\": \"\xc3\x28\"}".to_vec()),
        ("deep nesting", deep.into_bytes()),
        ("cut off", b"{\"text\": \"abc".to_vec()),
    ];
    let mut failures = vec![];
    for (m, path) in &endpoints {
        for (what, body) in &bodies {
            let r = app
                .client
                .request(m.clone(), app.url(path))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let json_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").starts_with("application/json");
            let v: Value = r.json().await.unwrap_or_default();
            if !(400..500).contains(&status) || !json_type || !v["error"].is_string() || !v["message"].is_string() {
                failures.push(format!("{m} {path} ({what}): {status} {v}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} answered without a JSON 4xx:\n{}",
        failures.len(),
        endpoints.len() * bodies.len(),
        failures.join("\n")
    );
}

#[test]
fn a_platforms_error_description_never_reaches_the_sources_page() {
    big_stack(async {
        let app = setup().await;
        let bait = "Your account is suspended, call +1 555 0100";
        let q = url::form_urlencoded::byte_serialize(bait.as_bytes()).collect::<String>();
        let r = app.client.get(app.url(&format!("/api/oauth/x/callback?error=server_error&error_description={q}"))).send().await.unwrap();
        assert!(r.status().is_redirection(), "{}", r.status());
        let page = app.client.get(app.url(&location(&r))).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("did not finish the connection"), "a fixed message is shown");
        assert!(!page.contains("suspended"), "the provider's text is not");
    });
}
