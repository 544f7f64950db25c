//! Content library (seed 004 §Content Library): one page of a user's drafts with filters,
//! full-text search and per-platform chips.
//!
//! The types and the pure helpers (excerpts, thumbnails, search terms) compile everywhere so
//! the browser build can render a page; `Library` itself needs the `server` feature. What the
//! filters and search read (`drafts_library`: SQLite FTS5 beside it, a PostgreSQL tsvector in
//! it) is kept in step with drafts by database triggers (migrations `*_library_search.sql`).

use crate::domain::{DomainError, DraftStatus, PlatformId};
use serde::{Deserialize, Serialize};

pub const PER_PAGE_DEFAULT: u32 = 24;
pub const PER_PAGE_MAX: u32 = 100;
/// Longer searches are cut to this many words (each is one index lookup).
pub const SEARCH_TERMS_MAX: usize = 16;
const TERM_CHARS_MAX: usize = 64;
const EXCERPT_CHARS: usize = 140;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryQuery {
    /// all | draft | ready | scheduled | published | failed (`None` = all).
    pub status: Option<String>,
    /// The user's words; matched as prefixes over title, idea and every variant.
    pub q: Option<String>,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
    /// Only drafts with a variant for this platform.
    pub platform: Option<String>,
}

impl Default for LibraryQuery {
    fn default() -> Self {
        Self { status: None, q: None, page: 1, per_page: PER_PAGE_DEFAULT, platform: None }
    }
}

/// A query string as a browser or API client sends it: every value is text, and empty
/// values mean "not given" (a GET form submits `q=` when the box is empty).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LibraryParams {
    pub status: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub platform: Option<String>,
}

impl LibraryParams {
    pub fn parse(self) -> Result<LibraryQuery, DomainError> {
        let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let number = |v: Option<String>, default: u32, err: fn() -> DomainError| match given(v) {
            None => Ok(default),
            Some(s) => s.parse::<u32>().map_err(|_| err()),
        };
        let q = LibraryQuery {
            status: given(self.status),
            q: given(self.q),
            page: number(self.page, 1, bad_page)?,
            per_page: number(self.per_page, PER_PAGE_DEFAULT, bad_per_page)?,
            platform: given(self.platform),
        };
        q.check()?;
        Ok(q)
    }
}

fn bad_page() -> DomainError {
    DomainError::new("invalid_page", "Pages are numbered from 1: use page=1 or higher.")
}

fn bad_per_page() -> DomainError {
    DomainError::new("invalid_per_page", format!("Show between 1 and {PER_PAGE_MAX} drafts per page."))
}

