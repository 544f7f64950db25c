//! `covalynce rotate-key` (the real binary) against a running app's data directory and
//! database: every sealed column moves to the new key id, nothing the app stored becomes
//! unreadable, the running app (loaded before the rotation) keeps reading and writing, a
//! legacy value without a key id is carried over, and re-running is a no-op.

use crate::drafts::send;
use crate::helpers::*;
use crate::sources::{connect, start_sandbox, user};
use aes_gcm::aead::{Aead, KeyInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use covalynce::crypto::{sealed_key_id, Keys};
use covalynce::key_rotation::SEALED;
use covalynce::PlatformId;
use reqwest::Method;
use serde_json::json;
use server::config::sandbox_platform;
use sqlx::Row;
use std::collections::HashMap;

const KEY: &str = "sk-proj-ROTATEKEY1234567890abcd";

/// A stand-in for the OpenAI models endpoint that only answers to `KEY`.
async fn fake_ai() -> String {
    use axum::http::{HeaderMap, StatusCode};
    let app = axum::Router::new().route(
        "/v1/models",
        axum::routing::get(|h: HeaderMap| async move {
            if h.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {KEY}")) {
                (StatusCode::OK, axum::Json(json!({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})))
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}})),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1")
}

/// (table.column, key id or "legacy") of every sealed value in the database.
async fn sealed_ids(app: &TestApp) -> Vec<(String, String)> {
    let mut out = vec![];
    for (table, _, col) in SEALED {
        for r in sqlx::query(&format!("select {col} as v from {table} where {col} is not null")).fetch_all(app.db.pool()).await.unwrap() {
            let v: String = r.get("v");
            out.push((format!("{table}.{col}"), sealed_key_id(&v).unwrap_or("legacy").to_string()));
        }
    }
    out
}

