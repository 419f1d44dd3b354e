//! The server processes (nodes) sharing this store, as their heartbeats show them: one on an
//! embedded store, several on a shared PostgreSQL; with the services each has stopped on
//! itself (`/api/v1/services?node=ID`).
//!
//! Invariant: a node is shown `alive` while its last heartbeat is under
//! `heron_store::NODE_STALE_SECS` old, the same rule by which the others take over its spool
//! leases and holds.

use axum::Json;
use axum::extract::State;
use heron_store::Node;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiResult, ErrorBody};

/// A node and how recently it was heard from.
#[derive(Serialize, ToSchema)]
pub struct NodeView {
    /// The node's id in the store (its spool leases carry it).
    pub id: String,
    pub hostname: String,
    pub version: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds of the last heartbeat.
    pub heartbeat_at: i64,
    /// Seconds since the last heartbeat.
    pub silent_for: i64,
    /// Heard from recently enough to count as running.
    pub alive: bool,
    /// The node answering this request.
    pub this_node: bool,
    /// The services stopped on this node alone (it runs the others as the cluster's switches
    /// say).
    pub stopped_services: Vec<String>,
}

/// The nodes as seen at `now`, `me` being this node's id.
pub fn views(nodes: Vec<Node>, now: i64, me: &str) -> Vec<NodeView> {
    nodes
        .into_iter()
        .map(|n| NodeView {
            alive: n.is_alive(now),
            silent_for: (now - n.heartbeat_at).max(0),
            this_node: n.id == me,
            id: n.id,
            hostname: n.hostname,
            version: n.version,
            started_at: n.started_at,
            heartbeat_at: n.heartbeat_at,
            stopped_services: n.stopped_services,
        })
        .collect()
}

/// Every node with its last heartbeat and the services stopped on it alone.
#[utoipa::path(operation_id = "nodes_list", get, path = "/api/v1/nodes", tag = "services",
    responses((status = 200, description = "OK", body = Vec<NodeView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn list(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<Vec<NodeView>>> {
    caller.allow(Action::Services)?;
    let store = st.dir.store();
    let nodes = store.list_nodes().await?;
    let now = chrono::Utc::now().timestamp();
    Ok(Json(views(nodes, now, store.node_id())))
}
