//! Analytics against the platform sandbox over real HTTP: the sync pulls numbers that grow
//! with sandbox time and stores a snapshot per pull, a 429 defers the platform's pulls until
//! its Retry-After, a platform without a metric leaves it empty, a revoked account stops its
//! pulls until it is reconnected; the dashboard's formulas, period comparison and CSV exports;
//! another user's post is not found anywhere.

use crate::helpers::*;
use crate::sources::{connect, start_sandbox, user, Sbx};
use chrono::{Days, NaiveDate, NaiveTime};
use covalynce::analytics::Totals;
use covalynce::PlatformId;
use reqwest::Method;
use serde_json::{json, Value};
use server::config::sandbox_platform;
use sqlx::Row;
use std::time::{Duration, Instant};

/// The app against a fresh sandbox. `worker`: run the background sync (otherwise the test
/// drives `sync_due` itself); `young`: the interval between pulls of a new post.
async fn setup(worker: bool, young: Duration) -> (TestApp, Sbx) {
    let sbx = start_sandbox().await;
    let base = sbx.base.clone();
    let app = spawn_app_with(move |c| {
        c.platforms = PlatformId::ALL.into_iter().map(|p| (p, sandbox_platform(p, &base, &c.base_url))).collect();
        c.platform_timeout = Duration::from_secs(2);
        c.analytics_worker = worker;
        c.analytics.young = young;
        c.analytics.adult = young;
    })
    .await;
    user(&app).await;
    (app, sbx)
}

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path));
    req = match body {
        Some(b) => req.json(&b),
        None => req.header("content-type", "application/json"),
    };
    let r = req.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or_default())
}

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    call(app, Method::GET, path, None).await
}

/// Connects `p` as `username`; returns the connection id.
async fn account(app: &TestApp, p: &str, username: &str) -> String {
    connect(app, p, username, |u| u).await;
    let (_, v) = get(app, "/integrations/list").await;
    v["integrations"].as_array().unwrap().iter().rfind(|i| i["provider"] == p).unwrap()["id"].as_str().unwrap().to_string()
}

/// Publishes `text` to `conn` now and waits until it is posted; returns the post id.
async fn posted(app: &TestApp, conn: &str, text: &str) -> String {
    let (s, v) = call(app, Method::POST, "/api/posts/publish", Some(json!({"connection_ids": [conn], "text": text}))).await;
    assert_eq!(s, 201, "{v}");
    let id = v["posts"][0]["id"].as_str().unwrap().to_string();
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, p) = get(app, &format!("/api/posts/{id}")).await;
        if p["status"] == "posted" {
            return id;
        }
        assert!(Instant::now() < end && matches!(p["status"].as_str(), Some("pending" | "publishing")), "{p}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn control(sbx: &Sbx, path: &str, body: Value) {
    let r = reqwest::Client::new().post(format!("{}/_control/{path}", sbx.base)).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{path}");
}

async fn snapshots(app: &TestApp, post: &str) -> i64 {
    sqlx::query("select count(*) as n from metric_snapshots where post_id = $1").bind(post).fetch_one(app.db.pool()).await.unwrap().get("n")
}

/// The post's own series from `/api/v1/analytics/content/{id}`.
async fn series(app: &TestApp, post: &str) -> Value {
    let (s, v) = get(app, &format!("/api/v1/analytics/content/{post}")).await;
    assert_eq!(s, 200, "{v}");
    v["platforms"].as_array().unwrap().iter().find(|p| p["postId"] == post).unwrap().clone()
}

