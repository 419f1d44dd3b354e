//! The listeners (BIND-1/2) as structured entries: a view of the `bind.listeners` setting,
//! and replacing it with a validated list. The running server re-binds on the change.
//!
//! Invariants: every entry is checked before anything is stored, a failure naming the entry
//! and its field (`listeners[2].address`); the stored value is the canonical
//! `PROTOCOL ENCRYPTION ADDRESS:PORT[ cert=PATH key=PATH][ name=WORD][ description="TEXT"]` list and goes through the
//! settings' own validation, exactly as a `PUT /api/v1/settings/bind.listeners` would.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use heron_settings::Settings;
use heron_settings::defs::BIND_LISTENERS;
use heron_settings::values::{Encryption, ListenerSpec, Protocol, parse_listeners};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// One listener.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq, Eq)]
pub struct ListenerView {
    /// smtp, submission, pop3 or imap.
    pub protocol: String,
    /// none, starttls or tls (TLS from the first byte).
    pub encryption: String,
    /// IP:PORT (`[::1]:PORT` for IPv6).
    pub address: String,
    /// Certificate chain (PEM file) for this listener; with `key`, else the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    /// Private key (PEM file) matching `cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A short name (one word), for people (BIND-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the listener is for (no commas or quotes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Most connections this listener holds at once (PROTO-8), besides its protocol's total;
    /// absent or 0: only the protocol's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
}

/// An entry that failed validation: which field of which entry, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct EntryError {
    pub field: String,
    pub error: String,
}

impl IntoResponse for EntryError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.error,
            field: Some(self.field),
        };
        (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
    }
}

fn encryption_name(e: Encryption) -> &'static str {
    match e {
        Encryption::None => "none",
        Encryption::StartTls => "starttls",
        Encryption::Implicit => "tls",
    }
}

fn view(l: &ListenerSpec) -> ListenerView {
    ListenerView {
        protocol: l.protocol.as_str().to_owned(),
        encryption: encryption_name(l.encryption).to_owned(),
        address: l.addr.to_string(),
        cert: l.cert.as_ref().map(|c| c.0.clone()),
        key: l.cert.as_ref().map(|c| c.1.clone()),
        name: l.name.clone(),
        description: l.description.clone(),
        max: l.max,
    }
}

/// The listeners in force.
pub fn listeners(settings: &Settings) -> Vec<ListenerView> {
    let raw = settings.raw(BIND_LISTENERS.name).unwrap_or_default();
    match parse_listeners(&raw) {
        Ok(l) => l.iter().map(view).collect(),
        Err(e) => {
            tracing::error!(target: "events", "bind.listeners unreadable: {e}");
            Vec::new()
        }
    }
}

/// A path for `cert=`/`key=`: one word without list separators.
fn path_ok(p: &str) -> bool {
    !p.is_empty() && !p.contains(|c: char| c.is_whitespace() || c == ',' || c.is_control())
}

/// Check every entry and give the canonical setting value.
pub fn canonical(entries: &[ListenerView]) -> Result<String, EntryError> {
    let fail = |i: usize, field: &str, error: String| EntryError {
        field: format!("listeners[{i}].{field}"),
        error,
    };
    if entries.is_empty() {
        return Err(EntryError {
            field: "listeners".into(),
            error: "give at least one listener".into(),
        });
    }
    let mut seen: Vec<SocketAddr> = Vec::new();
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let protocol = Protocol::parse(e.protocol.trim())
            .filter(|p| p.is_served())
            .ok_or_else(|| {
                fail(
                    i,
                    "protocol",
                    "protocol is smtp, submission, pop3 or imap".into(),
                )
            })?;
        let encryption = match e.encryption.trim().to_ascii_lowercase().as_str() {
            "none" => Encryption::None,
            "starttls" => Encryption::StartTls,
            "tls" => Encryption::Implicit,
            _ => {
                let msg = "encryption is none, starttls or tls".into();
                return Err(fail(i, "encryption", msg));
            }
        };
        let addr: SocketAddr = e.address.trim().parse().map_err(|_| {
            let msg = format!("{:?} is not IP:PORT (use [::1]:PORT for IPv6)", e.address);
            fail(i, "address", msg)
        })?;
        if addr.port() == 0 {
            return Err(fail(i, "address", "give a port (1-65535)".into()));
        }
        if let Some(j) = seen.iter().position(|a| *a == addr) {
            let msg = format!("{addr} is already used by listeners[{j}]");
            return Err(fail(i, "address", msg));
        }
        seen.push(addr);
        let mut entry = format!(
            "{} {} {addr}",
            protocol.as_str(),
            encryption_name(encryption)
        );
        match (&e.cert, &e.key) {
            (None, None) => {}
            (Some(c), Some(k)) => {
                if !path_ok(c) {
                    return Err(fail(
                        i,
                        "cert",
                        "cert is a file path without spaces or commas".into(),
                    ));
                }
                if !path_ok(k) {
                    return Err(fail(
                        i,
                        "key",
                        "key is a file path without spaces or commas".into(),
                    ));
                }
                entry.push_str(&format!(" cert={c} key={k}"));
            }
            (Some(_), None) => return Err(fail(i, "key", "cert and key go together".into())),
            (None, Some(_)) => return Err(fail(i, "cert", "cert and key go together".into())),
        }
        let label = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        if let Some(n) = label(&e.name) {
            if n.contains(|c: char| c.is_whitespace() || c.is_control() || c == '"' || c == ',')
                || n.len() > 200
            {
                return Err(fail(
                    i,
                    "name",
                    "a name is one word without commas or quotes".into(),
                ));
            }
            entry.push_str(&format!(" name={n}"));
        }
        if let Some(d) = label(&e.description) {
            if d.contains(|c: char| c.is_control() || c == '"' || c == ',') || d.len() > 200 {
                return Err(fail(
                    i,
                    "description",
                    "a description has no commas or quotes (200 characters at most)".into(),
                ));
            }
            entry.push_str(&format!(" description=\"{d}\""));
        }
        if let Some(m) = e.max.filter(|m| *m > 0) {
            entry.push_str(&format!(" max={m}"));
        }
        out.push(entry);
    }
    Ok(out.join(", "))
}

