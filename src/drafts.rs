//! Drafts and templates (seed 002): an idea, a title and one variant per platform; templates
//! with `{placeholders}` turn an idea into those variants. Every read and write is scoped to
//! the owner: another user's id is not found.

use crate::db::{now_ms, opt, Db};
use crate::domain::{check_length, idea_vars, render, title_from, DraftStatus, PlatformId, PLACEHOLDERS, RENDER_MAX_CHARS};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

const TITLE_MAX: usize = 200;
const IDEA_MAX: usize = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Draft {
    pub id: String,
    pub title: String,
    pub idea: String,
    pub status: DraftStatus,
    pub template_id: Option<String>,
    pub image_url: Option<String>,
    pub image_generated: bool,
    /// platform id → text
    pub variants: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Fields a create or update may set; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DraftInput {
    pub title: Option<String>,
    pub idea: Option<String>,
    pub status: Option<String>,
    /// `null` clears it; absent leaves it.
    #[serde(default, deserialize_with = "double_option")]
    pub template_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub image_url: Option<Option<String>>,
    pub image_generated: Option<bool>,
    /// platform → text; an empty text removes that platform's variant.
    pub variants: Option<HashMap<String, String>>,
}

/// Tells a JSON `null` (Some(None): clear) from an absent field (None: keep).
fn double_option<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub category: String,
    pub bodies: BTreeMap<String, String>,
    /// Starter templates ship with Covalynce and cannot be edited (copy them instead).
    pub starter: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateInput {
    pub name: Option<String>,
    pub category: Option<String>,
    pub bodies: Option<HashMap<String, String>>,
}

/// Drafts refuse with the shared core error.
pub type DraftError = crate::Error;
use crate::error::invalid;

const READ_ONLY: DraftError =
    DraftError::Forbidden { code: "read_only", message: "Starter templates cannot be changed. Make a copy and edit that." };

fn check_idea(idea: &str) -> Result<(), DraftError> {
    if idea.chars().count() > IDEA_MAX {
        return Err(invalid("idea_too_long", format!("Keep the idea under {IDEA_MAX} characters.")));
    }
    Ok(())
}

fn clean_variants(v: &HashMap<String, String>) -> Result<BTreeMap<PlatformId, String>, DraftError> {
    let mut out = BTreeMap::new();
    for (k, body) in v {
        let p = PlatformId::parse(k)?;
        // No network takes a longer post; the cap keeps one request from storing megabytes.
        if body.chars().count() > RENDER_MAX_CHARS {
            return Err(invalid("variant_too_long", format!("{} text can be at most {RENDER_MAX_CHARS} characters.", p.display_name())));
        }
        out.insert(p, body.clone());
    }
    Ok(out)
}

/// "Ready" means publishable: a title, at least one variant, each within its platform's limit.
fn check_ready(d: &Draft) -> Result<(), DraftError> {
    if d.variants.is_empty() {
        return Err(invalid("no_variants", "Add text for at least one platform before marking the draft ready."));
    }
    let mut problems = vec![];
    for (p, body) in &d.variants {
        let p = PlatformId::parse(p)?;
        let c = check_length(p, body);
        if body.trim().is_empty() {
            problems.push(format!("{} is empty", p.display_name()));
        } else if c.over() {
            problems.push(format!("{} is {} over its limit of {}", p.display_name(), -c.remaining, c.limit));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(invalid("over_limit", format!("Not ready yet: {}.", problems.join("; "))))
    }
}

impl Draft {
    fn from_row(r: &sqlx::any::AnyRow) -> Self {
        Self {
            id: r.get("id"),
            title: r.get("title"),
            idea: r.get("idea"),
            status: crate::db::status(r, "status"),
            template_id: opt(r, "template_id"),
            image_url: opt(r, "image_url"),
            image_generated: r.get::<i64, _>("image_generated") != 0,
            variants: BTreeMap::new(),
            created_at: r.get("created_at"),
            updated_at: r.get("updated_at"),
        }
    }
}

/// Why a draft was saved; decides how versions are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    Save,
    Autosave,
    Restore,
}

impl SaveKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Save => "save",
            Self::Autosave => "autosave",
            Self::Restore => "restore",
        }
    }
}

