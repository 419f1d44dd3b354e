//! Idle outbound SMTP connections kept for reuse: when many messages go to one server, the
//! next transaction starts on an open session (RSET-free: the client leaves each session
//! ready for the next MAIL) instead of a new TCP connection, greeting, EHLO and TLS.
//!
//! Invariants: a connection is pooled only after a transaction finished cleanly and the
//! client says it is usable; it is keyed by everything that shaped its session (address,
//! EHLO name, source address, AUTH user), so a pooled session is only used for mail it
//! could have been opened for; idle sessions are closed after [`IDLE_FOR`], and at most
//! [`PER_ADDR`] wait per key.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::{ClientOptions, Connection};

/// How long an idle session is kept.
pub const IDLE_FOR: Duration = Duration::from_secs(5);
/// Idle sessions kept per server and session shape.
pub const PER_ADDR: usize = 64;

/// What a pooled session is good for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolKey {
    addr: SocketAddr,
    shape: String,
}

impl PoolKey {
    /// The key of a session to `addr` opened with `opts`.
    pub fn new(addr: SocketAddr, opts: &ClientOptions) -> Self {
        let user = opts.auth.as_ref().map(|c| c.user.as_str()).unwrap_or("");
        let shape = format!(
            "{}|{:?}|{:?}|{:?}|{user}",
            opts.helo, opts.local_ip, opts.starttls, opts.verify
        );
        Self { addr, shape }
    }
}

/// The idle sessions.
#[derive(Default)]
pub struct Pool {
    idle: Mutex<HashMap<PoolKey, Vec<(Connection, Instant)>>>,
}

impl Pool {
    /// An idle session for `key`, if one is fresh enough.
    pub fn take(&self, key: &PoolKey) -> Option<Connection> {
        let mut idle = self.idle.lock().ok()?;
        let list = idle.get_mut(key)?;
        while let Some((conn, since)) = list.pop() {
            if since.elapsed() < IDLE_FOR && conn.is_usable() {
                return Some(conn);
            }
            tokio::spawn(conn.quit());
        }
        None
    }

    /// Keep `conn` for the next transaction to the same server, or close it.
    pub fn put(&self, key: PoolKey, conn: Connection) {
        if !conn.is_usable() {
            tokio::spawn(conn.quit());
            return;
        }
        let Ok(mut idle) = self.idle.lock() else {
            return;
        };
        let list = idle.entry(key).or_default();
        if list.len() >= PER_ADDR {
            drop(idle);
            tokio::spawn(conn.quit());
            return;
        }
        list.push((conn, Instant::now()));
    }

    /// Whether any session is waiting.
    pub fn has_idle(&self) -> bool {
        self.idle.lock().map(|m| !m.is_empty()).unwrap_or(false)
    }

    /// Close sessions idle for longer than [`IDLE_FOR`] (or all of them).
    pub fn expire(&self, all: bool) {
        let Ok(mut idle) = self.idle.lock() else {
            return;
        };
        let mut closing = Vec::new();
        for list in idle.values_mut() {
            let (old, fresh): (Vec<_>, Vec<_>) = std::mem::take(list)
                .into_iter()
                .partition(|(_, since)| all || since.elapsed() >= IDLE_FOR);
            *list = fresh;
            closing.extend(old.into_iter().map(|(c, _)| c));
        }
        idle.retain(|_, l| !l.is_empty());
        drop(idle);
        for c in closing {
            tokio::spawn(c.quit());
        }
    }
}
