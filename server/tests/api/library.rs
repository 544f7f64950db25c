//! The content library (`GET /api/content/library` and the `/library` page) on both
//! databases: filters, full-text search kept in step by the database, pages, thumbnails,
//! hostile search input and tenant isolation.

use crate::helpers::*;
use serde_json::{json, Value};

async fn create(app: &TestApp, body: Value) -> String {
    let r = app.client.post(app.url("/api/drafts")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201, "create {body}");
    apart().await;
    r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

async fn patch(app: &TestApp, id: &str, body: Value) {
    let r = app.client.patch(app.url(&format!("/api/drafts/{id}"))).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200, "patch {body}");
    apart().await;
}

/// Changes are stamped in whole milliseconds, so two in the same millisecond tie; a person's
/// edits are never that close, and "newest change first" needs them apart.
async fn apart() {
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
}

/// `GET /api/content/library` with `query` (already URL-encoded).
async fn library(app: &TestApp, query: &str) -> (u16, Value) {
    let r = app.client.get(app.url(&format!("/api/content/library?{query}"))).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

fn search(q: &str) -> String {
    format!("q={}", url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>())
}

#[tokio::test]
async fn library_filters_and_searches_title_idea_and_variants() {
    let app = spawn_app().await;
    app.signup(&unique_email("lib")).await;
    let launch = create(
        &app,
        json!({"title": "Launch day", "idea": "We ship the new dashboard on Monday.", "variants": {"x": "Dashboard 2.0 is live", "linkedin": "Today we launch our redesigned dashboard, built with our customers."}}),
    )
    .await;
    let recipe = create(&app, json!({"title": "Sunday recipe", "idea": "A crème brûlée for the team offsite"})).await;
    let hiring = create(
        &app,
        json!({"title": "We are hiring", "idea": "Two engineers", "variants": {"bluesky": "Join us: remote-friendly, kubernetes and rust"}}),
    )
    .await;
    patch(&app, &launch, json!({"status": "ready"})).await;
    patch(&app, &hiring, json!({"status": "published"})).await;

    let (s, all) = library(&app, "").await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(
        (all["total"].as_i64(), all["page"].as_u64(), all["per_page"].as_u64(), all["pages"].as_u64()),
        (Some(3), Some(1), Some(24), Some(1))
    );
    assert_eq!(ids(&all), [hiring.clone(), launch.clone(), recipe.clone()], "newest change first");
    let l = &all["items"][1];
    assert_eq!(l["title"], "Launch day");
    assert_eq!(l["excerpt"], "Dashboard 2.0 is live", "the first variant in catalogue order (X before LinkedIn)");
    assert_eq!(
        l["platforms"],
        json!([{"platform": "x", "name": "X (Twitter)", "status": "ready"}, {"platform": "linkedin", "name": "LinkedIn", "status": "ready"}])
    );
    assert_eq!(all["items"][2]["excerpt"], "A crème brûlée for the team offsite", "no variants: the idea");
    assert_eq!(all["items"][2]["platforms"], json!([]));

    for (filter, want) in [
        ("status=all", vec![&hiring, &launch, &recipe]),
        ("status=ready", vec![&launch]),
        ("status=published", vec![&hiring]),
        ("status=draft", vec![&recipe]),
        ("status=scheduled", vec![]),
        ("status=failed", vec![]),
        ("platform=bluesky", vec![&hiring]),
        ("platform=linkedin&status=ready", vec![&launch]),
    ] {
        let (s, p) = library(&app, filter).await;
        assert_eq!(s, 200, "{filter}");
        assert_eq!(ids(&p), want.into_iter().cloned().collect::<Vec<_>>(), "{filter}");
    }

    for (q, want) in [
        ("launch", vec![&launch]),       // title (and a variant)
        ("MONDAY", vec![&launch]),       // idea, any case
        ("redesigned", vec![&launch]),   // only in the LinkedIn variant
        ("kubern", vec![&hiring]),       // a prefix, only in a variant
        ("creme brulee", vec![&recipe]), // accents fold away
        ("crème", vec![&recipe]),
        ("dashboard monday", vec![&launch]), // every word must match
        ("dashboard recipe", vec![]),
        ("we", vec![&hiring, &launch]), // "We are hiring", "We ship…"
        ("zebra", vec![]),
    ] {
        let (s, p) = library(&app, &search(q)).await;
        assert_eq!(s, 200, "{q}: {p}");
        assert_eq!(ids(&p), want.into_iter().cloned().collect::<Vec<_>>(), "search {q:?}");
        assert_eq!(p["total"].as_i64(), Some(ids(&p).len() as i64), "{q}");
    }
    let (_, p) = library(&app, &format!("status=draft&{}", search("dashboard"))).await;
    assert!(ids(&p).is_empty(), "search and filter combine");

    // Editing a variant re-indexes: the old word is gone, the new one found.
    patch(&app, &hiring, json!({"variants": {"bluesky": "Join us: we write haskell now"}})).await;
    assert!(ids(&library(&app, &search("kubernetes")).await.1).is_empty(), "old variant text no longer matches");
    assert_eq!(ids(&library(&app, &search("haskell")).await.1), std::slice::from_ref(&hiring));
    // Removing a variant (empty text) and editing the title re-index too.
    patch(&app, &launch, json!({"variants": {"linkedin": ""}, "title": "Release notes"})).await;
    assert!(ids(&library(&app, &search("redesigned")).await.1).is_empty());
    assert!(ids(&library(&app, "platform=linkedin").await.1).is_empty(), "the platform filter follows variant removal");
    assert_eq!(ids(&library(&app, "platform=x&status=ready").await.1), std::slice::from_ref(&launch));
    assert_eq!(ids(&library(&app, &search("release notes")).await.1), std::slice::from_ref(&launch));
    // A deleted draft leaves the index.
    let r = app
        .client
        .delete(app.url(&format!("/api/drafts/{recipe}")))
        // Same-origin JSON is what exempts an API call from the form CSRF token.
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(ids(&library(&app, &search("brulee")).await.1).is_empty());
    assert_eq!(library(&app, "").await.1["total"], 2);
}

#[tokio::test]
async fn library_pages_and_totals() {
    let app = spawn_app().await;
    app.signup(&unique_email("pages")).await;
    let mut made = vec![];
    for i in 0..7 {
        let idea = if i % 2 == 0 { format!("Even post number {i}") } else { format!("Odd post number {i}") };
        made.push(create(&app, json!({"idea": idea})).await);
    }
    let (_, p1) = library(&app, "per_page=3").await;
    assert_eq!((p1["total"].as_i64(), p1["pages"].as_u64(), ids(&p1).len()), (Some(7), Some(3), 3));
    let (_, p3) = library(&app, "per_page=3&page=3").await;
    assert_eq!((p3["page"].as_u64(), ids(&p3).len()), (Some(3), 1));
    let (_, p2) = library(&app, "per_page=3&page=2").await;
    let mut seen: Vec<String> = [ids(&p1), ids(&p2), ids(&p3)].concat();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7, "pages neither repeat nor skip a draft");
    let (s, past) = library(&app, "per_page=3&page=9").await;
    assert_eq!((s, past["total"].as_i64(), ids(&past).len()), (200, Some(7), 0), "past the end: empty page, true total");

    let (_, even) = library(&app, &format!("per_page=2&{}", search("even"))).await;
    assert_eq!((even["total"].as_i64(), even["pages"].as_u64(), ids(&even).len()), (Some(4), Some(2), 2));
    let (_, empty) = library(&app, &search("nothing-here")).await;
    assert_eq!((empty["total"].as_i64(), empty["pages"].as_u64()), (Some(0), Some(0)));

    // An edit moves a draft to the front.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    patch(&app, &made[0], json!({"title": "Touched"})).await;
    assert_eq!(ids(&library(&app, "per_page=1").await.1), [made[0].clone()]);
}