/// Autosaves closer together than this fold into one version.
pub const AUTOSAVE_FOLD_MS: i64 = 5 * 60 * 1000;
/// Versions kept per draft (oldest dropped first).
pub const VERSIONS_KEPT: i64 = 50;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DraftVersion {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub idea: String,
    pub variants: BTreeMap<String, String>,
    pub image_url: Option<String>,
    pub created_at: i64,
}

impl DraftVersion {
    fn from_row(r: &sqlx::any::AnyRow) -> Result<Self, DraftError> {
        Ok(Self {
            id: r.get("id"),
            kind: r.get("kind"),
            title: r.get("title"),
            idea: r.get("idea"),
            variants: serde_json::from_str(&r.get::<String, _>("variants")).map_err(anyhow::Error::from)?,
            image_url: opt(r, "image_url"),
            created_at: r.get("created_at"),
        })
    }
}

async fn record_version(tx: &mut sqlx::Transaction<'_, sqlx::Any>, d: &Draft, kind: SaveKind, now: i64) -> Result<(), DraftError> {
    let variants = serde_json::to_string(&d.variants).map_err(anyhow::Error::from)?;
    if kind == SaveKind::Autosave {
        let folded = sqlx::query(
            "update draft_versions set title = $1, idea = $2, variants = $3, image_url = $4, created_at = $5
             where id = (select id from draft_versions where draft_id = $6 order by created_at desc, id desc limit 1)
               and kind = 'autosave' and created_at > $7",
        )
        .bind(&d.title)
        .bind(&d.idea)
        .bind(&variants)
        .bind(d.image_url.as_deref())
        .bind(now)
        .bind(&d.id)
        .bind(now - AUTOSAVE_FOLD_MS)
        .execute(&mut **tx)
        .await?;
        if folded.rows_affected() > 0 {
            return Ok(());
        }
    }
    sqlx::query(
        "insert into draft_versions (id, draft_id, kind, title, idea, variants, image_url, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&d.id)
    .bind(kind.as_str())
    .bind(&d.title)
    .bind(&d.idea)
    .bind(&variants)
    .bind(d.image_url.as_deref())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "delete from draft_versions where draft_id = $1 and id not in
         (select id from draft_versions where draft_id = $1 order by created_at desc, id desc limit $2)",
    )
    .bind(&d.id)
    .bind(VERSIONS_KEPT)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Clone)]
pub struct Drafts {
    db: Db,
}

