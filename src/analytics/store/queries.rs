//! The queries behind the dashboard: overview cards, the per-platform table, the chart, the
//! top posts and one post's history, read from the daily and hourly rollups.

use super::*;

/// The period in UTC milliseconds and hours, and each local day's first hour.
pub(super) struct Bounds {
    from_ms: i64,
    to_ms: i64,
    from_h: i64,
    to_h: i64,
    prev_from_h: i64,
    dates: Vec<NaiveDate>,
    day_start_h: Vec<i64>,
}

impl Bounds {
    pub(super) fn new(q: &StatsQuery) -> Self {
        let midnight = |d: NaiveDate| local_to_utc_lenient(&q.tz, d.and_time(NaiveTime::MIN));
        let dates = q.range.dates();
        let (from_ms, to_ms, prev_from_ms) =
            (midnight(q.range.from), midnight(q.range.to + Days::new(1)), midnight(q.range.previous().from));
        // Zones with half-hour offsets share their boundary hour with the day before (the
        // gains are kept per UTC hour); whole-hour zones are exact.
        let day_start_h = dates.iter().map(|d| hour_of(midnight(*d))).collect();
        Self { from_ms, to_ms, from_h: hour_of(from_ms), to_h: hour_of(to_ms), prev_from_h: hour_of(prev_from_ms), dates, day_start_h }
    }
}

/// SQL mapping `hour` to the index of its day, given each day's first hour and the end of the
/// last: a run of 24-hour days is one arithmetic step; a day the clocks change in (23 or 25
/// hours) is a case of its own. The numbers are ours, never input.
pub(super) fn day_index_sql(starts: &[i64], end: i64) -> String {
    let stop = |k: usize| starts.get(k + 1).copied().unwrap_or(end);
    let mut cases = vec![];
    let mut i = 0;
    while i < starts.len() {
        if stop(i) - starts[i] == 24 {
            let mut j = i;
            while j + 1 < starts.len() && stop(j + 1) - starts[j + 1] == 24 {
                j += 1;
            }
            cases.push(format!("when hour < {} then {i} + (hour - {}) / 24", stop(j), starts[i]));
            i = j + 1;
        } else {
            cases.push(format!("when hour < {} then {i}", stop(i)));
            i += 1;
        }
    }
    format!("case {} end", cases.join(" "))
}

/// A half-open range `[start, end)` of hours or days.
pub(super) type Span = (i64, i64);

/// `[a, b)` in hours as whole UTC days plus the hours outside them.
pub(super) fn split_days(a: i64, b: i64) -> (Option<Span>, Vec<Span>) {
    let (d0, d1) = ((a + 23).div_euclid(24), b.div_euclid(24));
    if d0 < d1 {
        (Some((d0, d1)), [(a, d0 * 24), (d1 * 24, b)].into_iter().filter(|(x, y)| x < y).collect())
    } else {
        (None, [(a, b)].into_iter().filter(|(x, y)| x < y).collect())
    }
}

pub(super) const SUMS: &str = "cast(sum(views) as bigint) as views, cast(sum(impressions) as bigint) as impressions, \
    cast(sum(likes) as bigint) as likes, cast(sum(comments) as bigint) as comments, cast(sum(shares) as bigint) as shares, \
    cast(sum(saves) as bigint) as saves, cast(sum(rated_engagement) as bigint) as rated, cast(sum(posts) as bigint) as posts";

impl Analytics {
    // ---- what the dashboard shows ---------------------------------------------------------

    /// Everything the dashboard shows, its five queries run side by side.
    pub async fn stats(&self, user_id: &str, q: &StatsQuery) -> Result<Stats, AnalyticsError> {
        let b = Bounds::new(q);
        let ((overview, platforms, has_connections), series, top_posts, has_posts, unavailable) = tokio::try_join!(
            self.breakdown(user_id, q, &b),
            self.series_in(user_id, q, &b),
            self.top_in(user_id, q, &b),
            self.has_posts(user_id),
            self.unavailable(user_id)
        )?;
        Ok(Stats { range: range_info(q), overview, platforms, top_posts, series, has_connections, has_posts, unavailable })
    }

