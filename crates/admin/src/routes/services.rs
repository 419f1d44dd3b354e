//! Services and their start/stop switches (OPS-1): POP3, IMAP, SMTP (MX and submission
//! together) and the outbound spool (`heron_settings::services`), for the whole cluster or
//! for one node (`?node=ID`, an id of `GET /api/v1/nodes`).
//!
//! Invariants: a service runs on a node exactly when its switch setting is on and that node
//! has not stopped it on itself. Starting or stopping it for the cluster only stores the
//! switch setting (validated like any other); for one node, only that node's record of
//! stopped services. The listeners and the scheduler of every node follow either by
//! themselves (change events). Names outside the table and nodes not listed are 404.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use heron_net::registry::Registry;
use heron_settings::Settings;
use heron_settings::services::{self, Service};
use heron_store::{Node, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// The node a request is about; none for the whole cluster.
#[derive(Deserialize)]
pub struct OnNode {
    pub node: Option<String>,
}

/// A service's state.
#[derive(Serialize, ToSchema)]
pub struct ServiceView {
    /// pop3, imap, smtp or spool.
    pub name: String,
    /// The setting that switches it on or off for the whole cluster.
    pub setting: String,
    /// Whether it runs: its switch is on and, when the request names a node, that node has
    /// not stopped it.
    pub running: bool,
    /// Its switch setting: on for the cluster.
    pub switched_on: bool,
    /// The node `running` is about (the request's `node`); null for the whole cluster.
    pub node: Option<String>,
    /// The nodes that have stopped it on themselves (their ids).
    pub stopped_on: Vec<String>,
    /// Live sessions of its protocols on the node answering (0 for the spool, which has
    /// none).
    pub sessions: usize,
}

fn stops(n: &Node, s: &Service) -> bool {
    n.stopped_services.iter().any(|x| x == s.name)
}

/// `s` as it is on the cluster (`on` none) or on node `on`, `nodes` being every node.
fn view(
    settings: &Settings,
    registry: &Registry,
    nodes: &[Node],
    on: Option<&Node>,
    s: &Service,
) -> ServiceView {
    let switched_on = settings.get(s.switch);
    ServiceView {
        name: s.name.to_owned(),
        setting: s.switch.name.to_owned(),
        running: switched_on && !on.is_some_and(|n| stops(n, s)),
        switched_on,
        node: on.map(|n| n.id.clone()),
        stopped_on: nodes
            .iter()
            .filter(|n| stops(n, s))
            .map(|n| n.id.clone())
            .collect(),
        sessions: s.protocols.iter().map(|p| registry.count(*p)).sum(),
    }
}

fn no_node(id: &str) -> ApiError {
    ApiError::not_found(format!("no node {id:?} (GET /api/v1/nodes lists them)"))
}

/// The node called `id` among `nodes`, if one is asked for.
fn pick<'n>(nodes: &'n [Node], id: Option<&str>) -> ApiResult<Option<&'n Node>> {
    id.map(|id| nodes.iter().find(|n| n.id == id).ok_or_else(|| no_node(id)))
        .transpose()
}

/// Every service as it is on the cluster or, with `node`, on that node; and every node, as
/// listed with the services each has stopped.
pub async fn services(st: &Shared, node: Option<&str>) -> ApiResult<(Vec<ServiceView>, Vec<Node>)> {
    let nodes = st.dir.store().list_nodes().await?;
    let on = pick(&nodes, node)?;
    let views = services::ALL
        .iter()
        .map(|s| view(st.dir.settings(), &st.runtime.registry, &nodes, on, s))
        .collect();
    Ok((views, nodes))
}

/// Switch a service on or off for the cluster, or for `node` alone; the service as it is
/// now (on that node when one is named).
pub async fn switch(
    st: &Shared,
    name: &str,
    node: Option<&str>,
    on: bool,
) -> ApiResult<ServiceView> {
    let s =
        services::find(name).ok_or_else(|| ApiError::not_found(format!("no service {name:?}")))?;
    let store = st.dir.store();
    match node {
        None => {
            st.dir
                .settings()
                .set(s.switch.name, if on { "true" } else { "false" })
                .await?;
        }
        Some(id) => match store.set_service_stopped(id, s.name, !on).await {
            Err(StoreError::NotFound(_)) => return Err(no_node(id)),
            r => r?,
        },
    }
    let nodes = store.list_nodes().await?;
    let here = pick(&nodes, node)?;
    Ok(view(
        st.dir.settings(),
        &st.runtime.registry,
        &nodes,
        here,
        s,
    ))
}

