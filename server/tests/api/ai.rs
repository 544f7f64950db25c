//! BYOK settings, text generation against a local fake of the OpenAI Chat Completions API
//! (real request and response shapes, real error bodies), and draft version history.

use crate::drafts::send;
use crate::helpers::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "sk-proj-TESTKEY1234567890abcd";

/// How the fake answers the next chat completion.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Ok,
    TooLong,
    BadKey,
    Quota,
    RateLimited,
    Slow,
}

#[derive(Clone)]
struct Fake {
    mode: Arc<Mutex<Mode>>,
    hits: Arc<Mutex<Vec<(String, Value)>>>,
}

async fn completions(State(f): State<Fake>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    f.hits.lock().unwrap().push((auth.clone(), body.clone()));
    let mode = *f.mode.lock().unwrap();
    if auth != format!("Bearer {KEY}") || mode == Mode::BadKey {
        let e = json!({"error": {"message": "Incorrect API key provided: sk-proj-***abcd. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}});
        return (StatusCode::UNAUTHORIZED, Json(e)).into_response();
    }
    match mode {
        Mode::Quota => {
            let e = json!({"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}});
            return (StatusCode::TOO_MANY_REQUESTS, Json(e)).into_response();
        }
        Mode::RateLimited => {
            let e = json!({"error": {"message": "Rate limit reached for gpt-4o-mini", "type": "requests", "param": null, "code": "rate_limit_exceeded"}});
            return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "7")], Json(e)).into_response();
        }
        Mode::Slow => tokio::time::sleep(Duration::from_secs(5)).await,
        _ => {}
    }
    let x = if mode == Mode::TooLong { "word ".repeat(100) } else { "Ship small, ship often. #shipping".into() };
    let content = json!({"x": x, "linkedin": "Shipping weekly changed how our team works.\n\nWhat would you add?"}).to_string();
    Json(json!({
        "id": "chatcmpl-123", "object": "chat.completion", "created": 1_700_000_000, "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 40, "total_tokens": 90}
    }))
    .into_response()
}

async fn models(headers: HeaderMap) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {KEY}")) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}})))
            .into_response();
    }
    Json(json!({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "openai"}, {"id": "gpt-4o", "object": "model"}]}))
        .into_response()
}

async fn start_fake() -> (String, Fake) {
    let fake = Fake { mode: Arc::new(Mutex::new(Mode::Ok)), hits: Default::default() };
    let app =
        axum::Router::new().route("/v1/chat/completions", post(completions)).route("/v1/models", get(models)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), fake)
}

async fn app_with_key(base: &str) -> TestApp {
    // The fake lives on 127.0.0.1: the admin's opt-in for a local model server.
    let app = spawn_app_with(|c| {
        c.ai_timeout = Duration::from_secs(1);
        c.ai_allow_private = true;
    })
    .await;
    app.signup(&unique_email("ai")).await;
    let (s, v) = send(&app, Method::PUT, "/api/settings/ai", Some(json!({"openai_key": KEY, "base_url": base}))).await;
    assert_eq!(s, 200, "{v}");
    app
}

#[tokio::test]
async fn keys_are_sealed_and_only_a_hint_comes_back() {
    let (base, _) = start_fake().await;
    let app = app_with_key(&base).await;
    let (_, v) = send(&app, Method::GET, "/api/settings/ai", None).await;
    assert_eq!(v["openai_key_hint"], "sk-…abcd");
    assert_eq!(v["model"], "gpt-4o-mini");
    assert!(!v.to_string().contains("TESTKEY"), "the key never goes back to the browser: {v}");
    let raw: String = sqlx::query_scalar("select openai_key from ai_settings").fetch_one(app.db.pool()).await.unwrap();
    assert!(!raw.contains("TESTKEY") && !raw.is_empty(), "stored sealed");

    let (s, e) = send(&app, Method::PATCH, "/api/settings/ai", Some(json!({"base_url": "ftp://nope", "model": "gpt-4o"}))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("invalid_base_url")));
    let (_, v) = send(&app, Method::GET, "/api/settings/ai", None).await;
    assert_eq!(v["model"], "gpt-4o-mini", "nothing saved when one field is invalid");

    let (s, v) = send(&app, Method::PATCH, "/api/settings/ai", Some(json!({"openai_key": ""}))).await;
    assert_eq!((s, v["openai_key_hint"].is_null()), (200, true), "an empty key removes it");
}

