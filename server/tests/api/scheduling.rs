//! Scheduling over real HTTP: the calendar's range and local times (Berlin, New York, a DST
//! week), CSV bulk import (all or nothing, every problem by row and column, the template),
//! repeating series across DST changes, time slots with "add to queue", and tenant isolation.

use crate::helpers::*;
use crate::sources::{connect, start_sandbox, user};
use chrono::{Datelike, Days, NaiveDate, Weekday};
use covalynce::{local_to_utc_ms, parse_local, utc_ms_to_local, PlatformId, Timezone};
use reqwest::Method;
use serde_json::{json, Value};
use server::config::sandbox_platform;

pub(crate) async fn setup() -> TestApp {
    let sbx = start_sandbox().await;
    // The sandbox keeps serving after `sbx` is dropped (its server task owns a clone).
    let base = sbx.base.clone();
    let app = spawn_app_with(move |c| {
        c.platforms = PlatformId::ALL.into_iter().map(|p| (p, sandbox_platform(p, &base, &c.base_url))).collect();
    })
    .await;
    user(&app).await;
    app
}

pub(crate) async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    call_as(&app.client, app, method, path, body).await
}

pub(crate) async fn call_as(client: &reqwest::Client, app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = client.request(method, app.url(path));
    req = match body {
        Some(b) => req.json(&b),
        None => req.header("content-type", "application/json"),
    };
    let r = req.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or_default())
}

/// Connects `p` as `username`; returns the connection id.
pub(crate) async fn account(app: &TestApp, p: &str, username: &str) -> String {
    connect(app, p, username, |u| u).await;
    let (_, v) = call(app, Method::GET, "/integrations/list", None).await;
    v["integrations"].as_array().unwrap().iter().rfind(|i| i["provider"] == p).unwrap()["id"].as_str().unwrap().to_string()
}

async fn set_zone(app: &TestApp, zone: &str) {
    let csrf = app.csrf().await;
    let r = app
        .client
        .post(app.url("/sfn/update_profile"))
        .form(&[("csrf", csrf.as_str()), ("name", "Ada"), ("timezone", zone)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
}

async fn upload_csv(app: &TestApp, csv: &str) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("posts.csv").mime_str("text/csv").unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let r = app.client.post(app.url("/api/schedule/bulk")).header("x-csrf-token", app.csrf().await).multipart(form).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

fn ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
}

fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M").to_string()
}

fn today_utc() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The last `wd` of a month (EU clocks change on the last Sunday of March and October).
fn last(wd: Weekday, year: i32, month: u32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1).unwrap().pred_opt().unwrap();
    while d.weekday() != wd {
        d = d.pred_opt().unwrap();
    }
    d
}

fn first_sunday(year: i32, month: u32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, month, 1).unwrap();
    while d.weekday() != Weekday::Sun {
        d = d.succ_opt().unwrap();
    }
    d
}

async fn publish_at(app: &TestApp, conn: &str, text: &str, at: i64) -> Value {
    let (s, v) =
        call(app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [conn], "text": text, "scheduled_at": at}))).await;
    assert_eq!(s, 201, "{v}");
    v["posts"][0].clone()
}

async fn calendar(app: &TestApp, from: &str, to: &str) -> Vec<Value> {
    let (s, v) = call(app, Method::GET, &format!("/api/calendar?from={from}&to={to}"), None).await;
    assert_eq!(s, 200, "{v}");
    v["posts"].as_array().unwrap().clone()
}

