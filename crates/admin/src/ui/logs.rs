//! The log viewer: one log type and day at a time, filtered by a search string and by one
//! session (each line's session id links to that session's lines), paged, and downloadable
//! as a zip through the API with the same filters.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use heron_settings::defs;
use serde::Deserialize;

use crate::auth::Shared;
use crate::authz::Action;
use crate::routes::logs::{LOG_TYPES, LogFilter, LogParams, log_types, read_log, session_of};
use crate::ui::page::{Chrome, Viewer, html, internal};
use crate::ui::paging::{Paging, encode, per_page, place};

#[derive(Template)]
#[template(path = "logs.html")]
struct Logs {
    chrome: Chrome,
    types: &'static [&'static str],
    kind: String,
    date: String,
    q: String,
    session: String,
    error: String,
    dates: Vec<String>,
    /// "1 matching line", "4 matching lines".
    total_text: String,
    lines: Vec<LogLine>,
    download: String,
    paging: Paging,
}

/// One log line as shown: plain text, with its session id (when it has one) as the link to
/// that session's lines.
struct LogLine {
    /// The text before the session id (the time stamp), or the whole line.
    before: String,
    session: Option<String>,
    /// The text after the session id.
    after: String,
}

impl LogLine {
    fn new(line: String) -> Self {
        match session_of(&line).map(str::to_owned) {
            Some(s) => {
                // `session_of` found `[id]` right after the first space.
                let at = line.find(' ').map_or(0, |i| i + 1);
                let end = at + s.len() + 2;
                Self {
                    before: line[..at].to_owned(),
                    after: line.get(end..).unwrap_or_default().to_owned(),
                    session: Some(s),
                }
            }
            None => Self {
                before: line,
                session: None,
                after: String::new(),
            },
        }
    }
}

/// The query string of the current filters (without the page).
fn filters(kind: &str, date: &str, q: &str, session: &str) -> String {
    let mut s = format!("type={}&date={}", encode(kind), encode(date));
    if !q.is_empty() {
        s.push_str(&format!("&q={}", encode(q)));
    }
    if !session.is_empty() {
        s.push_str(&format!("&session={}", encode(session)));
    }
    s
}

/// `?type=&date=&q=&session=&page=` of the log page.
#[derive(Deserialize, Default)]
pub struct LogQuery {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub date: Option<String>,
    pub q: Option<String>,
    pub session: Option<String>,
    pub page: Option<String>,
}

/// `/logs?type=&date=&q=&session=&page=`.
pub async fn logs_page(State(st): State<Shared>, v: Viewer, Query(p): Query<LogQuery>) -> Response {
    if let Err(r) = v.require(&Action::Logs) {
        return r;
    }
    let per = per_page(st.dir.settings().get(defs::ADMIN_ITEMS_PER_PAGE));
    let page: usize = p
        .page
        .as_deref()
        .and_then(|o| o.parse().ok())
        .unwrap_or(1)
        .max(1);
    let q = p.q.clone().unwrap_or_default();
    let session = p.session.clone().unwrap_or_default();
    let dir = st.runtime.log_dir(st.dir.settings());
    let params = LogParams {
        kind: Some(p.kind.unwrap_or_else(|| "smtp".to_owned())),
        date: p.date.filter(|d| !d.is_empty()),
        q: p.q,
        session: p.session,
        limit: None,
        offset: None,
    };
    let (filter, error) = match LogFilter::parse(&params) {
        Ok((f, _, _)) => (Some(f), String::new()),
        Err(e) => (None, e.error),
    };
    let kind = filter.as_ref().map_or("smtp", |f| f.kind).to_owned();
    let date = filter
        .as_ref()
        .map(|f| f.date.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let (total, lines) = match &filter {
        Some(f) => {
            let d = dir.clone();
            let f = f.clone();
            let read =
                tokio::task::spawn_blocking(move || read_log(&d, &f, per, (page - 1) * per)).await;
            match read {
                Ok(Ok(p)) => (p.total_matching, p.lines),
                Ok(Err(e)) => return internal(e),
                Err(e) => return internal(e),
            }
        }
        None => (0, Vec::new()),
    };
    let here = filters(&kind, &date, &q, &session);
    let paging = place(total, page, per, &format!("/logs?{here}"), "");
    let dates = log_types(&dir)
        .into_iter()
        .find(|t| t.kind == kind)
        .map(|t| t.dates)
        .unwrap_or_default();
    html(&Logs {
        chrome: v.chrome("logs"),
        types: LOG_TYPES,
        download: format!("/api/v1/logs/download?{here}"),
        lines: lines.into_iter().map(LogLine::new).collect(),
        kind,
        date,
        q,
        session,
        error,
        dates,
        total_text: crate::ui::format::count(total as u64, "matching line", "matching lines"),
        paging,
    })
}
