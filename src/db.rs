//! One storage handle for both backends. SQL is written once in the portable subset
//! (`$n` placeholders, `RETURNING`, `ON CONFLICT`); times are UTC unix milliseconds in
//! `bigint` columns and flags are 0/1 integers, so the same statements run on SQLite and
//! PostgreSQL through sqlx's `Any` driver. Backend-specific SQL is switched on `Backend`.

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    clock: std::sync::Arc<Clock>,
}

/// The database clock as seen from this process: the offset from the process clock, measured
/// at most once a second (`synced_at` is process time, 0 = never).
#[derive(Default)]
struct Clock {
    offset_ms: std::sync::atomic::AtomicI64,
    synced_at: std::sync::atomic::AtomicI64,
}

/// How often the offset to the database clock is measured again.
const CLOCK_RESYNC_MS: i64 = 1_000;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    /// Connects and applies pending migrations. `sqlite://path?mode=rwc` or `postgres://…`.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::connect_pooled(url, None).await
    }

    /// The same, with at most `max_connections` open to PostgreSQL (default 16). Replicas
    /// share the server's `max_connections` (100 by default): replicas × pool must fit.
    pub async fn connect_pooled(url: &str, max_connections: Option<u32>) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:// (got {})", redact_url(url));
        };
        let opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let opts = match backend {
            // SQLite has one writer; a small pool plus busy_timeout avoids SQLITE_BUSY storms.
            Backend::Sqlite => opts.max_connections(4).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;").await?;
                    Ok(())
                })
            }),
            Backend::Postgres => opts.max_connections(max_connections.unwrap_or(16)),
        };
        let pool = opts.connect(url).await.with_context(|| format!("could not connect to the database at {}", redact_url(url)))?;
        if backend == Backend::Sqlite {
            // WAL is a property of the database file: set once, it stays.
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
        }
        let db = Self { pool, backend, clock: Default::default() };
        db.migrate().await?;
        // The first measurement of the database clock, while nothing else holds a connection.
        db.now().await;
        Ok(db)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await.context("applying database migrations")?;
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Now, in UTC milliseconds, by the database's clock: what due times, leases and stored
    /// schedule times are compared with, so replicas whose own clocks are wrong (skewed VMs,
    /// containers) still agree on "due" and never publish early. PostgreSQL's clock is read
    /// at most once a second (half the round trip is taken as its delay); SQLite lives in this
    /// process, so its clock is ours. If the database cannot be reached, the last offset stays.
    pub async fn now(&self) -> i64 {
        use std::sync::atomic::Ordering::Relaxed;
        if self.backend == Backend::Sqlite {
            return now_ms();
        }
        let local = now_ms();
        let synced = self.clock.synced_at.load(Relaxed);
        if synced == 0 || local - synced >= CLOCK_RESYNC_MS || local < synced {
            // Never wait for a connection to re-measure: callers often hold one (a transaction,
            // a log write), and when every holder waits for a second one the pool starves
            // until its timeout. With none free, the last offset serves until the next call.
            let conn = if synced == 0 { self.pool.acquire().await.ok() } else { self.pool.try_acquire() };
            let q = "select cast(extract(epoch from clock_timestamp()) * 1000 as bigint) as t";
            let row = match conn {
                Some(mut c) => sqlx::query(q).fetch_one(&mut *c).await.ok(),
                None => None,
            };
            if let Some(row) = row {
                use sqlx::Row;
                let after = now_ms();
                if let Ok(t) = row.try_get::<i64, _>("t") {
                    // The database read its clock somewhere between `local` and `after`;
                    // assuming `after` can only make our estimate late, never early, so a
                    // slow round trip cannot send a post before its time.
                    self.clock.offset_ms.store(t - after, Relaxed);
                    self.clock.synced_at.store(after, Relaxed);
                }
            }
        }
        now_ms() + self.clock.offset_ms.load(Relaxed)
    }

    /// The claim's lock: `for update skip locked` on PostgreSQL, so processes sharing the
    /// database claim different rows without waiting on each other; nothing on SQLite, whose
    /// single writer already makes one claiming statement atomic.
    pub fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => "for update skip locked",
            Backend::Sqlite => "",
        }
    }

    /// How many writes may share one transaction (`jobs::Group`): many on SQLite, where every
    /// commit is a turn at the one writer's lock; one on PostgreSQL, whose rows lock one by one
    /// (a group would hold the analytics roll-up rows its triggers touch across round trips,
    /// and replicas would wait on each other).
    pub fn write_group(&self) -> usize {
        match self.backend {
            Backend::Sqlite => 64,
            Backend::Postgres => 1,
        }
    }

    /// Locks one row of `table` for the rest of `tx` on PostgreSQL, so concurrent
    /// read-then-write statements about it take turns; SQLite's single writer already does.
    pub async fn lock_row(&self, tx: &mut sqlx::AnyConnection, table: &str, id: &str) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Postgres {
            sqlx::query(&format!("select id from {table} where id = $1 for update")).bind(id).fetch_optional(tx).await?;
        }
        Ok(())
    }

    /// Runs `work` while holding a turn for each of `keys`, so two calls about the same key
    /// never interleave. On PostgreSQL the turn is an advisory lock per key, so it holds across
    /// replicas (taken in sorted order: two calls never wait on each other crosswise); SQLite's
    /// file belongs to one process, so a process-wide mutex does.
    pub async fn in_turn<T, E: From<sqlx::Error>>(
        &self,
        keys: &[&str],
        work: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        match self.backend {
            Backend::Sqlite => {
                static TURN: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
                let _turn = TURN.get_or_init(|| tokio::sync::Mutex::new(())).lock().await;
                work.await
            }
            Backend::Postgres => {
                let mut ids = keys.to_vec();
                ids.sort_unstable();
                ids.dedup();
                let mut lock = self.pool.acquire().await?;
                // Should this call be dropped mid-way (the client went away), the connection is
                // closed rather than pooled, and closing it releases the locks.
                lock.close_on_drop();
                for id in &ids {
                    sqlx::query("select 1 as ok from (select pg_advisory_lock(hashtext($1))) t").bind(*id).fetch_one(&mut *lock).await?;
                }
                let done = work.await;
                for id in &ids {
                    sqlx::query("select 1 as ok from (select pg_advisory_unlock(hashtext($1))) t").bind(*id).fetch_one(&mut *lock).await?;
                }
                done
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// One round-trip, for health checks.
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the Unix epoch, UTC: the only time representation in the database.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// True when `err` is a unique violation of `constraint`. PostgreSQL reports the constraint
/// name; SQLite does not expose it, so there the caller's statement must touch only one
/// unique constraint (each call site documents which). Never matches on message text.
pub fn is_unique_violation(err: &sqlx::Error, constraint: &str) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.kind() == sqlx::error::ErrorKind::UniqueViolation && db.constraint().is_none_or(|c| c == constraint)
        }
        _ => false,
    }
}

/// Hides the password part of a database URL for error messages.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Reads a status column into its type (`Status::from_stored`).
pub fn status<T: crate::domain::Status>(row: &AnyRow, col: &str) -> T {
    use sqlx::Row;
    T::from_stored(&row.get::<String, _>(col))
}

/// Reads a column that may be NULL.
pub fn opt<'r, T>(row: &'r AnyRow, col: &str) -> Option<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get::<Option<T>, _>(col).ok().flatten()
}
