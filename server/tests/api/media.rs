//! Images for drafts: uploads (checked by content, stripped, thumbnailed, nothing half-saved),
//! ownership, the public `/media` bytes, text cards and Gemini against a local fake that
//! speaks Google's real shapes. On both databases.

use crate::helpers::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use covalynce::media::{GenerateRequest, MediaError};
use covalynce::Failure;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{json, Value};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn noise(w: u32, h: u32) -> RgbImage {
    let mut s = 0x9e37_79b9_u32;
    RgbImage::from_fn(w, h, |x, y| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        // Smooth enough to compress like a photo, noisy enough not to vanish.
        Rgb([(x / 3) as u8 ^ (s as u8 & 0x1f), (y / 3) as u8, ((x + y) / 5) as u8 ^ ((s >> 8) as u8 & 0x0f)])
    })
}

fn png(img: RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(vec![]);
    DynamicImage::ImageRgb8(img).write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A camera-style JPEG: an APP1 Exif block with a GPS IFD and a description right after SOI.
fn jpeg_with_exif(img: RgbImage, secret: &str) -> Vec<u8> {
    let mut plain = Cursor::new(vec![]);
    DynamicImage::ImageRgb8(img).write_to(&mut plain, ImageFormat::Jpeg).unwrap();
    let plain = plain.into_inner();
    let desc = format!("{secret}\0");
    let desc_off = 8 + 2 + 2 * 12 + 4;
    let gps_off = desc_off + desc.len();
    let mut tiff: Vec<u8> = b"MM\0*\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x0E, 0, 2]);
    tiff.extend_from_slice(&(desc.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&(desc_off as u32).to_be_bytes());
    tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]);
    tiff.extend_from_slice(&(gps_off as u32).to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(desc.as_bytes());
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0x00, 0x01, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// An app whose media directory the test can look into.
async fn media_app(customise: impl FnOnce(&mut server::config::Config)) -> (TestApp, PathBuf) {
    let mut dir = PathBuf::new();
    let app = spawn_app_with(|c| {
        dir = c.data_dir.join("media");
        customise(c);
    })
    .await;
    (app, dir)
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

async fn image_rows(app: &TestApp) -> i64 {
    use sqlx::Row;
    sqlx::query("select count(*) as n from images").fetch_one(app.db.pool()).await.unwrap().get::<i64, _>("n")
}

async fn upload(app: &TestApp, bytes: Vec<u8>, name: &str, mime: &str, draft_id: Option<&str>) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()).mime_str(mime).unwrap();
    let mut form = reqwest::multipart::Form::new().part("file", part);
    if let Some(d) = draft_id {
        form = form.text("draft_id", d.to_string());
    }
    let csrf = app.csrf().await;
    let r = app.client.post(app.url("/api/images")).header("x-csrf-token", csrf).multipart(form).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path));
    req = match body {
        Some(b) => req.json(&b),
        None => req.header("content-type", "application/json"),
    };
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

