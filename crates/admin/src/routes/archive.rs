//! The message archive (OPS-5): searching archived messages and exporting them as an mbox
//! file. The system administrator's alone (the archive holds every user's mail).
//!
//! Invariants: a page holds at most [`MAX_LIMIT`] records; an export at most [`MAX_EXPORT`]
//! messages, streamed one message at a time (never the whole file in memory); a body-text
//! search reads at most [`heron_store::archive::MAX_TEXT_SCAN`] messages and says so when it stopped there.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use heron_store::archive::{ArchiveQuery, Archived, Direction, search_text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::connections::unix_rfc3339;
use super::listing::{MAX_LIMIT, answer};
use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// Most messages one export holds.
pub const MAX_EXPORT: u64 = 10_000;

/// An archived message's record.
#[derive(Serialize, ToSchema)]
pub struct ArchivedView {
    pub id: i64,
    /// The domain whose traffic it is.
    pub domain: String,
    /// incoming or outgoing.
    pub direction: String,
    /// Envelope sender (empty: the null sender).
    pub sender: String,
    /// Envelope recipients it was archived for.
    pub recipients: Vec<String>,
    pub subject: String,
    /// When it was archived (RFC 3339, UTC).
    pub archived_at: Option<String>,
    pub size: u64,
}

pub(crate) fn view(a: Archived) -> ArchivedView {
    ArchivedView {
        id: a.id,
        domain: a.domain,
        direction: a.direction.as_str().to_owned(),
        sender: a.sender,
        recipients: a.recipients,
        subject: a.subject,
        archived_at: unix_rfc3339(a.archived_at),
        size: a.size,
    }
}

/// The search filters, as received: the query parameters the search and the export share
/// (their descriptions in the API document are these comments).
#[derive(Deserialize, IntoParams, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct ArchiveFilter {
    /// The domain's archive only
    pub domain: Option<String>,
    /// incoming or outgoing
    pub direction: Option<String>,
    /// Text in the envelope sender
    pub sender: Option<String>,
    /// Text in an envelope recipient
    pub recipient: Option<String>,
    /// Text in the Subject field
    pub subject: Option<String>,
    /// Text anywhere in the header block
    pub header: Option<String>,
    /// Text anywhere in the message (bounded scan)
    pub text: Option<String>,
    /// Archived at or after: YYYY-MM-DD, RFC 3339 or Unix seconds
    pub since: Option<String>,
    /// Archived before (a date: through that day)
    pub until: Option<String>,
}

