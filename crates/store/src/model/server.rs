//! Records of the running servers and of who administers them: nodes sharing the store and
//! their heartbeat periods, admin UI sessions and admin API tokens.
//!
//! Invariants: secrets are never kept, only hashes (a session id, a token); a node counts as
//! running while its last heartbeat is younger than [`NODE_STALE_SECS`].

use serde::{Deserialize, Serialize};

/// A bearer token of the admin API. Only a hash of the secret is kept: the secret is shown
/// once, when the token is made, and cannot be recovered from the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    /// The administrator's label for it (what it is for).
    pub name: String,
    /// Lower-case hex SHA-256 of the secret.
    pub hash: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// How often a running server records that it is alive ([`NodeStore::node_heartbeat`](crate::NodeStore::node_heartbeat)).
pub const NODE_BEAT_SECS: i64 = 5;

/// A node whose last heartbeat is older than this is gone: its spool leases and holds are
/// free for the others. Six missed beats, so a slow database does not make a live node look
/// dead.
pub const NODE_STALE_SECS: i64 = 30;

/// A server process sharing the store, as its heartbeats show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// The process's store handle id; its spool leases and holds carry it.
    pub id: String,
    pub hostname: String,
    pub version: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds of the last heartbeat.
    pub heartbeat_at: i64,
    /// The services an administrator stopped on this node alone (names such as `imap`, in
    /// order); it runs the others as the cluster-wide switches say.
    pub stopped_services: Vec<String>,
}

impl Node {
    /// Whether the node has beaten recently enough at `now` to count as running.
    pub fn is_alive(&self, now: i64) -> bool {
        self.heartbeat_at >= now - NODE_STALE_SECS
    }
}

/// A login session of the admin UI and API, as every node sees it. The store keeps only a
/// hash of the session id (the cookie), so its rows cannot be used to log in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminSession {
    /// Hex SHA-256 of the session id.
    pub id_hash: String,
    /// Who it belongs to, as the admin service names accounts (`admin`, `user:a@b.test`).
    pub account: String,
    pub csrf_token: String,
    /// Seconds of disuse after which the session is gone.
    pub idle_secs: i64,
    /// The admin service's record of an impersonation, when an administrator acts as
    /// `account` (opaque here).
    pub impersonation: Option<String>,
    /// Unix seconds; refreshed at most every [`SESSION_TOUCH_SECS`] to spare writes.
    pub last_used: i64,
}

/// Use of a session is written at most this often; its idle limit is that much less exact.
pub const SESSION_TOUCH_SECS: i64 = 30;
