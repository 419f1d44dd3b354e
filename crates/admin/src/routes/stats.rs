//! Statistics (OPS-3) and per-domain bandwidth for billing (OPS-7): the counts the nodes
//! wrote ([`heron_store::stats`]) over a period, per hour or per day, for the server, a
//! domain or a user, with the disk they use now.
//!
//! A period is `from` and `to` (RFC 3339, a `YYYY-MM-DD` date taken as midnight UTC, or Unix
//! seconds); buckets starting at or after `from` (rounded down to its bucket) and before `to`
//! are counted. Without them: the last 30 days by day, or the last 48 hours by hour. Counts
//! reach the store at each node's `stats.flush_interval`, so the current bucket fills in
//! with that delay.
//!
//! Invariants: a domain administrator reads only their own domain and its users (checked on
//! the name in the request, before any lookup); the server's statistics and the bandwidth of
//! every domain are the system administrator's; a period is at most [`MAX_BUCKETS`] buckets.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, NaiveDate};
use heron_store::stats::{Counts, DAY, HOUR, Scope, Span, fill};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::connections::unix_rfc3339;
use super::domains::domain_key;
use super::session::parse_address;
use crate::auth::{Caller, Shared};
use crate::authz::{Action, Principal};
use crate::error::{ApiError, ApiResult, ErrorBody};

/// Most buckets one answer covers.
pub const MAX_BUCKETS: i64 = 2000;

/// `?from=&to=&bucket=`: the query parameters every statistics and bandwidth route takes
/// (their descriptions in the API document are these comments).
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// Start (RFC 3339, YYYY-MM-DD or Unix seconds)
    pub from: Option<String>,
    /// End, excluded
    pub to: Option<String>,
    /// hour or day (default); hourly counts are kept for the last 31 days
    pub bucket: Option<String>,
}

/// A period resolved: bucket starts in `from..to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: i64,
    pub to: i64,
    pub span: Span,
}

/// The last second a period may name (9999-12-31T23:59:59Z), so bucket maths never overflows.
const LAST_TIME: i64 = 253_402_300_799;

/// A time as the API takes it: RFC 3339, `YYYY-MM-DD` (midnight UTC) or Unix seconds, from
/// 1970 to 9999.
fn parse_time(v: &str, name: &str) -> ApiResult<i64> {
    let t = parse_any_time(v, name)?;
    if !(0..=LAST_TIME).contains(&t) {
        return Err(ApiError::bad_request(format!(
            "{name}: give a time from 1970 to 9999"
        )));
    }
    Ok(t)
}

fn parse_any_time(v: &str, name: &str) -> ApiResult<i64> {
    let v = v.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.timestamp());
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc().timestamp());
    }
    v.parse::<i64>().map_err(|_| {
        ApiError::bad_request(format!(
            "{name}: give an RFC 3339 time, a YYYY-MM-DD date or Unix seconds"
        ))
    })
}

/// A query value that was given and is not blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|v| !v.trim().is_empty())
}

impl Period {
    /// The period of a query at Unix time `now`.
    pub fn of(q: &PeriodQuery, now: i64) -> ApiResult<Period> {
        let span = match q.bucket.as_deref().map(str::trim) {
            None | Some("") | Some("day") => Span::Day,
            Some("hour") => Span::Hour,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "bucket: hour or day, not {other:?}"
                )));
            }
        };
        let to = match given(&q.to) {
            Some(v) => parse_time(v, "to")?,
            None => span.start_of(now) + span.seconds(),
        };
        let from = match given(&q.from) {
            Some(v) => span.start_of(parse_time(v, "from")?),
            None => match span {
                Span::Day => to - 30 * DAY,
                Span::Hour => to - 48 * HOUR,
            },
        };
        if from >= to {
            return Err(ApiError::bad_request("from must be before to"));
        }
        if (to - from) / span.seconds() > MAX_BUCKETS {
            return Err(ApiError::bad_request(format!(
                "the period holds more than {MAX_BUCKETS} buckets; use bucket=day or a shorter period"
            )));
        }
        Ok(Period { from, to, span })
    }

    fn bucket(&self) -> &'static str {
        match self.span {
            Span::Hour => "hour",
            Span::Day => "day",
        }
    }
}

/// Counters of a bucket or a period.
#[derive(Serialize, Clone, Default, ToSchema)]
pub struct CountsView {
    /// Copies delivered into local mailboxes, and their bytes.
    pub messages_in: u64,
    pub bytes_in: u64,
    /// Deliveries to remote recipients by the queue, and their bytes.
    pub messages_out: u64,
    pub bytes_out: u64,
    /// Messages judged spam, and messages with a virus, by the filter.
    pub spam: u64,
    pub virus: u64,
    /// Failure reports (DSNs) generated.
    pub bounces: u64,
    /// Successful logins per protocol (`web`: the admin UI and API), and all of them.
    pub logins_imap: u64,
    pub logins_pop3: u64,
    pub logins_smtp: u64,
    pub logins_web: u64,
    pub logins: u64,
}

