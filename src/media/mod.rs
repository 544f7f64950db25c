//! Images for drafts: uploads and generated pictures (Gemini on the user's key, or the offline
//! text card), each validated by content, stripped of metadata, thumbnailed and stored through
//! `object_store` (a local directory by default, S3-compatible by config). The `images` row
//! says whose an image is; the bytes are served publicly by their unguessable id, because
//! platforms such as Instagram fetch media by URL.
//!
//! Nothing is half-saved: the objects are written first, then the row, then the draft; a
//! failure at any step removes what the earlier steps wrote.

pub mod gemini;
pub mod process;
pub mod shape;
pub mod textcard;

use crate::db::{now_ms, Db};
use crate::domain::{DomainError, Failure, Kind as ErrorKind, PlatformId};
use crate::drafts::{DraftError, DraftInput, Drafts};
use crate::platforms::{Http, PlatformError};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use process::{human_bytes, Kind, Processed, MAX_PIXELS, MAX_SIDE};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;
/// Below the server's 30-second request timeout, so people see our message, not a 408.
pub const DEFAULT_GEMINI_TIMEOUT: Duration = Duration::from_secs(25);
const PROMPT_MAX: usize = 5_000;
/// Generated images are ours, not the user's upload: they get at least this much room.
const GENERATED_MAX_BYTES: u64 = 20 * 1024 * 1024;

/// Where images go and how uploads and generation behave (`MAX_UPLOAD_BYTES`,
/// `GEMINI_API_BASE`, `GEMINI_TIMEOUT_SECS`, `S3_*`, `MEDIA_ALLOW_PRIVATE`).
#[derive(Debug, Clone)]
pub struct MediaConfig {
    pub max_upload_bytes: u64,
    pub gemini_base: String,
    pub gemini_timeout: Duration,
    /// `None`: files under `<DATA_DIR>/media`.
    pub s3: Option<S3Config>,
    /// Web images may come from private and loopback addresses.
    pub allow_private: bool,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            gemini_base: gemini::DEFAULT_BASE.to_string(),
            gemini_timeout: DEFAULT_GEMINI_TIMEOUT,
            s3: None,
            allow_private: false,
        }
    }
}