fn texts(posts: &[Value]) -> Vec<String> {
    posts.iter().map(|p| p["text"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_calendar_returns_only_the_range_in_the_profiles_zone() {
    let app = setup().await;
    let x = account(&app, "x", "ada_x").await;
    let year = today_utc().year() + 1;
    // Mid-January next year: Berlin is UTC+1, New York UTC-5.
    let d = |day: u32| NaiveDate::from_ymd_opt(year, 1, day).unwrap();
    publish_at(&app, &x, "late on the 14th UTC", ms(&format!("{}T23:30:00Z", d(14)))).await;
    publish_at(&app, &x, "late on the 15th UTC", ms(&format!("{}T23:30:00Z", d(15)))).await;
    publish_at(&app, &x, "noon on the 15th UTC", ms(&format!("{}T12:00:00Z", d(15)))).await;

    set_zone(&app, "Europe/Berlin").await;
    let day15 = calendar(&app, &d(15).to_string(), &d(15).to_string()).await;
    assert_eq!(texts(&day15), ["late on the 14th UTC", "noon on the 15th UTC"], "Berlin's 15th is 14th 23:00 to 15th 23:00 UTC");
    assert_eq!((day15[0]["local_date"].as_str(), day15[0]["local_time"].as_str()), (Some(d(15).to_string().as_str()), Some("00:30")));
    assert_eq!(day15[1]["local_time"], "13:00");
    assert_eq!(day15[0]["color"], "#000000", "X's brand colour");
    assert_eq!(day15[0]["status"], "pending");

    set_zone(&app, "America/New_York").await;
    let day15 = calendar(&app, &d(15).to_string(), &d(15).to_string()).await;
    assert_eq!(texts(&day15), ["noon on the 15th UTC", "late on the 15th UTC"]);
    assert_eq!((day15[0]["local_time"].as_str(), day15[1]["local_time"].as_str()), (Some("07:00"), Some("18:30")));
    let day14 = calendar(&app, &d(14).to_string(), &d(14).to_string()).await;
    assert_eq!(texts(&day14), ["late on the 14th UTC"]);
    assert_eq!(day14[0]["local_time"], "18:30");
    let (_, v) = call(&app, Method::GET, &format!("/api/calendar?from={}&to={}", d(1), d(31)), None).await;
    assert_eq!((v["posts"].as_array().unwrap().len(), v["timezone"].as_str()), (3, Some("America/New_York")));

    // A week across Berlin's spring change: 09:00 every day on the clock, an hour apart in UTC.
    set_zone(&app, "Europe/Berlin").await;
    let change = last(Weekday::Sun, year, 3);
    let berlin = Timezone::parse("Europe/Berlin").unwrap();
    for n in 0..7u64 {
        let day = change - Days::new(3) + Days::new(n);
        let at = local_to_utc_ms(&berlin, parse_local(&day.to_string(), "09:00").unwrap(), None).unwrap();
        publish_at(&app, &x, &format!("dst day {n}"), at).await;
    }
    let week = calendar(&app, &(change - Days::new(3)).to_string(), &(change + Days::new(3)).to_string()).await;
    assert_eq!(week.len(), 7);
    assert!(week.iter().all(|p| p["local_time"] == "09:00"), "{week:#?}");
    assert_eq!(utc(week[0]["scheduled_at"].as_i64().unwrap()), format!("{}T08:00", change - Days::new(3)));
    assert_eq!(utc(week[6]["scheduled_at"].as_i64().unwrap()), format!("{}T07:00", change + Days::new(3)));

    // Cancelled posts leave the calendar; bad ranges are refused with a reason.
    let id = week[0]["id"].as_str().unwrap();
    assert_eq!(call(&app, Method::DELETE, &format!("/api/posts/{id}"), None).await.0, 200);
    assert_eq!(calendar(&app, &(change - Days::new(3)).to_string(), &(change + Days::new(3)).to_string()).await.len(), 6);
    for (q, code) in [
        ("from=2026-13-01&to=2026-12-01", "invalid_date"),
        ("from=2026-12-10&to=2026-12-01", "invalid_range"),
        ("from=2026-01-01&to=2026-12-31", "range_too_long"),
        ("from=2026-01-01", "missing_range"),
    ] {
        let (s, e) = call(&app, Method::GET, &format!("/api/calendar?{q}"), None).await;
        assert_eq!((s, e["error"].as_str()), (422, Some(code)), "{q}: {e}");
    }
}

#[tokio::test]
async fn a_csv_with_bad_rows_imports_nothing_and_lists_every_problem() {
    let app = setup().await;
    account(&app, "x", "ada_x").await;
    account(&app, "mastodon", "ada_m").await;
    set_zone(&app, "Europe/Berlin").await;
    let (d1, d2) = (today_utc() + Days::new(3), today_utc() + Days::new(4));
    let bad = format!(
        "date,time,accounts,text,image_url\n\
         {d1},09:00,x;mastodon,Fine row,\n\
         {d1}x,09:00,x,Bad date,\n\
         {d2},10:00,linkedin,,\n\
         {d2},25:00,x,{},\n",
        "y".repeat(281)
    );
    let (s, v) = upload_csv(&app, &bad).await;
    assert_eq!((s, v["error"].as_str()), (422, Some("invalid_rows")), "{v}");
    assert!(v["message"].as_str().unwrap().starts_with("Nothing was imported"), "{v}");
    let errors: Vec<(u64, String)> =
        v["errors"].as_array().unwrap().iter().map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap().to_string())).collect();
    for want in [(3, "date"), (4, "accounts"), (4, "text"), (5, "time"), (5, "text")] {
        assert!(errors.contains(&(want.0, want.1.to_string())), "missing {want:?} in {errors:?}");
    }
    assert!(!errors.iter().any(|(r, _)| *r == 2), "row 2 is fine: {errors:?}");
    let (_, all) = call(&app, Method::GET, "/api/posts", None).await;
    assert!(all["posts"].as_array().unwrap().is_empty(), "nothing was stored");

    // Fixed, it goes in whole: one post per account per row, in one batch.
    let good = format!(
        "date,time,accounts,text,image_url\n{d1},09:00,x;mastodon,Fine row,\n{d1},09:30,x,Good date,\n{d2},10:00,mastodon,\"Quoted, with a comma\",\n"
    );
    let r = app
        .client
        .post(app.url("/api/schedule/bulk"))
        .header("x-csrf-token", app.csrf().await)
        .header("content-type", "text/csv")
        .body(good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["imported"], 4, "{v}");
    let posts = calendar(&app, &d1.to_string(), &d2.to_string()).await;
    assert_eq!(posts.len(), 4);
    assert_eq!(posts[0]["local_time"], "09:00");
    assert!(posts.iter().any(|p| p["text"] == "Quoted, with a comma" && p["platform"] == "mastodon"));

    // Without the CSRF header a cookie-authenticated upload is refused.
    let r = app.client.post(app.url("/api/schedule/bulk")).header("content-type", "text/csv").body("date,time").send().await.unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_template_downloads_and_imports_cleanly() {
    let app = setup().await;
    account(&app, "mastodon", "ada_m").await;
    set_zone(&app, "America/New_York").await;
    let r = app.client.get(app.url("/api/schedule/bulk/template.csv")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date,time,accounts,text,image_url,dst");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains(",mastodon,"), "the person's own account: {csv}");
    // Fill in dates further ahead (as a person would) and import it.
    let (a, b) = (today_utc() + Days::new(10), today_utc() + Days::new(11));
    let filled: String = csv
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => l.to_string(),
            1 => format!("{a}{}", &l[10..]),
            _ => format!("{b}{}", &l[10..]),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (s, v) = upload_csv(&app, &filled).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["imported"], 2);
    let posts = calendar(&app, &a.to_string(), &b.to_string()).await;
    assert_eq!((posts[0]["local_time"].as_str(), posts[1]["local_time"].as_str()), (Some("09:00"), Some("12:30")));
    // Signed out, no template.
    let r = client().get(app.url("/api/schedule/bulk/template.csv")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn repeating_posts_keep_their_wall_clock_time_across_dst_and_cancel_together() {
    let app = setup().await;
    let x = account(&app, "x", "ada_x").await;
    let m = account(&app, "mastodon", "ada_m").await;
    set_zone(&app, "Europe/Berlin").await;
    let year = today_utc().year() + 1;
    // Daily, 3 times, from the Saturday before the spring change, to two accounts.
    let sat = last(Weekday::Sun, year, 3) - Days::new(1);
    let (s, v) = call(
        &app,
        Method::POST,
        "/api/schedule/recurring",
        Some(json!({
            "connection_ids": [x, m], "text": "Daily tip", "variants": {"mastodon": "Daily tip (Mastodon)"},
            "start": format!("{sat}T09:00"), "freq": "daily", "count": 3,
        })),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let series = v["series"]["id"].as_str().unwrap().to_string();
    let posts = v["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 6);
    assert!(posts.iter().all(|p| p["recurrence_id"] == series.as_str()));
    let mut x_times: Vec<String> =
        posts.iter().filter(|p| p["platform"] == "x").map(|p| utc(p["scheduled_at"].as_i64().unwrap())).collect();
    x_times.sort();
    assert_eq!(
        x_times,
        [format!("{sat}T08:00"), format!("{}T07:00", sat + Days::new(1)), format!("{}T07:00", sat + Days::new(2))],
        "09:00 in Berlin before and after the clocks go forward"
    );
    assert!(posts.iter().any(|p| p["platform"] == "mastodon" && p["body"] == "Daily tip (Mastodon)"));
    let cal = calendar(&app, &sat.to_string(), &(sat + Days::new(2)).to_string()).await;
    assert!(cal.iter().all(|p| p["local_time"] == "09:00" && p["recurrence_id"] == series.as_str()), "{cal:#?}");

    // Weekly until a date, across New York's autumn change: 18:00 each Friday, inclusive end.
    set_zone(&app, "America/New_York").await;
    let change = first_sunday(year, 11);
    let fri = change - Days::new(9);
    let until = fri + Days::new(14);
    let (s, v) = call(
        &app,
        Method::POST,
        "/api/schedule/recurring",
        Some(json!({"connection_ids": [x], "text": "Friday recap", "start": format!("{fri}T18:00"), "freq": "weekly", "until": until.to_string()})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let times: Vec<String> = v["posts"].as_array().unwrap().iter().map(|p| utc(p["scheduled_at"].as_i64().unwrap())).collect();
    assert_eq!(
        times,
        [format!("{fri}T22:00"), format!("{}T22:00", fri + Days::new(7)), format!("{}T23:00", until)],
        "EDT then EST, still 18:00 on the clock"
    );
    assert_eq!(v["series"]["until"], until.to_string());

    // Refused rules: nothing stored.
    for (body, code) in [
        (json!({"connection_ids": [x], "text": "t", "start": format!("{fri}T18:00"), "freq": "hourly", "count": 2}), "invalid_freq"),
        (json!({"connection_ids": [x], "text": "t", "start": format!("{fri}T18:00"), "freq": "daily"}), "invalid_end"),
        (
            json!({"connection_ids": [x], "text": "t", "start": format!("{fri}T18:00"), "freq": "daily", "count": 400}),
            "too_many_occurrences",
        ),
        (json!({"connection_ids": [x], "text": "t", "start": format!("{change}T01:30"), "freq": "daily", "count": 2}), "ambiguous_time"),
        (json!({"connection_ids": [x], "text": "", "start": format!("{fri}T18:00"), "freq": "daily", "count": 2}), "empty_post"),
    ] {
        let (s, e) = call(&app, Method::POST, "/api/schedule/recurring", Some(body)).await;
        assert_eq!((s, e["error"].as_str()), (422, Some(code)), "{e}");
    }
    let (_, list) = call(&app, Method::GET, "/api/schedule/recurring", None).await;
    assert_eq!(list["series"].as_array().unwrap().len(), 2);

    // Cancelling the first series cancels its six pending posts and leaves the other alone.
    let (s, v) = call(&app, Method::DELETE, &format!("/api/schedule/recurring/{series}"), None).await;
    assert_eq!((s, v["cancelled"].as_u64(), v["series"]["status"].as_str()), (200, Some(6), Some("cancelled")), "{v}");
    let (_, all) = call(&app, Method::GET, "/api/posts?status=pending", None).await;
    assert_eq!(all["posts"].as_array().unwrap().len(), 3);
    let (_, all) = call(&app, Method::GET, "/api/posts?status=cancelled", None).await;
    assert_eq!(all["posts"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn add_to_queue_takes_the_next_free_slot() {
    let app = setup().await;
    let x = account(&app, "x", "ada_x").await;
    set_zone(&app, "America/New_York").await;
    let ny = Timezone::parse("America/New_York").unwrap();
    let today = utc_ms_to_local(&ny, chrono::Utc::now().timestamp_millis()).unwrap().date();
    // Two slots on days after tomorrow, so "now" can never pass them during the test.
    let (a, b) = (today + Days::new(2), today + Days::new(3));
    let wd = |d: NaiveDate| d.weekday().num_days_from_monday();
    let at = |d: NaiveDate| local_to_utc_ms(&ny, parse_local(&d.to_string(), "10:00").unwrap(), None).unwrap();
    let (s, slot_a) = call(&app, Method::POST, "/api/slots", Some(json!({"connection_id": x, "weekday": wd(a), "time": "10:00"}))).await;
    assert_eq!(s, 201, "{slot_a}");
    assert_eq!(slot_a["local_time"], "10:00");
    let day_name = b.format("%A").to_string();
    let (s, _) = call(&app, Method::POST, "/api/slots", Some(json!({"connection_id": x, "weekday": day_name, "time": "10:00"}))).await;
    assert_eq!(s, 201);
    let (s, e) = call(&app, Method::POST, "/api/slots", Some(json!({"connection_id": x, "weekday": wd(a), "time": "10:00"}))).await;
    assert_eq!((s, e["error"].as_str()), (409, Some("conflict")), "a duplicate slot: {e}");
    let (s, e) = call(&app, Method::POST, "/api/slots", Some(json!({"connection_id": x, "weekday": 7, "time": "10:00"}))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("invalid_weekday")));
    let (s, e) = call(&app, Method::POST, "/api/slots", Some(json!({"connection_id": x, "weekday": 1, "time": "10h"}))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("invalid_time")));
    let (_, l) = call(&app, Method::GET, &format!("/api/slots?connection_id={x}"), None).await;
    assert_eq!(l["slots"].as_array().unwrap().len(), 2);

    // Slot A is already held by a post: the queue skips it.
    publish_at(&app, &x, "already there", at(a)).await;
    let add = |text: &str| json!({"connection_id": x, "text": text});
    let (s, v) = call(&app, Method::POST, "/api/queue/add", Some(add("queued one"))).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["post"]["scheduled_at"].as_i64(), Some(at(b)), "{v}");
    assert_eq!((v["local_date"].as_str(), v["local_time"].as_str()), (Some(b.to_string().as_str()), Some("10:00")));
    let (_, v) = call(&app, Method::POST, "/api/queue/add", Some(add("queued two"))).await;
    assert_eq!(v["post"]["scheduled_at"].as_i64(), Some(at(a + Days::new(7))), "both taken this week: next week's first slot");

    // Deleting the slots empties the queue's options.
    for s in l["slots"].as_array().unwrap() {
        let r = app
            .client
            .delete(app.url(&format!("/api/slots/{}", s["id"].as_str().unwrap())))
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let (s, e) = call(&app, Method::POST, "/api/queue/add", Some(add("nowhere"))).await;
    assert_eq!((s, e["error"].as_str()), (422, Some("no_slots")));
}

#[tokio::test]
async fn another_users_ids_are_not_found() {
    let app = setup().await;
    let x = account(&app, "x", "ada_x").await;
    let start = today_utc() + Days::new(5);
    let (_, v) = call(
        &app,
        Method::POST,
        "/api/schedule/recurring",
        Some(json!({"connection_ids": [x], "text": "mine", "start": format!("{start}T09:00"), "freq": "daily", "count": 2})),
    )
    .await;
    let series = v["series"]["id"].as_str().unwrap().to_string();
    let (_, slot) = call(&app, Method::POST, "/api/slots", Some(json!({"connection_id": x, "weekday": 0, "time": "08:00"}))).await;
    let slot = slot["id"].as_str().unwrap().to_string();

    let eve = client();
    let r = eve
        .post(app.url("/auth/signup"))
        .json(&json!({"email": unique_email("eve"), "password": PASSWORD, "name": "Eve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let as_eve = |m: Method, path: String, body: Option<Value>| {
        let eve = eve.clone();
        let app = &app;
        async move { call_as(&eve, app, m, &path, body).await }
    };
    for (m, path, body) in [
        (Method::DELETE, format!("/api/schedule/recurring/{series}"), None),
        (Method::DELETE, format!("/api/slots/{slot}"), None),
        (Method::POST, "/api/slots".to_string(), Some(json!({"connection_id": x, "weekday": 1, "time": "08:00"}))),
        (Method::POST, "/api/queue/add".to_string(), Some(json!({"connection_id": x, "text": "hijack"}))),
        (
            Method::POST,
            "/api/schedule/recurring".to_string(),
            Some(json!({"connection_ids": [x], "text": "hijack", "start": format!("{start}T09:00"), "freq": "daily", "count": 2})),
        ),
    ] {
        let (s, e) = as_eve(m, path.clone(), body).await;
        assert_eq!(s, 404, "{path}: {e}");
    }
    let (s, v) = as_eve(Method::GET, format!("/api/calendar?from={start}&to={}", start + Days::new(1)), None).await;
    assert_eq!((s, v["posts"].as_array().map(Vec::len)), (200, Some(0)));
    let (_, v) = as_eve(Method::GET, "/api/slots".into(), None).await;
    assert!(v["slots"].as_array().unwrap().is_empty());
    let (_, v) = as_eve(Method::GET, "/api/schedule/recurring".into(), None).await;
    assert!(v["series"].as_array().unwrap().is_empty());
    // Eve's CSV cannot name Ada's account: she has none.
    let r = eve
        .post(app.url("/api/schedule/bulk"))
        .json(&json!({"csv": format!("date,time,accounts,text\n{start},09:00,x:ada_x,hijack\n")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["errors"][0]["row"].as_u64(), v["errors"][0]["column"].as_str()), (Some(2), Some("accounts")), "{v}");
    // Ada's things are untouched.
    let (_, mine) = call(&app, Method::GET, "/api/schedule/recurring", None).await;
    assert_eq!(mine["series"][0]["status"], "active");
    assert_eq!(calendar(&app, &start.to_string(), &(start + Days::new(1)).to_string()).await.len(), 2);
}

#[tokio::test]
async fn two_servers_adding_to_one_queue_at_once_never_share_a_slot() {
    // Two servers on one database (on PostgreSQL: replicas), the same data dir for the keys.
    let sbx = start_sandbox().await;
    let base = sbx.base.clone();
    let dir = std::env::temp_dir().join("covalynce-tests").join(format!("shared-{}", uuid::Uuid::new_v4()));
    let d = dir.clone();
    let one = spawn_app_with(move |c| {
        c.platforms = PlatformId::ALL.into_iter().map(|p| (p, sandbox_platform(p, &base, &c.base_url))).collect();
        c.data_dir = d;
    })
    .await;
    let (url, d) = (one.db_url.clone(), dir.clone());
    let two = spawn_app_with(move |c| {
        c.database_url = url;
        c.data_dir = d;
    })
    .await;
    user(&one).await;
    let x = account(&one, "x", "ada_x").await;
    // Slots every day at 09:00, 13:00 and 17:00: plenty of free ones, all close together.
    for day in 0..7 {
        for time in ["09:00", "13:00", "17:00"] {
            let (s, v) = call(&one, Method::POST, "/api/slots", Some(json!({"connection_id": x, "weekday": day, "time": time}))).await;
            assert_eq!(s, 201, "{v}");
        }
    }
    // The session cookie is the same on both servers (cookies do not care about ports).
    let mut adds = tokio::task::JoinSet::new();
    for i in 0..16 {
        let url = if i % 2 == 0 { one.url("/api/queue/add") } else { two.url("/api/queue/add") };
        let (client, x) = (one.client.clone(), x.clone());
        adds.spawn(async move {
            let r = client.post(url).json(&json!({"connection_id": x, "text": format!("queued {i}")})).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        });
    }
    let mut times = vec![];
    while let Some(r) = adds.join_next().await {
        let (s, v) = r.unwrap();
        assert_eq!(s, 201, "{v}");
        times.push(v["post"]["scheduled_at"].as_i64().unwrap());
    }
    times.sort_unstable();
    times.dedup();
    assert_eq!(times.len(), 16, "every post has its own slot");
    // The next sixteen slots, none skipped: at most 16 hours apart (17 across a clock change).
    assert!(times.windows(2).all(|w| w[1] - w[0] <= 17 * 3_600_000), "{times:?}");
}

#[tokio::test]
async fn a_draft_queued_to_several_accounts_goes_to_each_ones_next_time_or_nowhere() {
    let app = setup().await;
    let x = account(&app, "x", "ada_x").await;
    let m = account(&app, "mastodon", "ada_m").await;
    set_zone(&app, "UTC").await;
    let (_, d) = call(
        &app,
        Method::POST,
        "/api/drafts",
        Some(json!({"idea": "Queue it", "variants": {"x": "Queued on X", "mastodon": "Queued on Mastodon"}})),
    )
    .await;
    let draft = d["id"].as_str().unwrap().to_string();
    let csrf = app.csrf().await;
    let queue = |accounts: String| {
        let (app, csrf, draft) = (&app, csrf.clone(), draft.clone());
        async move {
            let r = app
                .client
                .post(app.url("/sfn/queue_draft"))
                .form(&[("csrf", csrf.as_str()), ("draft", draft.as_str()), ("accounts", accounts.as_str())])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };

    // X has posting times, Mastodon none yet: nothing is queued, and the message says which.
    let (s, _) = call(&app, Method::POST, "/api/slots", Some(json!({"connection_id": x, "weekday": "daily", "time": "09:00"}))).await;
    assert_eq!(s, 422, "one weekday per slot in the JSON API");
    for day in 0..7 {
        call(&app, Method::POST, "/api/slots", Some(json!({"connection_id": x, "weekday": day, "time": "09:00"}))).await;
    }
    let (s, body) = queue(format!("{x},{m}")).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("Mastodon @ada_m@127.0.0.1 has no posting times yet"), "{body}");
    let (_, pending) = call(&app, Method::GET, "/api/posts?status=pending", None).await;
    assert_eq!(pending["posts"].as_array().unwrap().len(), 0, "all or nothing");

    // Queue page: the times per account and an empty "next up".
    let page = app.client.get(app.url("/queue")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("@ada_x") && page.contains("@ada_m"), "every account has a queue");
    assert!(page.contains("Remove Monday 09:00") && page.contains("Remove Sunday 09:00"), "X's times, each removable");
    assert!(page.contains("No posting times yet"), "Mastodon's empty state");

    call(&app, Method::POST, "/api/slots", Some(json!({"connection_id": m, "weekday": 2, "time": "18:45"}))).await;
    let (s, body) = queue(format!("{x},{m}")).await;
    assert_eq!(s, 200, "{body}");
    let posts: Value = serde_json::from_str(&body).unwrap();
    let posts = posts.as_array().unwrap();
    assert_eq!(posts.len(), 2);
    let when = |p: &str| posts.iter().find(|v| v["platform"] == p).unwrap()["when"].as_str().unwrap().to_string();
    assert!(when("x").ends_with("09:00") && when("mastodon").ends_with("18:45"), "{posts:?}");
    let wednesday = posts.iter().find(|v| v["platform"] == "mastodon").unwrap()["id"].as_str().unwrap().to_string();
    let (_, p) = call(&app, Method::GET, &format!("/api/posts/{wednesday}"), None).await;
    let local = utc_ms_to_local(&Timezone::parse("UTC").unwrap(), p["scheduled_at"].as_i64().unwrap()).unwrap();
    assert_eq!(local.weekday(), Weekday::Wed, "{p}");
    assert_eq!(p["body"], "Queued on Mastodon", "each account gets its own variant");

    let page = app.client.get(app.url("/queue")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("1 post queued") && page.contains("Queued on X"), "next up");
}
