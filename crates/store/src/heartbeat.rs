//! A running server's heartbeat: its node record, refreshed every [`NODE_BEAT_SECS`] seconds
//! so the other nodes know it is alive (and take over its spool leases and holds when it is
//! not), and removed when it stops cleanly.
//!
//! Invariant: the first heartbeat is recorded before [`start`] returns, so the node is listed
//! before it takes any lease or hold.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::error::Result;
use crate::model::NODE_BEAT_SECS;
use crate::rules::now;
use crate::traits::Store;

/// The running heartbeat; [`Heartbeat::stop`] ends it and removes the node's record.
pub struct Heartbeat {
    store: Arc<dyn Store>,
    task: JoinHandle<()>,
}

/// Record this node (`hostname`, `version`) now, then keep its record fresh.
pub async fn start(store: Arc<dyn Store>, hostname: &str, version: &str) -> Result<Heartbeat> {
    let started = now();
    store
        .node_heartbeat(hostname, version, started, started)
        .await?;
    let (beating, hostname, version) = (store.clone(), hostname.to_owned(), version.to_owned());
    let task = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(NODE_BEAT_SECS as u64));
        every.tick().await;
        loop {
            every.tick().await;
            if let Err(e) = beating
                .node_heartbeat(&hostname, &version, started, now())
                .await
            {
                tracing::warn!("node heartbeat failed: {e}");
            }
        }
    });
    Ok(Heartbeat { store, task })
}

impl Heartbeat {
    /// Stop beating and remove the node's record and holds (a clean stop).
    pub async fn stop(self) {
        self.task.abort();
        if let Err(e) = self.store.node_stopped().await {
            tracing::warn!("cannot remove the node record: {e}");
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}
