//! The statements of node liveness, holds and the services stopped on one node, the same on
//! every backend (`?N` parameters are written `$N` for PostgreSQL by [`numbered`]).
//!
//! A node is gone when it has a heartbeat record older than the stale limit; a node that never
//! recorded one (a process that does not run the heartbeat) is never taken for gone, so its
//! leases run to their end and its holds stay until released. A node's id lasts across
//! restarts (`heron serve` keeps it in the data directory), and so do the services stopped on
//! it: a clean stop gives back its holds and marks its record gone at once, but keeps the
//! record and its stops, which are forgotten only a day after its last heartbeat.

use crate::model::Node;

/// Insert or refresh this node's record: ?1 id, ?2 host name, ?3 version, ?4 started at,
/// ?5 now.
pub const HEARTBEAT: &str = "INSERT INTO nodes (id, hostname, version, started_at, heartbeat_at) \
     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, \
     version = excluded.version, started_at = excluded.started_at, \
     heartbeat_at = excluded.heartbeat_at";

/// Forget nodes silent since ?1 (a day; long past any lease) and their holds.
pub const PRUNE_HOLDS: &str =
    "DELETE FROM holds WHERE node IN (SELECT id FROM nodes WHERE heartbeat_at < ?1)";
pub const PRUNE_NODES: &str = "DELETE FROM nodes WHERE heartbeat_at < ?1";

/// How long a silent node's record is kept for the administrator to see.
pub const FORGET_AFTER_SECS: i64 = 86_400;

/// Take hold ?1 for node ?2 at ?3 when free, already this node's, or held by a node silent
/// since ?4. One row changed means taken.
pub const HOLD_TAKE: &str = "INSERT INTO holds (name, node, taken_at) VALUES (?1, ?2, ?3) \
     ON CONFLICT (name) DO UPDATE SET node = excluded.node, taken_at = excluded.taken_at \
     WHERE holds.node = excluded.node OR EXISTS (SELECT 1 FROM nodes \
     WHERE nodes.id = holds.node AND nodes.heartbeat_at < ?4)";

/// Give back hold ?1 of node ?2.
pub const HOLD_RELEASE: &str = "DELETE FROM holds WHERE name = ?1 AND node = ?2";

pub const LIST: &str = "SELECT id, hostname, version, started_at, heartbeat_at FROM nodes \
     ORDER BY hostname, started_at, id";

/// A node stops: ?1 its id; its holds go and its record is marked gone (its last heartbeat
/// moved back by ?2, more than the stale limit), so its leases are free at once; the record
/// and its stops stay.
pub const STOP_HOLDS: &str = "DELETE FROM holds WHERE node = ?1";
pub const STOP_NODE: &str = "UPDATE nodes SET heartbeat_at = heartbeat_at - ?2 WHERE id = ?1";

/// The services stopped on nodes no longer listed (run after [`PRUNE_NODES`]).
pub const PRUNE_SERVICES: &str =
    "DELETE FROM stopped_services WHERE node NOT IN (SELECT id FROM nodes)";

/// Whether node ?1 is listed (PostgreSQL adds `FOR KEY SHARE`, so it cannot be removed before
/// the transaction ends, while its heartbeat still goes on).
pub const NODE_EXISTS: &str = "SELECT id FROM nodes WHERE id = ?1";

/// Service ?2 stopped on node ?1 alone (already stopped: nothing changes).
pub const SERVICE_STOP: &str = "INSERT INTO stopped_services (node, service) VALUES (?1, ?2) \
     ON CONFLICT (node, service) DO NOTHING";
/// Service ?2 no longer stopped on node ?1.
pub const SERVICE_START: &str = "DELETE FROM stopped_services WHERE node = ?1 AND service = ?2";

/// The services stopped on node ?1.
pub const STOPPED_ON: &str =
    "SELECT service FROM stopped_services WHERE node = ?1 ORDER BY service";
/// Every node's stopped services, as (node, service).
pub const STOPPED_ALL: &str = "SELECT node, service FROM stopped_services ORDER BY node, service";

/// Give each node of `nodes` its stopped services from `stopped` ((node id, service) pairs
/// in service order); pairs of nodes not in the list are left out.
pub fn attach_stopped(nodes: &mut [Node], stopped: Vec<(String, String)>) {
    for (node, service) in stopped {
        if let Some(n) = nodes.iter_mut().find(|n| n.id == node) {
            n.stopped_services.push(service);
        }
    }
}

/// `?N` parameters as PostgreSQL's `$N`.
pub fn numbered(sql: &str) -> String {
    sql.replace('?', "$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_for_postgres() {
        assert_eq!(
            numbered(HOLD_RELEASE),
            "DELETE FROM holds WHERE name = $1 AND node = $2"
        );
        assert!(!numbered(HOLD_TAKE).contains('?'));
    }

    #[test]
    fn stopped_services_go_to_their_node() {
        let node = |id: &str| Node {
            id: id.into(),
            hostname: "mx".into(),
            version: "1".into(),
            started_at: 0,
            heartbeat_at: 0,
            stopped_services: Vec::new(),
        };
        let mut nodes = [node("a"), node("b")];
        let pairs = [("a", "imap"), ("a", "pop3"), ("c", "smtp"), ("b", "spool")];
        attach_stopped(
            &mut nodes,
            pairs
                .iter()
                .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
                .collect(),
        );
        assert_eq!(nodes[0].stopped_services, ["imap", "pop3"]);
        assert_eq!(nodes[1].stopped_services, ["spool"]);
    }
}
