//! TLS certificates: which are in use (the default pair of `tls.cert`/`tls.key` or the
//! self-signed one, and each listener's own `cert=`/`key=`), with their names, issuer and
//! end of validity; and a pair given as PEM text, kept in the data directory and put to use.
//!
//! Invariants:
//! - An upload changes nothing unless the chain and key load and belong together
//!   ([`heron_net::tls_upload::check`]); the answer is then 400 naming `cert` or `key`.
//! - The key is written mode 0600 under `tls/uploaded/` before any setting names it.
//! - The default pair is switched without a moment where a mismatched pair is configured:
//!   `tls.cert` is emptied first (half a pair keeps the pair in use), then `tls.key`, then
//!   `tls.cert` are set. A listener's pair is one change of `bind.listeners`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::State;
use heron_settings::defs::{BIND_LISTENERS, TLS_CERT, TLS_KEY};
use heron_settings::values::{Encryption, parse_listeners};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::routes::listeners::{ListenerView, canonical, listeners};

/// One certificate in use.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct CertificateView {
    /// What presents it: `default` (the admin listener's HTTPS and every TLS listener
    /// without its own pair), or listeners as `PROTOCOL ENCRYPTION ADDRESS`.
    pub used_by: Vec<String>,
    /// `self-signed` (made by the server), `settings` (`tls.cert`/`tls.key`), `acme` (obtained
    /// from `acme.directory`) or `listener`.
    pub source: String,
    /// The certificate chain's file.
    pub cert: String,
    /// The private key's file.
    pub key: String,
    /// Subject alternative names (else the subject's common name).
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub issuer: String,
    /// RFC 3339.
    #[serde(default)]
    pub not_before: String,
    /// RFC 3339.
    #[serde(default)]
    pub not_after: String,
    /// Issued by its own subject: clients do not trust it unless told to.
    #[serde(default)]
    pub self_issued: bool,
    /// Why the file could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A certificate chain and key to use.
#[derive(Deserialize, ToSchema, Debug)]
pub struct CertificateUpload {
    /// PEM certificate chain, the server's certificate first.
    pub cert: String,
    /// PEM private key of that certificate.
    pub key: String,
    /// The `ADDRESS` (IP:PORT) of the TLS or STARTTLS listener to give it to; absent: the
    /// default pair (`tls.cert`/`tls.key`).
    #[serde(default)]
    pub listener: Option<String>,
}

