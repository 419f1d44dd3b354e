//! `/domain-defaults` (DOM-12): the limits and switch a new domain gets, in one form saved
//! through `PUT /api/v1/domain-defaults` (each field can go back to its built-in default
//! through `DELETE /api/v1/settings/{key}`), and below it the
//! form that pushes ticked fields to every existing domain through
//! `POST /api/v1/domain-defaults/propagate`.
//!
//! Invariants: the page shows the fields of [`DefaultField`] in its order, so the page, the
//! settings and the API name the same seven fields; only a role allowed to propagate sees it.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use heron_directory::DefaultField;
use heron_settings::defs;

use crate::auth::Shared;
use crate::authz::Action;
use crate::ui::page::{Chrome, Viewer, html, internal};

/// One default as shown.
pub struct DefaultRow {
    /// The setting key, `domain_defaults.FIELD`.
    pub key: &'static str,
    /// The field's API name.
    pub field: &'static str,
    pub label: &'static str,
    pub value: String,
    pub default: String,
    pub set: bool,
    pub doc: &'static str,
    pub is_bool: bool,
    /// The built-in default as a person reads it (`on`/`off` for the switch).
    pub default_shown: String,
}

/// How the page names a field.
fn label(f: DefaultField) -> &'static str {
    match f {
        DefaultField::DiskMb => "Disk space, MB",
        DefaultField::MaxUsers => "Users",
        DefaultField::MaxAliases => "Aliases",
        DefaultField::MaxDomainAliases => "Domain aliases",
        DefaultField::MaxMessageKb => "Message size users may send, KB",
        DefaultField::MaxRecipients => "Recipients per message",
        DefaultField::MaxPopAccounts => "POP-retrieval accounts per user",
        DefaultField::RequireSmtpAuth => "Require SMTP AUTH",
    }
}

#[derive(Template)]
#[template(path = "domain_defaults.html")]
struct DefaultsPage {
    chrome: Chrome,
    rows: Vec<DefaultRow>,
    domains: usize,
    /// "1 domain", "3 domains".
    domains_text: String,
}

/// `/domain-defaults`.
pub async fn page(State(st): State<Shared>, v: Viewer) -> Response {
    if let Err(r) = v.require(&Action::PropagateDomainDefaults) {
        return r;
    }
    let s = st.dir.settings();
    let rows = DefaultField::ALL
        .into_iter()
        .map(|f| {
            let key = f.setting_key();
            let def = defs::find(key);
            let default = s
                .default_of(key)
                .or_else(|| def.map(|d| d.default.to_owned()))
                .unwrap_or_default();
            let is_bool = f == DefaultField::RequireSmtpAuth;
            DefaultRow {
                default_shown: match (is_bool, default.as_str()) {
                    (true, "true") => "on".to_owned(),
                    (true, _) => "off".to_owned(),
                    (false, d) => d.to_owned(),
                },
                key,
                field: f.as_str(),
                label: label(f),
                value: s.raw(key).unwrap_or_default(),
                default,
                set: s.is_set(key),
                doc: def.map_or("", |d| d.doc.trim()),
                is_bool,
            }
        })
        .collect();
    let domains = match st.dir.list_domains().await {
        Ok(d) => d.len(),
        Err(e) => return internal(e),
    };
    html(&DefaultsPage {
        chrome: v.chrome("domain-defaults"),
        rows,
        domains_text: crate::ui::format::count(domains as u64, "domain", "domains"),
        domains,
    })
}
