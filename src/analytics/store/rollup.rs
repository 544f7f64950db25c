//! The rollup tables (hourly, per day, all platforms): adding one pull's gains and
//! rebuilding them from the snapshots.

use super::*;

/// A key column's value in a rollup row.
pub(super) enum Key<'a> {
    Text(&'a str),
    Int(i64),
}

pub(super) const GAIN_COLS: [&str; 7] = ["views", "impressions", "likes", "comments", "shares", "saves", "rated_engagement"];

/// The key columns of each rollup table, in the order `Key`s are given.
pub(super) fn rollup_keys(table: &str) -> &'static [&'static str] {
    match table {
        "metric_hourly_all" => &["user_id", "hour"],
        "metric_daily" => &["user_id", "day", "platform"],
        _ => &["user_id", "hour", "platform"],
    }
}

pub(super) fn bind_keys<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    keys: &'q [Key<'q>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for k in keys {
        q = match k {
            Key::Text(t) => q.bind(*t),
            Key::Int(i) => q.bind(*i),
        };
    }
    q
}

/// Adds one pull's gains to a rollup row; a metric missing on both sides stays missing.
pub(super) async fn add_gains(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    keys: &[Key<'_>],
    g: &Totals,
    rated: Option<i64>,
) -> Result<(), sqlx::Error> {
    let key_cols = rollup_keys(table);
    let cols: Vec<&str> = key_cols.iter().copied().chain(GAIN_COLS).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
    let sets: Vec<String> = GAIN_COLS
        .iter()
        .map(|c| format!("{c} = case when excluded.{c} is null then {table}.{c} else coalesce({table}.{c}, 0) + excluded.{c} end"))
        .collect();
    let sql = format!(
        "insert into {table} ({}) values ({}) on conflict ({}) do update set {}",
        cols.join(", "),
        marks.join(", "),
        key_cols.join(", "),
        sets.join(", ")
    );
    bind_keys(sqlx::query(&sql), keys)
        .bind(g.views)
        .bind(g.impressions)
        .bind(g.likes)
        .bind(g.comments)
        .bind(g.shares)
        .bind(g.saves)
        .bind(rated)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Rows of one rollup table for `rebuild`, 400 per statement.
pub(super) async fn insert_rollup(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    rows: &[(Vec<Key<'_>>, Sums)],
) -> Result<(), sqlx::Error> {
    let key_cols = rollup_keys(table);
    let counted = table != "metric_hourly_all";
    let cols: Vec<&str> = key_cols.iter().copied().chain(GAIN_COLS).chain(counted.then_some("posts")).collect();
    let width = cols.len();
    for chunk in rows.chunks(400) {
        let marks: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", (1..=width).map(|j| format!("${}", i * width + j)).collect::<Vec<_>>().join(", ")))
            .collect();
        let sql = format!("insert into {table} ({}) values {}", cols.join(", "), marks.join(", "));
        let mut q = sqlx::query(&sql);
        for (keys, s) in chunk {
            q = bind_keys(q, keys)
                .bind(s.t.views)
                .bind(s.t.impressions)
                .bind(s.t.likes)
                .bind(s.t.comments)
                .bind(s.t.shares)
                .bind(s.t.saves)
                .bind(s.rated);
            if counted {
                q = q.bind(s.posts);
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Analytics {
    /// Recomputes a user's derived numbers from their snapshots: each post's latest numbers
    /// and the hourly gains. The sync keeps both current by itself; this is for bulk imports
    /// (the benchmark seeds snapshots directly) and to check the running totals.
    pub async fn rebuild(&self, user_id: &str) -> Result<(), AnalyticsError> {
        let tracked = sqlx::query("select post_id, platform, published_at from post_metrics where user_id = $1 order by post_id")
            .bind(user_id)
            .fetch_all(self.db.pool())
            .await?;
        let posts: Vec<String> = tracked.iter().map(|r| r.get("post_id")).collect();
        // The three rollups: (hour, platform), hour, (day, platform) → gains.
        let mut hourly: BTreeMap<(i64, String), Sums> = BTreeMap::new();
        let mut hourly_all: BTreeMap<i64, Sums> = BTreeMap::new();
        let mut daily: BTreeMap<(i64, String), Sums> = BTreeMap::new();
        for r in &tracked {
            let (hour, platform): (i64, String) = (hour_of(r.get("published_at")), r.get("platform"));
            hourly.entry((hour, platform.clone())).or_default().posts += 1;
            daily.entry((hour.div_euclid(24), platform)).or_default().posts += 1;
        }
        let mut latest_rows: Vec<(String, Totals, i64, Option<i64>)> = Vec::with_capacity(posts.len());
        for chunk in posts.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "select post_id, taken_at, platform, views, impressions, likes, comments, shares, saves
                 from metric_snapshots where post_id in ({}) order by post_id, taken_at",
                marks.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            let rows = query.fetch_all(self.db.pool()).await?;
            let mut current: Option<(String, Totals, i64, i64)> = None;
            for r in &rows {
                let id: String = r.get("post_id");
                let taken_at: i64 = r.get("taken_at");
                let now = row_totals(r);
                if current.as_ref().is_none_or(|c| c.0 != id) {
                    if let Some((pid, t, n, last)) = current.take() {
                        latest_rows.push((pid, t, n, Some(last)));
                    }
                    current = Some((id.clone(), Totals::default(), 0, taken_at));
                }
                let c = current.as_mut().expect("set above");
                let gains = c.1.gains_to(&now);
                c.1 = c.1.updated_by(&now);
                c.2 += 1;
                c.3 = taken_at;
                let (hour, platform): (i64, String) = (hour_of(taken_at), r.get("platform"));
                let g = Sums { t: gains, rated: gains.rated_engagement(), posts: 0 };
                for e in [
                    hourly.entry((hour, platform.clone())).or_default(),
                    hourly_all.entry(hour).or_default(),
                    daily.entry((hour.div_euclid(24), platform)).or_default(),
                ] {
                    *e = e.plus(&g);
                }
            }
            if let Some((pid, t, n, last)) = current.take() {
                latest_rows.push((pid, t, n, Some(last)));
            }
        }
        let mut tx = self.db.pool().begin().await?;
        for chunk in latest_rows.chunks(400) {
            let marks: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 10;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8,
                        b + 9,
                        b + 10
                    )
                })
                .collect();
            let sql = format!(
                "with v (post_id, views, impressions, likes, comments, shares, saves, engagement, snapshots, last_synced_at) as (values {})
                 update post_metrics set views = v.views, impressions = v.impressions, likes = v.likes, comments = v.comments,
                        shares = v.shares, saves = v.saves, engagement = v.engagement, snapshots = v.snapshots, last_synced_at = v.last_synced_at
                 from v where post_metrics.post_id = v.post_id",
                marks.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (id, t, n, last) in chunk {
                query = query
                    .bind(id)
                    .bind(t.views)
                    .bind(t.impressions)
                    .bind(t.likes)
                    .bind(t.comments)
                    .bind(t.shares)
                    .bind(t.saves)
                    .bind(t.engagement())
                    .bind(*n)
                    .bind(*last);
            }
            query.execute(&mut *tx).await?;
        }
        for table in ["metric_hourly", "metric_hourly_all", "metric_daily"] {
            sqlx::query(&format!("delete from {table} where user_id = $1")).bind(user_id).execute(&mut *tx).await?;
        }
        let rows: Vec<(Vec<Key>, Sums)> =
            hourly.iter().map(|((h, p), s)| (vec![Key::Text(user_id), Key::Int(*h), Key::Text(p)], *s)).collect();
        insert_rollup(&mut tx, "metric_hourly", &rows).await?;
        let rows: Vec<(Vec<Key>, Sums)> = hourly_all.iter().map(|(h, s)| (vec![Key::Text(user_id), Key::Int(*h)], *s)).collect();
        insert_rollup(&mut tx, "metric_hourly_all", &rows).await?;
        let rows: Vec<(Vec<Key>, Sums)> =
            daily.iter().map(|((d, p), s)| (vec![Key::Text(user_id), Key::Int(*d), Key::Text(p)], *s)).collect();
        insert_rollup(&mut tx, "metric_daily", &rows).await?;
        tx.commit().await?;
        Ok(())
    }
}
