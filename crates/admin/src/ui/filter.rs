//! The spam filter page (FILTER-1..6): links to the filter's settings groups and the "test a
//! message" form, sent through `POST /api/v1/filter/test`; the answer is shown as a table
//! of the checks that fired.

use askama::Template;
use axum::response::Response;

use crate::authz::Action;
use crate::ui::page::{Chrome, Viewer, html};

/// The settings groups of the filter, with their headings.
const GROUPS: &[(&str, &str)] = &[
    ("filter", "Checks, weights, levels and actions"),
    ("spamassassin", "SpamAssassin"),
    ("antivirus", "Anti-virus"),
    ("bayes", "Bayesian filtering"),
    ("dmarc", "DMARC reports"),
];

#[derive(Template)]
#[template(path = "filter.html")]
struct FilterPage {
    chrome: Chrome,
    /// The groups that exist in this build: (key, heading).
    groups: Vec<(&'static str, &'static str)>,
}

/// `/filter`.
pub async fn filter_page(v: Viewer) -> Response {
    if let Err(r) = v.require(&Action::Settings) {
        return r;
    }
    let known = crate::ui::settings::groups();
    html(&FilterPage {
        chrome: v.chrome("filter"),
        groups: GROUPS
            .iter()
            .filter(|(g, _)| known.iter().any(|(k, _)| k == g))
            .copied()
            .collect(),
    })
}
