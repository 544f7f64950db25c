//! How numbers are written (counts, compact axis labels, rates, change badges), chart
//! thinning and the CSV writer.

/// Chart points a post page draws per platform; older pulls are thinned out evenly.
pub const SERIES_POINTS_MAX: usize = 200;

/// Keeps at most `max` points, always the first and the last, evenly spread.
pub fn thin<T: Clone>(points: &[T], max: usize) -> Vec<T> {
    if points.len() <= max || max < 2 {
        return points.to_vec();
    }
    let last = points.len() - 1;
    (0..max).map(|i| points[i * last / (max - 1)].clone()).collect()
}

/// "12,345", or "—" when the platform does not report it.
pub fn format_count(n: Option<i64>) -> String {
    let Some(n) = n else { return "—".into() };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// "12.3K", "4.5M" for tight spaces (axis labels); exact below 10,000.
pub fn format_compact(n: i64) -> String {
    let a = n.unsigned_abs() as f64;
    let sign = if n < 0 { "-" } else { "" };
    let (v, unit) = match a {
        a if a >= 1e9 => (a / 1e9, "B"),
        a if a >= 1e6 => (a / 1e6, "M"),
        a if a >= 1e4 => (a / 1e3, "K"),
        _ => return format_count(Some(n)),
    };
    let s = if v >= 100.0 { format!("{v:.0}") } else { format!("{v:.1}").trim_end_matches(".0").to_string() };
    format!("{sign}{s}{unit}")
}

/// "10.8%" or "—".
pub fn format_rate(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into())
}

/// The change badge: (text, direction) with direction `up`, `down` or `flat`; `None` when
/// there is nothing to compare with.
pub fn format_change(pct: Option<f64>) -> Option<(String, &'static str)> {
    let p = pct?;
    Some(if p > 0.0 {
        (format!("▲ {}%", trim_num(p)), "up")
    } else if p < 0.0 {
        (format!("▼ {}%", trim_num(-p)), "down")
    } else {
        ("0%".into(), "flat")
    })
}

/// Same for a rate's change in percentage points.
pub fn format_change_pts(pts: Option<f64>) -> Option<(String, &'static str)> {
    let p = pts?;
    Some(if p > 0.0 {
        (format!("▲ {} pts", trim_num(p)), "up")
    } else if p < 0.0 {
        (format!("▼ {} pts", trim_num(-p)), "down")
    } else {
        ("0 pts".into(), "flat")
    })
}

pub(super) fn trim_num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}").trim_end_matches(".0").to_string()
    }
}

/// A CSV file: header plus rows, RFC 4180 quoting. Text cells that a spreadsheet would run
/// as a formula (`=`, `+`, `-`, `@` first) get a leading apostrophe; numbers never do.
pub struct Csv {
    out: String,
}

/// One cell.
pub enum Cell<'a> {
    Text(&'a str),
    Num(Option<i64>),
    Rate(Option<f64>),
}

impl Csv {
    pub fn new(header: &[&str]) -> Self {
        let mut c = Self { out: String::new() };
        c.row(&header.iter().map(|h| Cell::Text(h)).collect::<Vec<_>>());
        c
    }

    pub fn row(&mut self, cells: &[Cell<'_>]) {
        let line: Vec<String> = cells
            .iter()
            .map(|c| match c {
                Cell::Num(n) => n.map(|n| n.to_string()).unwrap_or_default(),
                Cell::Rate(r) => r.map(|r| format!("{r:.2}")).unwrap_or_default(),
                Cell::Text(t) => {
                    let t = if t.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{t}") } else { t.to_string() };
                    if t.contains([',', '"', '\n', '\r']) {
                        format!("\"{}\"", t.replace('"', "\"\""))
                    } else {
                        t
                    }
                }
            })
            .collect();
        self.out.push_str(&line.join(","));
        self.out.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}
