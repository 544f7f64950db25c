//! Drafts and templates over the JSON API (seed 002), on both databases.

use crate::helpers::*;
use serde_json::json;

pub async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(b) = body {
        req = req.json(&b);
    } else {
        req = req.header("content-type", "application/json");
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

#[tokio::test]
async fn drafts_crud_with_variants_and_status_rules() {
    let app = spawn_app().await;
    app.signup(&unique_email("drafts")).await;
    let (s, d) = send(&app, reqwest::Method::POST, "/api/drafts", Some(json!({"idea": "We ship weekly now.\nSmall batches, fewer bugs.", "variants": {"x": "We ship weekly now!", "linkedin": "Big news: we ship weekly."}}))).await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["title"], "We ship weekly now.", "a title from the idea's first line");
    assert_eq!(d["status"], "draft");
    assert_eq!(d["variants"]["x"], "We ship weekly now!");
    let id = d["id"].as_str().unwrap().to_string();

    let (s, d) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/drafts/{id}"),
        Some(json!({"title": "Weekly releases", "variants": {"x": "", "bluesky": "Weekly 🚀"}})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(d["title"], "Weekly releases");
    assert!(d["variants"].get("x").is_none(), "an empty text removes the variant");
    assert_eq!(d["variants"]["bluesky"], "Weekly 🚀");
    let (_, again) = send(&app, reqwest::Method::GET, &format!("/api/drafts/{id}"), None).await;
    assert_eq!(again["variants"], d["variants"], "stored as shown");

    // Ready means publishable: every variant within its platform's real limit.
    let (s, e) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/drafts/{id}"),
        Some(json!({"status": "ready", "variants": {"x": "a".repeat(281)}})),
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (422, Some("over_limit")));
    assert!(e["message"].as_str().unwrap().contains("X (Twitter) is 1 over its limit of 280"), "{e}");
    let (_, unchanged) = send(&app, reqwest::Method::GET, &format!("/api/drafts/{id}"), None).await;
    assert_eq!(unchanged["status"], "draft", "nothing half-saved");
    assert!(unchanged["variants"].get("x").is_none());
    let (s, d) = send(&app, reqwest::Method::PATCH, &format!("/api/drafts/{id}"), Some(json!({"status": "ready", "variants": {"x": "Weekly releases are here https://example.com/a/very/long/link/that/counts/as/23/characters"}}))).await;
    assert_eq!((s, d["status"].as_str()), (200, Some("ready")));

    let (_, l) = send(&app, reqwest::Method::GET, "/api/drafts?status=ready", None).await;
    assert_eq!(l["drafts"].as_array().unwrap().len(), 1);
    let (_, l) = send(&app, reqwest::Method::GET, "/api/drafts?status=draft", None).await;
    assert!(l["drafts"].as_array().unwrap().is_empty());

    for (body, code) in [
        (json!({"status": "shipped"}), "invalid_status"),
        (json!({"title": "t".repeat(201)}), "invalid_title"),
        (json!({"variants": {"myspace": "hi"}}), "unknown_platform"),
        (json!({"template_id": "no-such-template"}), "not_found"),
        // Publishing refuses these, so a draft may not hold them either.
        (json!({"image_url": "http://cdn.example/a.png"}), "invalid_image_url"),
        (json!({"image_url": "/etc/passwd"}), "invalid_image_url"),
    ] {
        let (s, e) = send(&app, reqwest::Method::PATCH, &format!("/api/drafts/{id}"), Some(body.clone())).await;
        assert_eq!(e["error"], code, "{body}");
        assert!(s == 422 || s == 404, "{body}: {s}");
    }
    let (_, d) =
        send(&app, reqwest::Method::PATCH, &format!("/api/drafts/{id}"), Some(json!({"image_url": "https://cdn.example/a.png"}))).await;
    assert_eq!(d["image_url"], "https://cdn.example/a.png");
    let (_, d) = send(&app, reqwest::Method::PATCH, &format!("/api/drafts/{id}"), Some(json!({"title": "kept image"}))).await;
    assert_eq!(d["image_url"], "https://cdn.example/a.png", "an absent field is left alone");
    let (_, d) = send(&app, reqwest::Method::PATCH, &format!("/api/drafts/{id}"), Some(json!({"image_url": null}))).await;
    assert!(d["image_url"].is_null(), "null removes the image");
    let (s, _) = send(&app, reqwest::Method::DELETE, &format!("/api/drafts/{id}"), None).await;
    assert_eq!(s, 204);
    assert_eq!(send(&app, reqwest::Method::GET, &format!("/api/drafts/{id}"), None).await.0, 404);
}

