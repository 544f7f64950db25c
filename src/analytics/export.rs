//! CSV exports of the dashboard and of one post's history.

use super::*;

impl Stats {
    /// The table behind the overview cards.
    pub fn overview_csv(&self) -> String {
        let o = &self.overview;
        let mut c = Csv::new(&["metric", "current", "previous", "change_pct", "from", "to", "previous_from", "previous_to"]);
        let r = &self.range;
        for (name, ch) in [
            ("views", o.views),
            ("impressions", o.impressions),
            ("likes", o.likes),
            ("comments", o.comments),
            ("shares", o.shares),
            ("saves", o.saves),
            ("followers", o.followers),
            ("posts", o.posts),
        ] {
            c.row(&[
                Cell::Text(name),
                Cell::Num(ch.current),
                Cell::Num(ch.previous),
                Cell::Rate(ch.change_pct),
                Cell::Text(&r.from),
                Cell::Text(&r.to),
                Cell::Text(&r.previous_from),
                Cell::Text(&r.previous_to),
            ]);
        }
        let e = o.engagement_rate;
        c.row(&[
            Cell::Text("engagement_rate_pct"),
            Cell::Rate(e.current),
            Cell::Rate(e.previous),
            Cell::Rate(e.change_pts),
            Cell::Text(&r.from),
            Cell::Text(&r.to),
            Cell::Text(&r.previous_from),
            Cell::Text(&r.previous_to),
        ]);
        c.finish()
    }

    /// The per-platform breakdown table.
    pub fn platforms_csv(&self) -> String {
        let mut c = Csv::new(&[
            "platform",
            "posts",
            "views",
            "impressions",
            "likes",
            "comments",
            "shares",
            "saves",
            "followers",
            "engagement_rate_pct",
        ]);
        for p in &self.platforms {
            c.row(&[
                Cell::Text(&p.platform),
                Cell::Num(Some(p.posts)),
                Cell::Num(p.views),
                Cell::Num(p.impressions),
                Cell::Num(p.likes),
                Cell::Num(p.comments),
                Cell::Num(p.shares),
                Cell::Num(p.saves),
                Cell::Num(p.followers),
                Cell::Rate(p.engagement_rate),
            ]);
        }
        c.finish()
    }

    /// The top-posts table.
    pub fn top_posts_csv(&self) -> String {
        let mut c = Csv::new(&[
            "post_id",
            "platform",
            "account",
            "published",
            "text",
            "url",
            "views",
            "likes",
            "comments",
            "shares",
            "engagement",
            "engagement_rate_pct",
        ]);
        for p in &self.top_posts {
            c.row(&[
                Cell::Text(&p.id),
                Cell::Text(&p.platform),
                Cell::Text(&p.account_name),
                Cell::Text(&p.published_local),
                Cell::Text(&p.text),
                Cell::Text(p.url.as_deref().unwrap_or("")),
                Cell::Num(p.views),
                Cell::Num(p.likes),
                Cell::Num(p.comments),
                Cell::Num(p.shares),
                Cell::Num(Some(p.engagement)),
                Cell::Rate(p.engagement_rate),
            ]);
        }
        c.finish()
    }

    /// The engagement-over-time chart, one row per day.
    pub fn series_csv(&self) -> String {
        let mut c = Csv::new(&["date", "views", "likes", "comments", "shares", "engagement_rate_pct"]);
        for d in &self.series {
            c.row(&[
                Cell::Text(&d.date),
                Cell::Num(d.views),
                Cell::Num(d.likes),
                Cell::Num(d.comments),
                Cell::Num(d.shares),
                Cell::Rate(d.engagement_rate),
            ]);
        }
        c.finish()
    }
}

impl PostAnalytics {
    /// Every pull of every platform of the post.
    pub fn csv(&self) -> String {
        let mut c = Csv::new(&["post_id", "platform", "taken_at", "views", "impressions", "likes", "comments", "shares", "saves"]);
        for p in &self.platforms {
            for s in &p.snapshots {
                let when = chrono::DateTime::from_timestamp_millis(s.taken_at).map(|t| t.to_rfc3339()).unwrap_or_default();
                let m = &s.metrics;
                c.row(&[
                    Cell::Text(&p.post_id),
                    Cell::Text(&p.platform),
                    Cell::Text(&when),
                    Cell::Num(m.views),
                    Cell::Num(m.impressions),
                    Cell::Num(m.likes),
                    Cell::Num(m.comments),
                    Cell::Num(m.shares),
                    Cell::Num(m.saves),
                ]);
            }
        }
        c.finish()
    }
}
