//! Seed 001's connection tools over HTTP, with the seed's shapes.

use crate::helpers::*;
use crate::sources::{app_with_sandbox, connect, list, user};
use serde_json::json;

async fn get(app: &TestApp, path: &str) -> (u16, serde_json::Value) {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

#[tokio::test]
async fn discovery_and_quick_connect_options_follow_the_recommended_order() {
    let (app, _sbx) = app_with_sandbox().await;
    let (s, v) = get(&app, "/api/connection/configs").await;
    assert_eq!(s, 200);
    let all = v["platforms"].as_array().unwrap();
    assert_eq!(all.len(), 10);
    assert_eq!(all[0]["platform"], "x");
    assert!(all.iter().all(|p| p["permissions"].as_array().unwrap().iter().all(|s| s["reason"].as_str().unwrap().ends_with('.'))));
    let (_, o) = get(&app, "/api/connection/quick-connect/options").await;
    assert_eq!(o["total_platforms"], 10);
    assert_eq!(o["recommended_order"][0], "x");
    assert_eq!(o["platforms"]["x"]["difficulty"], "easy");
    let (s, c) = get(&app, "/api/connection/config/twitter").await;
    assert_eq!((s, c["display_name"].as_str()), (200, Some("X (Twitter)")));
    assert_eq!(get(&app, "/api/connection/config/myspace").await.0, 404);
}

#[tokio::test]
async fn quick_connect_and_bulk_prepare_need_consent_and_sort_the_sequence() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    let (s, code, _) = error_code(app.post_json("/api/connection/quick-connect/x", json!({})).await).await;
    assert_eq!((s, code.as_str()), (400, "consent_required"));
    let v: serde_json::Value = app.post_json("/api/connection/quick-connect/x", json!({"consent": true})).await.json().await.unwrap();
    assert!(v["authorization_url"].as_str().unwrap().contains(&format!("state={}", v["state"].as_str().unwrap())));

    let v: serde_json::Value = app
        .post_json("/api/connection/bulk-connect/prepare", json!({"platforms": ["mastodon", "bluesky", "twitter"], "consent": true}))
        .await
        .json()
        .await
        .unwrap();
    let seq: Vec<&str> = v["connection_sequence"].as_array().unwrap().iter().map(|s| s["platform"].as_str().unwrap()).collect();
    assert_eq!(seq, ["x", "bluesky", "mastodon"], "recommended order");
    assert_eq!(v["total_platforms"], 3);
    assert!(v["estimated_time_minutes"].as_u64().unwrap() >= 6);
    assert_eq!(v["connection_sequence"][1]["connect_with"], "app_password");
    assert!(v["connection_sequence"][2]["authorization_url"].as_str().unwrap().contains("/mastodon/oauth/authorize?"));
    let (s, code, _) =
        error_code(app.post_json("/api/connection/bulk-connect/prepare", json!({"platforms": ["x", "myspace"], "consent": true})).await)
            .await;
    assert_eq!((s, code.as_str()), (422, "unknown_platform"));
}

#[tokio::test]
async fn instructions_prerequisites_and_troubleshooter() {
    let (app, _sbx) = app_with_sandbox().await;
    let (_, r) = get(&app, "/api/connection/reconnect-instructions/x").await;
    assert_eq!(r["title"], "Reconnect X (Twitter)");
    assert!(r["required_permissions"].as_array().unwrap().iter().any(|s| s == "tweet.write"));
    assert!(r["steps"].as_array().unwrap().len() >= 3);
    let (_, p) = get(&app, "/api/connection/test-prerequisites/x").await;
    assert_eq!(p["ready_to_connect"], true, "{p}");

    // A server with nothing configured explains what to set.
    let bare = spawn_app().await;
    let (_, p) = get(&bare, "/api/connection/test-prerequisites/twitter").await;
    assert_eq!(p["ready_to_connect"], false);
    let failing: Vec<&str> =
        p["checks"].as_array().unwrap().iter().filter(|c| c["status"] == "fail").map(|c| c["name"].as_str().unwrap()).collect();
    assert!(failing.contains(&"Environment variable: TWITTER_CLIENT_ID"), "{failing:?}");
    let (_, m) = get(&bare, "/api/connection/test-prerequisites/mastodon").await;
    assert_eq!(m["checks"][0]["status"], "pass", "Mastodon needs no app credentials");

    let v: serde_json::Value = app
        .post_json(
            "/api/connection/troubleshoot",
            json!({"platform": "twitter", "error_code": "invalid_client", "error_message": "The client_id provided is invalid"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["issue_type"], "invalid_credentials");
    assert_eq!(v["severity"], "high");
    assert!(v["solutions"].as_array().unwrap().iter().any(|s| s.as_str().unwrap().contains("TWITTER_CLIENT_ID")));
    assert!(v["docs_url"].as_str().unwrap().starts_with("https://"));
}

#[tokio::test]
async fn account_tools_validate_inspect_refresh_and_stay_private() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    connect(&app, "x", "toolbox", |u| u).await;
    let id = list(&app).await[0]["id"].as_str().unwrap().to_string();

    let (_, p) = get(&app, &format!("/api/connection/check-permissions/{id}")).await;
    assert_eq!((p["can_post"].as_bool(), p["can_read"].as_bool()), (Some(true), Some(true)));
    assert!(p["missing_permissions"].as_array().unwrap().is_empty(), "{p}");

    let v: serde_json::Value =
        app.client.post(app.url(&format!("/api/connection/validate/{id}"))).json(&json!({})).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["is_valid"], true);
    assert_eq!(v["account_info"]["username"], "toolbox");

    // X tokens live two hours, so they are always inside the refresh window.
    let r = app
        .client
        .post(app.url(&format!("/api/connection/auto-refresh/{id}")))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&r).unwrap();
    assert_eq!(v["refreshed"], true, "{v}");
    let (conn, grant, _) = {
        let uid = app.client.get(app.url("/auth/me")).send().await.unwrap().json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.state.connections.grant(&uid, &id).await.unwrap()
    };
    assert!(!r.contains(&grant.access_token), "the token never leaves the server");
    assert_eq!(conn.status, covalynce::ConnectionStatus::Healthy);

    let other =
        TestApp { addr: app.addr.clone(), client: client(), db: app.db.clone(), db_url: app.db_url.clone(), state: app.state.clone() };
    user(&other).await;
    for path in [format!("/api/connection/check-permissions/{id}"), format!("/api/connection/health/{id}")] {
        assert_eq!(get(&other, &path).await.0, 404, "{path}");
    }
    for path in [format!("/api/connection/validate/{id}"), format!("/api/connection/auto-refresh/{id}")] {
        assert_eq!(other.client.post(other.url(&path)).json(&json!({})).send().await.unwrap().status(), 404, "{path}");
    }
}
