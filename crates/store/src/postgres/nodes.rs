//! [`NodeStore`] on PostgreSQL: every node's heartbeat and the holds they share (statements
//! in [`crate::rules::nodes`]).

use async_trait::async_trait;

use super::PgStore;
use super::error::not_found;
use crate::error::Result;
use crate::events::Event;
use crate::model::{NODE_STALE_SECS, Node};
use crate::rules::nodes::{self as q, numbered};
use crate::traits::NodeStore;

#[async_trait]
impl NodeStore for PgStore {
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
        let id = &self.node_id().to_owned();
        let forget = now - q::FORGET_AFTER_SECS;
        write_tx!(self, |tx| {
            tx.t.execute(
                &numbered(q::HEARTBEAT),
                &[id, &hostname, &version, &started_at, &now],
            )
            .await?;
            tx.t.execute(&numbered(q::PRUNE_HOLDS), &[&forget]).await?;
            tx.t.execute(&numbered(q::PRUNE_NODES), &[&forget]).await?;
            tx.t.execute(q::PRUNE_SERVICES, &[]).await?;
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
                stopped_services: Vec::new(),
            });
        }
        let mut stopped = Vec::new();
        for r in c.query(q::STOPPED_ALL, &[]).await? {
            stopped.push((r.try_get(0)?, r.try_get(1)?));
        }
        q::attach_stopped(&mut out, stopped);
        Ok(out)
    }

    async fn node_stopped(&self) -> Result<()> {
        let id = &self.node_id().to_owned();
        let gone = &(NODE_STALE_SECS + 1);
        write_tx!(self, |tx| {
            tx.t.execute(&numbered(q::STOP_HOLDS), &[id]).await?;
            tx.t.execute(&numbered(q::STOP_NODE), &[id, gone]).await?;
            Ok(())
        })
    }

    async fn hold_take(&self, name: &str, now: i64) -> Result<bool> {
        let id = &self.node_id().to_owned();
        let stale = now - NODE_STALE_SECS;
        write_tx!(self, |tx| {
            let n =
                tx.t.execute(&numbered(q::HOLD_TAKE), &[&name, id, &now, &stale])
                    .await?;
            Ok(n == 1)
        })
    }

    async fn hold_release(&self, name: &str) -> Result<()> {
        let id = &self.node_id().to_owned();
        write_tx!(self, |tx| {
            tx.t.execute(&numbered(q::HOLD_RELEASE), &[&name, id])
                .await?;
            Ok(())
        })
    }

    async fn set_service_stopped(&self, node: &str, service: &str, stopped: bool) -> Result<()> {
        let exists = format!("{} FOR KEY SHARE", numbered(q::NODE_EXISTS));
        let change = numbered(if stopped {
            q::SERVICE_STOP
        } else {
            q::SERVICE_START
        });
        write_tx!(self, |tx| {
            if tx.t.query_opt(&exists, &[&node]).await?.is_none() {
                return Err(not_found(format!("node {node:?}")));
            }
            if tx.t.execute(&change, &[&node, &service]).await? > 0 {
                tx.emit(Event::NodeServices {
                    node: node.to_owned(),
                });
            }
            Ok(())
        })
    }

    async fn stopped_services(&self, node: &str) -> Result<Vec<String>> {
        let c = self.client().await?;
        let rows = c.query(&numbered(q::STOPPED_ON), &[&node]).await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?)
    }
}