    /// The overview cards and the per-platform table.
    pub async fn overview(&self, user_id: &str, q: &StatsQuery) -> Result<(Overview, Vec<PlatformRow>), AnalyticsError> {
        let (o, p, _) = self.breakdown(user_id, q, &Bounds::new(q)).await?;
        Ok((o, p))
    }

    /// The engagement-over-time chart.
    pub async fn series(&self, user_id: &str, q: &StatsQuery) -> Result<Vec<DayPoint>, AnalyticsError> {
        self.series_in(user_id, q, &Bounds::new(q)).await
    }

    /// The period's five best posts.
    pub async fn top_posts(&self, user_id: &str, q: &StatsQuery) -> Result<Vec<TopPost>, AnalyticsError> {
        self.top_in(user_id, q, &Bounds::new(q)).await
    }

    pub(super) async fn breakdown(
        &self,
        user_id: &str,
        q: &StatsQuery,
        b: &Bounds,
    ) -> Result<(Overview, Vec<PlatformRow>, bool), AnalyticsError> {
        let pf = q.platform_arg();
        // Whole UTC days from the daily rollup, the partial days at the edges from the hourly
        // one. The bounds are hours we computed, never input, so they are written inline.
        let cols = "platform, views, impressions, likes, comments, shares, saves, rated_engagement, posts";
        let filter = if pf.is_empty() { "" } else { " and platform = $2" };
        let mut parts = vec![];
        for (lo, hi) in [(b.prev_from_h, b.from_h), (b.from_h, b.to_h)] {
            let (days, hours) = split_days(lo, hi);
            if let Some((d0, d1)) = days {
                parts.push(format!(
                    "select {cols}, case when day * 24 >= {f} then 1 else 0 end as cur from metric_daily \
                     where user_id = $1 and day >= {d0} and day < {d1}{filter}",
                    f = b.from_h
                ));
            }
            for (h0, h1) in hours {
                parts.push(format!(
                    "select {cols}, case when hour >= {f} then 1 else 0 end as cur from metric_hourly \
                     where user_id = $1 and hour >= {h0} and hour < {h1}{filter}",
                    f = b.from_h
                ));
            }
        }
        if parts.is_empty() {
            parts.push(format!("select {cols}, 0 as cur from metric_daily where 1 = 0"));
        }
        let gains_sql = format!("select platform, cur, {SUMS} from ({}) t group by platform, cur", parts.join(" union all "));
        let mut gains = sqlx::query(&gains_sql).bind(user_id);
        if !pf.is_empty() {
            gains = gains.bind(pf);
        }
        let gains = gains.fetch_all(self.db.pool());
        // Each account's latest count before the end of each period.
        let followers = sqlx::query(
            "select a.platform,
                (select f.followers from follower_snapshots f where f.connection_id = a.id and f.taken_at < $2 order by f.taken_at desc limit 1) as cur,
                (select f.followers from follower_snapshots f where f.connection_id = a.id and f.taken_at < $3 order by f.taken_at desc limit 1) as prev
             from social_accounts a where a.user_id = $1",
        )
        .bind(user_id)
        .bind(b.to_ms)
        .bind(b.from_ms)
        .fetch_all(self.db.pool());
        let (gains, followers) = tokio::try_join!(gains, followers)?;

        // platform → (current, previous)
        let mut sums: BTreeMap<String, (Sums, Sums)> = BTreeMap::new();
        for r in &gains {
            let e = sums.entry(r.get("platform")).or_default();
            let s = Sums::from_row(r);
            if r.get::<i64, _>("cur") == 1 {
                e.0 = s;
            } else {
                e.1 = s;
            }
        }
        let has_connections = !followers.is_empty();
        let mut fol: HashMap<String, (Option<i64>, Option<i64>)> = HashMap::new();
        for r in followers.iter().filter(|r| pf.is_empty() || r.get::<String, _>("platform") == pf) {
            let e = fol.entry(r.get("platform")).or_default();
            e.0 = add(e.0, opt(r, "cur"));
            e.1 = add(e.1, opt(r, "prev"));
        }

        let mut names: Vec<String> = sums.keys().chain(fol.keys()).cloned().collect();
        names.sort();
        names.dedup();
        let (mut cur, mut prev) = (Sums::default(), Sums::default());
        let (mut posts_cur, mut posts_prev) = (0i64, 0i64);
        let (mut fol_cur, mut fol_prev) = (None, None);
        let mut rows = vec![];
        for p in names {
            let Ok(id) = PlatformId::parse(&p) else { continue };
            let (c, pr) = sums.get(&p).copied().unwrap_or_default();
            let (n, n_prev) = (c.posts, pr.posts);
            let (f, f_prev) = fol.get(&p).copied().unwrap_or_default();
            cur = cur.plus(&c);
            prev = prev.plus(&pr);
            posts_cur += n;
            posts_prev += n_prev;
            fol_cur = add(fol_cur, f);
            fol_prev = add(fol_prev, f_prev);
            let info = platform_info(id);
            rows.push(PlatformRow {
                platform: p.clone(),
                name: info.display_name.to_string(),
                brand_color: info.brand_color.to_string(),
                posts: n,
                views: c.t.views,
                impressions: c.t.impressions,
                likes: c.t.likes,
                comments: c.t.comments,
                shares: c.t.shares,
                saves: c.t.saves,
                followers: f,
                engagement_rate: rate(c.rated, c.t.views),
            });
        }
        // Busiest first: what people engage with most leads the table.
        rows.sort_by(|a, b| {
            let key =
                |r: &PlatformRow| (r.likes.unwrap_or(0) + r.comments.unwrap_or(0) + r.shares.unwrap_or(0), r.views.unwrap_or(0), r.posts);
            key(b).cmp(&key(a)).then_with(|| a.name.cmp(&b.name))
        });
        let ch = |a: Option<i64>, b: Option<i64>| Change::new(a, b);
        let overview = Overview {
            views: ch(cur.t.views, prev.t.views),
            impressions: ch(cur.t.impressions, prev.t.impressions),
            likes: ch(cur.t.likes, prev.t.likes),
            comments: ch(cur.t.comments, prev.t.comments),
            shares: ch(cur.t.shares, prev.t.shares),
            saves: ch(cur.t.saves, prev.t.saves),
            followers: ch(fol_cur, fol_prev),
            engagement_rate: RateChange::new(rate(cur.rated, cur.t.views), rate(prev.rated, prev.t.views)),
            posts: ch(Some(posts_cur), Some(posts_prev)),
        };
        Ok((overview, rows, has_connections))
    }

