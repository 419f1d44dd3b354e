//! The servers' own state: runtime settings, admin API tokens, secrets made once, the nodes
//! sharing the store with their holds, and admin login sessions.
//!
//! Invariant: secrets of tokens and sessions are kept only as hashes; a node's holds are
//! free once it is gone ([`NODE_STALE_SECS`](crate::NODE_STALE_SECS)).

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{AdminSession, ApiToken, Node};

/// Runtime settings as text values keyed by dotted names; typing lives in `settings`.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;
    async fn set_setting(&self, key: &str, value: &str) -> Result<()>;
    /// Forget a stored value so the default applies again.
    async fn reset_setting(&self, key: &str) -> Result<()>;
    async fn list_settings(&self) -> Result<Vec<(String, String)>>;
}

/// Bearer tokens of the admin API, kept by the hash of their secret.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Record a new token; `hash` is unique (Conflict otherwise).
    async fn create_token(&self, name: &str, hash: &str, created_at: i64) -> Result<ApiToken>;
    /// Every token, oldest first.
    async fn list_tokens(&self) -> Result<Vec<ApiToken>>;
    /// Remove a token; NotFound when there is none with that id.
    async fn delete_token(&self, id: i64) -> Result<()>;
    /// The token whose secret hashes to `hash`, if any.
    async fn find_token(&self, hash: &str) -> Result<Option<ApiToken>>;
}

/// Server secrets made once and kept with the data for good (such as the key behind the SCRAM
/// salts of unknown users): apart from settings, so they are never listed or shown.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The secret called `name`. When there is none yet, `fresh` is stored under that name and
    /// returned; callers racing to create it (threads, processes, nodes) all get the one that
    /// was stored first.
    async fn secret_or_insert(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>>;
}

/// The server processes (nodes) sharing the store, and exclusive holds among them.
///
/// Each store handle has an id ([`node_id`](NodeStore::node_id)); a running server records a
/// heartbeat under it every [`NODE_BEAT_SECS`](crate::NODE_BEAT_SECS) seconds. A node silent
/// for [`NODE_STALE_SECS`](crate::NODE_STALE_SECS) is gone: another node may take over its
/// spool leases and holds.
#[async_trait]
pub trait NodeStore: Send + Sync {
    /// This handle's id among the nodes.
    fn node_id(&self) -> &str;
    /// Take `id` as this node's lasting id (kept by `heron serve` in its data directory, so a
    /// restart is the same node: its per-node stops stay, its old leases and holds are its
    /// own). Only before the node records anything; false when an id was already adopted.
    fn adopt_node_id(&self, id: &str) -> bool;
    /// Record that this node is alive at `now` (the first call adds it).
    async fn node_heartbeat(
        &self,
        hostname: &str,
        version: &str,
        started_at: i64,
        now: i64,
    ) -> Result<()>;
    /// Every node that has recorded a heartbeat, by host name then start time.
    async fn list_nodes(&self) -> Result<Vec<Node>>;
    /// This node stops: its record and its holds go.
    async fn node_stopped(&self) -> Result<()>;
    /// Take the hold called `name` (such as a POP3 maildrop) for this node at `now`: true
    /// when it was free, held by this node, or held by a node that is gone; false while
    /// another running node holds it.
    async fn hold_take(&self, name: &str, now: i64) -> Result<bool>;
    /// Give back this node's hold called `name` (nothing when it holds none).
    async fn hold_release(&self, name: &str) -> Result<()>;
    /// Stop (`stopped`) the service called `service` on node `node` alone, or no longer
    /// (nothing changes when it already is so); the node's own services follow at once
    /// ([`Event::NodeServices`](crate::events::Event::NodeServices)). NotFound when no node
    /// `node` is listed. The stop lasts as long as the node's record.
    async fn set_service_stopped(&self, node: &str, service: &str, stopped: bool) -> Result<()>;
    /// The services stopped on node `node` alone, in order (none for a node not listed).
    async fn stopped_services(&self, node: &str) -> Result<Vec<String>>;
}

/// Login sessions of the admin UI and API, shared by every node (a restart or another node
/// keeps a user logged in).
#[async_trait]
pub trait AdminSessionStore: Send + Sync {
    /// Record a new session. Expired sessions go first; then, while `max` or more remain, the
    /// least recently used.
    async fn session_insert(&self, s: &AdminSession, max: usize, now: i64) -> Result<()>;
    /// The session with this id hash if it has not been idle past its limit at `now` (an
    /// expired one is removed), its use recorded.
    async fn session_use(&self, id_hash: &str, now: i64) -> Result<Option<AdminSession>>;
    /// End a session (nothing when there is none).
    async fn session_delete(&self, id_hash: &str) -> Result<()>;
    /// End every session of `account` except the one whose id hash is `keep`.
    async fn session_delete_account(&self, account: &str, keep: Option<&str>) -> Result<()>;
}