#[tokio::test]
async fn test_key_lists_models_and_reports_a_bad_key() {
    let (base, _) = start_fake().await;
    let app = app_with_key(&base).await;
    let (s, v) = send(&app, Method::POST, "/api/settings/ai/test", None).await;
    assert_eq!((s, v["ok"].as_bool()), (200, Some(true)), "{v}");
    send(&app, Method::PATCH, "/api/settings/ai", Some(json!({"model": "gpt-5-imaginary"}))).await;
    let (_, v) = send(&app, Method::POST, "/api/settings/ai/test", None).await;
    assert_eq!(v["ok"], false);
    assert!(v["message"].as_str().unwrap().contains("gpt-5-imaginary"), "{v}");

    send(&app, Method::PATCH, "/api/settings/ai", Some(json!({"openai_key": "sk-wrong-0000000000"}))).await;
    let (s, e) = send(&app, Method::POST, "/api/settings/ai/test", None).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("ai_key_rejected")));
    assert!(!e["message"].as_str().unwrap().contains("sk-"), "{e}");
}

#[tokio::test]
async fn generation_uses_the_key_with_real_shapes_and_trims_to_limits() {
    let (base, fake) = start_fake().await;
    let app = app_with_key(&base).await;
    let (s, g) = send(
        &app,
        Method::POST,
        "/api/ai/generate",
        Some(json!({"idea": "We ship weekly now. Small batches.", "platforms": ["x", "linkedin"]})),
    )
    .await;
    assert_eq!(s, 200, "{g}");
    assert_eq!((g["source"].as_str(), g["model"].as_str()), (Some("openai"), Some("gpt-4o-mini")));
    assert_eq!(g["variants"]["x"], "Ship small, ship often. #shipping");
    let (auth, body) = fake.hits.lock().unwrap()[0].clone();
    assert_eq!(auth, format!("Bearer {KEY}"));
    assert_eq!(body["response_format"]["type"], "json_object");
    assert_eq!(body["messages"][0]["role"], "system");
    assert!(body["messages"][1]["content"].as_str().unwrap().contains("\"x\" (X (Twitter))"), "{body}");

    *fake.mode.lock().unwrap() = Mode::TooLong;
    let (_, g) = send(&app, Method::POST, "/api/ai/generate", Some(json!({"idea": "Ship weekly", "platforms": ["x"]}))).await;
    assert!(g["lengths"]["x"]["remaining"].as_i64().unwrap() >= 0, "{g}");
    assert!(g["warnings"][0].as_str().unwrap().contains("trimmed"), "{g}");
}

#[tokio::test]
async fn provider_errors_become_clear_messages_and_nothing_is_retried() {
    let (base, fake) = start_fake().await;
    let app = app_with_key(&base).await;
    let idea = json!({"idea": "We ship weekly now.", "platforms": ["x"]});
    let cases = [
        (Mode::BadKey, 422, "ai_key_rejected", "rejected your API key"),
        (Mode::Quota, 402, "ai_insufficient_quota", "run out of credit"),
        (Mode::RateLimited, 429, "ai_rate_limited", "rate-limiting"),
        (Mode::Slow, 504, "ai_timeout", "did not answer within 1 seconds"),
    ];
    for (mode, status, code, text) in cases {
        *fake.mode.lock().unwrap() = mode;
        let before = fake.hits.lock().unwrap().len();
        let r = app.client.post(app.url("/api/ai/generate")).json(&idea).send().await.unwrap();
        let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
        let (s, c, m) = error_code(r).await;
        assert_eq!((s, c.as_str()), (status, code), "{m}");
        assert!(m.contains(text), "{m}");
        assert_eq!(fake.hits.lock().unwrap().len(), before + 1, "{code}: exactly one request, never a paid retry");
        if mode == Mode::RateLimited {
            assert_eq!(retry_after.as_deref(), Some("7"));
        }
    }
}

