//! Content library at 10,000 drafts: `GET /api/content/library` latency (p50/p95) over real
//! HTTP against the real server, on SQLite and on PostgreSQL.
//!
//! One user owns 10,000 drafts (2–4 variants each, varied text, a year of edits, the usual
//! status mix); two noise users own 5,000 more each, written from the same vocabulary so
//! every search also has other tenants' matches to skip. Rows are inserted with SQL in
//! batches (the search triggers fire as they do for the app's own writes), then each
//! scenario is requested sequentially, one request at a time.
//!
//! cargo bench -p server --bench library
//! env: BENCH_REQUESTS (per scenario, default 200), BENCH_DRAFTS (default 10000),
//!      BENCH_PG_ADMIN_URL (default postgres://127.0.0.1:5432/test; unreachable → skipped),
//!      BENCH_KEEP=1 keeps both databases for a look at the query plans

mod common;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

const PLATFORMS: [&str; 10] =
    ["x", "facebook", "instagram", "linkedin", "youtube", "tiktok", "pinterest", "threads", "bluesky", "mastodon"];
const OPENERS: [&str; 12] = [
    "Big news:",
    "Quick tip for your team:",
    "We just shipped",
    "Behind the scenes of",
    "Three lessons from",
    "Why we stopped",
    "How our team handles",
    "A short thread on",
    "Customer story:",
    "This week at the studio:",
    "Hot take on",
    "Save this for later:",
];
const TOPICS: [&str; 24] = [
    "onboarding",
    "pricing pages",
    "remote work",
    "design systems",
    "customer interviews",
    "release notes",
    "the roadmap",
    "hiring engineers",
    "accessibility",
    "dark mode",
    "the mobile app",
    "our newsletter",
    "conference talks",
    "support tickets",
    "product analytics",
    "brand photography",
    "weekly planning",
    "open source",
    "sustainability",
    "the café menu",
    "holiday hours",
    "community events",
    "data privacy",
    "video editing",
];
const MIDDLES: [&str; 16] = [
    "Small batches beat big launches every time.",
    "We measured it for a month and the numbers surprised us.",
    "The first draft is never the one you publish.",
    "Ask the people who use it, not the people who built it.",
    "It took us three tries to get this right.",
    "Here is the checklist we use before anything goes out.",
    "Less process, more conversations.",
    "Our team wrote down everything that went wrong.",
    "You do not need a bigger budget, you need a clearer goal.",
    "Start with the problem, not the feature.",
    "Consistency matters more than frequency.",
    "The best feedback came from a single support email.",
    "Every screen now loads in under a second.",
    "We tested five headlines; the plainest one won.",
    "Nobody reads the manual, so we made the defaults better.",
    "The whole team joined the call, even the interns.",
];
const CLOSERS: [&str; 10] = [
    "What would you add?",
    "Link in the comments.",
    "Reply with your favourite.",
    "More next week.",
    "Thoughts?",
    "Share it with someone who needs it.",
    "Details on the blog.",
    "Come say hi on Friday.",
    "#buildinpublic",
    "#marketing #growth",
];
const STATUSES: [(&str, u32); 5] = [("draft", 50), ("ready", 20), ("scheduled", 15), ("published", 10), ("failed", 5)];

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list[rng.gen_range(0..list.len())]
}

fn status(rng: &mut StdRng) -> &'static str {
    let mut roll = rng.gen_range(0..100);
    for (s, weight) in STATUSES {
        if roll < weight {
            return s;
        }
        roll -= weight;
    }
    "draft"
}