async fn fetch(app: &TestApp, path: &str) -> (u16, HeaderMap, Vec<u8>) {
    // A fresh client: media is public, no cookies needed.
    let r = client().get(app.url(path)).send().await.unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, h, r.bytes().await.unwrap().to_vec())
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn png_and_jpeg_uploads_are_cleaned_thumbnailed_and_served() {
    let (app, dir) = media_app(|_| {}).await;
    app.signup(&unique_email("img")).await;

    let src = png(noise(900, 600));
    let (s, img) = upload(&app, src.clone(), "chart.png", "image/png", None).await;
    assert_eq!(s, 201, "{img}");
    let id = img["id"].as_str().unwrap().to_string();
    assert_eq!(img["url"], format!("/media/{id}"));
    assert_eq!(img["thumbnail_url"], format!("/media/{id}/thumb"));
    assert_eq!((img["content_type"].as_str(), img["width"].as_u64(), img["height"].as_u64()), (Some("image/png"), Some(900), Some(600)));
    assert_eq!((img["generated"].as_bool(), img["source"].as_str()), (Some(false), Some("upload")));

    let (s, h, full) = fetch(&app, &format!("/media/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(header(&h, "content-type"), "image/png");
    assert_eq!(header(&h, "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert!(h.get("set-cookie").is_none(), "a publicly cached response carries no cookie");
    assert_eq!(full.len() as u64, img["bytes"].as_u64().unwrap());
    let decoded = image::load_from_memory(&full).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (900, 600));

    let (s, h, thumb) = fetch(&app, &format!("/media/{id}/thumb")).await;
    assert_eq!((s, header(&h, "content-type")), (200, "image/jpeg"));
    assert!(thumb.len() < full.len(), "the thumbnail is smaller ({} vs {})", thumb.len(), full.len());
    let t = image::load_from_memory(&thumb).unwrap();
    assert_eq!((t.width(), t.height()), (400, 267), "400 px on the long side");

    let (s, meta) = send(&app, reqwest::Method::GET, &format!("/api/images/{id}"), None).await;
    assert_eq!((s, &meta["id"]), (200, &img["id"]));

    // A JPEG straight from a phone: its EXIF (with GPS) must not survive.
    let exif = jpeg_with_exif(noise(640, 480), "Home sweet home 51.5072N");
    assert!(contains(&exif, b"Exif\0\0") && contains(&exif, b"Home sweet home"));
    let (s, j) = upload(&app, exif, "IMG_0001.JPG", "image/jpeg", None).await;
    assert_eq!(s, 201, "{j}");
    assert_eq!(j["content_type"], "image/jpeg");
    let (_, h, served) = fetch(&app, j["url"].as_str().unwrap()).await;
    assert_eq!(header(&h, "content-type"), "image/jpeg");
    assert!(!contains(&served, b"Exif"), "no EXIF block in what we serve");
    assert!(!contains(&served, b"Home sweet home"));
    assert_eq!(image::load_from_memory(&served).unwrap().width(), 640);

    assert_eq!(image_rows(&app).await, 2);
    assert_eq!(files_in(&dir).len(), 4, "an image and a thumbnail each: {:?}", files_in(&dir));
    assert_eq!(fetch(&app, "/media/not-a-uuid").await.0, 404);
    assert_eq!(fetch(&app, &format!("/media/{}", uuid::Uuid::new_v4())).await.0, 404);
}

#[tokio::test]
async fn renamed_oversize_empty_and_broken_files_are_refused_and_nothing_is_saved() {
    let limit = 256 * 1024;
    let (app, dir) = media_app(|c| c.media.max_upload_bytes = limit).await;
    app.signup(&unique_email("bad")).await;

    let (s, e) = upload(&app, b"Dear diary, this is not a picture.\n".to_vec(), "cat.png", "image/png", None).await;
    assert_eq!((s, e["error"].as_str()), (415, Some("unsupported_type")));
    assert_eq!(e["message"], "That file is not a PNG, JPEG, GIF or WebP image (it looks like text).");

    // Just over the limit: our handler sees it all and says how big it was.
    let big = png(RgbImage::from_fn(400, 300, |x, y| Rgb([(x * 7 + y * 13) as u8, (x * y) as u8, (x ^ y) as u8])));
    let mut big = big;
    big.resize(limit as usize + 10 * 1024, 0);
    let (s, e) = upload(&app, big, "big.png", "image/png", None).await;
    assert_eq!((s, e["error"].as_str()), (413, Some("file_too_large")), "{e}");
    assert_eq!(e["message"], "That file is 266 KB; the limit is 256 KB.");

    // Far over: cut off at the body limit, still our message rather than axum's.
    let (s, e) = upload(&app, vec![0x89; 3 * 1024 * 1024], "huge.png", "image/png", None).await;
    assert_eq!((s, e["error"].as_str()), (413, Some("file_too_large")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("the limit of 256 KB"), "{e}");

    let (s, e) = upload(&app, vec![], "empty.png", "image/png", None).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("empty_file")));
    assert!(e["message"].as_str().unwrap().starts_with("That file is empty"));

    let mut cut = png(noise(100, 100));
    cut.truncate(200);
    let (s, e) = upload(&app, cut, "cut.png", "image/png", None).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("undecodable_image")));

    let form = reqwest::multipart::Form::new().text("draft_id", "x");
    let r = app.client.post(app.url("/api/images")).header("x-csrf-token", app.csrf().await).multipart(form).send().await.unwrap();
    assert_eq!(error_code(r).await.1, "no_file");
    let r = app.client.post(app.url("/api/images")).json(&json!({"file": "x"})).send().await.unwrap();
    assert_eq!(error_code(r).await.0, 415, "JSON is not an upload");

    assert_eq!(image_rows(&app).await, 0, "no row for any refused file");
    assert!(files_in(&dir).is_empty(), "no object for any refused file: {:?}", files_in(&dir));
}

