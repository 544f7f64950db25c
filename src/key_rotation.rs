//! Re-sealing every sealed column under the primary key after a rotation
//! (`covalynce rotate-key`). Row by row, each update its own statement and guarded by the
//! old value (compare-and-swap), so servers keep running: they read old and new values alike,
//! and a row the app rewrote meanwhile is left to the app. Rows already under the primary key
//! are skipped, so re-running is cheap and safe.

use crate::crypto::{sealed_key_id, Keys};
use crate::db::Db;
use sqlx::Row;

/// Every sealed column as (table, primary key, column). A new sealed column belongs here.
pub const SEALED: &[(&str, &str, &str)] = &[
    ("social_accounts", "id", "grant_enc"),
    ("connect_states", "state", "pending_enc"),
    ("connect_picks", "id", "accounts_enc"),
    ("webhook_endpoints", "id", "secret"),
    ("ai_settings", "user_id", "openai_key"),
    ("ai_settings", "user_id", "gemini_key"),
];

/// What one column's pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnReport {
    /// `table.column`
    pub column: String,
    pub resealed: u64,
    /// Already under the primary key before this pass.
    pub current: u64,
    /// Rewritten by the app between our read and our update (left as the app wrote it).
    pub raced: u64,
    /// Primary keys of rows no known key opens.
    pub unreadable: Vec<String>,
}

/// Re-seals all of `SEALED`, reading `batch` rows at a time.
pub async fn reseal_all(db: &Db, keys: &Keys, batch: i64) -> anyhow::Result<Vec<ColumnReport>> {
    let mut out = vec![];
    for (table, pk, col) in SEALED {
        out.push(reseal_column(db, keys, table, pk, col, batch.max(1)).await?);
    }
    Ok(out)
}

async fn reseal_column(db: &Db, keys: &Keys, table: &str, pk: &str, col: &str, batch: i64) -> anyhow::Result<ColumnReport> {
    let current_like = format!("v1.{}.%", keys.primary_id());
    let mut report = ColumnReport { column: format!("{table}.{col}"), ..Default::default() };
    report.current = sqlx::query_scalar::<_, i64>(&format!("select count(*) from {table} where {col} like $1"))
        .bind(&current_like)
        .fetch_one(db.pool())
        .await? as u64;
    // Keyset pagination over the primary key: each batch is a short read, no long transaction.
    let select = format!(
        "select {pk} as k, {col} as v from {table} where {col} is not null and {col} not like $1 and {pk} > $2 order by {pk} limit $3"
    );
    let update = format!("update {table} set {col} = $1 where {pk} = $2 and {col} = $3");
    let mut after = String::new();
    loop {
        let rows = sqlx::query(&select).bind(&current_like).bind(&after).bind(batch).fetch_all(db.pool()).await?;
        for r in &rows {
            let (id, sealed): (String, String) = (r.get("k"), r.get("v"));
            after.clone_from(&id);
            let fresh = match keys.reseal(&sealed) {
                Ok(Some(f)) => f,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(table, column = col, kid = ?sealed_key_id(&sealed), "cannot unseal: {e:#}");
                    report.unreadable.push(id);
                    continue;
                }
            };
            let done = sqlx::query(&update).bind(fresh).bind(&id).bind(&sealed).execute(db.pool()).await?;
            if done.rows_affected() == 0 {
                report.raced += 1;
            } else {
                report.resealed += 1;
            }
        }
        if (rows.len() as i64) < batch {
            return Ok(report);
        }
    }
}
