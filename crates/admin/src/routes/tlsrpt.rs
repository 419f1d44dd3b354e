//! SMTP TLS reporting (RFC 8460): the outcomes counted for the reports this server sends,
//! and sending those now.
//!
//! Invariant: both are the system administrator's.

use axum::Json;
use axum::extract::State;
use heron_store::TlsRptResult;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// Outbound TLS sessions of one day with the same outcome.
#[derive(Serialize, ToSchema)]
pub struct TlsRptView {
    /// The day (days since 1970-01-01, UTC).
    pub day: i64,
    /// The policy domain.
    pub domain: String,
    /// `sts`, `tlsa` or `no-policy-found`.
    pub policy_type: String,
    /// The MX host; empty for a policy that could not be had.
    pub mx_host: String,
    /// `success` or the TLS-RPT result type.
    pub result: String,
    /// The MX host's address, when known.
    pub receiving_ip: String,
    /// Words on the first failure of this kind.
    pub detail: String,
    /// Sessions counted.
    pub count: u64,
}

/// What "send now" did.
#[derive(Serialize, ToSchema)]
pub struct TlsRptSendView {
    /// Reports handed to the spool (one per domain and address).
    pub reports: usize,
    /// Policy domains reported.
    pub domains: usize,
    /// Rows taken.
    pub rows: usize,
    /// Domains not reported, and why.
    pub skipped: Vec<String>,
}

fn view(r: TlsRptResult) -> TlsRptView {
    TlsRptView {
        day: r.day,
        domain: r.domain,
        policy_type: r.policy_type,
        mx_host: r.mx_host,
        result: r.result,
        receiving_ip: r.receiving_ip,
        detail: r.detail,
        count: r.count,
    }
}

/// The outcomes counted so far for the TLS reports, every day.
#[utoipa::path(operation_id = "tlsrpt_results", get, path = "/api/v1/tlsrpt/results", tag = "filter",
    responses((status = 200, description = "OK", body = [TlsRptView]), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn results(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<Vec<TlsRptView>>> {
    caller.allow(Action::Settings)?;
    let rows = st.dir.store().tlsrpt_results(i64::MAX / 86_400).await?;
    Ok(Json(rows.into_iter().map(view).collect()))
}

/// Send the TLS reports of everything counted so far now (today included), instead of
/// waiting for `tlsrpt.report_hour`.
#[utoipa::path(operation_id = "tlsrpt_send", post, path = "/api/v1/tlsrpt/send", tag = "filter",
    responses((status = 200, description = "OK", body = TlsRptSendView), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 503, description = "Reports cannot be sent by this process", body = ErrorBody)))]
pub async fn send(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<TlsRptSendView>> {
    caller.allow(Action::Settings)?;
    let Some(reporter) = st.runtime.tlsrpt.as_ref() else {
        return Err(ApiError::unavailable(
            "TLS reports are not sent by this process",
        ));
    };
    let sent = reporter.send_now().await.map_err(ApiError::internal)?;
    caller.event(format!(
        "TLS reports sent now: {} for {} domains",
        sent.reports, sent.domains
    ));
    Ok(Json(TlsRptSendView {
        reports: sent.reports,
        domains: sent.domains,
        rows: sent.rows,
        skipped: sent.skipped,
    }))
}
