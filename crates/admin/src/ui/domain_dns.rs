//! A domain's "DNS" tab: every record to publish as zone-file lines, and with `?check=1` what
//! the configured resolver says of each (present, missing, different), as
//! `GET /api/v1/domains/{name}/dns` gives them.
//!
//! Invariant: the page looks records up only when asked, so opening it never waits on DNS.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use heron_setup::report::Report;
use serde::Deserialize;

use crate::auth::Shared;
use crate::authz::Action;
use crate::routes::dns::domain_report;
use crate::ui::domains::domain_for;
use crate::ui::page::{Chrome, Viewer, html, internal};

#[derive(Template)]
#[template(path = "domain_dns.html")]
struct DomainDnsPage {
    chrome: Chrome,
    name: String,
    tab: &'static str,
    report: Report,
}

/// `?check=1` looks the records up.
#[derive(Deserialize)]
pub struct CheckQuery {
    pub check: Option<String>,
}

/// `/domains/{name}/dns`.
pub async fn page(
    State(st): State<Shared>,
    v: Viewer,
    Path(name): Path<String>,
    Query(q): Query<CheckQuery>,
) -> Response {
    let d = match domain_for(&st, &v, &name, Action::ReadDomain).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let check = q.check.is_some_and(|c| c == "1" || c == "true");
    let report = match domain_report(&st, &d.name, check).await {
        Ok(r) => r,
        Err(e) => return internal(e.error),
    };
    html(&DomainDnsPage {
        chrome: v.chrome("domains"),
        tab: "dns",
        name: d.name,
        report,
    })
}
