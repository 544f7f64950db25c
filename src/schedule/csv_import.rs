//! Bulk import from CSV: the file is checked as a whole (every problem listed at once, the
//! header is row 1) and stored in one batch, or not at all; and the template to start from.

use super::*;

/// A CSV problem, placed the way a spreadsheet shows it: the header is row 1.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    /// A column name from `CSV_COLUMNS`, or empty for the whole row or file.
    pub column: String,
    pub message: String,
}

pub(super) fn row_err(row: usize, column: &str, message: impl Into<String>) -> RowError {
    RowError { row, column: column.into(), message: message.into() }
}

/// At most this many problems are listed; the rest are only counted, so a hostile file (a
/// header of 100,000 unknown columns) cannot turn into a reply of megabytes.
pub const MAX_LISTED_PROBLEMS: usize = 100;
/// Longest cell text quoted back in a message.
pub(super) const QUOTE_MAX: usize = 40;

/// The problems found in a file: the first `MAX_LISTED_PROBLEMS`, and how many more there were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    pub listed: Vec<RowError>,
    pub more: usize,
}

impl Problems {
    pub(super) fn one(e: RowError) -> Self {
        Self { listed: vec![e], more: 0 }
    }

    pub(super) fn push(&mut self, e: RowError) {
        if self.listed.len() < MAX_LISTED_PROBLEMS {
            self.listed.push(e);
        } else {
            self.more += 1;
        }
    }

    pub fn total(&self) -> usize {
        self.listed.len() + self.more
    }
}

impl std::ops::Deref for Problems {
    type Target = [RowError];
    fn deref(&self) -> &[RowError] {
        &self.listed
    }
}

/// Cell text as quoted in a message: cut short so an error never echoes a huge cell.
pub(super) fn quoted(s: &str) -> String {
    if s.chars().count() <= QUOTE_MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(QUOTE_MAX).collect::<String>())
    }
}

pub enum Import {
    Imported(Vec<Post>),
    /// The problems in the file; nothing was stored.
    Refused(Problems),
}

/// What a CSV file is checked against, so checking it is a pure function.
pub struct CsvContext<'a> {
    pub tz: &'a Timezone,
    pub now_ms: i64,
    /// The person's connected accounts.
    pub accounts: &'a [Connection],
}

impl Scheduler {
    /// Checks every row; stores all of them in one batch, or nothing with every problem.
    pub async fn import_csv(&self, user_id: &str, bytes: &[u8]) -> Result<Import, PublishError> {
        let tz = self.timezone(user_id).await;
        let accounts = self.connections.list(user_id).await.map_err(internal)?;
        let cx = CsvContext { tz: &tz, now_ms: self.db.now().await, accounts: &accounts };
        match parse_csv(bytes, &cx) {
            Err(errors) => Ok(Import::Refused(errors)),
            Ok(items) => Ok(Import::Imported(self.publisher.schedule(user_id, items).await?)),
        }
    }

    /// A template filled with the person's own accounts and two dates ahead, so it imports
    /// as it is.
    pub async fn template_csv(&self, user_id: &str) -> Result<String, PublishError> {
        let tz = self.timezone(user_id).await;
        let accounts = self.connections.list(user_id).await.map_err(internal)?;
        Ok(template_csv(&tz, self.db.now().await, &accounts))
    }
}

/// An account as the CSV names it: the platform id when it is the only account of that
/// platform, else `platform:username`.
pub(super) fn account_token(c: &Connection, all: &[Connection]) -> String {
    if all.iter().filter(|o| o.platform == c.platform).count() > 1 {
        format!("{}:{}", c.platform.as_str(), c.username)
    } else {
        c.platform.as_str().to_string()
    }
}

/// One `accounts` entry → a connected account, or what is wrong with it.
pub(super) fn resolve_account<'a>(token: &str, accounts: &'a [Connection]) -> Result<&'a Connection, String> {
    let (p, user) = match token.split_once(':') {
        Some((p, u)) => (p.trim(), Some(u.trim().trim_start_matches('@'))),
        None => (token.trim(), None),
    };
    let pid = PlatformId::parse(p).map_err(|_| {
        let ids: Vec<&str> = PlatformId::ALL.iter().map(|p| p.as_str()).collect();
        format!("\"{token}\" is not a platform. Use one of {} (or platform:username).", ids.join(", "))
    })?;
    let name = pid.display_name();
    let mine: Vec<&Connection> = accounts.iter().filter(|c| c.platform == pid).collect();
    if mine.is_empty() {
        return Err(format!("No {name} account is connected. Connect it in Sources, or take it out of this row."));
    }
    let list = || mine.iter().map(|c| format!("@{}", c.username)).collect::<Vec<_>>().join(", ");
    let found = match user {
        None if mine.len() == 1 => mine[0],
        None => return Err(format!("You have {} {name} accounts ({}): write {}:username to pick one.", mine.len(), list(), pid.as_str())),
        Some(u) => match mine.iter().find(|c| c.username.eq_ignore_ascii_case(u)) {
            Some(c) => c,
            None => return Err(format!("No connected {name} account is @{u}. Yours: {}.", list())),
        },
    };
    if found.needs_reconnect() {
        return Err(format!("Reconnect {name} (@{}) in Sources before scheduling to it.", found.username));
    }
    Ok(found)
}

