//! The log viewer (OPS-2): lines of one day's log file of one kind, filtered by text and by
//! session id, paged; the kinds and days that have files; and a zip of the matching lines.
//!
//! Log files are `LOGDIR/<type>-YYYY-MM-DD.log`, one line per event:
//! `2026-01-02T03:04:05.678Z [session-id] LEVEL message` (`[-]` outside a session).
//!
//! Invariants: a file path is built only from a type taken from [`LOG_TYPES`] and a date
//! that parsed as a calendar date, never from request text, so no request names another
//! file; files are read line by line and only the requested page is kept in memory; a
//! session filter matches a line's `[id]` token exactly, never part of another id.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Write};
use std::path::Path;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// The log kinds, as the server names its files.
pub const LOG_TYPES: &[&str] = &[
    "smtp",
    "pop3",
    "imap",
    "pop-retrieval",
    "delivery",
    "events",
];
/// Lines per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 500;
/// Largest `limit`.
pub const MAX_LIMIT: usize = 5000;
/// Longest text filter.
const MAX_QUERY: usize = 1000;
/// Longest session id filter.
const MAX_SESSION: usize = 64;

/// Query parameters as received (validated by [`LogFilter::parse`]).
#[derive(Deserialize, Default)]
pub struct LogParams {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub date: Option<String>,
    pub q: Option<String>,
    pub session: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

/// A validated choice of file and lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFilter {
    pub kind: &'static str,
    pub date: NaiveDate,
    /// Lower-cased text a line must contain.
    pub text: Option<String>,
    /// The session id a line must carry.
    pub session: Option<String>,
}

/// One page of a log.
#[derive(Serialize, ToSchema)]
pub struct LogPage {
    #[serde(rename = "type")]
    pub kind: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// Lines matching the filters in the whole file.
    pub total_matching: usize,
    /// The page: matching lines `offset..offset+limit`, oldest first.
    pub lines: Vec<String>,
}

/// A log kind and the days it has files for.
#[derive(Serialize, ToSchema)]
pub struct LogTypeView {
    #[serde(rename = "type")]
    pub kind: String,
    /// YYYY-MM-DD, newest first.
    pub dates: Vec<String>,
}

/// A strict `YYYY-MM-DD` calendar date.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn parse_count(raw: Option<&str>, default: usize, field: &'static str) -> ApiResult<usize> {
    match raw {
        None => Ok(default),
        Some(s) => s
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid(field, format!("{field} is a whole number"))),
    }
}

impl LogFilter {
    /// Validate the parameters (each failure is 422 naming its field); the date defaults to
    /// today (UTC), and `limit`/`offset` to 500 and 0.
    pub fn parse(p: &LogParams) -> ApiResult<(LogFilter, usize, usize)> {
        let kind = p.kind.as_deref().unwrap_or_default();
        let kind = LOG_TYPES
            .iter()
            .copied()
            .find(|t| *t == kind)
            .ok_or_else(|| {
                ApiError::invalid("type", format!("type is one of: {}", LOG_TYPES.join(", ")))
            })?;
        let date = match p.date.as_deref() {
            None => Utc::now().date_naive(),
            Some(d) => parse_date(d)
                .ok_or_else(|| ApiError::invalid("date", "date is a day as YYYY-MM-DD"))?,
        };
        let text = p.q.as_deref().filter(|q| !q.is_empty());
        if text.is_some_and(|q| q.chars().count() > MAX_QUERY) {
            return Err(ApiError::invalid(
                "q",
                format!("q is at most {MAX_QUERY} characters"),
            ));
        }
        let session = p.session.as_deref().filter(|s| !s.is_empty());
        if session.is_some_and(|s| {
            s.len() > MAX_SESSION
                || !s
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        }) {
            return Err(ApiError::invalid(
                "session",
                "session is a session id (letters, digits, '-')",
            ));
        }
        let limit = parse_count(p.limit.as_deref(), DEFAULT_LIMIT, "limit")?;
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid(
                "limit",
                format!("limit is 1 to {MAX_LIMIT}"),
            ));
        }
        let offset = parse_count(p.offset.as_deref(), 0, "offset")?;
        let filter = LogFilter {
            kind,
            date,
            text: text.map(str::to_lowercase),
            session: session.map(str::to_owned),
        };
        Ok((filter, limit, offset))
    }

    /// The file's name, `<type>-YYYY-MM-DD.log`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.log", self.kind, self.date.format("%Y-%m-%d"))
    }

    /// Whether a line passes the filters.
    pub fn matches(&self, line: &str) -> bool {
        if let Some(id) = &self.session
            && session_of(line) != Some(id.as_str())
        {
            return false;
        }
        match &self.text {
            Some(t) => line.to_lowercase().contains(t.as_str()),
            None => true,
        }
    }
}

