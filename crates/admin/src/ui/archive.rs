//! The message archive page (OPS-5): search archived messages by sender, recipient, subject,
//! header or body text and date, page through the results, and export them (all matches, or
//! one message) as an mbox file through `GET /api/v1/archive/export` with the same filters.
//! The system administrator's alone, as the API is.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use heron_settings::defs;

use crate::auth::Shared;
use crate::authz::Action;
use crate::routes::archive::{ArchiveParams, ArchivedView, Search, search, view};
use crate::ui::page::{Chrome, Viewer, html, internal};
use crate::ui::paging::{encode, per_page};

#[derive(Template)]
#[template(path = "archive.html")]
struct ArchivePage {
    chrome: Chrome,
    f: Form,
    error: String,
    rows: Vec<ArchivedView>,
    /// "3 matching messages", or for a text search what was found and whether the scan was
    /// cut.
    summary: String,
    export: String,
    prev: Option<String>,
    next: Option<String>,
    rule: String,
    retention: u64,
}

/// The filters as typed, for the form.
#[derive(Default)]
struct Form {
    domain: String,
    direction: String,
    sender: String,
    recipient: String,
    subject: String,
    header: String,
    text: String,
    since: String,
    until: String,
}

/// `?...&page=` of the page: the API's filters and a page number.
#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    #[serde(flatten)]
    pub filters: ArchiveParams,
    pub page: Option<String>,
}

fn text(v: &Option<String>) -> String {
    v.as_deref().unwrap_or_default().trim().to_owned()
}

/// The query string of the filters given (without paging).
fn filters(f: &Form) -> String {
    [
        ("domain", &f.domain),
        ("direction", &f.direction),
        ("sender", &f.sender),
        ("recipient", &f.recipient),
        ("subject", &f.subject),
        ("header", &f.header),
        ("text", &f.text),
        ("since", &f.since),
        ("until", &f.until),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", encode(v)))
    .collect::<Vec<_>>()
    .join("&")
}

/// `/archive`.
pub async fn page(State(st): State<Shared>, v: Viewer, Query(q): Query<PageQuery>) -> Response {
    if let Err(r) = v.require(&Action::Settings) {
        return r;
    }
    let p = &q.filters.filter;
    let f = Form {
        domain: text(&p.domain),
        direction: text(&p.direction),
        sender: text(&p.sender),
        recipient: text(&p.recipient),
        subject: text(&p.subject),
        header: text(&p.header),
        text: text(&p.text),
        since: text(&p.since),
        until: text(&p.until),
    };
    let per = per_page(st.dir.settings().get(defs::ADMIN_ITEMS_PER_PAGE)) as u64;
    let page = q
        .page
        .as_deref()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let here = filters(&f);
    let link = |n: u64| format!("/archive?{here}&page={n}");
    let (mut error, mut rows, mut summary) = (String::new(), Vec::new(), String::new());
    let (mut prev, mut next) = (None, None);
    match Search::parse(p) {
        Err(e) => error = e.error,
        Ok(s) => match search(&st, &s, per, (page - 1) * per).await {
            Err(e) => return internal(e.error),
            Ok((total, found, cut)) => {
                let shown = found.len() as u64;
                rows = found.into_iter().map(view).collect();
                prev = (page > 1).then(|| link(page - 1));
                summary = match total {
                    Some(n) => {
                        next = ((page * per) < n).then(|| link(page + 1));
                        format!("{n} matching messages; page {page}.")
                    }
                    None => {
                        next = (shown == per).then(|| link(page + 1));
                        let mut t = format!("{shown} shown on page {page}.");
                        if cut {
                            t.push_str(" The text search stopped after reading 2000 messages: narrow the other filters to search further back.");
                        }
                        t
                    }
                };
            }
        },
    }
    let settings = st.dir.settings();
    html(&ArchivePage {
        chrome: v.chrome("archive"),
        export: format!("/api/v1/archive/export?{here}"),
        f,
        error,
        rows,
        summary,
        prev,
        next,
        rule: settings.get(defs::ARCHIVE_RULE),
        retention: settings.get(defs::ARCHIVE_RETENTION_DAYS),
    })
}