/// An S3-compatible bucket (AWS, MinIO, R2, …). Credentials left empty fall back to the
/// usual AWS environment/instance credentials.
#[derive(Clone)]
pub struct S3Config {
    pub bucket: String,
    /// For non-AWS services, e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// 422
    #[error("That file is empty (0 bytes). Choose the image again.")]
    Empty,
    /// 413. `size` is unknown when the upload was cut off at the body limit.
    #[error("{}", too_large(*size, *limit))]
    TooLarge { size: Option<u64>, limit: u64 },
    /// 415; the text says what the file looks like instead.
    #[error("That file is not a PNG, JPEG, GIF or WebP image (it looks like {0}).")]
    Unsupported(&'static str),
    /// 422; the type it claimed by its first bytes.
    #[error("That file looks like a {0} image but could not be read; it may be damaged or cut off. Export it again and retry.")]
    Undecodable(&'static str),
    /// 422
    #[error("{}", too_many_pixels(*.0))]
    TooManyPixels(Option<(u32, u32)>),
    /// 422
    #[error("{0}")]
    Invalid(DomainError),
    /// 404
    #[error("{0} was not found.")]
    NotFound(&'static str),
    /// 502: the image provider said no or did not answer.
    #[error("{message}")]
    Provider { code: &'static str, message: String },
    /// 500
    #[error("Something went wrong on our side. Please try again.")]
    Internal(#[from] anyhow::Error),
}

fn too_large(size: Option<u64>, limit: u64) -> String {
    match size {
        Some(s) => format!("That file is {}; the limit is {}.", human_bytes(s), human_bytes(limit)),
        None => format!("That file is larger than the limit of {}.", human_bytes(limit)),
    }
}

fn too_many_pixels(dims: Option<(u32, u32)>) -> String {
    let limit = format!("the most we take is {MAX_SIDE} pixels on a side and {} megapixels in all", MAX_PIXELS / 1_000_000);
    match dims {
        Some((w, h)) => format!("That image is {w}×{h} pixels; {limit}. Scale it down and try again."),
        None => format!("That image has too many pixels; {limit}. Scale it down and try again."),
    }
}

internal_error!(MediaError);

impl From<object_store::Error> for MediaError {
    fn from(e: object_store::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<DraftError> for MediaError {
    fn from(e: DraftError) -> Self {
        match e.kind() {
            ErrorKind::NotFound => Self::NotFound("That draft"),
            ErrorKind::Invalid => Self::Invalid(DomainError::new(e.code(), e.to_string())),
            _ => Self::Internal(anyhow::anyhow!("updating the draft: {e:?}")),
        }
    }
}

impl Failure for MediaError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::TooLarge { .. } => ErrorKind::TooLarge,
            Self::Unsupported(_) => ErrorKind::UnsupportedType,
            Self::Empty | Self::Undecodable(_) | Self::TooManyPixels(_) | Self::Invalid(_) => ErrorKind::Invalid,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Provider { .. } => ErrorKind::Upstream,
            Self::Internal(_) => ErrorKind::Internal,
        }
    }
    fn cause(&self) -> Option<&dyn std::fmt::Debug> {
        self.internal_cause()
    }

    fn code(&self) -> &str {
        match self {
            Self::Empty => "empty_file",
            Self::TooLarge { .. } => "file_too_large",
            Self::Unsupported(_) => "unsupported_type",
            Self::Undecodable(_) => "undecodable_image",
            Self::TooManyPixels(_) => "too_many_pixels",
            Self::Invalid(e) => &e.code,
            Self::NotFound(_) => "not_found",
            Self::Provider { code, .. } => code,
            Self::Internal(_) => "internal",
        }
    }
}

fn invalid(code: &str, msg: impl Into<String>) -> MediaError {
    MediaError::Invalid(DomainError::new(code, msg))
}

/// Where an image came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Upload,
    Gemini,
    TextCard,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upload => "upload",
            Self::Gemini => "gemini",
            Self::TextCard => "text_card",
        }
    }
}

/// An image as the API shows it. `url` and `thumbnail_url` are relative to the site
/// (`/media/{id}`, `/media/{id}/thumb`); the library derives thumbnails with the same rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Image {
    pub id: String,
    pub url: String,
    pub thumbnail_url: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub generated: bool,
    /// "upload" | "gemini" | "text_card"
    pub source: String,
    pub draft_id: Option<String>,
    pub created_at: i64,
}

pub fn url_for(id: &str) -> String {
    format!("/media/{id}")
}

pub fn thumbnail_url_for(id: &str) -> String {
    format!("/media/{id}/thumb")
}

impl Image {
    fn from_row(r: &sqlx::any::AnyRow) -> Self {
        let id: String = r.get("id");
        Self {
            url: url_for(&id),
            thumbnail_url: thumbnail_url_for(&id),
            content_type: r.get("content_type"),
            width: r.get::<i64, _>("width").try_into().unwrap_or(0),
            height: r.get::<i64, _>("height").try_into().unwrap_or(0),
            bytes: r.get::<i64, _>("bytes").try_into().unwrap_or(0),
            generated: r.get::<i64, _>("generated") != 0,
            source: r.get("source"),
            draft_id: crate::db::opt(r, "draft_id"),
            created_at: r.get("created_at"),
            id,
        }
    }
}

/// `POST /image/generate`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GenerateRequest {
    pub prompt: String,
    /// Decides the shape (see `feed_image`); Instagram's 4:5 when absent.
    pub platform: Option<String>,
    pub draft_id: Option<String>,
    /// "auto" (Gemini when the user has a key, else a text card) or "text_card".
    pub mode: Option<String>,
}

fn key(id: &str) -> ObjectPath {
    ObjectPath::from(id)
}

fn thumb_key(id: &str) -> ObjectPath {
    ObjectPath::from(format!("{id}-thumb"))
}

