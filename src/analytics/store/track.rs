//! The hand-off from publishing: a post that has just become `posted` starts being
//! measured, inside the same transaction that marks it posted, so no posted post is ever
//! left unmeasured. This used to be a trigger, written once per database and again when
//! the rollups came (four copies of one rule, invisible from Rust).

use super::*;

/// What a newly tracked post starts with: its platform id, and its first pull due at once.
const TRACK: &str = "insert into post_metrics (post_id, user_id, platform, connection_id, external_id, published_at, next_sync_at, created_at)
     select id, user_id, platform, connection_id, external_id, coalesce(published_at, updated_at), coalesce(published_at, updated_at), updated_at
     from posts where status = 'posted' and external_id is not null and";

/// Starts measuring one post that was just marked posted (a no-op when it is not posted or
/// already measured), and counts it in the hourly and daily rollups.
pub async fn track_posted(conn: &mut sqlx::AnyConnection, post_id: &str) -> Result<(), sqlx::Error> {
    let added =
        sqlx::query(&format!("{TRACK} id = $1 on conflict (post_id) do nothing")).bind(post_id).execute(&mut *conn).await?.rows_affected();
    if added == 0 {
        return Ok(());
    }
    for (table, key, unit) in [("metric_hourly", "hour", HOUR_MS), ("metric_daily", "day", DAY_MS)] {
        sqlx::query(&format!(
            "insert into {table} (user_id, {key}, platform, posts)
             select user_id, published_at / {unit}, platform, 1 from post_metrics where post_id = $1
             on conflict (user_id, {key}, platform) do update set posts = {table}.posts + 1"
        ))
        .bind(post_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Starts measuring every posted post of a user that is not measured yet (bulk imports write
/// posts directly); `Analytics::rebuild` then recounts the rollups.
pub(super) async fn track_all_posted(pool: &sqlx::AnyPool, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("{TRACK} user_id = $1 on conflict (post_id) do nothing")).bind(user_id).execute(pool).await?;
    Ok(())
}
