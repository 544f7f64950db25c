//! YouTube (Google OAuth + Data API v3) and TikTok (Login Kit v2 + Content Posting API)
//! against the platform sandbox over real HTTP: consent-gated connect, refresh (Google keeps
//! its refresh token, TikTok rotates it), account info, video and photo publishing,
//! metrics, and each error class.

use crate::helpers::*;
use crate::sources::{app_with_sandbox, connect, flash, list, png, user, Sbx};
use covalynce::domain::PostOptions;
use covalynce::platforms::{AccountProfile, ErrorClass, Grant, MediaFile, Platform, PostContent};
use covalynce::PlatformId;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// A tiny but plausible MP4: an `ftyp` box, then some payload.
fn mp4() -> MediaFile {
    let mut bytes = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec();
    bytes.extend_from_slice(b"\x00\x00\x00\x10mdat sandbox video");
    MediaFile { bytes, mime: "video/mp4".into(), alt: String::new(), url: None }
}

/// The one connection of `p`: adapter, grant and the account to publish as.
pub(crate) async fn handle(app: &TestApp, uid: &str, p: PlatformId) -> (Arc<dyn Platform>, Grant, AccountProfile) {
    let c = list(app).await.into_iter().find(|c| c["provider"] == p.as_str()).expect("connected");
    let (conn, grant, _) = app.state.connections.grant(uid, c["id"].as_str().unwrap()).await.unwrap();
    let adapter = app.state.connections.platforms().get(p).expect("adapter configured");
    let account = AccountProfile {
        external_id: conn.external_id,
        username: conn.username,
        display_name: conn.display_name,
        avatar_url: conn.avatar_url,
    };
    (adapter, grant, account)
}

async fn control(sbx: &Sbx, path: &str, body: serde_json::Value) {
    let r = reqwest::Client::new().post(format!("{}/_control/{path}", sbx.base)).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "control {path}");
}

async fn authorize_query(app: &TestApp, p: &str) -> HashMap<String, String> {
    let v: serde_json::Value = app.post_json("/integrations/consent", json!({"provider": p, "consent": true})).await.json().await.unwrap();
    let url = url::Url::parse(v["authorization_url"].as_str().unwrap()).unwrap();
    url.query_pairs().into_owned().collect()
}

/// TikTok: public, everything allowed (the person's choice; TikTok has no default).
fn everyone() -> covalynce::domain::TiktokSettings {
    covalynce::domain::TiktokSettings {
        privacy_level: "PUBLIC_TO_EVERYONE".into(),
        allow_comments: true,
        allow_duet: true,
        allow_stitch: true,
        ..Default::default()
    }
}

fn video_post(text: &str) -> PostContent {
    let options = PostOptions { tiktok: Some(everyone()), youtube: Some(public_not_for_kids()), pinterest: None };
    PostContent { text: text.into(), images: vec![mp4()], options, ..Default::default() }
}

/// YouTube: public, not made for kids, People & Blogs (privacy and kids have no default).
pub fn public_not_for_kids() -> covalynce::domain::YoutubeSettings {
    covalynce::domain::YoutubeSettings { privacy_status: "public".into(), made_for_kids: Some(false), category_id: "22".into() }
}

#[tokio::test]
async fn youtube_and_tiktok_connect_through_their_consent_screens() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;

    // Google: offline access with a forced consent screen (else no refresh token), PKCE.
    let q = authorize_query(&app, "youtube").await;
    assert_eq!(q.get("access_type").map(String::as_str), Some("offline"));
    assert_eq!(q.get("prompt").map(String::as_str), Some("consent"));
    assert_eq!(q.get("include_granted_scopes").map(String::as_str), Some("true"));
    assert_eq!(q.get("code_challenge_method").map(String::as_str), Some("S256"));
    assert!(q["scope"].split(' ').any(|s| s == "https://www.googleapis.com/auth/youtube.upload"));
    // TikTok: client_key, comma-separated scopes.
    let q = authorize_query(&app, "tiktok").await;
    assert!(q.contains_key("client_key") && !q.contains_key("client_id"), "{q:?}");
    assert!(q["scope"].split(',').any(|s| s == "video.publish") && !q["scope"].contains(' '));

    for (p, name) in [("youtube", "YouTube"), ("tiktok", "TikTok")] {
        let r = connect(&app, p, "eve", |u| u.replace("state=", "state=forged")).await;
        assert_eq!(location(&r), "/sources");
        assert!(flash(&app).await.contains("expired or was already used"), "{p}: a forged state is refused");
        assert!(list(&app).await.iter().all(|c| c["provider"] != p), "{p}: nothing connected");

        let r = connect(&app, p, "ada_writes", |u| u).await;
        assert_eq!(location(&r), "/sources");
        assert!(flash(&app).await.contains("Connected Ada Writes"), "{name}: success is announced");
    }
    let l = list(&app).await;
    assert_eq!(l.len(), 2);
    let yt = l.iter().find(|c| c["provider"] == "youtube").unwrap();
    assert!(yt["account_id"].as_str().unwrap().starts_with("UC"), "the channel id: {yt}");
    assert_eq!(yt["username"], "ada_writes");
    assert_eq!(yt["display_name"], "Ada Writes");
    assert!(yt["avatar_url"].as_str().unwrap().starts_with("https://"));
    assert!(yt["permissions"].as_array().unwrap().iter().any(|s| s == "https://www.googleapis.com/auth/youtube.upload"));
    assert_eq!(yt["status"], "healthy");
    let tt = l.iter().find(|c| c["provider"] == "tiktok").unwrap();
    assert_eq!(tt["username"], "ada_writes");
    assert_eq!(tt["display_name"], "Ada Writes");
    assert!(tt["permissions"].as_array().unwrap().iter().any(|s| s == "video.publish"), "comma-separated scopes are split: {tt}");
    // TikTok access tokens live a day here (Google's an hour).
    let now = chrono::Utc::now().timestamp_millis();
    let (yt_exp, tt_exp) = (yt["token_expires_at"].as_i64().unwrap(), tt["token_expires_at"].as_i64().unwrap());
    assert!((3_500_000..=3_600_000).contains(&(yt_exp - now)), "{}", yt_exp - now);
    assert!(tt_exp - now > 20 * 3_600_000);
}

