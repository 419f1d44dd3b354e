//! Live mail sessions (SEC-7 current connections): list them, end one, or end one and
//! blacklist its peer's IP address (SEC-1).
//!
//! Invariants: the list is a snapshot of the session registry, so a session appears exactly
//! while it runs; ending a session only cancels its token (it ends after its current
//! command, an idle one at once, with the protocol's goodbye); blacklisting keeps every
//! existing `security.ip_blacklist` entry and adds the address only when no entry already
//! refuses it for every protocol, stored through the same validation as any setting.

use std::net::IpAddr;
use std::time::SystemTime;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, SecondsFormat, Utc};
use heron_net::registry::{Registry, SessionInfo};
use heron_settings::Settings;
use heron_settings::defs::SECURITY_IP_BLACKLIST;
use heron_settings::kinds::split_list;
use heron_settings::values::{IpRule, canonical};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// One live session.
#[derive(Serialize, ToSchema)]
pub struct ConnectionView {
    /// The session id that prefixes the session's log lines.
    pub id: String,
    /// As in `bind.listeners`: smtp, submission, pop3 or imap.
    pub protocol: String,
    pub peer_ip: String,
    pub peer_port: u16,
    /// The local address and port the client connected to.
    pub local: String,
    /// When the session started (RFC 3339, UTC).
    pub started: String,
    /// Seconds since the session started.
    pub seconds: u64,
    /// The logged-in user, if any.
    pub user: Option<String>,
}

/// Answer to a blacklisting.
#[derive(Serialize, ToSchema)]
pub struct BlacklistResult {
    /// The address now refused.
    pub ip: String,
    /// False when an entry already refused it for every protocol.
    pub added: bool,
}

/// A time as RFC 3339 in UTC, to the second.
pub fn rfc3339(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Unix seconds as RFC 3339 in UTC; `None` when out of range.
pub fn unix_rfc3339(secs: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp(secs, 0).map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn view(s: &SessionInfo, now: SystemTime) -> ConnectionView {
    ConnectionView {
        id: s.id.clone(),
        protocol: s.protocol.as_str().to_owned(),
        peer_ip: canonical(s.peer.ip()).to_string(),
        peer_port: s.peer.port(),
        local: s.local.to_string(),
        started: rfc3339(s.started),
        seconds: now.duration_since(s.started).map_or(0, |d| d.as_secs()),
        user: s.user(),
    }
}

/// Every live session, oldest first.
pub fn connections(registry: &Registry) -> Vec<ConnectionView> {
    let now = SystemTime::now();
    let mut all = registry.list();
    all.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.id.cmp(&b.id)));
    all.iter().map(|s| view(s, now)).collect()
}

fn find(registry: &Registry, id: &str) -> ApiResult<std::sync::Arc<SessionInfo>> {
    registry
        .list()
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no live session {id:?}")))
}

fn describe(s: &SessionInfo) -> String {
    let user = s.user().map(|u| format!(" as {u}")).unwrap_or_default();
    format!(
        "{} session {} from {}{user}",
        s.protocol.as_str(),
        s.id,
        canonical(s.peer.ip())
    )
}

/// Serialises read-modify-write edits of the blacklist within this process.
static BLACKLIST_EDIT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Add `ip` to `security.ip_blacklist` unless an entry already refuses it for every
/// protocol; existing entries are kept as they are. Returns whether it was added.
pub async fn blacklist_ip(settings: &Settings, ip: IpAddr) -> ApiResult<bool> {
    let ip = canonical(ip);
    let _edit = BLACKLIST_EDIT.lock().await;
    let current = settings.raw(SECURITY_IP_BLACKLIST.name).unwrap_or_default();
    let mut entries = split_list(&current);
    let covered = entries.iter().any(|e| {
        e.parse::<IpRule>()
            .is_ok_and(|r| r.protocols.is_empty() && r.range.contains(ip))
    });
    if covered {
        return Ok(false);
    }
    entries.push(ip.to_string());
    settings
        .set(SECURITY_IP_BLACKLIST.name, &entries.join(", "))
        .await?;
    Ok(true)
}

