//! Keeping the search text of messages stored before the index existed (a store upgraded
//! from an older version, or copied from another store): a background job that indexes
//! pending messages in batches ([`MailStore::index_pending`]).
//!
//! Why in the background: an upgraded store may hold millions of messages, and parsing them
//! all would hold the server's start for minutes. Until a message is indexed the store
//! lists it as pending and every text search takes it as a candidate (and reads it), so
//! answers are right from the first moment, only slower. Several nodes may run the job at
//! once: a message is indexed only while it is still pending.
//!
//! Invariant: messages added by this version are indexed in the transaction that adds them,
//! so once the backlog is done the job only wakes every [`INDEX_EVERY`] to find nothing.

use std::sync::Arc;
use std::time::Duration;

use crate::traits::Store;

/// Messages indexed per batch (one read, one write transaction).
pub const INDEX_BATCH: usize = 200;

/// How often a running server looks for pending messages once none are left.
pub const INDEX_EVERY: Duration = Duration::from_secs(300);

/// Index pending messages now, batch after batch, then look again every `every`, until the
/// task is aborted.
pub fn start_indexer(store: Arc<dyn Store>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let mut done = 0usize;
            loop {
                match store.index_pending(INDEX_BATCH).await {
                    Ok(0) => break,
                    Ok(n) => done += n,
                    Err(e) => {
                        tracing::warn!(target: "events", "indexing message text failed: {e}");
                        break;
                    }
                }
                tokio::task::yield_now().await;
            }
            if done > 0 {
                tracing::info!(target: "events", "indexed the text of {done} messages");
            }
            tokio::time::sleep(every).await;
        }
    })
}