#[tokio::test]
async fn refresh_keeps_googles_token_and_persists_tiktoks_rotation() {
    let (app, _sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "youtube", "refresher", |u| u).await;
    connect(&app, "tiktok", "refresher", |u| u).await;
    for p in [PlatformId::Youtube, PlatformId::Tiktok] {
        let (_, first, _) = handle(&app, &uid, p).await;
        assert!(first.refresh_token.is_some(), "{p}: a refresh token came with the connect");
        let mut previous = first.clone();
        for round in 0..2 {
            let v: serde_json::Value = app
                .client
                .post(app.url(&format!("/integrations/{}/refresh", p.as_str())))
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(v["results"][0]["success"], true, "{p} round {round}: {v}");
            let (_, now, _) = handle(&app, &uid, p).await;
            assert_ne!(now.access_token, previous.access_token, "{p}: a new access token");
            if p == PlatformId::Youtube {
                assert_eq!(now.refresh_token, first.refresh_token, "Google does not rotate: the stored refresh token is kept");
            } else {
                assert_ne!(now.refresh_token, previous.refresh_token, "TikTok rotates: the new refresh token is stored");
            }
            previous = now;
        }
        // The refreshed grant still works.
        let (adapter, grant, _) = handle(&app, &uid, p).await;
        assert_eq!(adapter.accounts(&grant).await.unwrap()[0].0.username, "refresher");
    }
}

#[tokio::test]
async fn videos_publish_with_real_links_and_metrics_grow() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "youtube", "studio", |u| u).await;
    connect(&app, "tiktok", "studio", |u| u).await;

    for p in [PlatformId::Youtube, PlatformId::Tiktok] {
        let (adapter, grant, account) = handle(&app, &uid, p).await;
        let text = format!("Behind the scenes on {}\nA short tour of the studio #covalynce", p.display_name());
        let published = adapter.publish(&grant, &account, &video_post(&text)).await.unwrap();
        let ledger: Vec<_> = sbx.sandbox.ledger().into_iter().filter(|e| e.platform == p.as_str()).collect();
        assert_eq!(ledger.len(), 1, "{p}: exactly one post reached the platform");
        assert_eq!(ledger[0].post_id, published.external_id);
        assert!(ledger[0].text.contains("A short tour"), "{p}: the text went along");
        match p {
            PlatformId::Youtube => {
                let id = published.url.strip_prefix("https://www.youtube.com/watch?v=").expect("a watch link");
                assert_eq!(id.len(), 11, "{}", published.url);
            }
            _ => assert_eq!(published.url, format!("https://www.tiktok.com/@studio/video/{}", published.external_id)),
        }
        let before = adapter.metrics(&grant, &account, &published.external_id).await.unwrap();
        sbx.sandbox.lock().clock_offset_ms += 30 * 60_000;
        let after = adapter.metrics(&grant, &account, &published.external_id).await.unwrap();
        assert!(after.views.unwrap() > before.views.unwrap(), "{p}: views grow over time");
        assert!(after.likes.unwrap() > 0 && after.comments.is_some(), "{p}: {after:?}");
        assert_eq!(after.impressions, None, "{p}: not reported means empty, not zero");
        if p == PlatformId::Youtube {
            assert_eq!(after.shares, None, "the Data API has no share count");
        } else {
            assert!(after.shares.is_some());
        }
    }
}