/// Everything derived from snapshots, to compare the running totals with a rebuild.
async fn derived(app: &TestApp, user: &str) -> Vec<String> {
    let mut out = vec![];
    // Every rollup row (its key, then its sums), then every post's latest numbers.
    let rollups =
        [("metric_hourly", "hour, platform", "posts"), ("metric_hourly_all", "hour, ''", "0"), ("metric_daily", "day, platform", "posts")];
    for (table, keys, posts) in rollups {
        let sql = format!(
            "select {keys}, views, impressions, likes, comments, shares, saves, rated_engagement, {posts} as posts from {table} where user_id = $1 order by 1, 2"
        );
        for r in sqlx::query(&sql).bind(user).fetch_all(app.db.pool()).await.unwrap() {
            let n = |c: &str| r.try_get::<Option<i64>, _>(c).unwrap().map(|v| v.to_string()).unwrap_or("-".into());
            let key = r.try_get::<i64, _>(0).unwrap();
            let sums = ["views", "impressions", "likes", "comments", "shares", "saves", "rated_engagement", "posts"].map(n).join(" ");
            out.push(format!("{table} {key} {sums}"));
        }
    }
    for r in sqlx::query("select post_id, views, likes, comments, shares, saves, engagement, snapshots from post_metrics where user_id = $1 order by post_id")
        .bind(user)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
    {
        let n = |c: &str| r.try_get::<Option<i64>, _>(c).unwrap().map(|v| v.to_string()).unwrap_or("-".into());
        out.push(format!("{} {} {} {} {} {} {}", r.get::<String, _>("post_id"), n("views"), n("likes"), n("comments"), n("shares"), n("engagement"), n("snapshots")));
    }
    out
}