#[tokio::test]
async fn hostile_search_input_never_fails() {
    let app = spawn_app().await;
    app.signup(&unique_email("fts")).await;
    let id = create(
        &app,
        json!({"title": "Quote \"this\"", "idea": "NEAR the end: a-b test & more | stuff!", "variants": {"x": "C++ and C# (100%) * ~"}}),
    )
    .await;
    for q in [
        "\"",
        "\"\"",
        "'",
        "*",
        "**",
        "-",
        "--",
        ":",
        "::",
        "&|!",
        "!",
        "NEAR(",
        "NEAR(a b)",
        "a NEAR b",
        "AND",
        "OR",
        "NOT",
        "a AND",
        "(",
        ")",
        "()",
        "^",
        "{",
        "}",
        "title:",
        "title:quote",
        "$1",
        "\\",
        "%",
        "_",
        ";",
        "'; drop table drafts; --",
        "🙂",
        "\u{0}",
        "a\"b",
        "x*y",
        "-quote",
        "+quote",
        "quote*",
        "\"quote",
        "c++",
        "c#",
        "a & b",
        "a | b",
        "!a",
        "a:*",
        "<->",
        "a <-> b",
        "½",
        "x²",
        "٣",
        "日本語",
    ] {
        let (s, p) = library(&app, &search(q)).await;
        assert_eq!(s, 200, "search {q:?} answered {s}: {p}");
        assert!(p["items"].is_array(), "{q:?}");
    }
    // Words around the punctuation still find the draft.
    for q in ["\"this\"", "near(", "a-b", "more|stuff", "(100%)", "quote:"] {
        assert_eq!(ids(&library(&app, &search(q)).await.1), std::slice::from_ref(&id), "search {q:?}");
    }
    // Nothing searchable (only punctuation) lists everything rather than nothing.
    assert_eq!(library(&app, &search("&|!")).await.1["total"], 1);
    let long = "word ".repeat(500);
    assert_eq!(library(&app, &search(&long)).await.0, 200, "a very long search is cut, not refused");
}

