//! DMARC aggregate reports (RFC 7489 §7.2): those received for the hosted domains, with their
//! rows; the results collected for the reports this server sends; and sending those now.
//!
//! Invariants: a domain administrator sees only the reports of their own domain (the list is
//! filtered in the store, a single report is checked against its domain); the collected
//! results and sending are the system administrator's.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use heron_store::dmarc::{DAY, DmarcCollected, DmarcReport, DmarcReportRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::connections::unix_rfc3339;
use super::listing::{MAX_LIMIT, answer};
use crate::auth::{Caller, Shared};
use crate::authz::{Action, Principal};
use crate::error::{ApiError, ApiResult, ErrorBody};

/// A received report, without its rows.
#[derive(Serialize, ToSchema)]
pub struct DmarcReportView {
    pub id: i64,
    /// The hosted domain it was sent to.
    pub domain: String,
    /// The reporting organisation and its contact address.
    pub org: String,
    pub email: String,
    /// The reporter's id of the report.
    pub report_id: String,
    /// The period reported (RFC 3339, UTC).
    pub begin: Option<String>,
    pub end: Option<String>,
    /// The domain whose mail is reported on.
    pub policy_domain: String,
    /// The policy the reporter saw, e.g. `p=reject sp=none adkim=r aspf=r`.
    pub policy: String,
    /// When it arrived (RFC 3339, UTC).
    pub received_at: Option<String>,
    /// Messages reported (the sum of the rows' counts).
    pub messages: u64,
    /// Rows kept.
    pub rows: u64,
}

/// One row of a received report.
#[derive(Serialize, ToSchema)]
pub struct DmarcRowView {
    pub source_ip: String,
    pub count: u64,
    /// What the reporter did: none, quarantine, reject.
    pub disposition: String,
    /// DMARC's DKIM and SPF results (pass, fail).
    pub dkim: String,
    pub spf: String,
    pub header_from: String,
    pub envelope_from: String,
    /// The underlying results, e.g. `dkim=example.com:s1:pass spf=example.com:pass`.
    pub auth: String,
}

/// A received report with its rows.
#[derive(Serialize, ToSchema)]
pub struct DmarcReportDetail {
    pub report: DmarcReportView,
    pub rows: Vec<DmarcRowView>,
}

/// Results collected for a report this server will send.
#[derive(Serialize, ToSchema)]
pub struct CollectedView {
    /// The day (UTC, `YYYY-MM-DD`).
    pub day: String,
    /// The policy domain (the From domain) the report goes to.
    pub domain: String,
    /// Its published policy as seen.
    pub policy: String,
    /// Its report addresses.
    pub rua: String,
    pub source_ip: String,
    pub header_from: String,
    pub envelope_from: String,
    pub spf: String,
    /// The DKIM signatures: `domain selector result`, comma-separated.
    pub dkim: String,
    /// What was done: none, quarantine, reject.
    pub disposition: String,
    pub dkim_aligned: bool,
    pub spf_aligned: bool,
    pub count: u64,
}

/// What sending the reports did.
#[derive(Serialize, ToSchema)]
pub struct SendView {
    /// Reports handed to the spool (one per domain and address).
    pub reports: usize,
    /// Policy domains reported.
    pub domains: usize,
    /// Collected rows taken.
    pub rows: usize,
    /// Domains not reported, and why.
    pub skipped: Vec<String>,
}

/// `?domain=&limit=&offset=` of the list.
#[derive(Deserialize)]
pub struct ReportsQuery {
    pub domain: Option<String>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

pub(crate) fn report_view(r: DmarcReport, domain: String) -> DmarcReportView {
    DmarcReportView {
        id: r.id,
        domain,
        org: r.org,
        email: r.email,
        report_id: r.report_id,
        begin: unix_rfc3339(r.begin),
        end: unix_rfc3339(r.end),
        policy_domain: r.policy_domain,
        policy: r.policy,
        received_at: unix_rfc3339(r.received_at),
        messages: r.messages,
        rows: r.rows,
    }
}

pub(crate) fn row_view(r: DmarcReportRow) -> DmarcRowView {
    DmarcRowView {
        source_ip: r.source_ip,
        count: r.count,
        disposition: r.disposition,
        dkim: r.dkim,
        spf: r.spf,
        header_from: r.header_from,
        envelope_from: r.envelope_from,
        auth: r.auth,
    }
}

fn collected_view(r: DmarcCollected) -> CollectedView {
    CollectedView {
        day: unix_rfc3339(r.day * DAY)
            .map(|t| t.chars().take(10).collect())
            .unwrap_or_default(),
        domain: r.domain,
        policy: r.policy,
        rua: r.rua,
        source_ip: r.source_ip,
        header_from: r.header_from,
        envelope_from: r.envelope_from,
        spf: r.spf,
        dkim: r.dkim,
        disposition: r.disposition,
        dkim_aligned: r.dkim_aligned,
        spf_aligned: r.spf_aligned,
        count: r.count,
    }
}

/// Who asks, for the pages as for the API: the principal and whether an action is allowed.
pub(crate) struct Asker<'a> {
    pub principal: &'a Principal,
    pub allow: &'a (dyn Fn(Action) -> ApiResult<()> + Sync),
}