async fn me(app: &TestApp) -> String {
    get(app, "/auth/me").await.1["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn sync_pulls_growing_numbers_into_snapshots_and_the_dashboard_adds_them_up() {
    let (app, sbx) = setup(false, Duration::from_secs(1)).await;
    let uid = me(&app).await;
    let x = account(&app, "x", "ada_x").await;
    let m = account(&app, "mastodon", "ada_m").await;
    let xp = posted(&app, &x, "Numbers, please").await;
    let mp = posted(&app, &m, "Numbers on Mastodon, please").await;
    // The followers each account has right now (sandbox time has not moved yet).
    let followers = sbx.sandbox.followers_for(&sandbox::account_for("x", "ada_x"))
        + sbx.sandbox.followers_for(&sandbox::account_for("mastodon", "ada_m"));

    let r = app.state.analytics.sync_due().await.unwrap();
    assert_eq!((r.pulled, r.stored, r.followers), (2, 2, 2), "{r:?}");
    let first = series(&app, &xp).await;
    let v1 = first["latest"]["views"].as_i64().unwrap();
    assert!(v1 > 0, "{first}");
    assert_eq!(first["snapshots"].as_array().unwrap().len(), 1);

    // Nothing is due again before the young-post interval.
    assert_eq!(app.state.analytics.sync_due().await.unwrap().pulled, 0);
    control(&sbx, "advance", json!({"secs": 3600})).await;
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let r = app.state.analytics.sync_due().await.unwrap();
    assert_eq!((r.pulled, r.stored), (2, 2), "{r:?}");
    let second = series(&app, &xp).await;
    let latest = &second["latest"];
    assert!(latest["views"].as_i64().unwrap() > 30 * v1, "an hour of sandbox time later: {second}");
    assert_eq!(second["snapshots"].as_array().unwrap().len(), 2);
    assert_eq!(snapshots(&app, &xp).await, 2);
    // The first pull is the baseline: the next pull is scheduled one interval later.
    let row = sqlx::query("select next_sync_at, last_synced_at, attempts from post_metrics where post_id = $1")
        .bind(&xp)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let (next, last): (i64, i64) = (row.get("next_sync_at"), row.get("last_synced_at"));
    assert!((900..=2500).contains(&(next - last)), "young posts come back after ~1 s: {}", next - last);

    // Mastodon reports no views: they stay missing, the likes are there.
    let mast = series(&app, &mp).await;
    assert!(mast["latest"]["views"].is_null() && mast["latest"]["likes"].as_i64().unwrap() > 0, "{mast}");
    assert!(mast["engagementRate"].is_null(), "no views, no rate: {mast}");

    // The dashboard adds the posts' numbers up; the rate only counts pulls that had views.
    let (s, d) = get(&app, "/api/dashboard/stats?range=7d").await;
    assert_eq!(s, 200, "{d}");
    let (xv, xl, xc) = (latest["views"].as_i64().unwrap(), latest["likes"].as_i64().unwrap(), latest["comments"].as_i64().unwrap());
    assert_eq!(d["totalViews"], xv, "{d}");
    assert_eq!(d["totalLikes"], xl + mast["latest"]["likes"].as_i64().unwrap());
    assert_eq!(d["totalComments"], xc + mast["latest"]["comments"].as_i64().unwrap());
    let rate = ((xl + xc) as f64 / xv as f64 * 100.0 * 100.0).round() / 100.0;
    assert_eq!(d["engagementRate"].as_f64(), Some(rate), "{d}");
    assert_eq!(d["totalFollowers"], followers, "{d}");
    assert_eq!(d["postsPublished"], 2);
    assert_eq!(d["hasConnections"], true);
    let breakdown = d["platformBreakdown"].as_array().unwrap();
    assert_eq!(breakdown.len(), 2, "{d}");
    let xrow = breakdown.iter().find(|p| p["platform"] == "x").unwrap();
    assert_eq!((xrow["views"].as_i64(), xrow["posts"].as_i64()), (Some(xv), Some(1)));
    let mrow = breakdown.iter().find(|p| p["platform"] == "mastodon").unwrap();
    assert!(mrow["views"].is_null() && mrow["engagementRate"].is_null(), "{mrow}");
    let top = d["topPosts"].as_array().unwrap();
    assert_eq!(top.len(), 2);
    assert!(top[0]["engagement"].as_i64() >= top[1]["engagement"].as_i64(), "most engagement first: {d}");
    // Today's bar carries everything the posts gained.
    let (_, t) = get(&app, "/api/v1/analytics/trends?range=7d").await;
    let days = t["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(days.iter().filter_map(|d| d["views"].as_i64()).sum::<i64>(), xv, "{t}");

    // The running totals equal a rebuild from the snapshots.
    let before = derived(&app, &uid).await;
    app.state.analytics.rebuild(&uid).await.unwrap();
    assert_eq!(derived(&app, &uid).await, before);
}

#[tokio::test]
async fn refresh_now_pulls_at_once_and_says_what_went_wrong() {
    let (app, sbx) = setup(false, Duration::from_secs(900)).await;
    let x = account(&app, "x", "ada_x").await;
    let xp = posted(&app, &x, "Refresh me").await;
    let (s, a) = call(&app, Method::POST, &format!("/api/v1/analytics/content/{xp}/refresh"), None).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["platforms"][0]["snapshots"].as_array().unwrap().len(), 1);
    control(&sbx, "advance", json!({"secs": 600})).await;
    let (_, b) = call(&app, Method::POST, &format!("/api/v1/analytics/content/{xp}/refresh"), None).await;
    assert!(b["platforms"][0]["latest"]["views"].as_i64() > a["platforms"][0]["latest"]["views"].as_i64(), "{b}");

    // An expired token is refreshed once and the pull goes through.
    control(&sbx, "tokens", json!({"platform": "x", "action": "expire"})).await;
    let (s, c) = call(&app, Method::POST, &format!("/api/v1/analytics/content/{xp}/refresh"), None).await;
    assert_eq!((s, c["platforms"][0]["snapshots"].as_array().unwrap().len()), (200, 3), "{c}");

    // A draft that never went out has no numbers to refresh.
    let (_, d) = call(
        &app,
        Method::POST,
        "/api/posts/publish",
        Some(
            json!({"connection_ids": [x], "text": "later", "scheduled_at": (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339()}),
        ),
    )
    .await;
    let pending = d["posts"][0]["id"].as_str().unwrap();
    let (s, e) = call(&app, Method::POST, &format!("/api/v1/analytics/content/{pending}/refresh"), None).await;
    assert_eq!((s, e["error"].as_str()), (409, Some("not_published")), "{e}");
    let (s, _) = call(&app, Method::POST, "/api/v1/analytics/content/no-such-post/refresh", None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn a_429_defers_every_pull_of_that_platform_until_retry_after() {
    let (app, sbx) = setup(false, Duration::from_millis(200)).await;
    let x = account(&app, "x", "ada_x").await;
    let m = account(&app, "mastodon", "ada_m").await;
    let x1 = posted(&app, &x, "First on X").await;
    let x2 = posted(&app, &x, "Second on X").await;
    let mp = posted(&app, &m, "Meanwhile on Mastodon").await;
    control(&sbx, "faults", json!({"platform": "x", "kind": "429", "retry_after": 2})).await;

    let started = chrono::Utc::now().timestamp_millis();
    let r = app.state.analytics.sync_due().await.unwrap();
    assert_eq!((r.stored, r.deferred), (1, 1), "Mastodon pulled; the second X post handed back: {r:?}");
    assert_eq!((snapshots(&app, &x1).await, snapshots(&app, &x2).await, snapshots(&app, &mp).await), (0, 0, 1));
    let until: i64 = sqlx::query("select until_ms from rate_cooldowns where scope = 'analytics:x'")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .get("until_ms");
    assert!(until >= started + 2000, "cooldown until Retry-After");
    for p in [&x1, &x2] {
        let next: i64 = sqlx::query("select next_sync_at from post_metrics where post_id = $1")
            .bind(p)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .get("next_sync_at");
        assert!(next >= until, "both X posts wait for the cooldown");
    }
    // "Refresh now" waits too, and says for how long.
    let r = app
        .client
        .post(app.url(&format!("/api/v1/analytics/content/{x1}/refresh")))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|s| (1..=2).contains(&s)));
    // The sandbox's one 429 was spent on the first pull: had we asked again, it would have
    // answered (and a snapshot would exist). Nobody asks during the cooldown.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = app.state.analytics.sync_due().await.unwrap();
    assert_eq!(snapshots(&app, &x1).await + snapshots(&app, &x2).await, 0, "{r:?}");

    tokio::time::sleep(Duration::from_millis((until - chrono::Utc::now().timestamp_millis()).max(0) as u64 + 100)).await;
    let r = app.state.analytics.sync_due().await.unwrap();
    assert!(r.stored >= 2, "{r:?}");
    assert_eq!((snapshots(&app, &x1).await, snapshots(&app, &x2).await), (1, 1));
}

#[tokio::test]
async fn a_revoked_account_stops_its_pulls_until_it_is_reconnected() {
    let (app, sbx) = setup(false, Duration::from_millis(100)).await;
    let x = account(&app, "x", "ada_x").await;
    let xp = posted(&app, &x, "Watch me").await;
    assert_eq!(app.state.analytics.sync_due().await.unwrap().stored, 1);
    control(&sbx, "tokens", json!({"platform": "x", "action": "revoke"})).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let r = app.state.analytics.sync_due().await.unwrap();
    assert_eq!((r.pulled, r.stored, r.failed), (1, 0, 1), "{r:?}");
    let (_, l) = get(&app, "/integrations/list").await;
    assert_eq!(l["integrations"][0]["status"], "reconnect_needed", "{l}");
    let row = sqlx::query("select error_class, last_error from post_metrics where post_id = $1")
        .bind(&xp)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("error_class"), "disconnected");
    // Nothing is pulled for that account while it needs reconnecting.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(app.state.analytics.sync_due().await.unwrap().pulled, 0);
    let (s, e) = call(&app, Method::POST, &format!("/api/v1/analytics/content/{xp}/refresh"), None).await;
    assert_eq!((s, e["error"].as_str()), (409, Some("reconnect_needed")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("Reconnect"), "{e}");

    // Reconnecting the same account resumes the pulls at once.
    account(&app, "x", "ada_x").await;
    let r = app.state.analytics.sync_due().await.unwrap();
    assert_eq!(r.stored, 1, "{r:?}");
    assert_eq!(snapshots(&app, &xp).await, 2);
}

#[tokio::test]
async fn a_withheld_read_permission_is_shown_as_unavailable_and_never_disconnects_the_account() {
    let (app, _sbx) = setup(false, Duration::from_millis(100)).await;
    let li = account(&app, "linkedin", "ada_li").await;
    let first = posted(&app, &li, "Member post").await;
    // LinkedIn answers 403 ACCESS_DENIED on socialActions: the account must stay healthy.
    let r = app.state.analytics.sync_due().await.unwrap();
    assert_eq!((r.pulled, r.stored, r.failed), (1, 0, 0), "{r:?}");
    let (_, l) = get(&app, "/integrations/list").await;
    assert_eq!(l["integrations"][0]["status"], "healthy", "{l}");
    let row = sqlx::query("select error_class, next_sync_at from post_metrics where post_id = $1")
        .bind(&first)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("error_class"), "missing_permission");
    assert!(row.get::<i64, _>("next_sync_at") > covalynce::db::now_ms() + 6 * 24 * 3_600_000, "asked again in a week, not every minute");
    // The dashboard says which permission would unlock the numbers.
    let (s, v) = get(&app, "/api/dashboard/stats?range=7d").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["unavailable"][0]["platform"], "LinkedIn", "{v}");
    assert!(v["unavailable"][0]["message"].as_str().unwrap().contains("r_member_postAnalytics"), "{v}");
    let html = app.client.get(app.url("/dashboard")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Some numbers are not shared with Covalynce"), "the dashboard shows the notice");
    // Publishing is not affected.
    posted(&app, &li, "Still publishing").await;
}

fn day(d: NaiveDate, hour: u32) -> i64 {
    d.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap()).and_utc().timestamp_millis()
}