    pub(super) async fn series_in(&self, user_id: &str, q: &StatsQuery, b: &Bounds) -> Result<Vec<DayPoint>, AnalyticsError> {
        // Summed into the profile's days by the database, so a year is 365 rows rather than
        // 8,760: one range read of the hourly rows, each hour mapped to its day by arithmetic
        // (a join against the days' bounds made both planners compare every pair).
        if b.dates.is_empty() {
            return Ok(vec![]);
        }
        let (table, filter) = match q.platform {
            None => ("metric_hourly_all", ""),
            Some(_) => ("metric_hourly", " and platform = $2"),
        };
        let sql = format!(
            "select cast({} as bigint) as i, cast(sum(views) as bigint) as views, cast(sum(impressions) as bigint) as impressions, \
                    cast(sum(likes) as bigint) as likes, cast(sum(comments) as bigint) as comments, \
                    cast(sum(shares) as bigint) as shares, cast(sum(saves) as bigint) as saves, \
                    cast(sum(rated_engagement) as bigint) as rated \
             from {table} where user_id = $1 and hour >= {} and hour < {}{filter} group by 1",
            day_index_sql(&b.day_start_h, b.to_h),
            b.from_h,
            b.to_h
        );
        // One-off text (the day bounds are in it): not worth a slot in the statement cache.
        let mut query = sqlx::query(&sql).persistent(false).bind(user_id);
        if let Some(p) = q.platform {
            query = query.bind(p.as_str());
        }
        let mut days = vec![Sums::default(); b.dates.len()];
        for r in query.fetch_all(self.db.pool()).await? {
            if let Some(day) = usize::try_from(r.get::<i64, _>("i")).ok().and_then(|i| days.get_mut(i)) {
                *day = Sums::from_row(&r);
            }
        }
        Ok(b.dates
            .iter()
            .zip(days)
            .map(|(d, s)| DayPoint {
                date: d.format("%Y-%m-%d").to_string(),
                label: d.format("%-d %b").to_string(),
                views: s.t.views,
                likes: s.t.likes,
                comments: s.t.comments,
                shares: s.t.shares,
                engagement_rate: rate(s.rated, s.t.views),
            })
            .collect())
    }