struct Draft {
    id: String,
    title: String,
    idea: String,
    status: &'static str,
    updated_at: i64,
    variants: Vec<(&'static str, String)>,
}

/// Varied text from a fixed vocabulary; one draft in 1,000 mentions a zeppelin (the rare word).
fn draft(rng: &mut StdRng, now: i64) -> Draft {
    let topic = pick(rng, &TOPICS);
    let title = format!("{} {topic}", pick(rng, &OPENERS));
    let mut idea = format!("{title}. {} {}", pick(rng, &MIDDLES), pick(rng, &MIDDLES));
    if rng.gen_range(0..1000) == 0 {
        idea.push_str(" Also: the zeppelin photo shoot.");
    }
    let n = rng.gen_range(2..=4);
    let mut platforms = PLATFORMS.to_vec();
    let mut variants = vec![];
    for _ in 0..n {
        let p = platforms.remove(rng.gen_range(0..platforms.len()));
        let body = match p {
            "x" | "bluesky" | "threads" => format!("{} {topic}. {} {}", pick(rng, &OPENERS), pick(rng, &MIDDLES), pick(rng, &CLOSERS)),
            _ => format!(
                "{title}\n\n{}\n\n{}\n\n{}\n\n{}",
                pick(rng, &MIDDLES),
                pick(rng, &MIDDLES),
                pick(rng, &MIDDLES),
                pick(rng, &CLOSERS)
            ),
        };
        variants.push((p, body));
    }
    let updated_at = now - rng.gen_range(0..365 * 86_400_000i64);
    Draft { id: uuid::Uuid::new_v4().to_string(), title, idea, status: status(rng), updated_at, variants }
}

async fn seed(pool: &sqlx::AnyPool, user_id: &str, count: usize, rng: &mut StdRng) {
    let now = chrono::Utc::now().timestamp_millis();
    for chunk_start in (0..count).step_by(250) {
        let drafts: Vec<Draft> = (chunk_start..count.min(chunk_start + 250)).map(|_| draft(rng, now)).collect();
        let mut tx = pool.begin().await.unwrap();
        let marks: Vec<String> = (0..drafts.len())
            .map(|i| {
                let b = i * 7;
                format!("(${}, ${}, ${}, ${}, ${}, ${}, ${}, 0)", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7)
            })
            .collect();
        let sql = format!(
            "insert into drafts (id, user_id, title, idea, status, created_at, updated_at, image_generated) values {}",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for d in &drafts {
            q = q.bind(&d.id).bind(user_id).bind(&d.title).bind(&d.idea).bind(d.status).bind(d.updated_at - 86_400_000).bind(d.updated_at);
        }
        q.execute(&mut *tx).await.unwrap();
        let rows: Vec<(&Draft, &(&str, String))> = drafts.iter().flat_map(|d| d.variants.iter().map(move |v| (d, v))).collect();
        let marks: Vec<String> =
            (0..rows.len()).map(|i| format!("(${}, ${}, ${}, ${})", i * 4 + 1, i * 4 + 2, i * 4 + 3, i * 4 + 4)).collect();
        let sql = format!("insert into draft_variants (draft_id, platform, body, updated_at) values {}", marks.join(", "));
        let mut q = sqlx::query(&sql);
        for (d, (p, body)) in &rows {
            q = q.bind(&d.id).bind(*p).bind(body).bind(d.updated_at);
        }
        q.execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }
}

async fn run(label: &'static str, database_url: Option<String>) {
    let drafts: usize = common::env_usize("BENCH_DRAFTS", 10_000);
    let requests: usize = common::env_usize("BENCH_REQUESTS", 200);
    let bench = common::start("library", label, database_url).await;
    let (base, db) = (bench.base.clone(), bench.db.clone());

    let (client, me) = common::user(&base, "owner").await;
    let mut rng = StdRng::seed_from_u64(4);
    let t = Instant::now();
    seed(db.pool(), &me, drafts, &mut rng).await;
    for n in 0..2 {
        let (_, noise) = common::user(&base, &format!("noise{n}")).await;
        seed(db.pool(), &noise, drafts / 2, &mut rng).await;
    }
    if label == "postgres" {
        // What autovacuum does shortly after a bulk load (PostgreSQL 13+ vacuums after
        // inserts too): statistics for the planner, the visibility map for index-only reads.
        sqlx::query("vacuum analyze").execute(db.pool()).await.unwrap();
    }
    println!("{label}: seeded {} drafts (+{} for two other users) in {:.1} s", drafts, drafts, t.elapsed().as_secs_f64());

    let scenarios: [(&str, &str); 8] = [
        ("page 1", "/api/content/library"),
        ("page 200 (deep)", "/api/content/library?page=200"),
        ("status=scheduled", "/api/content/library?status=scheduled"),
        ("platform=linkedin, page 50", "/api/content/library?platform=linkedin&page=50"),
        ("search common word (team)", "/api/content/library?q=team"),
        ("search 2 words + status", "/api/content/library?q=customer%20story&status=ready"),
        ("search rare word (zeppelin)", "/api/content/library?q=zeppelin"),
        ("/library page (SSR HTML)", "/library"),
    ];
    println!("{:<30} {:>8} {:>9} {:>9} {:>9}", "scenario", "matches", "p50 ms", "p95 ms", "max ms");
    for (name, path) in scenarios {
        let url = format!("{base}{path}");
        let first = client.get(&url).send().await.unwrap();
        assert!(first.status().is_success(), "{name}: {}", first.status());
        let body = first.text().await.unwrap();
        let matches = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|v| v["total"].as_i64());
        let (p50, p95, max) = common::latencies(&client, &url, 10, requests).await;
        let matches = matches.map(|m| m.to_string()).unwrap_or_else(|| "-".into());
        println!("{name:<30} {matches:>8} {:>9.2} {:>9.2} {:>9.2}", p50, p95, max);
    }
    bench.finish().await;
}

fn main() {
    common::main_on_both_backends("library", run);
}