#[tokio::test]
async fn without_a_key_the_builtin_generator_fills_every_platform() {
    let app = spawn_app().await;
    app.signup(&unique_email("builtin")).await;
    let idea = "Remote teams ship faster with written decisions. Async updates replace status meetings. Decision logs help onboarding.";
    let (s, g) = send(&app, Method::POST, "/api/ai/generate", Some(json!({"idea": idea}))).await;
    assert_eq!((s, g["source"].as_str()), (200, Some("builtin")), "{g}");
    assert_eq!(g["variants"].as_object().unwrap().len(), 10);
    for (p, l) in g["lengths"].as_object().unwrap() {
        assert!(l["remaining"].as_i64().unwrap() >= 0, "{p} over its limit");
    }
    assert!(g["variants"]["linkedin"].as_str().unwrap().contains("→ Async updates replace status meetings."));
    let (s, e) = send(&app, Method::POST, "/api/ai/generate", Some(json!({"idea": "  "}))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("empty_idea")));
    let (s, e) = send(&app, Method::POST, "/api/ai/generate", Some(json!({"idea": "x", "platforms": ["myspace"]}))).await;
    assert_eq!(s, 422, "{e}");
}

#[tokio::test]
async fn generating_into_a_draft_saves_it_and_other_users_drafts_are_not_found() {
    let (base, fake) = start_fake().await;
    let app = app_with_key(&base).await;
    let (_, d) = send(&app, Method::POST, "/api/drafts", Some(json!({"idea": "old idea"}))).await;
    let id = d["id"].as_str().unwrap().to_string();
    let (s, g) = send(
        &app,
        Method::POST,
        "/api/ai/generate",
        Some(json!({"idea": "We ship weekly now.", "platforms": ["x", "linkedin"], "draft_id": id})),
    )
    .await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["draft"]["idea"], "We ship weekly now.");
    assert_eq!(g["draft"]["variants"]["x"], "Ship small, ship often. #shipping");

    let intruder = spawn_app_client(&app).await;
    let hits = fake.hits.lock().unwrap().len();
    let r = intruder.post(app.url("/api/ai/generate")).json(&json!({"idea": "steal", "draft_id": id})).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(fake.hits.lock().unwrap().len(), hits, "no credit spent on a draft the caller cannot save to");
}

/// A second signed-in user on the same server.
async fn spawn_app_client(app: &TestApp) -> reqwest::Client {
    let c = client();
    let r = c
        .post(app.url("/auth/signup"))
        .json(&json!({"email": unique_email("other"), "password": PASSWORD, "name": "Eve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    c
}

#[tokio::test]
async fn autosaves_fold_into_one_version_and_restore_brings_text_back() {
    let app = spawn_app().await;
    app.signup(&unique_email("versions")).await;
    let (_, d) = send(&app, Method::POST, "/api/drafts", Some(json!({"idea": "v1", "variants": {"x": "first words"}}))).await;
    let id = d["id"].as_str().unwrap().to_string();
    for text in ["first words, more", "first words, more and more", "typed for a while"] {
        let (s, _) = send(&app, Method::PATCH, &format!("/api/drafts/{id}?autosave=true"), Some(json!({"variants": {"x": text}}))).await;
        assert_eq!(s, 200);
    }
    let (_, v) = send(&app, Method::GET, &format!("/api/drafts/{id}/versions"), None).await;
    let versions = v["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "the create plus one folded autosave: {v}");
    assert_eq!(versions[0]["variants"]["x"], "typed for a while");
    assert_eq!(versions[1]["variants"]["x"], "first words");

    send(&app, Method::PATCH, &format!("/api/drafts/{id}"), Some(json!({"variants": {"bluesky": "added later"}}))).await;
    let first = versions[1]["id"].as_str().unwrap();
    let (s, d) = send(&app, Method::POST, &format!("/api/drafts/{id}/versions/{first}/restore"), None).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["variants"], json!({"x": "first words"}), "restore removes platforms added since");
    let (_, v) = send(&app, Method::GET, &format!("/api/drafts/{id}/versions"), None).await;
    assert_eq!(v["versions"][0]["kind"], "restore", "a restore is itself undoable");

    let intruder = spawn_app_client(&app).await;
    for path in [format!("/api/drafts/{id}/versions"), format!("/api/drafts/{id}/versions/{first}/restore")] {
        let method = if path.ends_with("restore") { Method::POST } else { Method::GET };
        let r = intruder.request(method, app.url(&path)).header("content-type", "application/json").send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let (s, _) = send(&app, Method::POST, &format!("/api/drafts/{id}/versions/nope/restore"), None).await;
    assert_eq!(s, 404);
}