fn node_of(query: Result<Query<OnNode>, QueryRejection>) -> ApiResult<Option<String>> {
    let Query(q) = query.map_err(|r| ApiError::bad_request(r.body_text()))?;
    Ok(q.node)
}

/// Services and whether they run, on the cluster or on one node.
#[utoipa::path(operation_id = "services_list", get, path = "/api/v1/services", tag = "services",
    params(("node" = Option<String>, Query, description = "A node's id (GET /api/v1/nodes): whether each service runs on that node")),
    responses((status = 200, description = "OK", body = Vec<ServiceView>), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "No such node", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
    query: Result<Query<OnNode>, QueryRejection>,
) -> ApiResult<Json<Vec<ServiceView>>> {
    caller.allow(Action::Services)?;
    let node = node_of(query)?;
    Ok(Json(services(&st, node.as_deref()).await?.0))
}

async fn change(
    st: &Shared,
    caller: &Caller,
    name: &str,
    query: Result<Query<OnNode>, QueryRejection>,
    on: bool,
) -> ApiResult<Json<ServiceView>> {
    caller.allow(Action::Services)?;
    let node = node_of(query)?;
    let v = switch(st, name, node.as_deref(), on).await?;
    let what = if on { "started" } else { "stopped" };
    match &node {
        None => caller.event(format!("{what} service {} ({} = {on})", v.name, v.setting)),
        Some(id) => caller.event(format!("{what} service {} on node {id}", v.name)),
    }
    Ok(Json(v))
}

/// Start a service (its listeners bind, or the spool delivers again): for the whole cluster
/// (its switch setting), or with `node` on that node, where it runs again if the cluster's
/// switch is on.
#[utoipa::path(operation_id = "services_start", post, path = "/api/v1/services/{name}/start", tag = "services",
    params(("name" = String, Path, description = "pop3, imap, smtp or spool"),
        ("node" = Option<String>, Query, description = "A node's id (GET /api/v1/nodes): start it again on that node alone")),
    responses((status = 200, description = "Started", body = ServiceView), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "No such service or node", body = ErrorBody)))]
pub async fn start(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    query: Result<Query<OnNode>, QueryRejection>,
) -> ApiResult<Json<ServiceView>> {
    change(&st, &caller, &name, query, true).await
}

/// Stop a service (its listeners close; live sessions run on; the spool stops delivering):
/// for the whole cluster (its switch setting), or with `node` on that node alone.
#[utoipa::path(operation_id = "services_stop", post, path = "/api/v1/services/{name}/stop", tag = "services",
    params(("name" = String, Path, description = "pop3, imap, smtp or spool"),
        ("node" = Option<String>, Query, description = "A node's id (GET /api/v1/nodes): stop it on that node alone")),
    responses((status = 200, description = "Stopped", body = ServiceView), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "No such service or node", body = ErrorBody)))]
pub async fn stop(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    query: Result<Query<OnNode>, QueryRejection>,
) -> ApiResult<Json<ServiceView>> {
    change(&st, &caller, &name, query, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, stopped: &[&str]) -> Node {
        Node {
            id: id.into(),
            hostname: "mx.test".into(),
            version: "1".into(),
            started_at: 0,
            heartbeat_at: 0,
            stopped_services: stopped.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn nodes_are_picked_by_id() {
        let nodes = [node("a", &[]), node("b", &["imap"])];
        assert!(pick(&nodes, None).is_ok_and(|n| n.is_none()));
        assert!(pick(&nodes, Some("b")).is_ok_and(|n| n.is_some_and(|n| n.id == "b")));
        let e = pick(&nodes, Some("c")).err().map(|e| e.status.as_u16());
        assert_eq!(e, Some(404));
        assert!(stops(&nodes[1], &services::IMAP) && !stops(&nodes[1], &services::POP3));
    }
}
