//! TikTok Direct Post rules (issue 12): the person picks the privacy level (no default) from
//! what `creator_info` allows now, the comment/duet/stitch switches and the commercial-content
//! disclosure; an unaudited app may only post privately, and the app says so.

use crate::helpers::*;
use crate::platforms_video::handle;
use crate::sources::{app_with_sandbox, connect, png, user, Sbx};
use covalynce::domain::{PostOptions, TiktokSettings};
use covalynce::platforms::{ErrorClass, PostContent};
use covalynce::PlatformId;
use serde_json::json;

fn choice(privacy: &str) -> TiktokSettings {
    TiktokSettings { privacy_level: privacy.into(), ..Default::default() }
}

/// The `post_info` of the last post TikTok accepted.
fn sent_post_info(sbx: &Sbx) -> serde_json::Value {
    sbx.sandbox.lock().idempotency.get("tiktok:last_post_info").cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_tiktok_post_needs_the_persons_privacy_choice_before_it_is_stored() {
    let (app, _sbx) = app_with_sandbox().await;
    user(&app).await;
    connect(&app, "tiktok", "chooser", |u| u).await;
    let list: serde_json::Value = app.client.get(app.url("/integrations/list")).send().await.unwrap().json().await.unwrap();
    let tt = list["integrations"][0]["id"].as_str().unwrap().to_string();
    let body = |tiktok: serde_json::Value| json!({"connection_ids": [tt], "text": "Studio tour", "image_url": "https://example.com/a.jpg", "tiktok": tiktok});
    for (tiktok, code) in [
        (json!(null), "tiktok_privacy_required"),
        (json!({"privacy_level": "PUBLIC"}), "tiktok_privacy_invalid"),
        (json!({"privacy_level": "SELF_ONLY", "branded_content": true}), "tiktok_branded_private"),
    ] {
        let (s, c, msg) = error_code(app.post_json("/api/posts/publish", body(tiktok)).await).await;
        assert_eq!((s, c.as_str()), (422, code), "{msg}");
    }
    let posts: serde_json::Value = app.client.get(app.url("/api/posts")).send().await.unwrap().json().await.unwrap();
    assert_eq!(posts["posts"].as_array().unwrap().len(), 0, "nothing was stored");

    let r = app.post_json("/api/posts/publish", body(json!({"privacy_level": "SELF_ONLY", "allow_comments": true}))).await;
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["posts"][0]["tiktok"]["privacy_level"], "SELF_ONLY", "the choice is kept with the post: {v}");
}

#[tokio::test]
async fn the_persons_choices_reach_tiktok_and_a_level_tiktok_does_not_offer_is_refused() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "tiktok", "creator", |u| u).await;
    let (tt, grant, account) = handle(&app, &uid, PlatformId::Tiktok).await;
    let opts = tt.creator_options(&grant, &account).await.unwrap().expect("TikTok has choices");
    assert_eq!(opts.privacy_levels, ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]);
    assert!(opts.audited && opts.stitch_disabled, "{opts:?}");

    let photos = |t: TiktokSettings| PostContent {
        text: "Two charts".into(),
        images: vec![png(), png()],
        options: PostOptions { tiktok: Some(t), ..Default::default() },
        ..Default::default()
    };
    let chosen =
        TiktokSettings { allow_comments: false, allow_duet: true, allow_stitch: true, your_brand: true, ..choice("MUTUAL_FOLLOW_FRIENDS") };
    tt.publish(&grant, &account, &photos(chosen)).await.unwrap();
    let info = sent_post_info(&sbx);
    assert_eq!(info["privacy_level"], "MUTUAL_FOLLOW_FRIENDS", "{info}");
    assert_eq!((info["disable_comment"].as_bool(), info["brand_organic_toggle"].as_bool()), (Some(true), Some(true)), "{info}");
    assert_eq!(info["brand_content_toggle"], false);

    let e = tt.publish(&grant, &account, &photos(choice("FOLLOWER_OF_CREATOR"))).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected);
    assert!(e.message.contains("Followers") && e.message.contains("Everyone, Friends, Only me"), "{}", e.message);
    let e =
        tt.publish(&grant, &account, &PostContent { options: PostOptions::default(), ..photos(choice("SELF_ONLY")) }).await.unwrap_err();
    assert!(e.message.contains("Choose who can see"), "{}", e.message);
    assert_eq!(sbx.sandbox.ledger().len(), 1, "refused posts never reached TikTok");
}

#[tokio::test]
async fn an_unaudited_app_offers_only_private_posts_and_says_why() {
    let sbx = crate::sources::start_sandbox().await;
    let base = sbx.base.clone();
    let app = spawn_app_with(move |c| {
        c.platforms = PlatformId::ALL
            .into_iter()
            .map(|p| (p, server::config::sandbox_platform(p, &base, &c.base_url)))
            .map(|(p, mut cfg)| {
                cfg.audited = false;
                (p, cfg)
            })
            .collect();
    })
    .await;
    let uid = user(&app).await;
    connect(&app, "tiktok", "newapp", |u| u).await;
    let (tt, grant, account) = handle(&app, &uid, PlatformId::Tiktok).await;
    let opts = tt.creator_options(&grant, &account).await.unwrap().unwrap();
    assert_eq!((opts.privacy_levels.as_slice(), opts.audited), (["SELF_ONLY".to_string()].as_slice(), false));
    let post = |p: &str| PostContent {
        text: "Hello".into(),
        images: vec![png()],
        options: PostOptions { tiktok: Some(choice(p)), ..Default::default() },
        ..Default::default()
    };
    let e = tt.publish(&grant, &account, &post("PUBLIC_TO_EVERYONE")).await.unwrap_err();
    assert!(e.message.contains("Until TikTok audits this app, posts can only be private"), "{}", e.message);
    tt.publish(&grant, &account, &post("SELF_ONLY")).await.unwrap();
    assert_eq!(sent_post_info(&sbx)["privacy_level"], "SELF_ONLY");
}