/// Checks a whole CSV file and turns it into posts, or lists every problem at once
/// (row 1 is the header). Pure: the caller supplies the zone, the clock and the accounts.
pub fn parse_csv(bytes: &[u8], cx: &CsvContext) -> Result<Vec<NewPost>, Problems> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(Problems::one(row_err(1, "", "The file is not UTF-8 text. Save it as \"CSV UTF-8\" and upload it again.")));
    };
    // Spreadsheets often start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Problems::one(row_err(1, "", "The file is empty. Download the template and fill it in.")));
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        _ => {
            return Err(Problems::one(row_err(
                1,
                "",
                "The first row could not be read. It must name the columns: date,time,accounts,text.",
            )))
        }
    };
    let mut errors = Problems::default();
    let mut col: HashMap<&'static str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let n = name.trim().to_ascii_lowercase();
        match CSV_COLUMNS.iter().find(|c| **c == n) {
            Some(c) if col.contains_key(c) => errors.push(row_err(1, c, format!("The column \"{c}\" appears twice."))),
            Some(c) => {
                col.insert(c, i);
            }
            None if n.is_empty() => {}
            None => {
                let name = quoted(name.trim());
                errors.push(row_err(1, &name, format!("\"{name}\" is not a column we know. Use {}.", CSV_COLUMNS.join(", "))))
            }
        }
    }
    for c in &CSV_COLUMNS[..4] {
        if !col.contains_key(c) {
            errors.push(row_err(1, c, format!("The column \"{c}\" is missing. The first row must be: {}.", CSV_COLUMNS.join(","))));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let today = utc_ms_to_local(cx.tz, cx.now_ms).map(|t| t.date()).unwrap_or_default();
    let mut items = vec![];
    let mut rows = 0usize;
    for (i, rec) in records.enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(row_err(row, "", format!("This row could not be read ({e}). Check its quotes.")));
                continue;
            }
        };
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        rows += 1;
        if rows > MAX_ROWS {
            errors.push(row_err(row, "", format!("A file can have at most {MAX_ROWS} posts. Split it and import the rest separately.")));
            break;
        }
        let get = |c: &str| col.get(c).and_then(|i| rec.get(*i)).unwrap_or("").trim().to_string();
        let (date_raw, time_raw, dst_raw) = (get("date"), get("time"), get("dst"));
        let mut bad = false;
        let mut fail = |column: &str, message: String| {
            errors.push(row_err(row, column, message));
            bad = true;
        };

        let date = match parse_date(&date_raw, "The date") {
            Ok(d) => Some(d),
            Err(_) if date_raw.is_empty() => {
                fail("date", "The date is missing. Use YYYY-MM-DD, e.g. 2026-12-01.".into());
                None
            }
            Err(e) => {
                fail("date", e.message);
                None
            }
        };
        let time = match parse_local("2000-01-01", &time_raw) {
            Ok(t) => Some(t.time()),
            Err(_) if time_raw.is_empty() => {
                fail("time", "The time is missing. Use 24-hour HH:MM, e.g. 14:30.".into());
                None
            }
            Err(e) => {
                fail("time", e.message);
                None
            }
        };
        let fold = match Fold::parse(&dst_raw) {
            Ok(f) => f,
            Err(_) => {
                fail("dst", format!("\"{dst_raw}\" is not a choice: leave it empty, or write earlier or later."));
                None
            }
        };
        let mut at = None;
        if let (Some(d), Some(t)) = (date, time) {
            match local_to_utc_ms(cx.tz, d.and_time(t), fold) {
                Ok(ms) if ms < cx.now_ms => fail(
                    if d < today { "date" } else { "time" },
                    format!("{date_raw} {time_raw} has already passed in {}. Pick a time in the future.", cx.tz),
                ),
                Ok(ms) if ms > cx.now_ms + MAX_AHEAD_MS => fail("date", "Posts can be scheduled up to two years ahead.".into()),
                Ok(ms) => at = Some(ms),
                Err(e) if e.code == "ambiguous_time" => fail("time", format!("{} Write earlier or later in the dst column.", e.message)),
                Err(e) => fail("time", e.message),
            }
        }

        let mut conns: Vec<&Connection> = vec![];
        let raw_accounts = get("accounts");
        for token in raw_accounts.split(';').map(str::trim).filter(|t| !t.is_empty()) {
            match resolve_account(token, cx.accounts) {
                Ok(c) if conns.iter().any(|x| x.id == c.id) => {}
                Ok(c) => conns.push(c),
                Err(m) => fail("accounts", m),
            }
        }
        if raw_accounts.split(';').all(|t| t.trim().is_empty()) {
            fail("accounts", "Name at least one account, e.g. x or linkedin (several: x;linkedin).".into());
        }

        let text = get("text");
        let image = get("image_url");
        if text.is_empty() && image.is_empty() {
            fail("text", "The text is empty. Write the post (or give an image_url).".into());
        }
        for c in &conns {
            let check = check_length(c.platform, &text);
            if check.over() {
                fail(
                    "text",
                    format!(
                        "{} characters: {} over {}'s limit of {}.",
                        check.count,
                        -check.remaining,
                        c.platform.display_name(),
                        check.limit
                    ),
                );
            }
        }
        if image.is_empty() {
            for c in conns.iter().filter(|c| platform_info(c.platform).limits.requires_media) {
                fail("image_url", format!("{} only publishes posts with an image or video: add an image_url.", c.platform.display_name()));
            }
        } else if crate::domain::ImageRef::parse(&image).is_err() {
            fail(
                "image_url",
                format!("\"{image}\" is not an image address. Use an https:// address or an uploaded image's /media/… address."),
            );
        }

        if let (false, Some(at)) = (bad, at) {
            for c in conns {
                items.push(NewPost {
                    connection_id: c.id.clone(),
                    text: text.clone(),
                    image_url: Some(image.clone()).filter(|i| !i.is_empty()),
                    scheduled_at: Some(at),
                    ..Default::default()
                });
            }
        }
    }
    if rows == 0 && errors.is_empty() {
        errors.push(row_err(2, "", "The file has a header but no posts. Add one row per post under it."));
    }
    if errors.is_empty() && items.len() > MAX_POSTS {
        errors.push(row_err(
            1,
            "accounts",
            format!("These rows make {} posts (rows × accounts); import at most {MAX_POSTS} at once. Split the file.", items.len()),
        ));
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

/// The template: the header and two example rows dated tomorrow and the day after, naming
/// the person's own accounts (platforms that need no image first) or x/linkedin.
pub fn template_csv(tz: &Timezone, now_ms: i64, accounts: &[Connection]) -> String {
    let today = utc_ms_to_local(tz, now_ms).map(|t| t.date()).unwrap_or_default();
    let mut usable: Vec<&Connection> = accounts.iter().filter(|c| !c.needs_reconnect()).collect();
    usable.sort_by_key(|c| platform_info(c.platform).limits.requires_media);
    let tokens: Vec<String> = usable.iter().take(2).map(|c| account_token(c, accounts)).collect();
    let (first, both) = match tokens.as_slice() {
        [] => ("x".to_string(), "x;linkedin".to_string()),
        [one] => (one.clone(), one.clone()),
        [a, b, ..] => (a.clone(), format!("{a};{b}")),
    };
    let needs_image = |list: &[&Connection]| list.iter().any(|c| platform_info(c.platform).limits.requires_media);
    let image = if needs_image(&usable.iter().take(2).copied().collect::<Vec<_>>()) { "https://example.com/photo.jpg" } else { "" };
    let day = |n: u64| (today + Days::new(n)).format("%Y-%m-%d").to_string();
    let mut w = csv::Writer::from_writer(vec![]);
    let rows: [[String; 6]; 3] = [
        CSV_COLUMNS.map(str::to_string),
        [day(1), "09:00".into(), first, "Good morning! Our new guide is out today.".into(), image.into(), String::new()],
        [
            day(2),
            "12:30".into(),
            both,
            "Lunch-break reading: three ways to plan a week of posts in ten minutes.".into(),
            image.into(),
            String::new(),
        ],
    ];
    for r in rows {
        let _ = w.write_record(&r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