fn rotate_key(data_dir: &std::path::Path, db_url: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_covalynce"))
        .arg("rotate-key")
        .args(args)
        .env("DATA_DIR", data_dir)
        .env("DATABASE_URL", db_url)
        .env("RUST_LOG", "warn")
        .env_remove("ENCRYPTION_KEY")
        .env_remove("JWT_SECRET")
        .output()
        .expect("run covalynce rotate-key");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "rotate-key failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// The first half of a connect flow: our redirect to the platform (leaves a sealed
/// `connect_states` row). Returns the consent form to post later.
async fn start_connect(app: &TestApp, p: &str, username: &str) -> (String, Vec<(String, String)>) {
    let csrf = app.csrf().await;
    let r = app
        .client
        .post(app.url(&format!("/sources/connect/{p}")))
        .form(&[("csrf", csrf.as_str()), ("consent", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let authorize = location(&r);
    let q: HashMap<String, String> = url::Url::parse(&authorize).unwrap().query_pairs().into_owned().collect();
    let mut form: Vec<(String, String)> = ["client_id", "redirect_uri", "state", "code_challenge"]
        .iter()
        .filter_map(|k| q.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    form.push(("username".into(), username.into()));
    form.push(("decision".into(), "allow".into()));
    (authorize, form)
}

#[tokio::test]
async fn rotate_key_reseals_every_secret_while_the_app_keeps_reading_them() {
    let sbx = start_sandbox().await;
    let (ai_base, sandbox) = (fake_ai().await, sbx.base.clone());
    let mut data_dir = std::path::PathBuf::new();
    let app = spawn_app_with(|c| {
        c.platforms = PlatformId::ALL.into_iter().map(|p| (p, sandbox_platform(p, &sandbox, &c.base_url))).collect();
        c.webhooks.allow_private = true;
        c.ai_allow_private = true;
        data_dir = c.data_dir.clone();
    })
    .await;
    user(&app).await;

    // One of each sealed thing: connections, an unfinished connect flow, AI keys, a webhook.
    connect(&app, "x", "rot_x", |u| u).await;
    connect(&app, "mastodon", "rot_m", |u| u).await;
    let (authorize, consent) = start_connect(&app, "mastodon", "rot_later").await;
    let (s, v) = send(
        &app,
        Method::PUT,
        "/api/settings/ai",
        Some(json!({"openai_key": KEY, "base_url": ai_base, "gemini_key": "AIzaROTATE-gemini-0000000000"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, hook) =
        send(&app, Method::POST, "/api/webhooks", Some(json!({"url": "http://127.0.0.1:9/hook", "events": ["post.published"]}))).await;
    assert_eq!(s, 201, "{hook}");
    let hook_secret = hook["secret"].as_str().unwrap().to_string();

    // A value sealed before key ids existed (bare base64 under the same key).
    let old_keys = Keys::load_or_create(&data_dir, None, None).unwrap();
    let file_key = STANDARD.decode(std::fs::read_to_string(data_dir.join("encryption.key")).unwrap().trim()).unwrap();
    let nonce = [7u8; 12];
    let ct = aes_gcm::Aes256Gcm::new_from_slice(&file_key)
        .unwrap()
        .encrypt((&nonce).into(), b"AIzaLEGACY-gemini-0000000000".as_slice())
        .unwrap();
    let legacy = STANDARD.encode([nonce.as_slice(), &ct].concat());
    sqlx::query("update ai_settings set gemini_key = $1").bind(&legacy).execute(app.db.pool()).await.unwrap();

    let before = sealed_ids(&app).await;
    let old = old_keys.primary_id();
    for col in ["social_accounts.grant_enc", "connect_states.pending_enc", "webhook_endpoints.secret", "ai_settings.openai_key"] {
        assert!(before.iter().any(|(c, kid)| c == col && *kid == old), "{col} is sealed under {old}: {before:?}");
    }
    assert!(before.contains(&("ai_settings.gemini_key".into(), "legacy".into())));

    let out = rotate_key(&data_dir, &app.db_url, &["--batch", "1"]);
    let new_keys = Keys::load_or_create(&data_dir, None, None).unwrap();
    let new = new_keys.primary_id();
    assert_ne!(new, old);
    assert_eq!(new_keys.key_ids(), vec![new.clone(), old.clone()], "the old key is kept for reading");
    assert!(out.contains("social_accounts.grant_enc") && out.contains("2 re-sealed"), "{out}");
    let after = sealed_ids(&app).await;
    assert_eq!(after.len(), before.len());
    assert!(after.iter().all(|(_, kid)| *kid == new), "every sealed value is under {new}: {after:?}");

    // The running app loaded only the old key; it reads the new values all the same.
    let (s, v) = send(&app, Method::POST, "/api/settings/ai/test", None).await;
    assert_eq!((s, v["ok"].as_bool()), (200, Some(true)), "the AI key still opens: {v}");
    for c in crate::sources::list(&app).await {
        let id = c["id"].as_str().unwrap();
        let (s, v) = send(&app, Method::POST, &format!("/api/connection/validate/{id}"), None).await;
        assert_eq!((s, v["is_valid"].as_bool()), (200, Some(true)), "{id}: {v}");
        // A token refresh writes a new grant, under the new key.
        let (s, v) = send(&app, Method::POST, &format!("/api/connection/auto-refresh/{id}"), None).await;
        assert!(s < 300, "refresh {id}: {s} {v}");
    }
    let r = app.client.post(&authorize).form(&consent).send().await.unwrap();
    let done = app.client.get(location(&r)).send().await.unwrap();
    assert_eq!(location(&done), "/sources", "the connect flow started before the rotation finishes");
    assert_eq!(crate::sources::list(&app).await.len(), 3);
    let stored: String = sqlx::query_scalar("select secret from webhook_endpoints").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(new_keys.decrypt(&stored).unwrap(), hook_secret);
    let gemini: String = sqlx::query_scalar("select gemini_key from ai_settings").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(new_keys.decrypt(&gemini).unwrap(), "AIzaLEGACY-gemini-0000000000", "the legacy value was carried over");
    assert_eq!(app.state.auth.keys().primary_id(), new, "the running process picked up the new key");
    let written_since = sealed_ids(&app).await;
    assert!(written_since.iter().all(|(_, kid)| *kid == new), "new writes use the new key: {written_since:?}");

    // Idempotent: nothing left to do.
    let again = rotate_key(&data_dir, &app.db_url, &["--reseal-only"]);
    let per_column: Vec<&str> = again.lines().filter(|l| l.contains(" re-sealed, ")).collect();
    assert_eq!(per_column.len(), SEALED.len(), "{again}");
    assert!(per_column.iter().all(|l| l.contains(" 0 re-sealed, ")), "{again}");
    assert_eq!(Keys::load_or_create(&data_dir, None, None).unwrap().primary_id(), new, "--reseal-only keeps the key");
}