impl LibraryQuery {
    /// The status to filter on (`None` for all), or why the query cannot run.
    pub fn check(&self) -> Result<(Option<DraftStatus>, Option<PlatformId>), DomainError> {
        let status = match self.status.as_deref() {
            None | Some("all") => None,
            Some(s) => Some(DraftStatus::parse(s).map_err(|_| {
                let all: Vec<&str> = DraftStatus::ALL.iter().map(|s| s.as_str()).collect();
                DomainError::new("invalid_status", format!("\"{s}\" is not a library filter. Use one of: all, {}.", all.join(", ")))
            })?),
        };
        if self.page == 0 {
            return Err(bad_page());
        }
        if self.per_page == 0 || self.per_page > PER_PAGE_MAX {
            return Err(bad_per_page());
        }
        let platform = self.platform.as_deref().map(PlatformId::parse).transpose()?;
        Ok((status, platform))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformChip {
    /// Platform id, e.g. `linkedin`.
    pub platform: String,
    /// e.g. "LinkedIn".
    pub name: String,
    pub status: DraftStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryItem {
    pub id: String,
    pub title: String,
    pub excerpt: String,
    pub status: DraftStatus,
    pub image_url: Option<String>,
    pub thumbnail_url: Option<String>,
    pub image_generated: bool,
    /// In the platforms' catalogue order.
    pub platforms: Vec<PlatformChip>,
    pub updated_at: i64,
    pub created_at: i64,
    /// The draft's latest post that went out: its analytics page is one click away.
    #[serde(default)]
    pub analytics_post_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryPage {
    pub items: Vec<LibraryItem>,
    /// Drafts matching the filters, on every page.
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    /// 0 when nothing matches.
    pub pages: u32,
}

/// Uploads are served with a small rendition at `<url>/thumb`; other images are used as they
/// are (the same rule the uploads code follows).
pub fn thumbnail_for(image_url: &str) -> String {
    if image_url.starts_with("/media/") {
        format!("{image_url}/thumb")
    } else {
        image_url.to_string()
    }
}

/// About the first 140 characters on one line, cut at a word boundary.
pub fn excerpt(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= EXCERPT_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(EXCERPT_CHARS).collect();
    // A word longer than a third of the excerpt (a URL) is cut where it stands.
    let at = cut.rfind(' ').filter(|&i| i >= cut.len() * 2 / 3).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—".contains(c)))
}

/// The user's words as index terms: runs of letters and digits, lower-cased. Everything
/// else (quotes, `*`, `-`, `:`, `NEAR(`, `&|!`) separates words and is never passed to the
/// search syntax, so no input can make a query fail.
pub fn search_terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(TERM_CHARS_MAX).collect::<String>().to_lowercase())
        .take(SEARCH_TERMS_MAX)
        .collect()
}

/// SQLite FTS5: every term a quoted prefix (`"tok"*`), all required.
pub fn fts5_query(terms: &[String]) -> String {
    terms.iter().map(|t| format!("\"{}\"*", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

/// PostgreSQL `to_tsquery`: every term a prefix (`tok:*`), all required.
pub fn tsquery(terms: &[String]) -> String {
    terms.iter().map(|t| format!("{t}:*")).collect::<Vec<_>>().join(" & ")
}

#[cfg(feature = "server")]
pub use self::store::Library;

#[cfg(feature = "server")]
mod store {
    use super::*;
    use crate::db::{opt, Backend, Db};
    use crate::drafts::DraftError;
    use sqlx::Row;
    use std::collections::HashMap;

    #[derive(Clone)]
    pub struct Library {
        db: Db,
    }

    /// A draft's publications: each platform's latest status (library words) and the latest
    /// post that went out.
    #[derive(Default)]
    struct Sent {
        per_platform: HashMap<String, DraftStatus>,
        posted: Option<String>,
    }

    /// Values bound to a statement, in `$n` order.
    enum Arg {
        Text(String),
        Int(i64),
    }

    impl Library {
        pub fn new(db: Db) -> Self {
            Self { db }
        }

        /// One page, newest change first. Four queries whatever the page size: the page,
        /// the total, the page's variants and its publications.
        pub async fn page(&self, user_id: &str, q: &LibraryQuery) -> Result<LibraryPage, DraftError> {
            let (status, platform) = q.check()?;
            let terms = search_terms(q.q.as_deref().unwrap_or(""));
            // drafts_library (kept by the migration's triggers) holds what every filter needs,
            // so a count or a page reads one narrow table. The page is picked by id first (a
            // range read of an index however deep the offset), then only its rows are read
            // from drafts.
            let mut args = vec![Arg::Text(user_id.to_string())];
            let mut filter = String::from("r.user_id = $1");
            let mut add = |cond: &str, value: String| {
                args.push(Arg::Text(value));
                filter += &format!(" and {}", cond.replace("$N", &format!("${}", args.len())));
            };
            if let Some(s) = status {
                add("r.status = $N", s.to_string());
            }
            if let Some(p) = platform {
                add("r.platforms like $N", format!("% {} %", p.as_str()));
            }
            let postgres = self.db.backend() == Backend::Postgres;
            if !terms.is_empty() {
                match self.db.backend() {
                    // Straight from FTS5's doclists: the library row's rid is the FTS row id.
                    Backend::Sqlite => add("r.rid in (select rowid from drafts_fts where drafts_fts match $N)", fts5_query(&terms)),
                    Backend::Postgres => add("r.doc @@ to_tsquery('simple', covalynce_fold($N))", tsquery(&terms)),
                }
            }
            // PostgreSQL plans a one-off statement with the words in it: the tsquery becomes a
            // constant (folded once, not per row) and the row estimate fits the actual words.
            // A cached statement could fall back to a generic plan for every later search.
            let persistent = !postgres || terms.is_empty();

            let count_sql = format!("select count(*) as n from drafts_library r where {filter}");
            let total: i64 = bind(sqlx::query(&count_sql), &args).persistent(persistent).fetch_one(self.db.pool()).await?.get("n");

            let per_page = i64::from(q.per_page);
            let offset = (i64::from(q.page) - 1) * per_page;
            let n = args.len();
            let page_sql = format!(
                "select d.id, d.title, d.idea, d.status, d.image_url, d.image_generated, d.created_at, d.updated_at \
                 from drafts d join (select r.draft_id from drafts_library r where {filter} \
                 order by r.updated_at desc, r.draft_id limit ${} offset ${}) p on p.draft_id = d.id \
                 order by d.updated_at desc, d.id",
                n + 1,
                n + 2
            );
            args.push(Arg::Int(per_page));
            args.push(Arg::Int(offset));
            let rows = if offset < total {
                bind(sqlx::query(&page_sql), &args).persistent(persistent).fetch_all(self.db.pool()).await?
            } else {
                vec![]
            };

            let mut variants: HashMap<String, HashMap<String, String>> = HashMap::new();
            if !rows.is_empty() {
                let marks: Vec<String> = (1..=rows.len()).map(|i| format!("${i}")).collect();
                let sql = format!("select draft_id, platform, body from draft_variants where draft_id in ({})", marks.join(", "));
                let mut vq = sqlx::query(&sql);
                for r in &rows {
                    vq = vq.bind(r.get::<String, _>("id"));
                }
                for r in vq.fetch_all(self.db.pool()).await? {
                    variants.entry(r.get("draft_id")).or_default().insert(r.get("platform"), r.get("body"));
                }
            }

            // How each platform's latest publication stands, and the latest post that went out.
            let mut sent: HashMap<String, Sent> = HashMap::new();
            if !rows.is_empty() {
                let marks: Vec<String> = (2..rows.len() + 2).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "select id, draft_id, platform, status from posts where user_id = $1 and draft_id in ({}) \
                     order by created_at, coalesce(published_at, 0), id",
                    marks.join(", ")
                );
                let mut pq = sqlx::query(&sql).bind(user_id);
                for r in &rows {
                    pq = pq.bind(r.get::<String, _>("id"));
                }
                for r in pq.fetch_all(self.db.pool()).await? {
                    // The same reading as the draft's own status (`refresh_draft_status`).
                    let status: crate::domain::PostStatus = crate::db::status(&r, "status");
                    let Some(chip) = status.draft_status() else { continue };
                    let e = sent.entry(r.get("draft_id")).or_default();
                    e.per_platform.insert(r.get("platform"), chip);
                    if status == crate::domain::PostStatus::Posted {
                        e.posted = Some(r.get("id"));
                    }
                }
            }

            let items = rows
                .iter()
                .map(|r| {
                    let id: String = r.get("id");
                    let status: DraftStatus = crate::db::status(r, "status");
                    let bodies = variants.remove(&id).unwrap_or_default();
                    // Catalogue order, not the database's.
                    let present: Vec<(PlatformId, &String)> =
                        PlatformId::ALL.into_iter().filter_map(|p| bodies.get(p.as_str()).map(|b| (p, b))).collect();
                    let idea: String = r.get("idea");
                    let source = present.iter().map(|(_, b)| b.as_str()).find(|b| !b.trim().is_empty()).unwrap_or(&idea);
                    let image_url: Option<String> = opt(r, "image_url");
                    let Sent { per_platform, posted: analytics_post_id } = sent.remove(&id).unwrap_or_default();
                    LibraryItem {
                        excerpt: excerpt(source),
                        // A platform never sent to shows the draft's own status.
                        platforms: present
                            .iter()
                            .map(|(p, _)| PlatformChip {
                                platform: p.as_str().into(),
                                name: p.display_name().into(),
                                status: per_platform.get(p.as_str()).copied().unwrap_or(status),
                            })
                            .collect(),
                        analytics_post_id,
                        thumbnail_url: image_url.as_deref().map(thumbnail_for),
                        image_url,
                        image_generated: r.get::<i64, _>("image_generated") != 0,
                        title: r.get("title"),
                        status,
                        updated_at: r.get("updated_at"),
                        created_at: r.get("created_at"),
                        id,
                    }
                })
                .collect();
            let pages = u32::try_from((total + per_page - 1) / per_page).unwrap_or(u32::MAX);
            Ok(LibraryPage { items, total, page: q.page, per_page: q.per_page, pages })
        }

        /// Whether the user has any draft at all (tells "nothing yet" from "nothing matches").
        pub async fn has_drafts(&self, user_id: &str) -> Result<bool, DraftError> {
            let row = sqlx::query("select id from drafts where user_id = $1 limit 1").bind(user_id).fetch_optional(self.db.pool()).await?;
            Ok(row.is_some())
        }
    }

    fn bind<'q>(
        mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        args: &'q [Arg],
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for a in args {
            query = match a {
                Arg::Text(s) => query.bind(s.as_str()),
                Arg::Int(i) => query.bind(*i),
            };
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_parse_with_clear_errors() {
        let p = |status: &str, page: &str, per: &str| {
            LibraryParams {
                status: Some(status.into()),
                page: Some(page.into()),
                per_page: Some(per.into()),
                q: Some("  ".into()),
                platform: Some(String::new()),
            }
            .parse()
        };
        let q = p("", "", "").unwrap();
        assert_eq!(q, LibraryQuery::default(), "empty form fields mean defaults");
        assert_eq!(p("ready", "3", "10").unwrap().page, 3);
        assert_eq!(p("shipped", "1", "").unwrap_err().code, "invalid_status");
        assert_eq!(p("all", "0", "").unwrap_err().code, "invalid_page");
        assert_eq!(p("all", "-1", "").unwrap_err().code, "invalid_page");
        assert_eq!(p("all", "two", "").unwrap_err().code, "invalid_page");
        assert_eq!(p("all", "1", "101").unwrap_err().code, "invalid_per_page");
        let bad_platform = LibraryParams { platform: Some("myspace".into()), ..Default::default() }.parse();
        assert_eq!(bad_platform.unwrap_err().code, "unknown_platform");
    }

    #[test]
    fn thumbnails_follow_the_uploads_rule() {
        assert_eq!(thumbnail_for("/media/abc"), "/media/abc/thumb");
        assert_eq!(thumbnail_for("https://cdn.example/a.png"), "https://cdn.example/a.png");
    }

    #[test]
    fn excerpts_cut_at_words() {
        assert_eq!(excerpt("  short\n\ntext "), "short text");
        let long = "word ".repeat(60);
        let e = excerpt(&long);
        assert!(e.ends_with("word…") && e.chars().count() <= 141, "{e}");
        let url = format!("see {}", "x".repeat(300));
        assert_eq!(excerpt(&url).chars().count(), 141, "a giant word is cut where it stands");
        let accents = "é".repeat(200);
        assert_eq!(excerpt(&accents).chars().count(), 141, "cut on characters, not bytes");
    }

    #[test]
    fn search_input_never_reaches_the_query_syntax() {
        assert_eq!(search_terms("Launch  day!"), ["launch", "day"]);
        assert!(search_terms("\" * - : &|! ()").is_empty());
        assert_eq!(search_terms("NEAR(a b) \"x\"*"), ["near", "a", "b", "x"]);
        assert_eq!(search_terms("Café-Ñandú"), ["café", "ñandú"]);
        assert_eq!(search_terms(&"w ".repeat(100)).len(), SEARCH_TERMS_MAX);
        let t = search_terms("near OR not");
        assert_eq!(fts5_query(&t), "\"near\"* \"or\"* \"not\"*");
        assert_eq!(tsquery(&t), "near:* & or:* & not:*");
    }
}
