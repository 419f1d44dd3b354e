//! Keeping the search text of messages ([`MailStore::index_pending`]): a background job that
//! indexes pending messages in batches. New messages are listed as pending in the
//! transaction that adds them, and so are the messages of a store upgraded from a version
//! without the index, or copied from another store.
//!
//! Why in the background: tokenising a message's text into trigrams costs more than storing
//! the message, and done in the adding transaction it held the one writer (and every commit
//! behind it) that long; an upgraded store may hold millions of messages, and parsing them
//! all would hold the server's start for minutes. Until a message is indexed the store
//! lists it as pending and every text search takes it as a candidate (and reads it), so
//! answers are right from the first moment, only slower. Several nodes may run the job at
//! once: a message is indexed only while it is still pending.
//!
//! Invariant: the job looks for pending messages every [`INDEX_EVERY`] once none are left,
//! so new mail is indexed within about that time when the server is not busier.

use std::sync::Arc;
use std::time::Duration;

use crate::traits::Store;

/// Messages indexed per batch (one read, one write transaction).
pub const INDEX_BATCH: usize = 200;

/// Text a batch holds at most before it is written (a message's text is at most 1 MiB, and
/// its bytes are read and dropped one message at a time): the rest of the batch waits for
/// the next one.
pub const INDEX_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// How often a running server looks for pending messages once none are left (one indexed
/// query when there are none).
pub const INDEX_EVERY: Duration = Duration::from_secs(1);

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
