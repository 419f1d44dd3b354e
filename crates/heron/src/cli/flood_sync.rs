//! Sharing the DoS rule's blocks between nodes (SEC-2): the listeners count connection
//! floods in memory; this task records each block a listener places in the store, then
//! brings the listeners' blocks in line with the store's, so every node refuses a flooding
//! IP within [`EVERY`], the Blocks page lists it, and lifting it there frees it everywhere.
//!
//! Invariants: a node's new blocks are written before the store's list is read, so the
//! sync never lifts a block this node has just placed; when the store cannot be read the
//! node keeps its blocks as they are.

use std::time::Duration;

use heron_directory::Directory;
use heron_net::Server;
use heron_settings::values::Protocol;
use tokio_util::sync::CancellationToken;

/// How often blocks are exchanged with the store.
pub const EVERY: Duration = Duration::from_secs(2);

/// Exchange blocks every [`EVERY`] until `stop`.
pub fn spawn(
    server: Server,
    dir: Directory,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => exchange(&server, &dir).await,
            }
        }
    })
}

async fn exchange(server: &Server, dir: &Directory) {
    for (protocol, ip, length) in server.take_flood_blocks() {
        let secs = i64::try_from(length.as_secs()).unwrap_or(i64::MAX);
        if let Err(e) = dir.record_dos_block(protocol.as_str(), ip, secs).await {
            tracing::warn!(target: "events", "cannot record the {} DoS block of {ip}: {e}", protocol.as_str());
        }
    }
    match dir.dos_blocks().await {
        Ok(blocks) => {
            let blocks: Vec<_> = blocks
                .into_iter()
                .filter_map(|(p, ip, left)| {
                    let p = Protocol::parse(&p)?;
                    Some((p, ip, Duration::from_secs(u64::try_from(left).ok()?)))
                })
                .collect();
            server.sync_flood_blocks(&blocks);
        }
        Err(e) => tracing::warn!("cannot read the DoS blocks: {e}"),
    }
}
