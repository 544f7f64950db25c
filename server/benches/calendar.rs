//! Calendar month with 5,000 posts: `GET /api/calendar` latency (p50/p95) over real HTTP
//! against the real server, on SQLite and on PostgreSQL. (Postiz took 30 s for 67 posts.)
//!
//! One user (profile zone Europe/Berlin) has 5,000 posts in next month, the usual status mix,
//! plus 500 in each of the months around it; two noise users have 5,000 each in the same
//! month, so the range scan has other tenants' rows to skip. Rows are inserted with SQL in
//! batches, then each scenario is requested sequentially, one request at a time.
//!
//! cargo bench -p server --bench calendar
//! env: BENCH_REQUESTS (per scenario, default 100), BENCH_POSTS (default 5000),
//!      BENCH_PG_ADMIN_URL (default postgres://127.0.0.1:5432/test; unreachable → skipped)

mod common;

use chrono::{Datelike, Months, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

const PLATFORMS: [&str; 6] = ["x", "linkedin", "bluesky", "mastodon", "threads", "facebook"];
const STATUSES: [(&str, u32); 4] = [("pending", 80), ("posted", 12), ("failed", 5), ("unconfirmed", 3)];

fn status(rng: &mut StdRng) -> &'static str {
    let mut roll = rng.gen_range(0..100);
    for (s, weight) in STATUSES {
        if roll < weight {
            return s;
        }
        roll -= weight;
    }
    "pending"
}

/// `count` posts for `user_id` at random minutes in `[start, end)` (UTC ms).
async fn seed(pool: &sqlx::AnyPool, user_id: &str, count: usize, start: i64, end: i64, rng: &mut StdRng) {
    let now = chrono::Utc::now().timestamp_millis();
    for chunk in (0..count).step_by(500) {
        let n = count.min(chunk + 500) - chunk;
        let marks: Vec<String> = (0..n)
            .map(|i| {
                let b = i * 10;
                let p: Vec<String> = (1..=10).map(|k| format!("${}", b + k)).collect();
                format!("({}, 0, 'bench')", p.join(", "))
            })
            .collect();
        let sql = format!(
            "insert into posts (id, user_id, batch_id, platform, body, status, scheduled_at, run_at, created_at, updated_at, attempts, account_name) values {}",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        let batch = uuid::Uuid::new_v4().to_string();
        for i in 0..n {
            let at = (rng.gen_range(start..end) / 60_000) * 60_000;
            let p = PLATFORMS[rng.gen_range(0..PLATFORMS.len())];
            q = q
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(user_id)
                .bind(&batch)
                .bind(p)
                .bind(format!("Post {} of the bench: a few words about the roadmap, the team and what ships next week. #{p}", chunk + i))
                .bind(status(rng))
                .bind(at)
                .bind(at)
                .bind(now)
                .bind(now);
        }
        q.execute(pool).await.unwrap();
    }
}

fn ms(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis()
}

async fn run(label: &'static str, database_url: Option<String>) {
    let posts: usize = common::env_usize("BENCH_POSTS", 5_000);
    let requests: usize = common::env_usize("BENCH_REQUESTS", 100);
    let bench = common::start("calendar", label, database_url).await;
    let (base, db) = (bench.base.clone(), bench.db.clone());

    let (client, me) = common::user(&base, "owner").await;
    sqlx::query("update users set timezone = 'Europe/Berlin' where id = $1").bind(&me).execute(db.pool()).await.unwrap();
    // Next month, in full; the month before and after get some posts too.
    let today = chrono::Utc::now().date_naive();
    let first = today.with_day(1).unwrap().checked_add_months(Months::new(1)).unwrap();
    let next = first.checked_add_months(Months::new(1)).unwrap();
    let last = next.pred_opt().unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let t = Instant::now();
    seed(db.pool(), &me, posts, ms(first), ms(next), &mut rng).await;
    seed(db.pool(), &me, 500, ms(first) - 30 * 86_400_000, ms(first), &mut rng).await;
    seed(db.pool(), &me, 500, ms(next), ms(next) + 30 * 86_400_000, &mut rng).await;
    for n in 0..2 {
        let (_, noise) = common::user(&base, &format!("noise{n}")).await;
        seed(db.pool(), &noise, posts, ms(first), ms(next), &mut rng).await;
    }
    if label == "postgres" {
        // What autovacuum does shortly after a bulk load; without it the planner guesses.
        sqlx::query("analyze").execute(db.pool()).await.unwrap();
    }
    println!(
        "{label}: seeded {posts} posts in {} (+1,000 around it, +{} for two other users) in {:.1} s",
        first.format("%B %Y"),
        posts * 2,
        t.elapsed().as_secs_f64()
    );

    let (grid_from, grid_to) = app::schedule_api::visible_range("month", first);
    let scenarios = [
        ("GET /api/calendar (month)", format!("/api/calendar?from={first}&to={last}")),
        ("GET /api/calendar (6-week grid)", format!("/api/calendar?from={grid_from}&to={grid_to}")),
        ("GET /api/calendar (one week)", format!("/api/calendar?from={first}&to={}", first + chrono::Days::new(6))),
        ("/calendar month page (SSR)", format!("/calendar?view=month&date={first}")),
    ];
    println!("{:<34} {:>7} {:>9} {:>9} {:>9} {:>9}", "scenario", "posts", "KB", "p50 ms", "p95 ms", "max ms");
    for (name, path) in scenarios {
        let url = format!("{base}{path}");
        let first_resp = client.get(&url).send().await.unwrap();
        assert!(first_resp.status().is_success(), "{name}: {}", first_resp.status());
        let body = first_resp.bytes().await.unwrap();
        let count = serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|v| v["posts"].as_array().map(Vec::len));
        let (p50, p95, max) = common::latencies(&client, &url, 5, requests).await;
        let count = count.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
        println!("{name:<34} {count:>7} {:>9.0} {:>9.2} {:>9.2} {:>9.2}", body.len() as f64 / 1024.0, p50, p95, max);
    }
    bench.finish().await;
}

fn main() {
    common::main_on_both_backends("calendar", run);
}