#[tokio::test]
async fn templates_starters_validation_and_use() {
    let app = spawn_app().await;
    app.signup(&unique_email("tpl")).await;
    let (_, l) = send(&app, reqwest::Method::GET, "/api/templates", None).await;
    let starters: Vec<&str> =
        l["templates"].as_array().unwrap().iter().filter(|t| t["starter"] == true).map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(starters.len(), 3, "the starter set ships with the database");

    let (s, v) = send(&app, reqwest::Method::POST, "/api/templates/starter-tips/use", Some(json!({"idea": "Writing better posts. Lead with the point. Cut filler words. End with a question.", "platforms": ["x", "linkedin"]}))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["variants"]["x"], "3 tips on Writing better posts:\n1. Lead with the point\n2. Cut filler words\n3. End with a question");
    assert!(v["variants"].get("bluesky").is_none(), "only the platforms asked for");
    assert_eq!(v["lengths"]["x"]["limit"], 280);

    let (s, e) = send(&app, reqwest::Method::POST, "/api/templates", Some(json!({"name": "Mine", "bodies": {"x": "Hello {nmae}"}}))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("invalid_template")));
    assert!(e["message"].as_str().unwrap().contains("Unknown placeholder {nmae}"));
    let (s, e) = send(&app, reqwest::Method::POST, "/api/templates", Some(json!({"name": "Mine", "bodies": {"x": "Hello {idea"}}))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("invalid_template")));
    assert!(e["message"].as_str().unwrap().contains("never closed"));
    let (s, t) = send(
        &app,
        reqwest::Method::POST,
        "/api/templates",
        Some(json!({"name": "Mine", "category": "news", "bodies": {"x": "New: {idea} {{literal}}"}})),
    )
    .await;
    assert_eq!(s, 201);
    let tid = t["id"].as_str().unwrap().to_string();
    let (_, v) = send(&app, reqwest::Method::POST, &format!("/api/templates/{tid}/use"), Some(json!({"idea": "Dark mode"}))).await;
    assert_eq!(v["variants"]["x"], "New: Dark mode {literal}");
    let (s, e) = send(&app, reqwest::Method::PATCH, "/api/templates/starter-tips", Some(json!({"name": "Hijacked"}))).await;
    assert_eq!((s, e["error"].as_str()), (403, Some("read_only")));
    let (s, _) = send(&app, reqwest::Method::PATCH, &format!("/api/templates/{tid}"), Some(json!({"name": "Renamed"}))).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn another_users_drafts_and_templates_are_not_found() {
    let app = spawn_app().await;
    app.signup(&unique_email("owner")).await;
    let (_, d) = send(&app, reqwest::Method::POST, "/api/drafts", Some(json!({"idea": "secret plans"}))).await;
    let (_, t) = send(&app, reqwest::Method::POST, "/api/templates", Some(json!({"name": "Private", "bodies": {"x": "{idea}"}}))).await;
    let (did, tid) = (d["id"].as_str().unwrap().to_string(), t["id"].as_str().unwrap().to_string());

    let other =
        TestApp { addr: app.addr.clone(), client: client(), db: app.db.clone(), db_url: app.db_url.clone(), state: app.state.clone() };
    other.signup(&unique_email("other")).await;
    use reqwest::Method as M;
    for (m, path, body) in [
        (M::GET, format!("/api/drafts/{did}"), None),
        (M::PATCH, format!("/api/drafts/{did}"), Some(json!({"title": "mine now"}))),
        (M::DELETE, format!("/api/drafts/{did}"), None),
        (M::GET, format!("/api/templates/{tid}"), None),
        (M::PATCH, format!("/api/templates/{tid}"), Some(json!({"name": "mine"}))),
        (M::DELETE, format!("/api/templates/{tid}"), None),
        (M::POST, format!("/api/templates/{tid}/use"), Some(json!({"idea": "x"}))),
        (M::POST, "/api/drafts".to_string(), Some(json!({"idea": "x", "template_id": tid}))),
    ] {
        let (s, _) = send(&other, m.clone(), &path, body).await;
        assert_eq!(s, 404, "{m} {path}");
    }
    let (_, l) = send(&other, M::GET, "/api/drafts", None).await;
    assert!(l["drafts"].as_array().unwrap().is_empty());
    let (_, mine) = send(&app, M::GET, &format!("/api/drafts/{did}"), None).await;
    assert_eq!(mine["title"], "secret plans", "untouched");
    assert_eq!(send(&other, M::GET, "/api/drafts", None).await.0, 200);
    let (s, _) = send(&client_app(&app), M::GET, "/api/drafts", None).await;
    assert_eq!(s, 401, "signed out: no drafts at all");
}

fn client_app(app: &TestApp) -> TestApp {
    TestApp { addr: app.addr.clone(), client: client(), db: app.db.clone(), db_url: app.db_url.clone(), state: app.state.clone() }
}
