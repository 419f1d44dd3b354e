//! The certificates the TLS listeners of this node present now (read-only): the default one
//! (obtained by ACME, configured in `tls.cert`, or self-signed) and each listener's own, with
//! the names they are valid for, their issuer and their end of validity.
//!
//! Invariant: the list is this node's; on a cluster each node answers for its listeners.

use axum::Json;
use axum::extract::State;
use heron_net::certinfo::CertInUse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiResult, ErrorBody};

/// A certificate in use.
#[derive(Serialize, ToSchema)]
pub struct CertificateView {
    /// `default` (every TLS listener without its own pair) or the listener
    /// (`PROTOCOL ENCRYPTION ADDRESS:PORT`).
    pub used_by: String,
    /// Where it came from: `acme`, `configured` (`tls.cert`), `self-signed` or `listener`.
    pub source: String,
    /// The certificate file on this node.
    pub file: String,
    /// DNS names and addresses it is valid for (subject alternative names).
    pub names: Vec<String>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    /// Serial number, lower-case hex.
    pub serial: Option<String>,
    /// Unix seconds.
    pub not_before: Option<i64>,
    /// Unix seconds.
    pub not_after: Option<i64>,
    /// Why the file could not be read, if it could not.
    pub error: Option<String>,
}

/// The view of one certificate in use.
pub fn view(c: CertInUse) -> CertificateView {
    let (d, error) = match c.description {
        Ok(d) => (Some(d), None),
        Err(e) => (None, Some(e)),
    };
    CertificateView {
        used_by: c.used_by,
        source: c.source.as_str().to_owned(),
        file: c.file.display().to_string(),
        names: d.as_ref().map(|d| d.names.clone()).unwrap_or_default(),
        subject: d.as_ref().map(|d| d.subject.clone()),
        issuer: d.as_ref().map(|d| d.issuer.clone()),
        serial: d.as_ref().map(|d| d.serial.clone()),
        not_before: d.as_ref().map(|d| d.not_before),
        not_after: d.as_ref().map(|d| d.not_after),
        error,
    }
}

/// The certificates this node's TLS listeners present.
#[utoipa::path(operation_id = "certificates_list", get, path = "/api/v1/certificates", tag = "settings",
    responses((status = 200, description = "OK", body = Vec<CertificateView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Vec<CertificateView>>> {
    caller.allow(Action::Settings)?;
    let all = (st.runtime.certificates)();
    Ok(Json(all.into_iter().map(view).collect()))
}