#[tokio::test]
async fn youtube_takes_only_videos_and_tiktok_photos_need_public_links() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "youtube", "mixed", |u| u).await;
    connect(&app, "tiktok", "mixed", |u| u).await;

    let (yt, grant, account) = handle(&app, &uid, PlatformId::Youtube).await;
    let text_only = PostContent { text: "Just words".into(), ..Default::default() };
    let image_only = PostContent { text: "A chart".into(), images: vec![png()], ..Default::default() };
    for post in [&text_only, &image_only] {
        let e = yt.publish(&grant, &account, post).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Rejected);
        assert!(e.message.contains("YouTube posts are videos: attach a video"), "{}", e.message);
    }
    // An explicit title is used as given.
    let titled = PostContent { title: Some("Studio tour".into()), ..video_post("Longer description") };
    yt.publish(&grant, &account, &titled).await.unwrap();

    let (tt, grant, account) = handle(&app, &uid, PlatformId::Tiktok).await;
    let e = tt.publish(&grant, &account, &text_only).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected, "TikTok has no text-only posts");
    let mut unpublished = png();
    unpublished.url = None;
    let e = tt
        .publish(&grant, &account, &PostContent { text: "Photos".into(), images: vec![unpublished], ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("public link"), "{}", e.message);
    let photos = tt
        .publish(
            &grant,
            &account,
            &PostContent {
                text: "Two charts".into(),
                images: vec![png(), png()],
                options: PostOptions { tiktok: Some(everyone()), ..Default::default() },
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(photos.url.starts_with("https://www.tiktok.com/@mixed/photo/"), "{}", photos.url);

    let ledger = sbx.sandbox.ledger();
    assert_eq!(ledger.iter().filter(|e| e.platform == "youtube").count(), 1, "refused posts never reached YouTube");
    let tiktok: Vec<_> = ledger.iter().filter(|e| e.platform == "tiktok").collect();
    assert_eq!((tiktok.len(), tiktok[0].images), (1, 2), "one photo post with both images");
}

#[tokio::test]
async fn each_error_class_is_recognised_on_both_platforms() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "youtube", "faulty", |u| u).await;
    connect(&app, "tiktok", "faulty", |u| u).await;

    for p in [PlatformId::Youtube, PlatformId::Tiktok] {
        let name = p.as_str();
        let (adapter, grant, account) = handle(&app, &uid, p).await;

        control(&sbx, "faults", json!({"platform": name, "kind": "429", "retry_after": 7})).await;
        let e = adapter.publish(&grant, &account, &video_post("rate limited")).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::RetryLater { retry_after_secs: Some(7) }, "{p}: {e:?}");

        control(&sbx, "faults", json!({"platform": name, "kind": "5xx", "status": 503})).await;
        let e = adapter.publish(&grant, &account, &video_post("server error")).await.unwrap_err();
        assert!(matches!(e.class, ErrorClass::RetryLater { .. }), "{p}: {e:?}");

        // Content the platform itself refuses, in its own words.
        let (bad, words) = match p {
            PlatformId::Youtube => {
                let mut post = video_post("desc");
                post.options.youtube = Some(covalynce::domain::YoutubeSettings { category_id: "99".into(), ..public_not_for_kids() });
                (post, "invalid video category")
            }
            _ => (video_post(&"too long ".repeat(300)), "exceeds 2200"),
        };
        let e = adapter.publish(&grant, &account, &bad).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Rejected, "{p}: {e:?}");
        assert!(e.message.contains(words), "{p}: the platform's message: {}", e.message);
        assert!(sbx.sandbox.ledger().iter().all(|l| l.platform != name), "{p}: nothing was published so far");

        control(&sbx, "tokens", json!({"platform": name, "action": "expire"})).await;
        let e = adapter.publish(&grant, &account, &video_post("expired")).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::RefreshNeeded, "{p}: {e:?}");
        let fresh = adapter.refresh(&grant).await.unwrap();
        adapter.publish(&fresh, &account, &video_post("after refresh")).await.unwrap();

        control(&sbx, "tokens", json!({"platform": name, "action": "revoke"})).await;
        assert_eq!(adapter.metrics(&fresh, &account, "1").await.unwrap_err().class, ErrorClass::RefreshNeeded, "{p}");
        let e = adapter.refresh(&fresh).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Disconnected, "{p}: a revoked grant cannot be refreshed: reconnect ({e:?})");
    }
}

#[tokio::test]
async fn disconnecting_revokes_the_grant_at_the_platform() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "youtube", "leaver", |u| u).await;
    connect(&app, "tiktok", "leaver", |u| u).await;
    let grants = [handle(&app, &uid, PlatformId::Youtube).await.1, handle(&app, &uid, PlatformId::Tiktok).await.1];
    for c in list(&app).await {
        let csrf = app.csrf().await;
        let r = app
            .client
            .post(app.url(&format!("/sources/{}/revoke", c["id"].as_str().unwrap())))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&r), "/sources");
    }
    assert!(list(&app).await.is_empty());
    let http = reqwest::Client::new();
    let yt = http
        .get(format!("{}/youtube/youtube/v3/channels?part=snippet&mine=true", sbx.base))
        .bearer_auth(&grants[0].access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(yt.status(), 401, "Google forgot the access token");
    let r = http
        .post(format!("{}/youtube/token", sbx.base))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", grants[0].refresh_token.as_deref().unwrap()),
            ("client_id", sandbox::CLIENT_ID),
            ("client_secret", sandbox::CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "and the refresh token with it");
    let tt =
        http.get(format!("{}/tiktok/v2/user/info/?fields=open_id", sbx.base)).bearer_auth(&grants[1].access_token).send().await.unwrap();
    assert_eq!(tt.status(), 401, "TikTok forgot the access token");
}
