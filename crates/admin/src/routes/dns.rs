//! A domain's DNS records (`GET /api/v1/domains/{name}/dns`): every record to publish, each
//! looked up through the configured resolver and marked present, missing or different
//! (`?check=false` lists them without looking up), as `heron dns DOMAIN` prints them.
//!
//! Invariants: the private DKIM key never leaves the store (only its public record is
//! listed); the domain's readers (its domain administrators) may see its records.

use axum::Json;
use axum::extract::{Path, Query, State};
use heron_setup::report::{Report, report};
use serde::Deserialize;

use super::domains::domain_key;
use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiResult, ErrorBody};

/// Whether to look the records up.
#[derive(Deserialize)]
pub struct DnsQuery {
    /// Default true.
    pub check: Option<bool>,
}

/// The records of a domain, built by the shared report.
pub async fn domain_report(st: &Shared, name: &str, check: bool) -> ApiResult<Report> {
    let d = st.dir.domain(name).await?;
    let dkim = st.dir.store().get_dkim_key(&d.name).await?;
    Ok(report(
        st.dir.settings(),
        &d,
        dkim.as_ref(),
        &st.runtime.data_dir,
        check,
    )
    .await)
}

/// Every DNS record the domain should publish, and what the DNS says of each.
#[utoipa::path(operation_id = "domains_dns", get, path = "/api/v1/domains/{name}/dns", tag = "domains",
    params(("name" = String, Path, description = "Domain name"),
        ("check" = Option<bool>, Query, description = "Look each record up (default true)")),
    responses((status = 200, description = "The records: name, type, value, purpose, zone line, status (present, missing, different, error, unchecked), found values", body = Object),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    Query(q): Query<DnsQuery>,
) -> ApiResult<Json<Report>> {
    caller.allow(Action::ReadDomain(domain_key(&name)))?;
    Ok(Json(
        domain_report(&st, &name, q.check.unwrap_or(true)).await?,
    ))
}