/// Live sessions of every mail protocol.
#[utoipa::path(operation_id = "connections_list", get, path = "/api/v1/connections", tag = "connections",
    responses((status = 200, description = "OK", body = Vec<ConnectionView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Vec<ConnectionView>>> {
    caller.allow(Action::Connections)?;
    Ok(Json(connections(&st.runtime.registry)))
}

/// End a session: it stops after its current command (at once when idle).
#[utoipa::path(operation_id = "connections_end", delete, path = "/api/v1/connections/{id}", tag = "connections",
    params(("id" = String, Path, description = "Session id")),
    responses((status = 204, description = "Ending"), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "No such session", body = ErrorBody)))]
pub async fn end(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.allow(Action::Connections)?;
    let s = find(&st.runtime.registry, &id)?;
    s.cancel.cancel();
    caller.event(format!("ended {}", describe(&s)));
    Ok(StatusCode::NO_CONTENT)
}

/// Add the session's peer address to `security.ip_blacklist` and end the session.
#[utoipa::path(operation_id = "connections_blacklist", post, path = "/api/v1/connections/{id}/blacklist", tag = "connections",
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, description = "Blacklisted and ending", body = BlacklistResult), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "No such session", body = ErrorBody)))]
pub async fn blacklist(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<BlacklistResult>> {
    caller.allow(Action::Connections)?;
    let s = find(&st.runtime.registry, &id)?;
    let ip = canonical(s.peer.ip());
    let added = blacklist_ip(st.dir.settings(), ip).await?;
    if added {
        caller.event(format!("added {ip} to security.ip_blacklist"));
    }
    s.cancel.cancel();
    caller.event(format!("ended {} (blacklisted)", describe(&s)));
    Ok(Json(BlacklistResult {
        ip: ip.to_string(),
        added,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::Arc;

    use heron_settings::values::Protocol;
    use tokio_util::sync::CancellationToken;

    use super::*;

    #[test]
    fn lists_and_ends_sessions() {
        let reg = Arc::new(Registry::default());
        let root = CancellationToken::new();
        let peer: SocketAddr = "[::ffff:127.0.0.2]:4000".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:110".parse().unwrap();
        let g = reg.register(Protocol::Pop3, peer, local, &root);
        g.info.set_user("alice@example.test");
        let list = connections(&reg);
        assert_eq!(list.len(), 1);
        let c = &list[0];
        assert_eq!(
            (c.protocol.as_str(), c.peer_ip.as_str(), c.peer_port),
            ("pop3", "127.0.0.2", 4000)
        );
        assert_eq!(c.user.as_deref(), Some("alice@example.test"));
        assert!(c.started.ends_with('Z'), "{}", c.started);
        assert!(find(&reg, &c.id).is_ok());
        assert_eq!(find(&reg, "nope").map(|_| ()).unwrap_err().status, 404);
        drop(g);
        assert!(connections(&reg).is_empty());
    }

    #[tokio::test]
    async fn blacklist_keeps_entries_and_adds_once() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn heron_store::Store> =
            Arc::new(heron_store::SqliteStore::open(dir.path()).unwrap());
        let s = Settings::load(store).await.unwrap();
        let key = SECURITY_IP_BLACKLIST.name;
        s.set(key, "10.0.0.0/8, 192.0.2.1 pop3").await.unwrap();
        let ip = |t: &str| t.parse::<IpAddr>().unwrap();
        // Refused for POP3 only is not refused: add it, keeping what is there.
        assert!(blacklist_ip(&s, ip("192.0.2.1")).await.unwrap());
        assert_eq!(s.raw(key).unwrap(), "10.0.0.0/8, 192.0.2.1 pop3, 192.0.2.1");
        assert!(!blacklist_ip(&s, ip("192.0.2.1")).await.unwrap());
        assert!(!blacklist_ip(&s, ip("::ffff:192.0.2.1")).await.unwrap());
        assert!(!blacklist_ip(&s, ip("10.9.8.7")).await.unwrap());
        assert!(blacklist_ip(&s, ip("2001:db8::1")).await.unwrap());
        assert_eq!(
            s.raw(key).unwrap(),
            "10.0.0.0/8, 192.0.2.1 pop3, 192.0.2.1, 2001:db8::1"
        );
    }

    #[test]
    fn times() {
        assert_eq!(unix_rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
    }
}