impl From<&Counts> for CountsView {
    fn from(c: &Counts) -> Self {
        CountsView {
            messages_in: c.messages_in,
            bytes_in: c.bytes_in,
            messages_out: c.messages_out,
            bytes_out: c.bytes_out,
            spam: c.spam,
            virus: c.virus,
            bounces: c.bounces,
            logins_imap: c.logins_imap,
            logins_pop3: c.logins_pop3,
            logins_smtp: c.logins_smtp,
            logins_web: c.logins_web,
            logins: c.logins(),
        }
    }
}

/// One bucket.
#[derive(Serialize, ToSchema)]
pub struct PointView {
    /// The bucket's start (RFC 3339, UTC).
    pub start: String,
    pub counts: CountsView,
}

/// The statistics of the server, a domain or a user over a period.
#[derive(Serialize, ToSchema)]
pub struct StatsView {
    /// `server`, `domain` or `user`.
    pub scope: String,
    /// The domain's name or the user's address; empty for the server.
    pub name: String,
    /// `hour` or `day`.
    pub bucket: String,
    /// The period (RFC 3339, UTC): buckets starting from `from`, before `to`.
    pub from: String,
    pub to: String,
    /// The sums over the period.
    pub totals: CountsView,
    /// Every bucket of the period, oldest first (zero where nothing was counted).
    pub series: Vec<PointView>,
    /// Bytes the mailboxes use now.
    pub disk_used_bytes: u64,
}

/// Bytes in and out of one domain over a period (for billing).
#[derive(Serialize, ToSchema)]
pub struct BandwidthView {
    pub domain: String,
    /// The period (RFC 3339, UTC).
    pub from: String,
    pub to: String,
    pub messages_in: u64,
    pub bytes_in: u64,
    pub messages_out: u64,
    pub bytes_out: u64,
    /// `bytes_in` + `bytes_out`.
    pub bytes_total: u64,
}

fn time(t: i64) -> String {
    unix_rfc3339(t).unwrap_or_default()
}

/// The statistics of one scope and key over `p`.
async fn read(
    st: &Shared,
    scope: Scope,
    key: i64,
    name: String,
    p: Period,
    disk_used_bytes: u64,
) -> ApiResult<StatsView> {
    let rows = st
        .dir
        .store()
        .stats_series(scope, key, p.span, p.from, p.to)
        .await?;
    let rows = fill(rows, scope, key, p.span, p.from, p.to);
    let mut totals = Counts::default();
    rows.iter().for_each(|r| totals.add(&r.counts));
    Ok(StatsView {
        scope: scope.as_str().to_owned(),
        name,
        bucket: p.bucket().to_owned(),
        from: time(p.from),
        to: time(p.to),
        totals: CountsView::from(&totals),
        series: rows
            .iter()
            .map(|r| PointView {
                start: time(r.start),
                counts: CountsView::from(&r.counts),
            })
            .collect(),
        disk_used_bytes,
    })
}

/// The server's statistics (the caller's right already checked).
pub(crate) async fn server_stats(st: &Shared, p: Period) -> ApiResult<StatsView> {
    let store = st.dir.store();
    let mut disk = 0u64;
    for d in store.list_domains().await? {
        disk = disk.saturating_add(store.domain_usage(d.id).await?);
    }
    read(st, Scope::Server, 0, String::new(), p, disk).await
}

/// A domain's statistics (the caller's right already checked).
pub(crate) async fn domain_stats(st: &Shared, name: &str, p: Period) -> ApiResult<StatsView> {
    let d = st.dir.domain(name).await?;
    let disk = st.dir.store().domain_usage(d.id).await?;
    read(st, Scope::Domain, d.id, d.name, p, disk).await
}

/// A user's statistics (the caller's right already checked).
pub(crate) async fn user_stats(st: &Shared, address: &str, p: Period) -> ApiResult<StatsView> {
    let u = st.dir.user(address).await?;
    read(st, Scope::User, u.id, address.to_owned(), p, u.used_bytes).await
}

fn period(q: Result<Query<PeriodQuery>, QueryRejection>) -> ApiResult<Period> {
    let Query(q) = q.map_err(|r| ApiError::bad_request(r.body_text()))?;
    Period::of(&q, heron_store::rules::now())
}

