//! [`NodeStore`] on PostgreSQL: every node's heartbeat and the holds they share (statements
//! in [`crate::rules::nodes`]).

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::{NODE_STALE_SECS, Node};
use crate::rules::nodes::{self as q, numbered};
use crate::traits::NodeStore;

#[async_trait]
impl NodeStore for PgStore {
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
        let id = &self.inner.origin;
        let forget = now - q::FORGET_AFTER_SECS;
        write_tx!(self, |tx| {
            tx.t.execute(
                &numbered(q::HEARTBEAT),
                &[id, &hostname, &version, &started_at, &now],
            )
            .await?;
            tx.t.execute(&numbered(q::PRUNE_HOLDS), &[&forget]).await?;
            tx.t.execute(&numbered(q::PRUNE_NODES), &[&forget]).await?;
            Ok(())
        })
    }

    async fn list_nodes(&self) -> Result<Vec<Node>> {
        let c = self.client().await?;
        let rows = c.query(q::LIST, &[]).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(Node {
                id: r.try_get(0)?,
                hostname: r.try_get(1)?,
                version: r.try_get(2)?,
                started_at: r.try_get(3)?,
                heartbeat_at: r.try_get(4)?,
            });
        }
        Ok(out)
    }

    async fn node_stopped(&self) -> Result<()> {
        let id = &self.inner.origin;
        write_tx!(self, |tx| {
            tx.t.execute(&numbered(q::STOP_HOLDS), &[id]).await?;
            tx.t.execute(&numbered(q::STOP_NODE), &[id]).await?;
            Ok(())
        })
    }

    async fn hold_take(&self, name: &str, now: i64) -> Result<bool> {
        let id = &self.inner.origin;
        let stale = now - NODE_STALE_SECS;
        write_tx!(self, |tx| {
            let n =
                tx.t.execute(&numbered(q::HOLD_TAKE), &[&name, id, &now, &stale])
                    .await?;
            Ok(n == 1)
        })
    }

    async fn hold_release(&self, name: &str) -> Result<()> {
        let id = &self.inner.origin;
        write_tx!(self, |tx| {
            tx.t.execute(&numbered(q::HOLD_RELEASE), &[&name, id])
                .await?;
            Ok(())
        })
    }
}