impl Drafts {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn create(&self, user_id: &str, input: DraftInput) -> Result<Draft, DraftError> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_ms();
        let idea = input.idea.clone().unwrap_or_default();
        check_idea(&idea)?;
        let title = input.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| title_from(&idea));
        sqlx::query(
            "insert into drafts (id, user_id, title, idea, status, created_at, updated_at) values ($1, $2, $3, $4, 'draft', $5, $5)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(&title)
        .bind(&idea)
        .bind(now)
        .execute(self.db.pool())
        .await?;
        // Everything else goes through the one validation path.
        match self.update(user_id, &id, DraftInput { title: Some(title), ..input }).await {
            Ok(d) => Ok(d),
            Err(e) => {
                sqlx::query("delete from drafts where id = $1").bind(&id).execute(self.db.pool()).await?;
                Err(e)
            }
        }
    }

    pub async fn get(&self, user_id: &str, id: &str) -> Result<Draft, DraftError> {
        let row = sqlx::query("select * from drafts where id = $1 and user_id = $2")
            .bind(id)
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?;
        let mut d = row.map(|r| Draft::from_row(&r)).ok_or(DraftError::NotFound("That draft"))?;
        for r in sqlx::query("select platform, body from draft_variants where draft_id = $1").bind(id).fetch_all(self.db.pool()).await? {
            d.variants.insert(r.get("platform"), r.get("body"));
        }
        Ok(d)
    }

    /// Newest first; `status` filters (all when `None`).
    pub async fn list(&self, user_id: &str, status: Option<&str>, limit: i64, offset: i64) -> Result<Vec<Draft>, DraftError> {
        let status = status.map(DraftStatus::parse).transpose().map_err(DraftError::Invalid)?;
        let rows = sqlx::query(
            "select * from drafts where user_id = $1 and ($2 = '' or status = $2) order by updated_at desc, id limit $3 offset $4",
        )
        .bind(user_id)
        .bind(status.map(DraftStatus::as_str).unwrap_or(""))
        .bind(limit.clamp(1, 200))
        .bind(offset.max(0))
        .fetch_all(self.db.pool())
        .await?;
        let mut out: Vec<Draft> = rows.iter().map(Draft::from_row).collect();
        if out.is_empty() {
            return Ok(out);
        }
        // One query for every variant on the page (not one per draft).
        let marks: Vec<String> = (1..=out.len()).map(|i| format!("${i}")).collect();
        let sql = format!("select draft_id, platform, body from draft_variants where draft_id in ({})", marks.join(", "));
        let mut q = sqlx::query(&sql);
        for d in &out {
            q = q.bind(d.id.clone());
        }
        let mut by_draft: HashMap<String, BTreeMap<String, String>> = HashMap::new();
        for r in q.fetch_all(self.db.pool()).await? {
            by_draft.entry(r.get("draft_id")).or_default().insert(r.get("platform"), r.get("body"));
        }
        for d in &mut out {
            d.variants = by_draft.remove(&d.id).unwrap_or_default();
        }
        Ok(out)
    }

    pub async fn update(&self, user_id: &str, id: &str, input: DraftInput) -> Result<Draft, DraftError> {
        self.save(user_id, id, input, SaveKind::Save).await
    }

    /// Applies `input` and records a version. Autosaves within `AUTOSAVE_FOLD_MS` of the
    /// newest autosave replace it, so typing for an hour leaves a readable history.
    pub async fn save(&self, user_id: &str, id: &str, input: DraftInput, kind: SaveKind) -> Result<Draft, DraftError> {
        let mut d = self.get(user_id, id).await?;
        if let Some(t) = &input.title {
            let t = t.trim();
            if t.is_empty() || t.chars().count() > TITLE_MAX {
                return Err(invalid("invalid_title", format!("Give the draft a title of 1 to {TITLE_MAX} characters.")));
            }
            d.title = t.to_string();
        }
        if let Some(i) = &input.idea {
            check_idea(i)?;
            d.idea = i.clone();
        }
        if let Some(t) = &input.template_id {
            if let Some(tid) = t {
                self.template(user_id, tid).await?;
            }
            d.template_id = t.clone();
        }
        if let Some(u) = &input.image_url {
            if let Some(url) = u {
                crate::domain::ImageRef::parse(url)?;
            }
            d.image_url = u.clone();
        }
        if let Some(g) = input.image_generated {
            d.image_generated = g;
        }
        let variants = input.variants.as_ref().map(clean_variants).transpose()?;
        if let Some(v) = &variants {
            for (p, body) in v {
                if body.is_empty() {
                    d.variants.remove(p.as_str());
                } else {
                    d.variants.insert(p.as_str().to_string(), body.clone());
                }
            }
        }
        if let Some(s) = &input.status {
            d.status = DraftStatus::parse(s).map_err(DraftError::Invalid)?;
        }
        if d.status == DraftStatus::Ready {
            check_ready(&d)?;
        }
        let now = now_ms();
        let mut tx = self.db.pool().begin().await?;
        sqlx::query("update drafts set title = $1, idea = $2, status = $3, template_id = $4, image_url = $5, image_generated = $6, updated_at = $7 where id = $8 and user_id = $9")
            .bind(&d.title)
            .bind(&d.idea)
            .bind(d.status.as_str())
            .bind(d.template_id.as_deref())
            .bind(d.image_url.as_deref())
            .bind(i64::from(d.image_generated))
            .bind(now)
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if variants.is_some() {
            sqlx::query("delete from draft_variants where draft_id = $1").bind(id).execute(&mut *tx).await?;
            for (p, body) in &d.variants {
                sqlx::query("insert into draft_variants (draft_id, platform, body, updated_at) values ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(p)
                    .bind(body)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        record_version(&mut tx, &d, kind, now).await?;
        tx.commit().await?;
        d.updated_at = now;
        Ok(d)
    }

    /// Newest first.
    pub async fn versions(&self, user_id: &str, draft_id: &str) -> Result<Vec<DraftVersion>, DraftError> {
        self.get(user_id, draft_id).await?;
        let rows = sqlx::query("select * from draft_versions where draft_id = $1 order by created_at desc, id desc")
            .bind(draft_id)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(DraftVersion::from_row).collect()
    }

    /// Puts a version's title, idea, variants and image back (itself recorded as a version,
    /// so a restore can be undone).
    pub async fn restore(&self, user_id: &str, draft_id: &str, version_id: &str) -> Result<Draft, DraftError> {
        let current = self.get(user_id, draft_id).await?;
        let row = sqlx::query("select * from draft_versions where id = $1 and draft_id = $2")
            .bind(version_id)
            .bind(draft_id)
            .fetch_optional(self.db.pool())
            .await?;
        let v = DraftVersion::from_row(&row.ok_or(DraftError::NotFound("That version"))?)?;
        // Platforms added since the version are removed (an empty body removes a variant).
        let mut variants: HashMap<String, String> = current.variants.keys().map(|k| (k.clone(), String::new())).collect();
        variants.extend(v.variants);
        let status = (current.status == DraftStatus::Ready).then(|| DraftStatus::Draft.to_string());
        let input = DraftInput {
            title: Some(v.title),
            idea: Some(v.idea),
            image_url: Some(v.image_url),
            variants: Some(variants),
            status,
            ..Default::default()
        };
        self.save(user_id, draft_id, input, SaveKind::Restore).await
    }

    pub async fn delete(&self, user_id: &str, id: &str) -> Result<(), DraftError> {
        let r = sqlx::query("delete from drafts where id = $1 and user_id = $2").bind(id).bind(user_id).execute(self.db.pool()).await?;
        if r.rows_affected() == 0 {
            return Err(DraftError::NotFound("That draft"));
        }
        Ok(())
    }

    // ---------------------------------------------------------------- templates

    fn template_from_row(r: &sqlx::any::AnyRow) -> Result<Template, DraftError> {
        let bodies: BTreeMap<String, String> = serde_json::from_str(&r.get::<String, _>("bodies")).map_err(anyhow::Error::from)?;
        Ok(Template {
            id: r.get("id"),
            name: r.get("name"),
            category: r.get("category"),
            bodies,
            starter: opt::<String>(r, "user_id").is_none(),
        })
    }

    /// The user's own templates and the starter set.
    pub async fn templates(&self, user_id: &str) -> Result<Vec<Template>, DraftError> {
        let rows = sqlx::query("select * from templates where user_id = $1 or user_id is null order by user_id is null, name")
            .bind(user_id)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(Self::template_from_row).collect()
    }

    pub async fn template(&self, user_id: &str, id: &str) -> Result<Template, DraftError> {
        let row = sqlx::query("select * from templates where id = $1 and (user_id = $2 or user_id is null)")
            .bind(id)
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?;
        Self::template_from_row(&row.ok_or(DraftError::NotFound("That template"))?)
    }

    fn check_template(name: &str, category: &str, bodies: &HashMap<String, String>) -> Result<BTreeMap<String, String>, DraftError> {
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(invalid("invalid_name", "Give the template a name of 1 to 100 characters."));
        }
        if category.trim().is_empty() || category.chars().count() > 40 {
            return Err(invalid("invalid_category", "Give the template a category of 1 to 40 characters."));
        }
        if bodies.is_empty() {
            return Err(invalid("no_bodies", "Add a body for at least one platform."));
        }
        let sample: HashMap<String, String> = PLACEHOLDERS.iter().map(|p| (p.to_string(), String::new())).collect();
        let mut out = BTreeMap::new();
        for (p, body) in clean_variants(bodies)? {
            render(&body, &sample).map_err(|e| invalid("invalid_template", format!("{}: {e}", p.display_name())))?;
            out.insert(p.as_str().to_string(), body);
        }
        Ok(out)
    }

    pub async fn create_template(&self, user_id: &str, input: TemplateInput) -> Result<Template, DraftError> {
        let (name, category) = (input.name.unwrap_or_default(), input.category.unwrap_or_else(|| "general".into()));
        let bodies = Self::check_template(&name, &category, &input.bodies.unwrap_or_default())?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_ms();
        sqlx::query(
            "insert into templates (id, user_id, name, category, bodies, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(name.trim())
        .bind(category.trim())
        .bind(serde_json::to_string(&bodies).map_err(anyhow::Error::from)?)
        .bind(now)
        .execute(self.db.pool())
        .await?;
        self.template(user_id, &id).await
    }

    pub async fn update_template(&self, user_id: &str, id: &str, input: TemplateInput) -> Result<Template, DraftError> {
        let t = self.template(user_id, id).await?;
        if t.starter {
            return Err(READ_ONLY);
        }
        let name = input.name.unwrap_or(t.name);
        let category = input.category.unwrap_or(t.category);
        let bodies = Self::check_template(&name, &category, &input.bodies.unwrap_or_else(|| t.bodies.into_iter().collect()))?;
        sqlx::query("update templates set name = $1, category = $2, bodies = $3, updated_at = $4 where id = $5 and user_id = $6")
            .bind(name.trim())
            .bind(category.trim())
            .bind(serde_json::to_string(&bodies).map_err(anyhow::Error::from)?)
            .bind(now_ms())
            .bind(id)
            .bind(user_id)
            .execute(self.db.pool())
            .await?;
        self.template(user_id, id).await
    }

    pub async fn delete_template(&self, user_id: &str, id: &str) -> Result<(), DraftError> {
        if self.template(user_id, id).await?.starter {
            return Err(READ_ONLY);
        }
        sqlx::query("delete from templates where id = $1 and user_id = $2").bind(id).bind(user_id).execute(self.db.pool()).await?;
        Ok(())
    }

    /// "Use template": the idea's key points fill the placeholders, one variant per
    /// platform the template has (or only those asked for).
    pub async fn use_template(
        &self,
        user_id: &str,
        id: &str,
        idea: &str,
        platforms: &[PlatformId],
    ) -> Result<BTreeMap<String, String>, DraftError> {
        let t = self.template(user_id, id).await?;
        if idea.trim().is_empty() {
            return Err(invalid("empty_idea", "Write the idea first; the template fills in around it."));
        }
        check_idea(idea)?;
        let vars = idea_vars(idea);
        let mut out = BTreeMap::new();
        for (p, body) in &t.bodies {
            let pid = PlatformId::parse(p)?;
            if !platforms.is_empty() && !platforms.contains(&pid) {
                continue;
            }
            out.insert(
                p.clone(),
                render(body, &vars).map_err(|e| invalid("invalid_template", format!("{}: {e}", pid.display_name())))?.trim().to_string(),
            );
        }
        Ok(out)
    }
}