/// The session id of a log line: the bracketed token after the timestamp.
pub fn session_of(line: &str) -> Option<&str> {
    let rest = line.split_once(' ')?.1;
    let inner = rest.strip_prefix('[')?;
    inner.find(']').map(|end| &inner[..end])
}

/// Where counting a log file stopped: its path, the offset past the last whole line read, and
/// the matches up to there.
type CountMark = (std::path::PathBuf, u64, u64);

/// Counts kept between calls, by log kind and text, so the dashboard reads only what today's
/// file gained since it last looked instead of the whole file on every visit.
static TODAY_COUNTS: std::sync::Mutex<Vec<((&'static str, String), CountMark)>> =
    std::sync::Mutex::new(Vec::new());

/// How many lines of today's (UTC) log of `kind` contain `text` (case-insensitive); 0 when
/// there is no such file. Only the part of the file written since the last call is read.
pub fn count_today(dir: &Path, kind: &'static str, text: &str) -> io::Result<u64> {
    use std::io::{Seek, SeekFrom};
    let filter = LogFilter {
        kind,
        date: Utc::now().date_naive(),
        text: Some(text.to_lowercase()),
        session: None,
    };
    let path = dir.join(filter.file_name());
    let key = (kind, text.to_owned());
    let mut marks = TODAY_COUNTS
        .lock()
        .map_err(|_| io::Error::other("log counts poisoned"))?;
    let (mut offset, mut n) = match marks.iter().find(|(k, _)| *k == key) {
        Some((_, (p, offset, n))) if *p == path => (*offset, *n),
        _ => (0, 0),
    };
    let mut file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    if file.metadata()?.len() < offset {
        // Rewritten from the start (log retention, a restore): count again.
        (offset, n) = (0, 0);
    }
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let got = reader.read_until(b'\n', &mut line)?;
        // The end, or a line still being written: left for the next call.
        if got == 0 || line.last() != Some(&b'\n') {
            break;
        }
        offset += got as u64;
        if filter.matches(&String::from_utf8_lossy(&line)) {
            n += 1;
        }
    }
    marks.retain(|(k, _)| *k != key);
    marks.push((key, (path, offset, n)));
    Ok(n)
}

/// Call `each` with every matching line of the filter's file, in order; a missing file has
/// no lines.
fn for_each_match(
    dir: &Path,
    f: &LogFilter,
    mut each: impl FnMut(&str) -> io::Result<()>,
) -> io::Result<()> {
    let file = match File::open(dir.join(f.file_name())) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut r = BufReader::new(file);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\r', '\n']);
        if f.matches(line) {
            each(line)?;
        }
    }
}

/// Matching lines `offset..offset + limit` of the filter's file in `dir`, with the count
/// of all matching lines.
pub fn read_log(dir: &Path, f: &LogFilter, limit: usize, offset: usize) -> io::Result<LogPage> {
    let mut total = 0usize;
    let mut lines = Vec::new();
    for_each_match(dir, f, |line| {
        if total >= offset && lines.len() < limit {
            lines.push(line.to_owned());
        }
        total += 1;
        Ok(())
    })?;
    Ok(LogPage {
        kind: f.kind.to_owned(),
        date: f.date.format("%Y-%m-%d").to_string(),
        total_matching: total,
        lines,
    })
}

/// A zip archive holding the matching lines as `<type>-<date>.log`.
pub fn zip_log(dir: &Path, f: &LogFilter) -> io::Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let now = Utc::now();
    let mut opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let stamp = zip::DateTime::from_date_and_time(
        u16::try_from(now.year()).unwrap_or(1980),
        now.month() as u8,
        now.day() as u8,
        now.hour() as u8,
        now.minute() as u8,
        now.second() as u8,
    );
    if let Ok(t) = stamp {
        opts = opts.last_modified_time(t);
    }
    w.start_file(f.file_name(), opts)
        .map_err(io::Error::other)?;
    for_each_match(dir, f, |line| {
        w.write_all(line.as_bytes())?;
        w.write_all(b"\n")
    })?;
    Ok(w.finish().map_err(io::Error::other)?.into_inner())
}