#[tokio::test]
async fn another_users_drafts_never_appear() {
    let app = spawn_app().await;
    app.signup(&unique_email("owner")).await;
    let mine = create(&app, json!({"title": "Secret roadmap", "idea": "quarterly plans", "variants": {"x": "confidential launch"}})).await;
    patch(&app, &mine, json!({"status": "ready"})).await;

    let other = app.other_browser();
    other.signup(&unique_email("other")).await;
    let theirs = create(&other, json!({"title": "Their roadmap", "idea": "public plans"})).await;
    for query in ["", "status=ready", "platform=x", "q=secret", "q=confidential", "q=roadmap", "q=plans", "page=1&per_page=100"] {
        let (s, p) = library(&other, query).await;
        assert_eq!(s, 200, "{query}");
        assert!(!ids(&p).contains(&mine), "{query}: another user's draft leaked");
        assert!(p["total"].as_i64().unwrap() <= 1, "{query}: totals count only your drafts");
    }
    assert_eq!(ids(&library(&other, "q=roadmap").await.1), std::slice::from_ref(&theirs));
    assert_eq!(ids(&library(&app, "q=roadmap").await.1), std::slice::from_ref(&mine));

    let (s, e) = library(&app.other_browser(), "").await;
    assert_eq!((s, e["error"].as_str()), (401, Some("unauthenticated")), "signed out: nothing");
    // The page itself is behind the sign-in too.
    let r = app.other_browser().client.get(app.url("/library?q=secret")).send().await.unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn thumbnails_and_bad_parameters() {
    let app = spawn_app().await;
    app.signup(&unique_email("thumbs")).await;
    let remote = create(&app, json!({"idea": "remote image", "image_url": "https://cdn.example/a.png"})).await;
    let upload = create(&app, json!({"idea": "uploaded image"})).await;
    // Set directly: this test is about the library's rule, not about the upload flow.
    sqlx::query("update drafts set image_url = $1, image_generated = 1 where id = $2")
        .bind("/media/0f4c2a")
        .bind(&upload)
        .execute(app.db.pool())
        .await
        .unwrap();
    let bare = create(&app, json!({"idea": "no image"})).await;
    let (_, p) = library(&app, "").await;
    let item = |id: &str| p["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap().clone();
    assert_eq!(
        (item(&remote)["image_url"].as_str(), item(&remote)["thumbnail_url"].as_str()),
        (Some("https://cdn.example/a.png"), Some("https://cdn.example/a.png"))
    );
    assert_eq!(
        (item(&upload)["image_url"].as_str(), item(&upload)["thumbnail_url"].as_str()),
        (Some("/media/0f4c2a"), Some("/media/0f4c2a/thumb"))
    );
    assert_eq!(item(&upload)["image_generated"], true);
    assert!(item(&bare)["thumbnail_url"].is_null());

    for (query, code) in [
        ("status=shipped", "invalid_status"),
        ("status=READY", "invalid_status"),
        ("page=0", "invalid_page"),
        ("page=-2", "invalid_page"),
        ("page=two", "invalid_page"),
        ("per_page=0", "invalid_per_page"),
        ("per_page=101", "invalid_per_page"),
        ("platform=myspace", "unknown_platform"),
    ] {
        let (s, e) = library(&app, query).await;
        assert_eq!((s, e["error"].as_str()), (422, Some(code)), "{query}: {e}");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    let (_, e) = library(&app, "status=shipped").await;
    assert!(e["message"].as_str().unwrap().contains("all, draft, ready, scheduled, published, failed"), "{e}");
    assert_eq!(library(&app, "status=&q=&page=&platform=").await.0, 200, "an empty GET form means defaults");
}

#[tokio::test]
async fn library_page_renders_the_grid_and_the_empty_states() {
    let app = spawn_app().await;
    app.signup(&unique_email("libpage")).await;
    let page = app.client.get(app.url("/library")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Your library is empty") && page.contains("Write your first post"), "a new user sees the first-post CTA");

    let id = create(
        &app,
        json!({"title": "Café opening <soon>", "idea": "Doors open at nine", "image_url": "https://cdn.example/door (1).png", "variants": {"x": "Doors open at nine!", "bluesky": "Come by"}}),
    )
    .await;
    let r = app.client.get(app.url("/library")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("<title>Library · Covalynce</title>"));
    assert!(page.contains(r#"data-testid="library-grid""#), "the grid is server-rendered");
    assert!(page.contains(&format!(r#"href="/editor?draft={id}""#)), "cards open the editor");
    assert!(page.contains("Café opening &lt;soon&gt;"), "titles are escaped");
    assert!(page.contains(r#"data-platform="x""#) && page.contains(r#"data-platform="bluesky""#), "platform chips");
    assert!(page.contains("Updated just now"));
    assert!(page.contains(r#"src="https://cdn.example/door (1).png""#), "the thumbnail");
    assert!(page.contains(r#"<form method="get" action="/library""#), "search works without JavaScript");
    assert!(page.contains(r#"href="/library?status=ready""#), "filter tabs are links");

    let page = app.client.get(app.url("/library?q=cafe")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("1 draft matches “cafe”"), "search from the URL");
    assert!(page.contains(r#"value="cafe""#), "the box keeps the words");

    let page = app.client.get(app.url("/library?q=zeppelin&status=ready")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("No drafts match “zeppelin”"), "the search empty state");
    assert!(page.contains(r#"href="/library?status=ready""#) && page.contains("Clear search"), "clearing keeps the filter");
    assert!(!page.contains("Write your first post"));
    assert!(page.contains(r#"href="/library?q=zeppelin""#) && page.contains("Search all drafts"), "or search every status");

    let page = app.client.get(app.url("/library?status=shipped")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("is not a library filter"), "a bad filter explains itself");
}
