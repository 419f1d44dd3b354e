//! The live sessions of this process (SEC-7 current connections, ACCESS-3 online users):
//! who is connected to what, since when, as which user, and a handle to end each session.
//!
//! Invariant: a session is listed exactly while its [`SessionGuard`] lives, so counts used
//! for max-connection limits never drift; [`Registry::admit`] checks the limits and lists
//! the session under one lock, so two connections accepted at once cannot both take the
//! last slot.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use heron_settings::values::Protocol;
use tokio_util::sync::CancellationToken;

/// One live session.
#[derive(Debug)]
pub struct SessionInfo {
    /// Short random id that prefixes every log line of the session.
    pub id: String,
    pub protocol: Protocol,
    pub peer: SocketAddr,
    pub local: SocketAddr,
    pub started: SystemTime,
    user: Mutex<Option<String>>,
    /// Cancelled when the session must end (admin action or shutdown).
    pub cancel: CancellationToken,
}

impl SessionInfo {
    /// The logged-in user, if any.
    pub fn user(&self) -> Option<String> {
        self.user.lock().ok().and_then(|u| u.clone())
    }
    /// Record the logged-in user.
    pub fn set_user(&self, user: &str) {
        if let Ok(mut u) = self.user.lock() {
            *u = Some(user.to_owned());
        }
    }
}

/// All live sessions.
#[derive(Debug, Default)]
pub struct Registry {
    sessions: Mutex<Sessions>,
}

/// The sessions and their counts, kept together under one lock.
#[derive(Debug, Default)]
struct Sessions {
    by_id: HashMap<String, Arc<SessionInfo>>,
    /// Live sessions per protocol, for the max-connections limit.
    per_protocol: HashMap<Protocol, usize>,
    /// Live sessions per protocol and client IP, for the per-IP limit.
    per_ip: HashMap<(Protocol, IpAddr), usize>,
}

impl Sessions {
    fn insert(&mut self, info: Arc<SessionInfo>) {
        *self.per_protocol.entry(info.protocol).or_default() += 1;
        *self
            .per_ip
            .entry((info.protocol, ip_of(&info)))
            .or_default() += 1;
        self.by_id.insert(info.id.clone(), info);
    }

    fn remove(&mut self, id: &str) {
        let Some(info) = self.by_id.remove(id) else {
            return;
        };
        decrement(&mut self.per_protocol, info.protocol);
        decrement(&mut self.per_ip, (info.protocol, ip_of(&info)));
    }
}

fn decrement<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: K) {
    if let Some(n) = counts.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(&key);
        }
    }
}

fn ip_of(info: &SessionInfo) -> IpAddr {
    heron_settings::values::canonical(info.peer.ip())
}

/// The connection limits a new session must fit in; 0 = unlimited.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Sessions of the protocol in all.
    pub total: u64,
    /// Sessions of the protocol from one IP.
    pub per_ip: u64,
}

/// Which limit refused a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Full {
    /// The protocol's total.
    Total,
    /// The client IP's share.
    PerIp,
}

/// Keeps a session listed; dropping it removes the session.
#[derive(Debug)]
pub struct SessionGuard {
    registry: Arc<Registry>,
    pub info: Arc<SessionInfo>,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if let Ok(mut m) = self.registry.sessions.lock() {
            m.remove(&self.info.id);
        }
    }
}

/// A new random session id: 12 hex digits.
pub fn new_session_id() -> String {
    format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff)
}