/// The server's statistics over a period, every node together.
#[utoipa::path(operation_id = "stats_server", get, path = "/api/v1/stats", tag = "statistics",
    params(PeriodQuery),
    responses((status = 200, description = "OK", body = StatsView), (status = 400, description = "Bad period", body = ErrorBody), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn server(
    State(st): State<Shared>,
    caller: Caller,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> ApiResult<Json<StatsView>> {
    caller.allow(Action::Statistics(None))?;
    Ok(Json(server_stats(&st, period(q)?).await?))
}

/// A domain's statistics over a period.
#[utoipa::path(operation_id = "stats_domain", get, path = "/api/v1/domains/{name}/stats", tag = "statistics",
    params(("name" = String, Path, description = "Domain name"), PeriodQuery),
    responses((status = 200, description = "OK", body = StatsView), (status = 400, description = "Bad period", body = ErrorBody), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn domain(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> ApiResult<Json<StatsView>> {
    caller.allow(Action::Statistics(Some(domain_key(&name))))?;
    Ok(Json(domain_stats(&st, &name, period(q)?).await?))
}

/// A user's statistics over a period.
#[utoipa::path(operation_id = "stats_user", get, path = "/api/v1/users/{address}/stats", tag = "statistics",
    params(("address" = String, Path, description = "User address"), PeriodQuery),
    responses((status = 200, description = "OK", body = StatsView), (status = 400, description = "Bad period", body = ErrorBody), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn user(
    State(st): State<Shared>,
    caller: Caller,
    Path(address): Path<String>,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> ApiResult<Json<StatsView>> {
    let a = parse_address(&address, "address")?;
    caller.allow(Action::Statistics(Some(a.domain.clone())))?;
    Ok(Json(user_stats(&st, &a.to_string(), period(q)?).await?))
}

fn bandwidth_view(domain: String, p: Period, c: &Counts) -> BandwidthView {
    BandwidthView {
        domain,
        from: time(p.from),
        to: time(p.to),
        messages_in: c.messages_in,
        bytes_in: c.bytes_in,
        messages_out: c.messages_out,
        bytes_out: c.bytes_out,
        bytes_total: c.bytes_in.saturating_add(c.bytes_out),
    }
}

/// A domain's bytes in and out over a period, for billing.
#[utoipa::path(operation_id = "bandwidth_domain", get, path = "/api/v1/domains/{name}/bandwidth", tag = "statistics",
    params(("name" = String, Path, description = "Domain name"), PeriodQuery),
    responses((status = 200, description = "OK", body = BandwidthView), (status = 400, description = "Bad period", body = ErrorBody), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn domain_bandwidth(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> ApiResult<Json<BandwidthView>> {
    caller.allow(Action::Statistics(Some(domain_key(&name))))?;
    let p = period(q)?;
    let d = st.dir.domain(&name).await?;
    let rows = st
        .dir
        .store()
        .stats_series(Scope::Domain, d.id, p.span, p.from, p.to)
        .await?;
    let mut sum = Counts::default();
    rows.iter().for_each(|r| sum.add(&r.counts));
    Ok(Json(bandwidth_view(d.name, p, &sum)))
}

/// Every domain's bytes in and out over a period, by name (a domain administrator: their
/// own domain's).
#[utoipa::path(operation_id = "bandwidth_list", get, path = "/api/v1/bandwidth", tag = "statistics",
    params(PeriodQuery),
    responses((status = 200, description = "OK", body = [BandwidthView]), (status = 400, description = "Bad period", body = ErrorBody), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn bandwidth(
    State(st): State<Shared>,
    caller: Caller,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<BandwidthView>>> {
    let only = match &caller.principal {
        Principal::DomainAdmin { domain } => Some(domain.clone()),
        _ => None,
    };
    caller.allow(Action::Statistics(only.clone()))?;
    let p = period(q)?;
    let store = st.dir.store();
    let totals: std::collections::HashMap<i64, Counts> = store
        .stats_totals(Scope::Domain, p.span, p.from, p.to)
        .await?
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for d in store.list_domains().await? {
        if only.as_ref().is_some_and(|o| *o != d.name) {
            continue;
        }
        let c = totals.get(&d.id).copied().unwrap_or_default();
        out.push(bandwidth_view(d.name, p, &c));
    }
    out.sort_by(|a, b| a.domain.cmp(&b.domain));
    Ok(Json(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn q(from: &str, to: &str, bucket: &str) -> PeriodQuery {
        let some = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        PeriodQuery {
            from: some(from),
            to: some(to),
            bucket: some(bucket),
        }
    }

    #[test]
    fn periods() {
        let now = 20_000 * DAY + 5 * HOUR + 7;
        let p = Period::of(&q("", "", ""), now).unwrap();
        assert_eq!(p.span, Span::Day);
        assert_eq!(p.to, 20_001 * DAY);
        assert_eq!(p.from, 19_971 * DAY);
        let p = Period::of(&q("", "", "hour"), now).unwrap();
        assert_eq!((p.to - p.from) / HOUR, 48);
        let p = Period::of(&q("2024-01-02", "2024-01-03T00:00:00Z", "hour"), now).unwrap();
        assert_eq!(p.from, 1_704_153_600);
        assert_eq!((p.to - p.from) / HOUR, 24);
        let p = Period::of(&q("1704153601", "1704240000", "day"), now).unwrap();
        assert_eq!(p.from, 1_704_153_600);
        assert!(Period::of(&q("2024-01-03", "2024-01-02", ""), now).is_err());
        assert!(Period::of(&q("", "", "week"), now).is_err());
        assert!(Period::of(&q("yesterday", "", ""), now).is_err());
        assert!(Period::of(&q("2000-01-01", "2024-01-01", "hour"), now).is_err());
        assert!(Period::of(&q("-9223372036854775808", "", ""), now).is_err());
        assert!(Period::of(&q("0", "9223372036854775807", "day"), now).is_err());
        assert!(Period::of(&q("0", "86400", "day"), now).is_ok());
    }
}
