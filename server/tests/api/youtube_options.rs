//! YouTube upload choices: privacy (public, unlisted, private) and made-for-kids have no
//! default and are required (COPPA), the category comes from YouTube's list; titles and
//! descriptions lose `<` and `>` and are cut at the API's limits.

use crate::helpers::*;
use crate::platforms_video::{handle, public_not_for_kids};
use crate::sources::{app_with_sandbox, connect, user, Sbx};
use covalynce::domain::{PostOptions, YoutubeSettings};
use covalynce::platforms::{ErrorClass, MediaFile, PostContent};
use covalynce::PlatformId;
use serde_json::json;

/// The snippet and status of the last video YouTube accepted for upload.
fn sent_video(sbx: &Sbx) -> serde_json::Value {
    sbx.sandbox.lock().idempotency.get("youtube:last_video").cloned().unwrap_or_default()
}

fn mp4() -> MediaFile {
    let mut bytes = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec();
    bytes.extend_from_slice(b"\x00\x00\x00\x10mdat sandbox video");
    MediaFile { bytes, mime: "video/mp4".into(), alt: String::new(), url: None }
}

#[tokio::test]
async fn a_youtube_post_needs_privacy_and_made_for_kids_before_it_is_stored() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    connect(&app, "youtube", "chooser", |u| u).await;
    let list: serde_json::Value = app.client.get(app.url("/integrations/list")).send().await.unwrap().json().await.unwrap();
    let yt = list["integrations"][0]["id"].as_str().unwrap().to_string();
    let body = |youtube: serde_json::Value| json!({"connection_ids": [yt], "text": "Studio tour", "image_url": "https://example.com/a.mp4", "youtube": youtube});
    for (youtube, code) in [
        (json!({"privacy_status": "public"}), "youtube_made_for_kids_required"),
        (json!({"privacy_status": "public", "made_for_kids": null, "category_id": "27"}), "youtube_made_for_kids_required"),
        (json!(null), "youtube_privacy_required"),
        (json!({"privacy_status": "friends", "made_for_kids": false}), "youtube_privacy_invalid"),
        (json!({"privacy_status": "public", "made_for_kids": false, "category_id": "99"}), "youtube_category_invalid"),
    ] {
        let (s, c, msg) = error_code(app.post_json("/api/posts/publish", body(youtube)).await).await;
        assert_eq!((s, c.as_str()), (422, code), "{msg}");
        if code == "youtube_made_for_kids_required" {
            assert!(msg.contains("made for kids"), "a message a person can act on: {msg}");
        }
    }
    let posts: serde_json::Value = app.client.get(app.url("/api/posts")).send().await.unwrap().json().await.unwrap();
    assert_eq!(posts["posts"].as_array().unwrap().len(), 0, "nothing was stored");

    let r = app.post_json("/api/posts/publish", body(json!({"privacy_status": "unlisted", "made_for_kids": true}))).await;
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["posts"][0]["youtube"]["privacy_status"], "unlisted", "the choice is kept with the post: {v}");
    assert_eq!(v["posts"][0]["youtube"]["made_for_kids"], true, "{v}");
}

#[tokio::test]
async fn the_chosen_privacy_kids_and_category_reach_youtube_without_angle_brackets() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "youtube", "studio", |u| u).await;
    let (yt, grant, account) = handle(&app, &uid, PlatformId::Youtube).await;

    let chosen = YoutubeSettings { privacy_status: "private".into(), made_for_kids: Some(true), category_id: "27".into() };
    let post = PostContent {
        title: Some(format!("Learn <html> {}", "x".repeat(200))),
        text: format!("Tags like <b> are dropped. {}", "é".repeat(3000)),
        images: vec![mp4()],
        options: PostOptions { youtube: Some(chosen), ..Default::default() },
        ..Default::default()
    };
    yt.publish(&grant, &account, &post).await.unwrap();
    let sent = sent_video(&sbx);
    let title = sent["snippet"]["title"].as_str().unwrap();
    assert!(title.starts_with("Learn html x") && title.chars().count() == 100, "{title}");
    let description = sent["snippet"]["description"].as_str().unwrap();
    assert!(!description.contains(['<', '>']) && description.len() <= 5000, "{}", description.len());
    assert!(description.starts_with("Tags like b are dropped."), "{description}");
    assert_eq!(sent["snippet"]["categoryId"], "27", "{sent}");
    assert_eq!(sent["status"]["privacyStatus"], "private", "{sent}");
    assert_eq!(sent["status"]["selfDeclaredMadeForKids"], true, "{sent}");

    // An empty category is People & Blogs.
    let post = PostContent {
        title: Some("Default category".into()),
        options: PostOptions {
            youtube: Some(YoutubeSettings { category_id: String::new(), ..public_not_for_kids() }),
            ..Default::default()
        },
        ..post
    };
    yt.publish(&grant, &account, &post).await.unwrap();
    let sent = sent_video(&sbx);
    assert_eq!((sent["snippet"]["categoryId"].as_str(), sent["status"]["selfDeclaredMadeForKids"].as_bool()), (Some("22"), Some(false)));

    // Without the person's choices nothing is sent.
    let e = yt.publish(&grant, &account, &PostContent { options: PostOptions::default(), ..post }).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("made for kids"), "{}", e.message);
    assert_eq!(sbx.sandbox.ledger().iter().filter(|l| l.platform == "youtube").count(), 2, "the refused post never reached YouTube");
}

#[tokio::test]
async fn the_sandbox_refuses_a_video_without_privacy_or_made_for_kids_or_with_an_unknown_category() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "youtube", "raw", |u| u).await;
    let (_yt, grant, _account) = handle(&app, &uid, PlatformId::Youtube).await;
    let start = |meta: serde_json::Value| {
        app.client
            .post(format!("{}/youtube/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status", sbx.base))
            .bearer_auth(&grant.access_token)
            .json(&meta)
            .send()
    };
    let snippet = json!({"title": "Hi", "description": "", "categoryId": "22"});
    for (meta, words) in [
        (json!({"snippet": snippet, "status": {"selfDeclaredMadeForKids": false}}), "privacyStatus"),
        (json!({"snippet": snippet, "status": {"privacyStatus": "public"}}), "selfDeclaredMadeForKids"),
        (
            json!({"snippet": {"title": "Hi", "categoryId": "3"}, "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": false}}),
            "category",
        ),
    ] {
        let r = start(meta).await.unwrap();
        assert_eq!(r.status(), 400);
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"]["message"].as_str().unwrap().contains(words), "{v}");
    }
    assert!(sent_video(&sbx).is_null(), "nothing was kept");
}