/// The search parameters, as received (shared by the list, the export and the page).
#[derive(Deserialize, Default, Clone)]
pub struct ArchiveParams {
    #[serde(flatten)]
    pub filter: ArchiveFilter,
    /// Comma-separated ids (export only): these records, the filters ignored.
    pub ids: Option<String>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Checked search parameters.
pub(crate) struct Search {
    pub query: ArchiveQuery,
    /// Body text to look for (a bounded scan), when given.
    pub text: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A time given as Unix seconds, RFC 3339 or `YYYY-MM-DD` (UTC; a day ends at the next
/// midnight when `end`).
pub(crate) fn time(v: &str, end: bool, field: &'static str) -> ApiResult<i64> {
    heron_store::archive::parse_time(v, end).ok_or_else(|| {
        ApiError::invalid(
            field,
            format!("{field} is a date (YYYY-MM-DD), an RFC 3339 time or Unix seconds"),
        )
    })
}

impl Search {
    pub(crate) fn parse(p: &ArchiveFilter) -> ApiResult<Self> {
        let direction = match given(&p.direction).as_deref() {
            None => None,
            Some(d) => Some(Direction::parse(&d.to_ascii_lowercase()).ok_or_else(|| {
                ApiError::invalid("direction", "direction is incoming or outgoing")
            })?),
        };
        let since = given(&p.since)
            .map(|v| time(&v, false, "since"))
            .transpose()?;
        let until = given(&p.until)
            .map(|v| time(&v, true, "until"))
            .transpose()?;
        Ok(Self {
            query: ArchiveQuery {
                domain: given(&p.domain).map(|d| d.to_ascii_lowercase()),
                direction,
                sender: given(&p.sender),
                recipient: given(&p.recipient),
                subject: given(&p.subject),
                header: given(&p.header),
                since,
                until,
            },
            text: given(&p.text),
        })
    }
}

/// One page of matching records: the total (`None` for a body-text search, whose total is
/// not known without reading everything), the page, and whether a body-text scan stopped
/// at its limit.
pub(crate) async fn search(
    st: &Shared,
    s: &Search,
    limit: u64,
    offset: u64,
) -> ApiResult<(Option<u64>, Vec<Archived>, bool)> {
    let store = st.dir.store();
    let limit = limit.min(MAX_LIMIT);
    match &s.text {
        None => {
            let (n, rows) = store.archive_search(&s.query, limit, offset).await?;
            Ok((Some(n), rows, false))
        }
        Some(t) => {
            let offset = usize::try_from(offset).unwrap_or(usize::MAX);
            let page = search_text(&**store, &s.query, t, limit as usize, offset).await?;
            Ok((None, page.hits, !page.complete))
        }
    }
}

fn params(q: Result<Query<ArchiveParams>, QueryRejection>) -> ApiResult<ArchiveParams> {
    q.map(|Query(p)| p)
        .map_err(|r| ApiError::bad_request(r.body_text()))
}

/// Archived messages matching every given filter, newest first. Text filters match as
/// case-insensitive substrings. `text` looks through whole messages (as written, and the
/// decoded header fields and text parts), reading at most 2000 of the messages the other
/// filters select, newest first; its answer has no total, and `X-Heron-Scan-Cut: true` when
/// the scan stopped there. Otherwise the total is in `X-Total-Count`.
#[utoipa::path(operation_id = "archive_search", get, path = "/api/v1/archive", tag = "archive",
    params(ArchiveFilter,
        ("limit" = Option<u64>, Query, description = "Page size (default 100, at most 10000)"),
        ("offset" = Option<u64>, Query, description = "Records to skip")),
    responses((status = 200, description = "OK", body = [ArchivedView]), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 422, description = "Invalid parameter (named in `field`)", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
    q: Result<Query<ArchiveParams>, QueryRejection>,
) -> ApiResult<Response> {
    caller.allow(Action::Settings)?;
    let p = params(q)?;
    let s = Search::parse(&p.filter)?;
    let (total, rows, cut) = search(&st, &s, p.limit.unwrap_or(100), p.offset.unwrap_or(0)).await?;
    let views: Vec<ArchivedView> = rows.into_iter().map(view).collect();
    let mut r = match total {
        Some(n) => answer(views, n),
        None => axum::Json(views).into_response(),
    };
    if cut {
        r.headers_mut()
            .insert("x-heron-scan-cut", HeaderValue::from_static("true"));
    }
    Ok(r)
}

/// The records an export holds: the listed ids, else every match of the filters (at most
/// [`MAX_EXPORT`]), oldest first.
pub(crate) async fn export_set(st: &Shared, p: &ArchiveParams) -> ApiResult<Vec<Archived>> {
    let store = st.dir.store();
    if let Some(ids) = given(&p.ids) {
        let ids = ids
            .split(',')
            .map(|i| i.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ApiError::invalid("ids", "ids are comma-separated record ids"))?;
        if ids.len() as u64 > MAX_EXPORT {
            return Err(ApiError::invalid(
                "ids",
                format!("at most {MAX_EXPORT} ids at once"),
            ));
        }
        return Ok(store.archive_get(&ids).await?);
    }
    let s = Search::parse(&p.filter)?;
    let mut rows = match &s.text {
        None => store.archive_search(&s.query, MAX_EXPORT, 0).await?.1,
        Some(t) => {
            search_text(&**store, &s.query, t, MAX_EXPORT as usize, 0)
                .await?
                .hits
        }
    };
    rows.reverse();
    Ok(rows)
}

/// The mbox file of `rows`, streamed one message at a time.
pub(crate) fn mbox_response(st: &Shared, rows: Vec<Archived>, name: &str) -> Response {
    let store = st.dir.store().clone();
    let stream =
        futures::stream::unfold((store, rows.into_iter()), |(store, mut rest)| async move {
            loop {
                let a = rest.next()?;
                match store.archive_read(&a).await {
                    Ok(raw) => {
                        let entry = heron_message::mbox::entry(&a.sender, a.archived_at, &raw);
                        return Some((Ok::<_, std::io::Error>(entry), (store, rest)));
                    }
                    // Pruned since it was listed.
                    Err(heron_store::StoreError::NotFound(_)) => continue,
                    Err(e) => {
                        tracing::error!(target: "events", "archive export: reading #{}: {e}", a.id);
                        return Some((Err(std::io::Error::other(e.to_string())), (store, rest)));
                    }
                }
            }
        });
    (
        [
            (
                header::CONTENT_TYPE,
                heron_message::mbox::MEDIA_TYPE.to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// The matching archived messages (or those listed in `ids`) as one mbox file (mboxrd:
/// `From ` lines, `>From` quoting, LF line ends), oldest first, at most 10000 messages.
#[utoipa::path(operation_id = "archive_export", get, path = "/api/v1/archive/export", tag = "archive",
    params(("ids" = Option<String>, Query, description = "Comma-separated record ids; the filters are ignored when given"),
        ArchiveFilter),
    responses((status = 200, description = "An mbox file", content_type = "application/mbox", body = Vec<u8>),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 422, description = "Invalid parameter (named in `field`)", body = ErrorBody)))]
pub async fn export(
    State(st): State<Shared>,
    caller: Caller,
    q: Result<Query<ArchiveParams>, QueryRejection>,
) -> ApiResult<Response> {
    caller.allow(Action::Settings)?;
    let p = params(q)?;
    let rows = export_set(&st, &p).await?;
    caller.event(format!("archive export of {} messages", rows.len()));
    Ok(mbox_response(&st, rows, "archive.mbox"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn times_take_three_forms() {
        assert_eq!(time("86400", false, "since").unwrap(), 86_400);
        assert_eq!(time("1970-01-02", false, "since").unwrap(), 86_400);
        assert_eq!(time("1970-01-02", true, "until").unwrap(), 2 * 86_400);
        assert_eq!(time("1970-01-02T00:00:10Z", true, "until").unwrap(), 86_410);
        assert!(time("yesterday", false, "since").is_err());
    }

    #[test]
    fn parameters_are_checked() {
        let p = ArchiveFilter {
            domain: Some(" Example.COM ".into()),
            direction: Some("Outgoing".into()),
            subject: Some("  ".into()),
            text: Some("needle".into()),
            ..Default::default()
        };
        let s = Search::parse(&p).unwrap();
        assert_eq!(s.query.domain.as_deref(), Some("example.com"));
        assert_eq!(s.query.direction, Some(Direction::Outgoing));
        assert_eq!(s.query.subject, None);
        assert_eq!(s.text.as_deref(), Some("needle"));
        let bad = ArchiveFilter {
            direction: Some("sideways".into()),
            ..Default::default()
        };
        assert!(Search::parse(&bad).is_err());
    }

    #[test]
    fn the_query_string_fills_the_filter_and_the_page() {
        let uri: axum::http::Uri =
            "/api/v1/archive?domain=a.test&since=2024-01-01&ids=1,2&limit=5&offset=10"
                .parse()
                .unwrap();
        let Query(p) = Query::<ArchiveParams>::try_from_uri(&uri).unwrap();
        assert_eq!(p.filter.domain.as_deref(), Some("a.test"));
        assert_eq!(p.filter.since.as_deref(), Some("2024-01-01"));
        assert_eq!(p.ids.as_deref(), Some("1,2"));
        assert_eq!((p.limit, p.offset), (Some(5), Some(10)));
    }

    #[test]
    fn the_scan_limit_is_documented() {
        assert_eq!(heron_store::archive::MAX_TEXT_SCAN, 2000);
    }
}
