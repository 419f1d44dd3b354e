//! The DMARC reports pages: the aggregate reports received for the hosted domains (a domain
//! administrator sees their own domain's), newest first, and one report with its rows. The
//! data comes from the same helpers as `GET /api/v1/dmarc/reports`, so the rules are one.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::Shared;
use crate::authz::Action;
use crate::error::{ApiError, ApiResult};
use crate::routes::dmarc::{Asker, DmarcReportView, DmarcRowView, list_reports, one_report};
use crate::ui::page::{Chrome, Viewer, forbidden, html, internal, not_found};

/// Reports listed on the page.
const SHOWN: u64 = 200;

#[derive(Template)]
#[template(path = "dmarc.html")]
struct ListPage {
    chrome: Chrome,
    reports: Vec<DmarcReportView>,
    total: u64,
    /// Whether the viewer may send this server's reports now.
    may_send: bool,
}

#[derive(Template)]
#[template(path = "dmarc_report.html")]
struct ReportPage {
    chrome: Chrome,
    r: DmarcReportView,
    rows: Vec<DmarcRowView>,
}

/// The page for a failed lookup.
fn failed(v: &Viewer, e: ApiError) -> Response {
    match e.status {
        StatusCode::FORBIDDEN => forbidden(v),
        StatusCode::NOT_FOUND => not_found(v, e.error),
        _ => internal(e.error),
    }
}

/// `/dmarc`.
pub async fn list(State(st): State<Shared>, v: Viewer) -> Response {
    let allow = |a: Action| -> ApiResult<()> {
        if v.may(&a) {
            Ok(())
        } else {
            Err(ApiError::forbidden("not allowed"))
        }
    };
    let who = Asker {
        principal: &v.principal,
        allow: &allow,
    };
    match list_reports(&st, &who, None, SHOWN, 0).await {
        Ok((total, reports)) => html(&ListPage {
            chrome: v.chrome("dmarc"),
            reports,
            total,
            may_send: v.may(&Action::Settings),
        }),
        Err(e) => failed(&v, e),
    }
}

/// `/dmarc/{id}`.
pub async fn show(State(st): State<Shared>, v: Viewer, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&v, "A report id is a number.");
    };
    let allow = |a: Action| -> ApiResult<()> {
        if v.may(&a) {
            Ok(())
        } else {
            Err(ApiError::forbidden("not allowed"))
        }
    };
    let who = Asker {
        principal: &v.principal,
        allow: &allow,
    };
    match one_report(&st, &who, id).await {
        Ok(d) => html(&ReportPage {
            chrome: v.chrome("dmarc"),
            r: d.report,
            rows: d.rows,
        }),
        Err(e) => failed(&v, e),
    }
}