fn rfc3339(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The facts of the pair `(cert, key)`.
fn view(cert: &Path, key: &Path, source: &str, used_by: Vec<String>) -> CertificateView {
    let mut v = CertificateView {
        used_by,
        source: source.to_owned(),
        cert: cert.display().to_string(),
        key: key.display().to_string(),
        names: Vec::new(),
        subject: String::new(),
        issuer: String::new(),
        not_before: String::new(),
        not_after: String::new(),
        self_issued: false,
        error: None,
    };
    match heron_net::certinfo::describe(cert) {
        Ok(i) => {
            v.names = i.names;
            v.subject = i.subject;
            v.issuer = i.issuer;
            v.not_before = rfc3339(i.not_before);
            v.not_after = rfc3339(i.not_after);
            v.self_issued = i.self_issued;
        }
        Err(e) => v.error = Some(e.to_string()),
    }
    v
}

/// The default pair in use and where it comes from.
fn default_pair(st: &Shared) -> ((PathBuf, PathBuf), &'static str) {
    let self_signed = match &st.runtime.tls {
        Some(t) => t.self_signed_pair().clone(),
        None => heron_net::tls::self_signed_paths(&st.runtime.data_dir),
    };
    let in_use = st.runtime.tls.as_ref().and_then(|t| t.default_pair());
    let pair = in_use.unwrap_or_else(|| {
        let s = st.dir.settings();
        let (c, k) = (s.get(TLS_CERT), s.get(TLS_KEY));
        if c.is_empty() || k.is_empty() {
            self_signed.clone()
        } else {
            (c.into(), k.into())
        }
    });
    let acme_dir = st.runtime.data_dir.join("tls").join("acme");
    let source = if pair == self_signed {
        "self-signed"
    } else if pair.0.starts_with(&acme_dir) {
        // Obtained by ACME (`acme.directory`) and kept in the data directory.
        "acme"
    } else {
        "settings"
    };
    (pair, source)
}

/// Every certificate in use: the default first, then each listener's own pair.
pub fn in_use(st: &Shared) -> Vec<CertificateView> {
    let (pair, source) = default_pair(st);
    let raw = st
        .dir
        .settings()
        .raw(BIND_LISTENERS.name)
        .unwrap_or_default();
    let mut default_users = vec!["default".to_owned()];
    let mut own: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for l in parse_listeners(&raw).unwrap_or_default() {
        if l.encryption == Encryption::None {
            continue;
        }
        let name = format!(
            "{} {} {}",
            l.protocol.as_str(),
            match l.encryption {
                Encryption::StartTls => "starttls",
                _ => "tls",
            },
            l.addr
        );
        match l.cert {
            Some(p) => own.entry(p).or_default().push(name),
            None => default_users.push(name),
        }
    }
    let mut out = vec![view(&pair.0, &pair.1, source, default_users)];
    for ((c, k), users) in own {
        out.push(view(Path::new(&c), Path::new(&k), "listener", users));
    }
    out
}

/// Listeners' own certificates (the default one is the server's own report) that have
/// expired or expire within 14 days, in words.
pub fn listener_problems(st: &Shared) -> Vec<String> {
    const WARN: std::time::Duration = std::time::Duration::from_secs(14 * 86_400);
    let now = std::time::SystemTime::now();
    in_use(st)
        .into_iter()
        .filter(|c| c.source == "listener")
        .filter_map(|c| {
            let until = heron_net::certinfo::describe(Path::new(&c.cert)).ok()?.not_after;
            let users = c.used_by.join(", ");
            match until.duration_since(now) {
                Err(_) => Some(format!(
                    "the TLS certificate {} of {users} has expired; clients that check it refuse to connect",
                    c.cert
                )),
                Ok(left) if left < WARN => Some(format!(
                    "the TLS certificate {} of {users} expires in {} days",
                    c.cert,
                    left.as_secs() / 86_400
                )),
                Ok(_) => None,
            }
        })
        .collect()
}

/// The certificates in use.
#[utoipa::path(operation_id = "certificates_list", get, path = "/api/v1/certificates", tag = "certificates",
    responses((status = 200, description = "OK: the default pair first", body = Vec<CertificateView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Vec<CertificateView>>> {
    caller.allow(Action::Settings)?;
    Ok(Json(in_use(&st)))
}

/// Use a certificate chain and key given as PEM, for one listener or as the default.
#[utoipa::path(operation_id = "certificates_upload", post, path = "/api/v1/certificates", tag = "certificates", request_body = CertificateUpload,
    responses((status = 200, description = "Stored and in use; the certificate as stored", body = CertificateView),
        (status = 400, description = "Malformed request, or a chain and key that do not load or do not match (field `cert` or `key`)", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 422, description = "No TLS listener at that address (field `listener`)", body = ErrorBody)))]
pub async fn upload(
    State(st): State<Shared>,
    caller: Caller,
    Body(req): Body<CertificateUpload>,
) -> ApiResult<Json<CertificateView>> {
    caller.allow(Action::Settings)?;
    let s = st.dir.settings();
    // The listeners as they would be, checked before anything is written.
    let mut entries = listeners(s);
    let target = match req.listener.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(addr) => Some(
            entries
                .iter()
                .position(|l| l.address == addr && l.encryption != "none")
                .ok_or_else(|| {
                    ApiError::invalid("listener", format!("no TLS or STARTTLS listener at {addr}"))
                })?,
        ),
    };
    if let Err(e) = heron_net::tls_upload::check(&req.cert, &req.key) {
        let msg = e.to_string();
        let msg = msg.strip_prefix("TLS: ").unwrap_or(&msg).to_owned();
        let field = if msg.contains("private key") {
            "key"
        } else {
            "cert"
        };
        let mut refused = ApiError::bad_request(msg);
        refused.field = Some(field);
        return Err(refused);
    }
    let stored = heron_net::tls_upload::store(&st.runtime.data_dir, &req.cert, &req.key)
        .map_err(ApiError::internal)?;
    let (cert, key) = (
        stored.cert.display().to_string(),
        stored.key.display().to_string(),
    );
    let used_by = match target {
        Some(i) => {
            let e: &mut ListenerView = &mut entries[i];
            e.cert = Some(cert.clone());
            e.key = Some(key.clone());
            let used = format!("{} {} {}", e.protocol, e.encryption, e.address);
            let value = canonical(&entries).map_err(|e| ApiError::bad_request(e.error))?;
            s.set(BIND_LISTENERS.name, &value).await?;
            caller.event(format!("certificate {cert} for the listener {used}"));
            vec![used]
        }
        None => {
            s.set(TLS_CERT.name, "").await?;
            s.set(TLS_KEY.name, &key).await?;
            s.set(TLS_CERT.name, &cert).await?;
            caller.event(format!("default certificate {cert} (tls.cert, tls.key)"));
            vec!["default".to_owned()]
        }
    };
    let source = if target.is_some() {
        "listener"
    } else {
        "settings"
    };
    Ok(Json(view(&stored.cert, &stored.key, source, used_by)))
}