#[derive(Clone)]
pub struct Media {
    store: Arc<dyn ObjectStore>,
    db: Db,
    http: Http,
    max_upload_bytes: u64,
    gemini_base: String,
    /// One decode per core at a time: each may hold hundreds of MB of pixels.
    decoders: Arc<tokio::sync::Semaphore>,
    /// Web images may come from private and loopback addresses (tests, an image host on the LAN).
    allow_private: bool,
}

impl Media {
    pub fn new(db: Db, store: Arc<dyn ObjectStore>, http: Http, max_upload_bytes: u64, gemini_base: impl Into<String>) -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let decoders = Arc::new(tokio::sync::Semaphore::new(cores));
        Self { store, db, http, max_upload_bytes, gemini_base: gemini_base.into(), decoders, allow_private: false }
    }

    /// Lets web images come from private and loopback addresses (`MEDIA_ALLOW_PRIVATE`).
    pub fn allow_private(mut self, allow: bool) -> Self {
        self.allow_private = allow;
        self
    }

    /// The configured store: S3 when `cfg.s3` is set, else `<data_dir>/media` (created).
    pub fn from_config(db: Db, cfg: &MediaConfig, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let store: Arc<dyn ObjectStore> = match &cfg.s3 {
            Some(s3) => {
                let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(&s3.bucket);
                if let Some(e) = &s3.endpoint {
                    b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
                }
                if let Some(r) = &s3.region {
                    b = b.with_region(r);
                }
                if let Some(k) = &s3.access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(k) = &s3.secret_access_key {
                    b = b.with_secret_access_key(k);
                }
                let s3_store = b.build().with_context(|| format!("configuring the S3 bucket {}", s3.bucket))?;
                // Keys under media/ so the bucket can be shared with other things.
                Arc::new(object_store::prefix::PrefixStore::new(s3_store, "media"))
            }
            None => {
                let dir = data_dir.join("media");
                std::fs::create_dir_all(&dir).with_context(|| format!("creating the media directory {}", dir.display()))?;
                Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&dir)?)
            }
        };
        Ok(Self::new(db, store, Http::new(cfg.gemini_timeout), cfg.max_upload_bytes, cfg.gemini_base.clone())
            .allow_private(cfg.allow_private))
    }

    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_bytes
    }

    /// Validates, cleans and stores an uploaded file; with `draft_id` (the caller's, else
    /// 404) the draft's image becomes this one.
    pub async fn upload(&self, user_id: &str, bytes: Vec<u8>, draft_id: Option<&str>) -> Result<Image, MediaError> {
        self.check_draft(user_id, draft_id).await?;
        let processed = self.process(bytes, self.max_upload_bytes).await?;
        self.save(user_id, draft_id, processed, Source::Upload).await
    }

    /// Gemini when `gemini_key` is given and the mode allows it, else the offline text card.
    /// The result goes through the same checks and cleaning as an upload.
    pub async fn generate(&self, user_id: &str, req: &GenerateRequest, gemini_key: Option<&str>) -> Result<Image, MediaError> {
        let prompt = req.prompt.trim();
        if prompt.is_empty() {
            return Err(invalid("empty_prompt", "Describe the image first (or write the post; the card uses its first sentence)."));
        }
        if prompt.chars().count() > PROMPT_MAX {
            return Err(invalid("prompt_too_long", format!("Keep the prompt under {PROMPT_MAX} characters.")));
        }
        let platform = match req.platform.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(PlatformId::parse(p).map_err(MediaError::Invalid)?),
            None => None,
        };
        let text_card = match req.mode.as_deref().map(str::trim).unwrap_or("auto") {
            "auto" | "" => gemini_key.is_none_or(|k| k.trim().is_empty()),
            "text_card" => true,
            other => return Err(invalid("invalid_mode", format!("\"{other}\" is not a mode. Use \"auto\" or \"text_card\"."))),
        };
        let draft_id = req.draft_id.as_deref().map(str::trim).filter(|d| !d.is_empty());
        self.check_draft(user_id, draft_id).await?;
        let (bytes, source) = if text_card {
            let text = prompt.to_string();
            let png = tokio::task::spawn_blocking(move || textcard::render(&text, platform))
                .await
                .map_err(|e| anyhow::anyhow!("text card task: {e}"))??;
            (png, Source::TextCard)
        } else {
            let aspect = textcard::size_for(platform).aspect;
            let key = gemini_key.unwrap_or_default().trim();
            let g = gemini::generate(&self.http.client, &self.gemini_base, key, prompt, aspect).await?;
            (g.bytes, Source::Gemini)
        };
        let processed = self.process(bytes, self.max_upload_bytes.max(GENERATED_MAX_BYTES)).await.map_err(|e| match (source, e) {
            (Source::Gemini, MediaError::Internal(e)) => MediaError::Internal(e),
            (Source::Gemini, e) => MediaError::Provider {
                code: "gemini_bad_response",
                message: format!("Gemini sent an image we could not use ({e}). Try again, or use a text card."),
            },
            (_, e) => e,
        })?;
        self.save(user_id, draft_id, processed, source).await
    }

    /// The image at a web address, for a platform that is sent bytes: fetched through the
    /// guarded client (public addresses only, each redirect checked again), at most the upload
    /// limit, and a PNG, JPEG, GIF or WebP by its first bytes. Returns the bytes and their
    /// type; an error keeps its class (a host that is down is worth asking again).
    pub async fn fetch_web(&self, url: &str) -> Result<(Vec<u8>, &'static str), PlatformError> {
        let limit = usize::try_from(self.max_upload_bytes).unwrap_or(usize::MAX);
        let (bytes, _, _) = self.http.fetch_public(url, self.allow_private, limit, false, "image/*").await?;
        match process::sniff(&bytes) {
            Some(kind) => Ok((bytes, kind.content_type())),
            None if bytes.is_empty() => Err(PlatformError::rejected("The address gave an empty file.")),
            None => Err(PlatformError::rejected(format!(
                "The address gave {}, not a PNG, JPEG, GIF or WebP image.",
                process::looks_like(&bytes)
            ))),
        }
    }

    /// The caller's image, else 404.
    pub async fn get(&self, user_id: &str, id: &str) -> Result<Image, MediaError> {
        let row = sqlx::query("select * from images where id = $1 and user_id = $2")
            .bind(id)
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| Image::from_row(&r)).ok_or(MediaError::NotFound("That image"))
    }

    /// Removes the caller's image: drafts showing it lose it first, then the row, then the
    /// bytes (a failure there leaves only unreachable objects behind, which is logged).
    pub async fn delete(&self, user_id: &str, id: &str) -> Result<(), MediaError> {
        let img = self.get(user_id, id).await?;
        let drafts = Drafts::new(self.db.clone());
        let using = sqlx::query("select id from drafts where user_id = $1 and image_url = $2")
            .bind(user_id)
            .bind(&img.url)
            .fetch_all(self.db.pool())
            .await?;
        for r in using {
            let did: String = r.get("id");
            let clear = DraftInput { image_url: Some(None), image_generated: Some(false), ..Default::default() };
            match drafts.update(user_id, &did, clear).await {
                Ok(_) | Err(DraftError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        sqlx::query("delete from images where id = $1 and user_id = $2").bind(id).bind(user_id).execute(self.db.pool()).await?;
        self.remove_objects(id).await;
        Ok(())
    }

    /// The stored bytes and their type, for the public `/media/{id}` routes. Only images that
    /// still have a row are served, so a deleted image is gone even if an object lingered.
    pub async fn open(&self, id: &str, thumb: bool) -> Result<(bytes::Bytes, &'static str), MediaError> {
        let not_found = MediaError::NotFound("That image");
        // Ids are UUIDs: anything else never reaches the store (no path tricks).
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(not_found);
        }
        let exists = sqlx::query("select 1 from images where id = $1").bind(id).fetch_optional(self.db.pool()).await?;
        if exists.is_none() {
            return Err(not_found);
        }
        let path = if thumb { thumb_key(id) } else { key(id) };
        let bytes = match self.store.get(&path).await {
            Ok(r) => r.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => return Err(not_found),
            Err(e) => return Err(e.into()),
        };
        let ct = process::sniff(&bytes).map(Kind::content_type).unwrap_or("application/octet-stream");
        Ok((bytes, ct))
    }

    async fn check_draft(&self, user_id: &str, draft_id: Option<&str>) -> Result<(), MediaError> {
        if let Some(d) = draft_id {
            Drafts::new(self.db.clone()).get(user_id, d).await?;
        }
        Ok(())
    }

    /// The image shaped for `platform`'s type and size rules (`shape::fit`), off the async
    /// threads and within the decoder limit. Returns the bytes and their content type.
    pub async fn fit_for(&self, platform: PlatformId, bytes: Vec<u8>) -> Result<(Vec<u8>, &'static str), MediaError> {
        let limits = &crate::domain::platform_info(platform).limits;
        // Most images already fit: no decoder slot, no blocking thread.
        if let Some(kind) = process::sniff(&bytes).filter(|k| limits.takes_image(k.content_type(), bytes.len() as u64)) {
            return Ok((bytes, kind.content_type()));
        }
        let _permit = self.decoders.acquire().await.map_err(|e| MediaError::Internal(e.into()))?;
        let (out, kind) = tokio::task::spawn_blocking(move || shape::fit(bytes, limits))
            .await
            .map_err(|e| MediaError::Internal(anyhow::anyhow!("image task: {e}")))??;
        Ok((out, kind.content_type()))
    }

    /// The stored image as `platform` takes it (`/media/{id}/for/{platform}`, for networks
    /// that download media themselves): the original when it meets the rules, else shaped.
    pub async fn open_for(&self, id: &str, platform: PlatformId) -> Result<(Vec<u8>, &'static str), MediaError> {
        let (bytes, _) = self.open(id, false).await?;
        self.fit_for(platform, bytes.to_vec()).await
    }

    async fn process(&self, bytes: Vec<u8>, max: u64) -> Result<Processed, MediaError> {
        let _permit = self.decoders.acquire().await.map_err(|e| MediaError::Internal(e.into()))?;
        tokio::task::spawn_blocking(move || process::process(&bytes, max))
            .await
            .map_err(|e| MediaError::Internal(anyhow::anyhow!("image task: {e}")))?
    }

    async fn save(&self, user_id: &str, draft_id: Option<&str>, p: Processed, source: Source) -> Result<Image, MediaError> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_ms();
        let size = p.bytes.len() as u64;
        self.store.put(&key(&id), p.bytes.into()).await?;
        if let Err(e) = self.store.put(&thumb_key(&id), p.thumb.into()).await {
            self.remove_objects(&id).await;
            return Err(e.into());
        }
        let generated = source != Source::Upload;
        let inserted = sqlx::query(
            "insert into images (id, user_id, draft_id, content_type, bytes, width, height, generated, source, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(draft_id)
        .bind(p.kind.content_type())
        .bind(size as i64)
        .bind(i64::from(p.width))
        .bind(i64::from(p.height))
        .bind(i64::from(generated))
        .bind(source.as_str())
        .bind(now)
        .execute(self.db.pool())
        .await;
        if let Err(e) = inserted {
            self.remove_objects(&id).await;
            return Err(e.into());
        }
        if let Some(did) = draft_id {
            let set = DraftInput { image_url: Some(Some(url_for(&id))), image_generated: Some(generated), ..Default::default() };
            if let Err(e) = Drafts::new(self.db.clone()).update(user_id, did, set).await {
                let _ = sqlx::query("delete from images where id = $1").bind(&id).execute(self.db.pool()).await;
                self.remove_objects(&id).await;
                return Err(e.into());
            }
        }
        Ok(Image {
            url: url_for(&id),
            thumbnail_url: thumbnail_url_for(&id),
            content_type: p.kind.content_type().to_string(),
            width: p.width,
            height: p.height,
            bytes: size,
            generated,
            source: source.as_str().to_string(),
            draft_id: draft_id.map(str::to_string),
            created_at: now,
            id,
        })
    }

    async fn remove_objects(&self, id: &str) {
        for path in [key(id), thumb_key(id)] {
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => tracing::warn!(error = %e, image = id, "could not remove an image object"),
            }
        }
    }
}
