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
//! When: once mail has stopped changing for a moment. Indexing competes with delivery and
//! IMAP for the CPU and the one writer; during a burst it waits, and messages deleted before
//! it comes are never indexed at all (the same reasoning as an index built at the first
//! search). Searches meanwhile read the pending messages, so they stay right.
//!
//! Invariants: the job looks every [`INDEX_EVERY`] and indexes when no mailbox changed in
//! the last look, or at the latest [`MAX_DEFER`] after its last pass, so new mail is indexed
//! within about [`INDEX_EVERY`] of a quiet moment and within [`MAX_DEFER`] under constant load.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::events::Event;

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

/// Longest wait for a quiet moment before indexing anyway.
pub const MAX_DEFER: Duration = Duration::from_secs(60);

/// Index pending messages now, batch after batch, then look again every `every` and index
/// once no mailbox changed during a look (or [`MAX_DEFER`] after the last pass), until the
/// task is aborted.
pub fn start_indexer(store: Arc<dyn Store>, every: Duration) -> tokio::task::JoinHandle<()> {
    let mut changes = store.subscribe();
    tokio::spawn(async move {
        loop {
            let last_pass = Instant::now();
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
            changes.drain(|_| false);
            loop {
                tokio::time::sleep(every).await;
                let busy = changes.drain(|e| matches!(e, Event::Mailbox { .. }));
                if !busy || last_pass.elapsed() >= MAX_DEFER {
                    break;
                }
            }
        }
    })
}
