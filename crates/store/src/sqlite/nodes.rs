//! [`NodeStore`] on SQLite: one machine, so normally one node, but the records and holds work
//! the same as on a shared database (statements in [`crate::rules::nodes`]).

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteStore;
use crate::error::Result;
use crate::model::{NODE_STALE_SECS, Node};
use crate::rules::nodes as q;
use crate::traits::NodeStore;

#[async_trait]
impl NodeStore for SqliteStore {
    fn node_id(&self) -> &str {
        &self.inner.origin
    }

    async fn node_heartbeat(
        &self,
        hostname: &str,
        version: &str,
        started_at: i64,
        now: i64,
    ) -> Result<()> {
        let (id, hostname, version) = (
            self.inner.origin.clone(),
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
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn node_stopped(&self) -> Result<()> {
        let id = self.inner.origin.clone();
        self.write(move |ctx| {
            ctx.conn.execute(q::STOP_HOLDS, [&id])?;
            ctx.conn.execute(q::STOP_NODE, [&id])?;
            Ok(())
        })
        .await
    }

    async fn hold_take(&self, name: &str, now: i64) -> Result<bool> {
        let (name, id) = (name.to_owned(), self.inner.origin.clone());
        self.write(move |ctx| {
            let n = ctx
                .conn
                .execute(q::HOLD_TAKE, params![name, id, now, now - NODE_STALE_SECS])?;
            Ok(n == 1)
        })
        .await
    }

    async fn hold_release(&self, name: &str) -> Result<()> {
        let (name, id) = (name.to_owned(), self.inner.origin.clone());
        self.write(move |ctx| {
            ctx.conn.execute(q::HOLD_RELEASE, params![name, id])?;
            Ok(())
        })
        .await
    }
}
