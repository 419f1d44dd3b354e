//! The live sessions of this process (SEC-7 current connections, ACCESS-3 online users):
//! who is connected to what, since when, as which user, and a handle to end each session.
//!
//! Invariant: a session is listed exactly while its [`SessionGuard`] lives, so counts used
//! for max-connection limits never drift.

use std::collections::HashMap;
use std::net::SocketAddr;
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
    sessions: Mutex<HashMap<String, Arc<SessionInfo>>>,
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
    /// List a new session; `parent` is cancelled on shutdown.
    pub fn register(
        self: &Arc<Self>,
        protocol: Protocol,
        peer: SocketAddr,
        local: SocketAddr,
        parent: &CancellationToken,
    ) -> SessionGuard {
        let info = Arc::new(SessionInfo {
            id: new_session_id(),
            protocol,
            peer,
            local,
            started: SystemTime::now(),
            user: Mutex::new(None),
            cancel: parent.child_token(),
        });
        if let Ok(mut m) = self.sessions.lock() {
            m.insert(info.id.clone(), info.clone());
        }
        SessionGuard {
            registry: self.clone(),
            info,
        }
    }

    /// Sessions of one protocol (submission and SMTP are counted apart: each has its limit).
    pub fn count(&self, protocol: Protocol) -> usize {
        self.sessions
            .lock()
            .map(|m| m.values().filter(|s| s.protocol == protocol).count())
            .unwrap_or(0)
    }

    /// Snapshot of every live session.
    pub fn list(&self) -> Vec<Arc<SessionInfo>> {
        self.sessions
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// End a session by id; false if it is gone.
    pub fn end(&self, id: &str) -> bool {
        let s = self.sessions.lock().ok().and_then(|m| m.get(id).cloned());
        s.map(|s| s.cancel.cancel()).is_some()
    }
}