impl Registry {
    /// List a new session if it fits in `limits`; `parent` is cancelled on shutdown.
    pub fn admit(
        self: &Arc<Self>,
        protocol: Protocol,
        peer: SocketAddr,
        local: SocketAddr,
        parent: &CancellationToken,
        limits: Limits,
    ) -> Result<SessionGuard, Full> {
        let ip = heron_settings::values::canonical(peer.ip());
        let mut m = self.sessions.lock().map_err(|_| Full::Total)?;
        let total = m.per_protocol.get(&protocol).copied().unwrap_or(0) as u64;
        if limits.total != 0 && total >= limits.total {
            return Err(Full::Total);
        }
        let from_ip = m.per_ip.get(&(protocol, ip)).copied().unwrap_or(0) as u64;
        if limits.per_ip != 0 && from_ip >= limits.per_ip {
            return Err(Full::PerIp);
        }
        let info = Self::new_info(protocol, peer, local, parent);
        m.insert(info.clone());
        Ok(SessionGuard {
            registry: self.clone(),
            info,
        })
    }

    /// List a new session without limits; `parent` is cancelled on shutdown.
    pub fn register(
        self: &Arc<Self>,
        protocol: Protocol,
        peer: SocketAddr,
        local: SocketAddr,
        parent: &CancellationToken,
    ) -> SessionGuard {
        let info = Self::new_info(protocol, peer, local, parent);
        if let Ok(mut m) = self.sessions.lock() {
            m.insert(info.clone());
        }
        SessionGuard {
            registry: self.clone(),
            info,
        }
    }

    fn new_info(
        protocol: Protocol,
        peer: SocketAddr,
        local: SocketAddr,
        parent: &CancellationToken,
    ) -> Arc<SessionInfo> {
        Arc::new(SessionInfo {
            id: new_session_id(),
            protocol,
            peer,
            local,
            started: SystemTime::now(),
            user: Mutex::new(None),
            cancel: parent.child_token(),
        })
    }

    /// Sessions of one protocol (submission and SMTP are counted apart: each has its limit).
    pub fn count(&self, protocol: Protocol) -> usize {
        self.sessions
            .lock()
            .map(|m| m.per_protocol.get(&protocol).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Snapshot of every live session.
    pub fn list(&self) -> Vec<Arc<SessionInfo>> {
        self.sessions
            .lock()
            .map(|m| m.by_id.values().cloned().collect())
            .unwrap_or_default()
    }

    /// End a session by id; false if it is gone.
    pub fn end(&self, id: &str) -> bool {
        let s = self
            .sessions
            .lock()
            .ok()
            .and_then(|m| m.by_id.get(id).cloned());
        s.map(|s| s.cancel.cancel()).is_some()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn addr(ip: [u8; 4], port: u16) -> SocketAddr {
        SocketAddr::from((ip, port))
    }

    #[test]
    fn limits_count_per_protocol_and_per_ip_and_release_on_drop() {
        let r = Arc::new(Registry::default());
        let stop = CancellationToken::new();
        let local = addr([127, 0, 0, 1], 25);
        let limits = Limits {
            total: 3,
            per_ip: 2,
        };
        let a = [127, 0, 0, 2];
        let g1 = r
            .admit(Protocol::Smtp, addr(a, 1), local, &stop, limits)
            .unwrap();
        let _g2 = r
            .admit(Protocol::Smtp, addr(a, 2), local, &stop, limits)
            .unwrap();
        let third = r.admit(Protocol::Smtp, addr(a, 3), local, &stop, limits);
        assert_eq!(third.unwrap_err(), Full::PerIp);
        // Another protocol and another IP are counted apart.
        let _pop = r
            .admit(Protocol::Pop3, addr(a, 4), local, &stop, limits)
            .unwrap();
        let _g3 = r
            .admit(
                Protocol::Smtp,
                addr([127, 0, 0, 3], 1),
                local,
                &stop,
                limits,
            )
            .unwrap();
        let full = r.admit(
            Protocol::Smtp,
            addr([127, 0, 0, 4], 1),
            local,
            &stop,
            limits,
        );
        assert_eq!(full.unwrap_err(), Full::Total);
        assert_eq!(r.count(Protocol::Smtp), 3);
        drop(g1);
        assert_eq!(r.count(Protocol::Smtp), 2);
        assert!(
            r.admit(Protocol::Smtp, addr(a, 5), local, &stop, limits)
                .is_ok()
        );
    }
}