#[tokio::test]
async fn an_upload_for_a_draft_becomes_its_image_and_deleting_it_clears_the_draft() {
    let (app, dir) = media_app(|_| {}).await;
    app.signup(&unique_email("draftimg")).await;
    let (_, d) = send(&app, reqwest::Method::POST, "/api/drafts", Some(json!({"idea": "Launch day"}))).await;
    let did = d["id"].as_str().unwrap().to_string();

    let (s, img) = upload(&app, png(noise(500, 500)), "launch.png", "image/png", Some(&did)).await;
    assert_eq!(s, 201, "{img}");
    assert_eq!(img["draft_id"], did.as_str());
    let (_, d) = send(&app, reqwest::Method::GET, &format!("/api/drafts/{did}"), None).await;
    assert_eq!(d["image_url"], img["url"]);
    assert_eq!(d["image_generated"], false);

    let id = img["id"].as_str().unwrap();
    let (s, _) = send(&app, reqwest::Method::DELETE, &format!("/api/images/{id}"), None).await;
    assert_eq!(s, 204);
    let (_, d) = send(&app, reqwest::Method::GET, &format!("/api/drafts/{did}"), None).await;
    assert!(d["image_url"].is_null(), "the draft no longer shows a deleted image: {d}");
    assert_eq!(send(&app, reqwest::Method::GET, &format!("/api/images/{id}"), None).await.0, 404);
    assert_eq!(fetch(&app, &format!("/media/{id}")).await.0, 404);
    assert_eq!(fetch(&app, &format!("/media/{id}/thumb")).await.0, 404);
    assert_eq!(image_rows(&app).await, 0);
    assert!(files_in(&dir).is_empty(), "{:?}", files_in(&dir));
    assert_eq!(send(&app, reqwest::Method::DELETE, &format!("/api/images/{id}"), None).await.0, 404);
}

#[tokio::test]
async fn another_users_images_and_drafts_are_not_found() {
    let (app, dir) = media_app(|_| {}).await;
    app.signup(&unique_email("owner")).await;
    let (_, d) = send(&app, reqwest::Method::POST, "/api/drafts", Some(json!({"idea": "mine"}))).await;
    let did = d["id"].as_str().unwrap().to_string();
    let (_, img) = upload(&app, png(noise(300, 200)), "a.png", "image/png", Some(&did)).await;
    let id = img["id"].as_str().unwrap().to_string();

    let other = app.other_browser();
    other.signup(&unique_email("intruder")).await;
    assert_eq!(send(&other, reqwest::Method::GET, &format!("/api/images/{id}"), None).await.0, 404);
    assert_eq!(send(&other, reqwest::Method::DELETE, &format!("/api/images/{id}"), None).await.0, 404);
    let (s, e) = upload(&other, png(noise(300, 200)), "b.png", "image/png", Some(&did)).await;
    assert_eq!((s, e["error"].as_str()), (404, Some("not_found")));
    let (s, _) =
        send(&other, reqwest::Method::POST, "/image/generate", Some(json!({"prompt": "hijack", "draft_id": did, "mode": "text_card"})))
            .await;
    assert_eq!(s, 404);
    assert_eq!(image_rows(&app).await, 1, "the intruder saved nothing");
    assert_eq!(files_in(&dir).len(), 2);
    let (_, d) = send(&app, reqwest::Method::GET, &format!("/api/drafts/{did}"), None).await;
    assert_eq!(d["image_url"], img["url"], "the owner's draft is untouched");
    // The bytes themselves are public by their unguessable id (platforms fetch them).
    assert_eq!(fetch(&other, &format!("/media/{id}")).await.0, 200);

    let anon = client();
    let r = anon.post(app.url("/image/generate")).json(&json!({"prompt": "x"})).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn text_cards_have_the_platforms_shape_and_mark_the_draft_generated() {
    let app = spawn_app().await;
    app.signup(&unique_email("card")).await;
    let (_, d) = send(&app, reqwest::Method::POST, "/api/drafts", Some(json!({"idea": "We ship weekly now."}))).await;
    let did = d["id"].as_str().unwrap().to_string();

    for (platform, w, h) in [("instagram", 1080u32, 1350u32), ("x", 1200, 675), ("pinterest", 1000, 1500), ("tiktok", 1080, 1920)] {
        let body = json!({"prompt": "We ship weekly now. Small batches, fewer bugs.", "platform": platform, "draft_id": did});
        let (s, img) = send(&app, reqwest::Method::POST, "/image/generate", Some(body)).await;
        assert_eq!(s, 201, "{platform}: {img}");
        assert_eq!((img["generated"].as_bool(), img["source"].as_str()), (Some(true), Some("text_card")), "no Gemini key: a text card");
        assert_eq!((img["width"].as_u64(), img["height"].as_u64()), (Some(u64::from(w)), Some(u64::from(h))), "{platform}");
        assert_eq!(img["content_type"], "image/png");
        let (_, hdr, bytes) = fetch(&app, img["url"].as_str().unwrap()).await;
        assert_eq!(header(&hdr, "content-type"), "image/png");
        let decoded = image::load_from_memory_with_format(&bytes, ImageFormat::Png).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (w, h));
        let (_, d) = send(&app, reqwest::Method::GET, &format!("/api/drafts/{did}"), None).await;
        assert_eq!((&d["image_url"], d["image_generated"].as_bool()), (&img["url"], Some(true)));
    }
    for (body, status, code) in [
        (json!({"prompt": "   "}), 422, "empty_prompt"),
        (json!({"prompt": "Hi", "platform": "myspace"}), 422, "unknown_platform"),
        (json!({"prompt": "Hi", "mode": "oil_painting"}), 422, "invalid_mode"),
        (json!({"prompt": "Hi", "draft_id": "nope"}), 404, "not_found"),
    ] {
        let (s, e) = send(&app, reqwest::Method::POST, "/image/generate", Some(body.clone())).await;
        assert_eq!((s, e["error"].as_str()), (status, Some(code)), "{body}: {e}");
    }
}

