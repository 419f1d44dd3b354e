//! [`NodeStore`] on SQLite: one machine, so normally one node, but the records and holds work
//! the same as on a shared database (statements in [`crate::rules::nodes`]).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::{NODE_STALE_SECS, Node};
use crate::rules::nodes as q;
use crate::traits::NodeStore;

#[async_trait]
impl NodeStore for SqliteStore {
    fn node_id(&self) -> &str {
        self.inner.node.get().unwrap_or(&self.inner.origin)
    }

    fn adopt_node_id(&self, id: &str) -> bool {
        self.inner.node.set(id.to_owned()).is_ok()
    }

    async fn node_heartbeat(
        &self,
        hostname: &str,
        version: &str,
        started_at: i64,
        now: i64,
    ) -> Result<()> {
        let (id, hostname, version) = (
            self.node_id().to_owned(),
            hostname.to_owned(),
            version.to_owned(),
        );
        self.write(move |ctx| {
            ctx.conn.execute(
                q::HEARTBEAT,
                params![id, hostname, version, started_at, now],
            )?;
            let forget = now - q::FORGET_AFTER_SECS;
            ctx.conn.execute(q::PRUNE_HOLDS, [forget])?;
            ctx.conn.execute(q::PRUNE_NODES, [forget])?;
            ctx.conn.execute(q::PRUNE_SERVICES, [])?;
            Ok(())
        })
        .await
    }

    async fn list_nodes(&self) -> Result<Vec<Node>> {
        self.read(|c| {
            let mut st = c.prepare_cached(q::LIST)?;
            let rows = st.query_map([], |r| {
                Ok(Node {
                    id: r.get(0)?,
                    hostname: r.get(1)?,
                    version: r.get(2)?,
                    started_at: r.get(3)?,
                    heartbeat_at: r.get(4)?,
                    stopped_services: Vec::new(),
                })
            })?;
            let mut nodes = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            let mut st = c.prepare_cached(q::STOPPED_ALL)?;
            let stopped = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            q::attach_stopped(&mut nodes, stopped);
            Ok(nodes)
        })
        .await
    }

    async fn node_stopped(&self) -> Result<()> {
        let id = self.node_id().to_owned();
        let gone = NODE_STALE_SECS + 1;
        self.write(move |ctx| {
            ctx.conn.execute(q::STOP_HOLDS, [&id])?;
            ctx.conn.execute(q::STOP_NODE, params![id, gone])?;
            Ok(())
        })
        .await
    }

    async fn hold_take(&self, name: &str, now: i64) -> Result<bool> {
        let (name, id) = (name.to_owned(), self.node_id().to_owned());
        self.write(move |ctx| {
            let n = ctx
                .conn
                .execute(q::HOLD_TAKE, params![name, id, now, now - NODE_STALE_SECS])?;
            Ok(n == 1)
        })
        .await
    }

    async fn hold_release(&self, name: &str) -> Result<()> {
        let (name, id) = (name.to_owned(), self.node_id().to_owned());
        self.write(move |ctx| {
            ctx.conn.execute(q::HOLD_RELEASE, params![name, id])?;
            Ok(())
        })
        .await
    }

    async fn set_service_stopped(&self, node: &str, service: &str, stopped: bool) -> Result<()> {
        let (node, service) = (node.to_owned(), service.to_owned());
        self.write(move |ctx| {
            let listed: Option<String> = ctx
                .conn
                .query_row(q::NODE_EXISTS, [&node], |r| r.get(0))
                .optional()?;
            if listed.is_none() {
                return Err(StoreError::NotFound(format!("node {node:?}")));
            }
            let sql = if stopped {
                q::SERVICE_STOP
            } else {
                q::SERVICE_START
            };
            if ctx.conn.execute(sql, params![node, service])? > 0 {
                ctx.emit(Event::NodeServices { node });
            }
            Ok(())
        })
        .await
    }

    async fn stopped_services(&self, node: &str) -> Result<Vec<String>> {
        let node = node.to_owned();
        self.read(move |c| {
            let mut st = c.prepare_cached(q::STOPPED_ON)?;
            let rows = st.query_map([node], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })
        .await
    }
}