#[tokio::test]
async fn periods_compare_rates_never_divide_by_zero_and_every_table_exports_as_csv() {
    let (app, _sbx) = setup(false, Duration::from_secs(900)).await;
    let x = account(&app, "x", "ada_x").await;
    let m = account(&app, "mastodon", "ada_m").await;
    let xp = posted(&app, &x, "The one with views").await;
    let mp = posted(&app, &m, "The one without").await;
    let a = &app.state.analytics;
    // Pulls at known times (the profile zone is UTC): one in the previous week, one in this one.
    let today = chrono::Utc::now().date_naive();
    let t = |views: Option<i64>, likes: i64, comments: i64| Totals {
        views,
        likes: Some(likes),
        comments: Some(comments),
        ..Default::default()
    };
    a.record(&xp, day(today - Days::new(10), 12), &t(Some(100), 10, 2)).await.unwrap();
    a.record(&mp, day(today - Days::new(9), 12), &t(None, 5, 1)).await.unwrap();
    a.record(&xp, day(today - Days::new(3), 12), &t(Some(400), 40, 14)).await.unwrap();
    a.record(&mp, day(today - Days::new(2), 12), &t(None, 20, 3)).await.unwrap();
    // A pull older than the last one is refused (it would count gains backwards).
    assert!(a.record(&xp, day(today - Days::new(5), 12), &t(Some(1), 1, 1)).await.is_err());

    let (from, to) = ((today - Days::new(6)).to_string(), today.to_string());
    let (s, d) = get(&app, &format!("/api/dashboard/stats?from={from}&to={to}")).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(
        (d["totalViews"].as_i64(), d["previous"]["totalViews"].as_i64(), d["changes"]["views"].as_f64()),
        (Some(300), Some(100), Some(200.0)),
        "{d}"
    );
    assert_eq!(
        (d["totalLikes"].as_i64(), d["previous"]["totalLikes"].as_i64(), d["changes"]["likes"].as_f64()),
        (Some(45), Some(15), Some(200.0))
    );
    assert_eq!((d["totalComments"].as_i64(), d["previous"]["totalComments"].as_i64()), (Some(14), Some(3)));
    // (30 + 12) / 300 = 14 % now, (10 + 2) / 100 = 12 % before; Mastodon has no views and does not count.
    assert_eq!(
        (d["engagementRate"].as_f64(), d["previous"]["engagementRate"].as_f64(), d["changes"]["engagementRatePts"].as_f64()),
        (Some(14.0), Some(12.0), Some(2.0))
    );
    assert_eq!(d["range"]["previousFrom"], (today - Days::new(13)).to_string());
    assert_eq!(d["range"]["key"], "7d");
    // Both posts went out today: 2 now, 0 before, and no percentage of nothing.
    assert_eq!((d["postsPublished"].as_i64(), d["changes"]["postsPublished"].as_f64()), (Some(2), None));
    let (_, same) = get(&app, "/api/dashboard/stats?range=7d").await;
    assert_eq!(same["totalViews"], 300);
    // Filtered to Mastodon: no views at all, so no total and no rate (not 0, not a division by zero).
    let (_, md) = get(&app, &format!("/api/dashboard/stats?from={from}&to={to}&platform=mastodon")).await;
    assert!(md["totalViews"].is_null() && md["engagementRate"].is_null(), "{md}");
    assert_eq!(md["totalLikes"], 15);

    // CSV: the table behind each chart, as a download.
    let q = format!("from={from}&to={to}");
    let r = app.client.get(app.url(&format!("/api/v1/analytics/trends/export.csv?{q}"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let cd = r.headers()["content-disposition"].to_str().unwrap().to_string();
    assert_eq!(cd, format!("attachment; filename=\"covalynce-trends-{from}-to-{to}.csv\""));
    let body = r.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "date,views,likes,comments,shares,engagement_rate_pct");
    assert_eq!(lines.len(), 8, "header + 7 days: {body}");
    let d3 = (today - Days::new(3)).to_string();
    assert!(lines.contains(&format!("{d3},300,30,12,,14.00").as_str()), "{body}");
    let d2 = (today - Days::new(2)).to_string();
    assert!(lines.contains(&format!("{d2},,15,2,,").as_str()), "Mastodon's day has no views and no rate: {body}");

    let overview =
        app.client.get(app.url(&format!("/api/v1/analytics/overview?{q}&format=csv"))).send().await.unwrap().text().await.unwrap();
    assert!(overview.starts_with("metric,current,previous,change_pct,from,to,previous_from,previous_to\r\n"), "{overview}");
    assert!(overview.contains(&format!("\r\nviews,300,100,200.00,{from},{to},")), "{overview}");
    assert!(overview.contains("\r\nengagement_rate_pct,14.00,12.00,2.00,"), "{overview}");
    let platforms =
        app.client.get(app.url(&format!("/api/v1/analytics/engagement/export.csv?{q}"))).send().await.unwrap().text().await.unwrap();
    let rows: Vec<&str> = platforms.lines().collect();
    assert_eq!(rows[0], "platform,posts,views,impressions,likes,comments,shares,saves,followers,engagement_rate_pct");
    assert!(rows.contains(&"x,1,300,,30,12,,,,14.00"), "{platforms}");
    assert!(rows.contains(&"mastodon,1,,,15,2,,,,"), "{platforms}");
    let top = app.client.get(app.url(&format!("/api/v1/analytics/top-posts/export.csv?{q}"))).send().await.unwrap().text().await.unwrap();
    assert!(top.starts_with("post_id,platform,account,published,text,url,views,likes,comments,shares,engagement,engagement_rate_pct\r\n"));
    assert!(top.lines().nth(1).unwrap().starts_with(&format!("{xp},x,")), "{top}");
    let post = app.client.get(app.url(&format!("/api/v1/analytics/content/{xp}/export.csv"))).send().await.unwrap();
    assert!(post.headers()["content-disposition"].to_str().unwrap().contains(&format!("covalynce-post-{xp}.csv")));
    let post = post.text().await.unwrap();
    assert_eq!(post.lines().count(), 3, "header + both pulls: {post}");
    assert!(
        post.lines().nth(2).unwrap().starts_with(&format!("{xp},x,")) && post.lines().nth(2).unwrap().ends_with(",400,,40,14,,"),
        "{post}"
    );

    // Mistakes are 4xx with something to act on.
    for (path, code) in [
        ("/api/dashboard/stats?from=2026-13-01", "invalid_date"),
        ("/api/dashboard/stats?from=2026-11-10&to=2026-11-01", "invalid_range"),
        ("/api/dashboard/stats?range=forever", "invalid_range"),
        ("/api/dashboard/stats?platform=myspace", "unknown_platform"),
        ("/api/v1/analytics/trends?format=xml", "invalid_format"),
    ] {
        let (s, e) = get(&app, path).await;
        assert_eq!((s, e["error"].as_str()), (422, Some(code)), "{path}: {e}");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }

    // Zero views: the rate is empty, never a division by zero.
    let z = posted(&app, &x, "Nobody saw this").await;
    a.record(&z, chrono::Utc::now().timestamp_millis(), &t(Some(0), 3, 1)).await.unwrap();
    let zs = series(&app, &z).await;
    assert_eq!((zs["latest"]["views"].as_i64(), zs["engagementRate"].is_null()), (Some(0), true), "{zs}");
    let (s, top) = get(&app, "/api/v1/analytics/top-posts?range=7d").await;
    assert_eq!(s, 200, "{top}");
    let zt = top["posts"].as_array().unwrap().iter().find(|p| p["id"] == z.as_str()).unwrap();
    assert!(zt["engagementRate"].is_null() && zt["views"] == 0, "{zt}");

    // Days are the profile's own. In New York a period starts at 04:00 or 05:00 UTC, inside a
    // UTC day: a pull an hour before that belongs to the previous period, an hour after to this one.
    let ny = covalynce::Timezone::parse("America/New_York").unwrap();
    sqlx::query("update users set timezone = $1 where id = $2")
        .bind(ny.as_str())
        .bind(me(&app).await)
        .execute(app.db.pool())
        .await
        .unwrap();
    let today = chrono::Utc::now().with_timezone(&ny.tz()).date_naive();
    let start = covalynce::domain::local_to_utc_lenient(&ny, (today - Days::new(6)).and_time(NaiveTime::MIN));
    let edge = posted(&app, &x, "Right at the edge").await;
    a.record(&edge, start - 3_600_000, &t(Some(7), 0, 0)).await.unwrap();
    a.record(&edge, start + 3_600_000, &t(Some(18), 0, 0)).await.unwrap();
    let (_, d) = get(&app, "/api/dashboard/stats?range=7d").await;
    assert_eq!(d["range"]["timezone"], "America/New_York");
    assert_eq!((d["totalViews"].as_i64(), d["previous"]["totalViews"].as_i64()), (Some(300 + 11), Some(100 + 7)), "{d}");
    let (_, tr) = get(&app, "/api/v1/analytics/trends?range=7d").await;
    assert_eq!(tr["days"][0]["date"], (today - Days::new(6)).to_string());
    assert_eq!(tr["days"][0]["views"], 11, "{tr}");

    // A day the clocks go back has 25 hours (1 Nov 2026 in New York): a pull in its last hour
    // is that day's, one an hour later the next day's; the same with a platform filter.
    let nov = |d: u32, h: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap().and_hms_opt(h, 30, 0).unwrap();
    let long_day = posted(&app, &x, "The long day").await;
    a.record(&long_day, covalynce::domain::local_to_utc_lenient(&ny, nov(1, 23)), &t(Some(5), 0, 0)).await.unwrap();
    a.record(&long_day, covalynce::domain::local_to_utc_lenient(&ny, nov(2, 0)), &t(Some(9), 0, 0)).await.unwrap();
    for platform in ["", "&platform=x"] {
        let (s, tr) = get(&app, &format!("/api/v1/analytics/trends?from=2026-10-25&to=2026-11-07{platform}")).await;
        assert_eq!(s, 200, "{tr}");
        let day = |date: &str| tr["days"].as_array().unwrap().iter().find(|d| d["date"] == date).unwrap()["views"].clone();
        assert_eq!(
            (day("2026-10-31"), day("2026-11-01"), day("2026-11-02"), day("2026-11-03")),
            (json!(null), json!(5), json!(4), json!(null)),
            "{tr}"
        );
    }
}

#[tokio::test]
async fn another_users_post_is_not_found_anywhere() {
    let (app, _sbx) = setup(false, Duration::from_secs(900)).await;
    let x = account(&app, "x", "ada_x").await;
    let xp = posted(&app, &x, "Mine only").await;
    app.state.analytics.sync_due().await.unwrap();
    let (s, _) = get(&app, &format!("/api/v1/analytics/content/{xp}")).await;
    assert_eq!(s, 200);

    // Same server, another browser.
    let other =
        TestApp { addr: app.addr.clone(), client: client(), db: app.db.clone(), db_url: app.db_url.clone(), state: app.state.clone() };
    other.signup(&unique_email("other")).await;
    for path in [format!("/api/v1/analytics/content/{xp}"), format!("/api/v1/analytics/content/{xp}/export.csv")] {
        let (s, e) = get(&other, &path).await;
        assert_eq!((s, e["error"].as_str()), (404, Some("not_found")), "{path}");
    }
    let (s, _) = call(&other, Method::POST, &format!("/api/v1/analytics/content/{xp}/refresh"), None).await;
    assert_eq!(s, 404);
    let (_, d) = get(&other, "/api/dashboard/stats?range=90d").await;
    assert!(d["totalViews"].is_null() && d["topPosts"].as_array().unwrap().is_empty() && d["hasPosts"] == false, "{d}");
    let csv = other.client.get(other.url("/api/v1/analytics/top-posts/export.csv?range=90d")).send().await.unwrap().text().await.unwrap();
    assert_eq!(csv.lines().count(), 1, "header only: {csv}");
    // The per-post page of someone else's post is the not-found page, not their numbers.
    let page = other.client.get(other.url(&format!("/dashboard/post/{xp}"))).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("Mine only"), "{page}");

    let anon = client();
    let r = anon.get(app.url("/api/dashboard/stats")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn the_worker_pulls_new_posts_on_its_own_and_the_dashboard_shows_them() {
    let (app, sbx) = setup(true, Duration::from_millis(300)).await;
    let x = account(&app, "x", "ada_x").await;
    let xp = posted(&app, &x, "Left to the worker").await;
    let end = Instant::now() + Duration::from_secs(10);
    while snapshots(&app, &xp).await < 1 {
        assert!(Instant::now() < end, "the worker took a first snapshot");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let v1 = series(&app, &xp).await["latest"]["views"].as_i64().unwrap();
    control(&sbx, "advance", json!({"secs": 7200})).await;
    while series(&app, &xp).await["latest"]["views"].as_i64().unwrap() <= v1 {
        assert!(Instant::now() < end, "the worker pulled again after the interval");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let html = app.client.get(app.url("/dashboard?range=7d")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-testid=\"engagement-chart\""), "the dashboard draws the chart");
    assert!(html.contains("Left to the worker"), "and lists the post among the top posts");
    let page = app.client.get(app.url(&format!("/dashboard/post/{xp}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Refresh now"));
}