// ------------------------------------------------------------------ a fake Gemini

#[derive(Clone, Default)]
struct FakeGemini {
    /// (path, x-goog-api-key, body) of every call.
    calls: Arc<Mutex<Vec<(String, String, Value)>>>,
}

async fn fake_generate(
    State(f): State<FakeGemini>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let key = header(&headers, "x-goog-api-key").to_string();
    f.calls.lock().unwrap().push((uri.path().to_string(), key.clone(), body.clone()));
    let prompt = body["contents"][0]["parts"][0]["text"].as_str().unwrap_or("");
    if key == "bad-key" {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
                "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                             "metadata": {"service": "generativelanguage.googleapis.com"}}]}})),
        )
            .into_response();
    }
    if prompt.contains("quota") {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.", "status": "RESOURCE_EXHAUSTED"}})),
        )
            .into_response();
    }
    if prompt.contains("forbidden") {
        return (StatusCode::FORBIDDEN, Json(json!({"error": {"code": 403, "message": "Generative Language API has not been used in project 123 before or it is disabled.", "status": "PERMISSION_DENIED"}}))).into_response();
    }
    if prompt.contains("unsafe") {
        return Json(json!({"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []}, "usageMetadata": {"promptTokenCount": 7}}))
            .into_response();
    }
    if prompt.contains("refuse") {
        return Json(json!({"candidates": [{"content": {"parts": [{"text": "I can't create that image."}], "role": "model"}, "finishReason": "IMAGE_SAFETY", "index": 0}]})).into_response();
    }
    if prompt.contains("slow") {
        tokio::time::sleep(Duration::from_secs(6)).await;
    }
    let mut png_bytes = Cursor::new(vec![]);
    DynamicImage::ImageRgb8(noise(256, 320)).write_to(&mut png_bytes, ImageFormat::Png).unwrap();
    let data = base64::engine::general_purpose::STANDARD.encode(png_bytes.into_inner());
    Json(json!({
        "candidates": [{"content": {"parts": [{"text": "Here is your image."}, {"inlineData": {"mimeType": "image/png", "data": data}}], "role": "model"},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 1290, "totalTokenCount": 1302},
        "modelVersion": "gemini-2.5-flash-image"
    }))
    .into_response()
}

async fn spawn_fake_gemini() -> (String, FakeGemini) {
    let fake = FakeGemini::default();
    let router = Router::new().route("/v1beta/models/{call}", post(fake_generate)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}"), fake)
}

fn req(prompt: &str, platform: Option<&str>) -> GenerateRequest {
    GenerateRequest { prompt: prompt.into(), platform: platform.map(str::to_string), ..Default::default() }
}

#[tokio::test]
async fn gemini_images_and_its_failures_on_the_users_key() {
    let (base, fake) = spawn_fake_gemini().await;
    let (app, dir) = media_app(|c| {
        c.media.gemini_base = base.clone();
        // Short, so the timeout case is quick; long enough for a loaded CI machine.
        c.media.gemini_timeout = Duration::from_secs(2);
    })
    .await;
    let uid = app.signup(&unique_email("gem")).await["user"]["id"].as_str().unwrap().to_string();
    let media = &app.state.media;

    let img = media.generate(&uid, &req("A lighthouse at dawn", Some("x")), Some("AIza-good-key")).await.unwrap();
    assert_eq!((img.source.as_str(), img.generated, img.content_type.as_str()), ("gemini", true, "image/png"));
    assert_eq!((img.width, img.height), (256, 320));
    {
        let calls = fake.calls.lock().unwrap();
        let (path, key, body) = &calls[0];
        assert_eq!(path, "/v1beta/models/gemini-2.5-flash-image:generateContent");
        assert_eq!(key, "AIza-good-key", "the key travels in x-goog-api-key");
        assert_eq!(body["contents"][0]["parts"][0]["text"], "A lighthouse at dawn");
        assert_eq!(body["generationConfig"]["responseModalities"], json!(["IMAGE"]));
        assert_eq!(body["generationConfig"]["imageConfig"]["aspectRatio"], "16:9", "X's shape");
    }
    assert_eq!(fetch(&app, &img.url).await.0, 200);
    assert_eq!(image_rows(&app).await, 1);

    for (prompt, key, code, says) in [
        ("A cat", "bad-key", "gemini_key_rejected", "Your Gemini key was rejected"),
        ("over quota please", "AIza-good-key", "gemini_quota", "quota is used up"),
        ("forbidden fruit", "AIza-good-key", "gemini_permission_denied", "not allowed to use the image model"),
        ("something unsafe", "AIza-good-key", "gemini_declined", "Gemini declined to draw this image (SAFETY)."),
        ("please refuse", "AIza-good-key", "gemini_declined", "It said: \"I can't create that image.\""),
        ("a slow one", "AIza-good-key", "gemini_timeout", "did not answer in time"),
    ] {
        let before = fake.calls.lock().unwrap().len();
        let e = media.generate(&uid, &req(prompt, None), Some(key)).await.unwrap_err();
        assert!(matches!(e, MediaError::Provider { .. }), "{prompt}: {e:?}");
        assert_eq!((app::errors::status(e.kind()), e.code()), (502, code), "{prompt}");
        assert!(e.to_string().contains(says), "{prompt}: {e}");
        assert!(!e.to_string().contains(key), "never echo the key");
        assert_eq!(fake.calls.lock().unwrap().len(), before + 1, "{prompt}: asked exactly once, never retried");
    }
    assert_eq!(image_rows(&app).await, 1, "failures save nothing");
    assert_eq!(files_in(&dir).len(), 2);

    // "text_card" never calls Gemini, even with a key.
    let before = fake.calls.lock().unwrap().len();
    let card = media
        .generate(&uid, &GenerateRequest { mode: Some("text_card".into()), ..req("Offline please.", None) }, Some("AIza-good-key"))
        .await;
    assert_eq!(card.unwrap().source, "text_card");
    assert_eq!(fake.calls.lock().unwrap().len(), before);
}

#[tokio::test]
async fn the_generate_route_uses_the_gemini_key_saved_in_settings() {
    let (base, fake) = spawn_fake_gemini().await;
    let app = spawn_app_with(|c| c.media.gemini_base = base.clone()).await;
    app.signup(&unique_email("gemroute")).await;
    let (s, v) = send(&app, reqwest::Method::PUT, "/api/settings/ai", Some(json!({"gemini_key": "AIza-saved-key-123"}))).await;
    assert_eq!(s, 200, "{v}");
    let (s, img) =
        send(&app, reqwest::Method::POST, "/image/generate", Some(json!({"prompt": "A red bicycle", "platform": "pinterest"}))).await;
    assert_eq!(s, 201, "{img}");
    assert_eq!((img["source"].as_str(), img["generated"].as_bool()), (Some("gemini"), Some(true)));
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!((calls[0].1.as_str(), &calls[0].2["generationConfig"]["imageConfig"]["aspectRatio"]), ("AIza-saved-key-123", &json!("2:3")));
    let (s, e) = send(&app, reqwest::Method::POST, "/image/generate", Some(json!({"prompt": "over quota"}))).await;
    assert_eq!((s, e["error"].as_str()), (502, Some("gemini_quota")));
    assert!(!e.to_string().contains("AIza-saved-key-123"));
}

/// A 3.6 MB PNG goes to Bluesky (1,000,000-byte image blobs; the sandbox refuses more, as
/// Bluesky does) as a JPEG under the limit, while X (5 MB, PNG taken) gets it as it is. The
/// stored image stays the PNG it was.
#[tokio::test]
async fn an_image_over_a_networks_limit_is_shrunk_for_that_network_only() {
    use crate::publish::{account, call, settle, setup_with};
    let (app, sbx) = setup_with(|_| {}).await;
    let r = app
        .post_json("/integrations/bluesky/connect", json!({"identifier": "ada", "app_password": sandbox::APP_PASSWORD, "consent": true}))
        .await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let (_, list) = call(&app, reqwest::Method::GET, "/integrations/list", None).await;
    let bsky = list["integrations"].as_array().unwrap().iter().find(|i| i["provider"] == "bluesky").unwrap()["id"].clone();
    let x = account(&app, "x", "ada_x").await;
    let (s, img) = upload(&app, png(noise(1400, 1400)), "chart.png", "image/png", None).await;
    assert_eq!(s, 201, "{img}");
    let url = img["url"].as_str().unwrap().to_string();
    let stored = app.client.get(app.url(&url)).send().await.unwrap().bytes().await.unwrap();
    assert!(stored.len() > 3_000_000, "the upload is {} bytes", stored.len());

    let body = json!({"connection_ids": [bsky, x], "text": "Quarterly chart", "image_url": url});
    let (s, v) = call(&app, reqwest::Method::POST, "/api/posts/publish", Some(body)).await;
    assert_eq!(s, 201, "{v}");
    for p in v["posts"].as_array().unwrap() {
        let done = settle(&app, p["id"].as_str().unwrap(), Duration::from_secs(20)).await;
        assert_eq!(done["status"], "posted", "{done}");
    }
    let sent: Vec<(String, usize)> =
        sbx.sandbox.ledger().into_iter().filter(|e| e.text == "Quarterly chart").map(|e| (e.platform, e.images)).collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().all(|(_, n)| *n == 1), "each network got the image: {sent:?}");
    let again = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(again.headers()["content-type"], "image/png");
    assert_eq!(again.bytes().await.unwrap(), stored, "the stored original is untouched");
}

/// Instagram downloads the image itself and takes JPEG only (the sandbox downloads it from the
/// server under test and checks, as Instagram does): an uploaded PNG is offered to it as a
/// JPEG at `/media/{id}/for/instagram`, and the post goes out.
#[tokio::test]
async fn a_png_reaches_instagram_as_a_jpeg() {
    use crate::publish::{account, call, settle, setup_with};
    let (app, sbx) = setup_with(|_| {}).await;
    let ig = account(&app, "instagram", "ada_ig").await;
    let (s, img) = upload(&app, png(noise(320, 400)), "poster.png", "image/png", None).await;
    assert_eq!(s, 201, "{img}");
    let id = img["id"].as_str().unwrap();
    let shaped = app.client.get(app.url(&format!("/media/{id}/for/instagram"))).send().await.unwrap();
    assert_eq!(shaped.headers()["content-type"], "image/jpeg");
    let jpeg = image::load_from_memory(&shaped.bytes().await.unwrap()).unwrap();
    assert_eq!((jpeg.width(), jpeg.height()), (320, 400), "only the type changed");
    let as_is = app.client.get(app.url(&format!("/media/{id}/for/x"))).send().await.unwrap();
    assert_eq!(as_is.headers()["content-type"], "image/png", "X takes PNG as it is");

    let body = json!({"connection_ids": [ig], "text": "Poster for Friday", "image_url": img["url"]});
    let (s, v) = call(&app, reqwest::Method::POST, "/api/posts/publish", Some(body)).await;
    assert_eq!(s, 201, "{v}");
    let done = settle(&app, v["posts"][0]["id"].as_str().unwrap(), Duration::from_secs(20)).await;
    assert_eq!(done["status"], "posted", "{done}");
    assert_eq!(sbx.sandbox.ledger().iter().filter(|e| e.text == "Poster for Friday" && e.images == 1).count(), 1);
}