/// The listeners in force.
#[utoipa::path(operation_id = "listeners_list", get, path = "/api/v1/listeners", tag = "listeners",
    responses((status = 200, description = "OK", body = Vec<ListenerView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn list(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<Vec<ListenerView>>> {
    caller.allow(Action::Settings)?;
    Ok(Json(listeners(st.dir.settings())))
}

/// Replace every listener; the server re-binds at once.
#[utoipa::path(operation_id = "listeners_put", put, path = "/api/v1/listeners", tag = "listeners", request_body = Vec<ListenerView>,
    responses((status = 200, description = "Stored; the listeners as they now are", body = Vec<ListenerView>), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 422, description = "Invalid entry (field `listeners[i].protocol`, `.encryption`, `.address`, `.cert` or `.key`)", body = ErrorBody)))]
pub async fn put(
    State(st): State<Shared>,
    caller: Caller,
    Body(entries): Body<Vec<ListenerView>>,
) -> Result<Json<Vec<ListenerView>>, Response> {
    caller
        .allow(Action::Settings)
        .map_err(IntoResponse::into_response)?;
    let value = canonical(&entries).map_err(IntoResponse::into_response)?;
    let s = st.dir.settings();
    let stored = s
        .set(BIND_LISTENERS.name, &value)
        .await
        .map_err(|e| ApiError::from(e).with_field("listeners").into_response())?;
    caller.event(format!("set {} = {stored:?}", BIND_LISTENERS.name));
    Ok(Json(listeners(s)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn l(p: &str, e: &str, a: &str) -> ListenerView {
        ListenerView {
            protocol: p.into(),
            encryption: e.into(),
            address: a.into(),
            cert: None,
            key: None,
            name: None,
            description: None,
            max: None,
        }
    }

    #[test]
    fn canonical_form_round_trips() {
        let mut tls = l("IMAP", "TLS", "[::1]:993");
        tls.cert = Some("/etc/c.pem".into());
        tls.key = Some("/etc/k.pem".into());
        let v = canonical(&[l("pop3", "starttls", "127.0.0.1:110"), tls]).unwrap();
        assert_eq!(
            v,
            "pop3 starttls 127.0.0.1:110, imap tls [::1]:993 cert=/etc/c.pem key=/etc/k.pem"
        );
        let parsed = parse_listeners(&v).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(view(&parsed[1]).cert.as_deref(), Some("/etc/c.pem"));
        assert!(heron_settings::validate("bind.listeners", &v).is_ok());
    }

    #[test]
    fn errors_name_the_entry_and_field() {
        let f = |e: &[ListenerView]| canonical(e).err().map(|e| e.field);
        let ok = l("smtp", "none", "127.0.0.1:25");
        assert_eq!(f(&[]), Some("listeners".into()));
        assert_eq!(
            f(&[ok.clone(), l("gopher", "none", "1.2.3.4:70")]),
            Some("listeners[1].protocol".into())
        );
        assert_eq!(
            f(&[l("smtp", "ssl3", "127.0.0.1:25")]),
            Some("listeners[0].encryption".into())
        );
        assert_eq!(
            f(&[ok.clone(), l("pop3", "none", "nowhere")]),
            Some("listeners[1].address".into())
        );
        assert_eq!(
            f(&[l("pop3", "none", "127.0.0.1:0")]),
            Some("listeners[0].address".into())
        );
        assert_eq!(
            f(&[ok.clone(), l("pop3", "none", "127.0.0.1:25")]),
            Some("listeners[1].address".into())
        );
        let mut half = ok.clone();
        half.cert = Some("/c.pem".into());
        assert_eq!(f(&[half.clone()]), Some("listeners[0].key".into()));
        half.key = Some("/k 2.pem".into());
        assert_eq!(f(&[half]), Some("listeners[0].key".into()));
        let mut named = ok.clone();
        named.name = Some("in bound".into());
        assert_eq!(f(&[named.clone()]), Some("listeners[0].name".into()));
        named.name = Some("mx".into());
        named.description = Some("a, b".into());
        assert_eq!(f(&[named.clone()]), Some("listeners[0].description".into()));
        named.description = Some("Inbound mail".into());
        let v = canonical(&[named]).unwrap();
        assert_eq!(
            v,
            r#"smtp none 127.0.0.1:25 name=mx description="Inbound mail""#
        );
        assert_eq!(
            view(&parse_listeners(&v).unwrap()[0])
                .description
                .as_deref(),
            Some("Inbound mail")
        );
    }
}