/// The received reports `who` may see, of `domain` when given (a domain administrator's
/// own domain when not): total and one page, newest first.
pub(crate) async fn list_reports(
    st: &Shared,
    who: &Asker<'_>,
    domain: Option<String>,
    limit: u64,
    offset: u64,
) -> ApiResult<(u64, Vec<DmarcReportView>)> {
    let domain = domain
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .or(match who.principal {
            Principal::DomainAdmin { domain } => Some(domain.clone()),
            _ => None,
        });
    let store = st.dir.store();
    let id = match &domain {
        Some(d) => {
            (who.allow)(Action::ReadDomain(d.clone()))?;
            let found = store
                .get_domain(d)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("no domain {d}")))?;
            Some(found.id)
        }
        None => {
            (who.allow)(Action::Settings)?;
            None
        }
    };
    let (total, page) = store
        .dmarc_reports(id, limit.min(MAX_LIMIT), offset)
        .await?;
    let names: std::collections::HashMap<i64, String> = store
        .list_domains()
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let views = page
        .into_iter()
        .map(|r| {
            let name = names.get(&r.domain_id).cloned().unwrap_or_default();
            report_view(r, name)
        })
        .collect();
    Ok((total, views))
}

/// A received report with its rows, when `who` may see its domain.
pub(crate) async fn one_report(
    st: &Shared,
    who: &Asker<'_>,
    id: i64,
) -> ApiResult<DmarcReportDetail> {
    let store = st.dir.store();
    let missing = || ApiError::not_found(format!("no DMARC report #{id}"));
    let (r, rows) = store.dmarc_report(id).await?.ok_or_else(missing)?;
    let domain = store
        .get_domain_by_id(r.domain_id)
        .await?
        .ok_or_else(missing)?
        .name;
    (who.allow)(Action::ReadDomain(domain.clone()))?;
    Ok(DmarcReportDetail {
        report: report_view(r, domain),
        rows: rows.into_iter().map(row_view).collect(),
    })
}

/// Received aggregate reports, newest first: of `domain` when given; a domain administrator
/// sees their own domain's. The total is in `X-Total-Count`.
#[utoipa::path(operation_id = "dmarc_reports_list", get, path = "/api/v1/dmarc/reports", tag = "filter",
    params(("domain" = Option<String>, Query, description = "Only the reports sent to this hosted domain"),
           ("limit" = Option<u64>, Query, description = "Page size (default 100)"),
           ("offset" = Option<u64>, Query, description = "Reports to skip")),
    responses((status = 200, description = "OK", body = [DmarcReportView]), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "No such domain", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
    q: Result<Query<ReportsQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q.map_err(|r| ApiError::bad_request(r.body_text()))?;
    let allow = |a| caller.allow(a);
    let who = Asker {
        principal: &caller.principal,
        allow: &allow,
    };
    let (total, views) = list_reports(
        &st,
        &who,
        q.domain,
        q.limit.unwrap_or(100),
        q.offset.unwrap_or(0),
    )
    .await?;
    Ok(answer(views, total))
}

/// A received aggregate report with its rows.
#[utoipa::path(operation_id = "dmarc_reports_get", get, path = "/api/v1/dmarc/reports/{id}", tag = "filter",
    params(("id" = i64, Path, description = "The report's id")),
    responses((status = 200, description = "OK", body = DmarcReportDetail), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<DmarcReportDetail>> {
    let allow = |a| caller.allow(a);
    let who = Asker {
        principal: &caller.principal,
        allow: &allow,
    };
    Ok(Json(one_report(&st, &who, id).await?))
}

/// The results collected so far for the reports this server sends (today included).
#[utoipa::path(operation_id = "dmarc_collected", get, path = "/api/v1/dmarc/collected", tag = "filter",
    responses((status = 200, description = "OK", body = [CollectedView]), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn collected(
    State(st): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Vec<CollectedView>>> {
    caller.allow(Action::Settings)?;
    let rows = st.dir.store().dmarc_collected(i64::MAX / DAY).await?;
    Ok(Json(rows.into_iter().map(collected_view).collect()))
}

/// Send the reports of everything collected so far now (today included), instead of
/// waiting for `dmarc.report_hour`.
#[utoipa::path(operation_id = "dmarc_send", post, path = "/api/v1/dmarc/send", tag = "filter",
    responses((status = 200, description = "OK", body = SendView), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 503, description = "Reports cannot be sent by this process", body = ErrorBody)))]
pub async fn send(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<SendView>> {
    caller.allow(Action::Settings)?;
    let Some(reporter) = st.runtime.dmarc.as_ref() else {
        return Err(ApiError::unavailable(
            "DMARC reports are not sent by this process",
        ));
    };
    let sent = reporter.send_now().await.map_err(ApiError::internal)?;
    caller.event(format!(
        "DMARC reports sent now: {} for {} domains",
        sent.reports, sent.domains
    ));
    Ok(Json(SendView {
        reports: sent.reports,
        domains: sent.domains,
        rows: sent.rows,
        skipped: sent.skipped,
    }))
}
