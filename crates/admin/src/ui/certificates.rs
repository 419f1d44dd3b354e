//! `/certificates`: the certificates this node's TLS listeners present (read-only), with
//! their names, issuer and end of validity, and how the ACME settings stand.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use heron_settings::defs;

use crate::auth::Shared;
use crate::authz::Action;
use crate::routes::certificates::{CertificateView, view};
use crate::ui::page::{Chrome, Viewer, html};

/// A certificate as the page shows it.
pub struct CertRow {
    pub cert: CertificateView,
    /// The end of validity as a UTC date and time, or `–`.
    pub not_after: String,
    /// Expired, or expires within 14 days.
    pub expiring: bool,
}

#[derive(Template)]
#[template(path = "certificates.html")]
struct Certificates {
    chrome: Chrome,
    rows: Vec<CertRow>,
    acme_directory: String,
    acme_challenge: String,
}

/// `/certificates`.
pub async fn page(State(st): State<Shared>, v: Viewer) -> Response {
    if let Err(r) = v.require(&Action::Settings) {
        return r;
    }
    let now = chrono::Utc::now().timestamp();
    let rows = (st.runtime.certificates)()
        .into_iter()
        .map(view)
        .map(|cert| CertRow {
            not_after: cert
                .not_after
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map_or_else(
                    || "–".to_owned(),
                    |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
                ),
            expiring: cert.not_after.is_some_and(|t| t - now < 14 * 86_400),
            cert,
        })
        .collect();
    let settings = st.dir.settings();
    html(&Certificates {
        chrome: v.chrome("certificates"),
        rows,
        acme_directory: settings.get(defs::ACME_DIRECTORY),
        acme_challenge: settings.get(defs::ACME_CHALLENGE),
    })
}
