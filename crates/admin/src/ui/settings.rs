//! Settings pages: one tab per group of keys (`pop`, `smtp_in`, ...), one form per setting,
//! each saved through `PUT /api/v1/settings/{key}`, so the API's validation speaks.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use heron_settings::Kind;
use heron_settings::defs::DEFS;

use crate::auth::Shared;
use crate::authz::Action;
use crate::ui::page::{Chrome, Viewer, html, not_found};

/// One setting as shown.
pub struct SettingRow {
    pub key: &'static str,
    pub value: String,
    pub default: String,
    pub set: bool,
    pub doc: &'static str,
    pub kind: &'static str,
    pub choices: &'static [&'static str],
}

/// Heading of a group of keys.
fn label(group: &str) -> String {
    let known = match group {
        "server" => "Server",
        "bind" => "Bindings",
        "tls" => "TLS",
        "pop" => "POP3",
        "imap" => "IMAP",
        "smtp_in" => "SMTP in",
        "smtp_out" => "SMTP out",
        "spool" => "Spool",
        "route" => "Routing",
        "priority" => "Priorities",
        "security" => "Security",
        "log" => "Logs",
        "dns" => "DNS",
        "admin" => "Admin",
        "domain_defaults" => "Domain defaults",
        other => return other.to_owned(),
    };
    known.to_owned()
}

/// The groups in table order, each once: (group, heading).
pub fn groups() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for d in DEFS {
        let g = d.key.split_once('.').map_or(d.key, |x| x.0);
        if !out.iter().any(|(k, _)| *k == g) {
            out.push((g, label(g)));
        }
    }
    out
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    groups: Vec<(&'static str, String)>,
    group: String,
    group_label: String,
    rows: Vec<SettingRow>,
}

/// `/settings`: the first group.
pub async fn index(v: Viewer) -> Response {
    if let Err(r) = v.require(&Action::Settings) {
        return r;
    }
    let first = groups().first().map_or("server", |g| g.0);
    Redirect::to(&format!("/settings/{first}")).into_response()
}

/// `/settings/{group}`.
pub async fn group(State(st): State<Shared>, v: Viewer, Path(group): Path<String>) -> Response {
    if let Err(r) = v.require(&Action::Settings) {
        return r;
    }
    let s = st.dir.settings();
    let rows: Vec<SettingRow> = DEFS
        .iter()
        .filter(|d| d.key.split_once('.').is_some_and(|(g, _)| g == group))
        .map(|d| SettingRow {
            key: d.key,
            value: s.raw(d.key).unwrap_or_default(),
            default: s.default_of(d.key).unwrap_or_else(|| d.default.to_owned()),
            set: s.is_set(d.key),
            doc: d.doc.trim(),
            kind: d.kind.name(),
            choices: match d.kind {
                Kind::Choice(c) => c,
                _ => &[],
            },
        })
        .collect();
    if rows.is_empty() {
        return not_found(&v, format!("There is no settings group {group}."));
    }
    html(&SettingsPage {
        chrome: v.chrome(if group == "security" {
            "security"
        } else {
            "settings"
        }),
        groups: groups(),
        group_label: label(&group),
        group,
        rows,
    })
}