/// Every log kind with the days that have a file in `dir`.
pub fn log_types(dir: &Path) -> Vec<LogTypeView> {
    let mut out: Vec<LogTypeView> = LOG_TYPES
        .iter()
        .map(|t| LogTypeView {
            kind: (*t).to_owned(),
            dates: Vec::new(),
        })
        .collect();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".log") else {
            continue;
        };
        let Some((kind, date)) = stem.split_at_checked(stem.len().saturating_sub(11)) else {
            continue;
        };
        let (Some(date), Some(v)) = (
            date.strip_prefix('-').and_then(parse_date),
            out.iter_mut().find(|v| v.kind == kind),
        ) else {
            continue;
        };
        v.dates.push(date.format("%Y-%m-%d").to_string());
    }
    for v in &mut out {
        v.dates.sort_unstable_by(|a, b| b.cmp(a));
    }
    out
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> ApiResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ApiError::internal(format!("reading a log file: {e}"))),
        Err(e) => Err(ApiError::internal(e)),
    }
}

fn params(q: Result<Query<LogParams>, QueryRejection>) -> ApiResult<LogParams> {
    q.map(|Query(p)| p)
        .map_err(|r| ApiError::bad_request(r.body_text()))
}

/// Lines of one day's log, filtered and paged.
#[utoipa::path(operation_id = "logs_read", get, path = "/api/v1/logs", tag = "logs",
    params(("type" = String, Query, description = "smtp, pop3, imap, delivery or events"),
        ("date" = Option<String>, Query, description = "YYYY-MM-DD (default today, UTC)"),
        ("q" = Option<String>, Query, description = "Text a line contains (case-insensitive)"),
        ("session" = Option<String>, Query, description = "Session id a line carries"),
        ("limit" = Option<u32>, Query, description = "Lines per page, 1 to 5000 (default 500)"),
        ("offset" = Option<u32>, Query, description = "Matching lines to skip (default 0)")),
    responses((status = 200, description = "OK", body = LogPage), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 422, description = "Invalid parameter (named in `field`)", body = ErrorBody)))]
pub async fn read(
    State(st): State<Shared>,
    caller: Caller,
    query: Result<Query<LogParams>, QueryRejection>,
) -> ApiResult<Json<LogPage>> {
    caller.allow(Action::Logs)?;
    let (f, limit, offset) = LogFilter::parse(&params(query)?)?;
    let dir = st.runtime.log_dir(st.dir.settings());
    Ok(Json(
        blocking(move || read_log(&dir, &f, limit, offset)).await?,
    ))
}

/// Log kinds and the days that have files.
#[utoipa::path(operation_id = "logs_types", get, path = "/api/v1/logs/types", tag = "logs",
    responses((status = 200, description = "OK", body = Vec<LogTypeView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn types(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<Vec<LogTypeView>>> {
    caller.allow(Action::Logs)?;
    let dir = st.runtime.log_dir(st.dir.settings());
    Ok(Json(blocking(move || Ok(log_types(&dir))).await?))
}

/// The matching lines of one day's log as a zip holding `<type>-<date>.log`.
#[utoipa::path(operation_id = "logs_download", get, path = "/api/v1/logs/download", tag = "logs",
    params(("type" = String, Query, description = "smtp, pop3, imap, delivery or events"),
        ("date" = Option<String>, Query, description = "YYYY-MM-DD (default today, UTC)"),
        ("q" = Option<String>, Query, description = "Text a line contains (case-insensitive)"),
        ("session" = Option<String>, Query, description = "Session id a line carries")),
    responses((status = 200, description = "A zip archive", content_type = "application/zip", body = Vec<u8>),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 422, description = "Invalid parameter (named in `field`)", body = ErrorBody)))]
pub async fn download(
    State(st): State<Shared>,
    caller: Caller,
    query: Result<Query<LogParams>, QueryRejection>,
) -> ApiResult<Response> {
    caller.allow(Action::Logs)?;
    let (f, _, _) = LogFilter::parse(&params(query)?)?;
    let dir = st.runtime.log_dir(st.dir.settings());
    let name = f.file_name();
    let bytes = blocking(move || zip_log(&dir, &f)).await?;
    let disposition = format!(
        "attachment; filename=\"{}.zip\"",
        name.trim_end_matches(".log")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests;