    pub(super) async fn top_in(&self, user_id: &str, q: &StatsQuery, b: &Bounds) -> Result<Vec<TopPost>, AnalyticsError> {
        // The five are picked from a covering index alone; only they are joined back. Over a
        // long period most posts qualify, so walking the index in engagement order finds five
        // at once; over a short one, reading the period's posts and sorting them is cheaper.
        // PostgreSQL's planner makes that choice itself; SQLite's is told (measured: a year
        // 14 → 2 ms, a day 1 → 11 ms the other way round).
        let long = b.to_ms - b.from_ms >= 28 * 86_400_000;
        let hint = if long && self.db.backend() == Backend::Sqlite { "indexed by post_metrics_user_top" } else { "" };
        let rows = sqlx::query(&format!(
            "select m.post_id, m.platform, m.views, m.likes, m.comments, m.shares, m.engagement, m.published_at,
                    p.account_name, p.title, p.body, p.external_url
             from (select post_id from post_metrics {hint}
                   where user_id = $1 and published_at >= $2 and published_at < $3 and ($4 = '' or platform = $4)
                   order by engagement desc, coalesce(views, 0) desc, published_at desc limit 5) t
             join post_metrics m on m.post_id = t.post_id
             join posts p on p.id = t.post_id
             order by m.engagement desc, coalesce(m.views, 0) desc, m.published_at desc"
        ))
        .bind(user_id)
        .bind(b.from_ms)
        .bind(b.to_ms)
        .bind(q.platform_arg())
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let platform: String = r.get("platform");
                let t = row_totals(r);
                let published_at: i64 = r.get("published_at");
                TopPost {
                    id: r.get("post_id"),
                    platform_name: name_of(&platform).to_string(),
                    platform,
                    account_name: r.get("account_name"),
                    text: excerpt(opt(r, "title"), &r.get::<String, _>("body")),
                    url: opt(r, "external_url"),
                    published_at,
                    published_local: local(&q.tz, published_at),
                    views: t.views,
                    likes: t.likes,
                    comments: t.comments,
                    shares: t.shares,
                    engagement: r.get("engagement"),
                    engagement_rate: engagement_rate(t.likes, t.comments, t.views),
                }
            })
            .collect())
    }

    pub(super) async fn has_posts(&self, user_id: &str) -> Result<bool, AnalyticsError> {
        Ok(sqlx::query("select post_id from post_metrics where user_id = $1 limit 1")
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?
            .is_some())
    }

    /// Per platform, why some of its numbers never arrive (a read permission the platform
    /// withholds), from the latest pulls.
    pub(super) async fn unavailable(&self, user_id: &str) -> Result<Vec<Unavailable>, AnalyticsError> {
        let rows = sqlx::query(
            "select platform, max(last_error) as message from post_metrics
             where user_id = $1 and error_class = 'missing_permission' group by platform order by platform",
        )
        .bind(user_id)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| Unavailable { platform: name_of(&r.get::<String, _>("platform")).to_string(), message: r.get("message") })
            .collect())
    }

    /// One post with its sibling publications (same draft, sent together) and every pull.
    /// `full` keeps every snapshot (CSV); otherwise they are thinned for the chart.
    pub async fn post(&self, user_id: &str, post_id: &str, tz: &Timezone, full: bool) -> Result<PostAnalytics, AnalyticsError> {
        let head = sqlx::query("select batch_id, draft_id, title, body from posts where id = $1 and user_id = $2")
            .bind(post_id)
            .bind(user_id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(not_found)?;
        let draft: Option<String> = opt(&head, "draft_id");
        let cols = "p.id, p.platform, p.account_name, p.status, p.external_url, p.published_at,
                    m.views, m.impressions, m.likes, m.comments, m.shares, m.saves, m.last_synced_at, m.next_sync_at, m.last_error, m.snapshots";
        // Siblings: sent in the same batch from the same draft, or (no draft) with the same
        // text. A bulk upload shares a batch too, but not its texts.
        let (same, value) = match &draft {
            Some(d) => ("p.draft_id = $3", d.clone()),
            None => ("p.draft_id is null and p.body = $3", head.get::<String, _>("body")),
        };
        let rows = sqlx::query(&format!(
            "select {cols} from posts p left join post_metrics m on m.post_id = p.id
             where p.user_id = $1 and p.batch_id = $2 and {same} order by p.platform, p.account_name limit 20"
        ))
        .bind(user_id)
        .bind(head.get::<String, _>("batch_id"))
        .bind(value)
        .fetch_all(self.db.pool())
        .await?;
        let mut platforms = vec![];
        for r in &rows {
            let id: String = r.get("id");
            let platform: String = r.get("platform");
            let latest = row_totals(r);
            let snaps = sqlx::query(
                "select taken_at, views, impressions, likes, comments, shares, saves from metric_snapshots where post_id = $1 order by taken_at",
            )
            .bind(&id)
            .fetch_all(self.db.pool())
            .await?;
            let points: Vec<SnapshotPoint> = snaps
                .iter()
                .map(|s| {
                    let taken_at: i64 = s.get("taken_at");
                    SnapshotPoint { taken_at, label: local(tz, taken_at), metrics: row_totals(s) }
                })
                .collect();
            let info = PlatformId::parse(&platform).map(platform_info).ok();
            platforms.push(PostSeries {
                platform_name: name_of(&platform).to_string(),
                brand_color: info.map(|i| i.brand_color.to_string()).unwrap_or_else(|| "#6366F1".into()),
                account_name: r.get("account_name"),
                status: crate::db::status(r, "status"),
                url: opt(r, "external_url"),
                published_local: opt::<i64>(r, "published_at").map(|t| local(tz, t)),
                engagement_rate: engagement_rate(latest.likes, latest.comments, latest.views),
                latest,
                last_synced_local: opt::<i64>(r, "last_synced_at").map(|t| local(tz, t)),
                next_sync_local: opt::<i64>(r, "next_sync_at").map(|t| local(tz, t.max(now_ms()))),
                last_error: opt(r, "last_error"),
                snapshot_count: points.len() as i64,
                snapshots: if full { points } else { thin(&points, SERIES_POINTS_MAX) },
                platform,
                post_id: id,
            });
        }
        // The post asked for leads.
        platforms.sort_by_key(|p| p.post_id != post_id);
        Ok(PostAnalytics {
            post_id: post_id.to_string(),
            text: excerpt(opt(&head, "title"), &head.get::<String, _>("body")),
            timezone: tz.as_str().to_string(),
            platforms,
        })
    }
}

pub(super) fn range_info(q: &StatsQuery) -> RangeInfo {
    let prev = q.range.previous();
    let f = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    RangeInfo {
        from: f(q.range.from),
        to: f(q.range.to),
        previous_from: f(prev.from),
        previous_to: f(prev.to),
        days: q.range.days(),
        key: q.key.clone(),
        timezone: q.tz.as_str().to_string(),
        platform: q.platform.map(|p| p.as_str().to_string()),
    }
}
