//! Message copies kept apart from mailboxes: the outbound spool and the archive.
//!
//! Invariant: the bytes are stored before the record that names them, and go with it.

use async_trait::async_trait;

use crate::archive::{ArchiveQuery, Archived, NewArchived};
use crate::error::Result;
use crate::model::{MessageBytes, NewSpoolEntry, SpoolAttempt, SpoolChange, SpoolEntry};

/// The outbound spool's records (delivery itself lives in the queue).
///
/// Leases: a scheduler takes due entries with [`spool_lease`](SpoolStore::spool_lease), which
/// marks them in flight until a deadline; [`spool_finish`](SpoolStore::spool_finish) writes the
/// attempt's outcome and clears the lease. An entry whose lease is still set at start-up was in
/// flight when the process stopped and is retried (delivery is at-least-once).
#[async_trait]
pub trait SpoolStore: Send + Sync {
    /// Store the bytes and the entry durably.
    async fn spool_insert(&self, bytes: MessageBytes, e: NewSpoolEntry) -> Result<SpoolEntry>;
    /// Every entry, highest priority first.
    async fn spool_list(&self) -> Result<Vec<SpoolEntry>>;
    async fn spool_get(&self, id: i64) -> Result<Option<SpoolEntry>>;
    async fn spool_delete(&self, id: i64) -> Result<()>;
    /// The message bytes of an entry.
    async fn spool_read(&self, e: &SpoolEntry) -> Result<Vec<u8>>;
    /// Up to `limit` entries due at `now` and not leased, highest priority first then oldest,
    /// leased until `until` in the same transaction.
    async fn spool_lease(&self, now: i64, until: i64, limit: usize) -> Result<Vec<SpoolEntry>>;
    /// Write an attempt's outcome and clear the lease; an entry with no pending recipient left
    /// is removed with its bytes. Returns whether the entry still exists.
    async fn spool_finish(&self, id: i64, a: SpoolAttempt) -> Result<bool>;
    /// Clear leases that are set at `now` (in flight when the process stopped, or expired);
    /// returns the ids released.
    async fn spool_release(&self, now: i64) -> Result<Vec<i64>>;
    /// The earliest `next_attempt_at` of an entry not leased, if any.
    async fn spool_next_due(&self) -> Result<Option<i64>>;
    /// How many entries the spool holds, and when the oldest arrived (Unix seconds), for
    /// the metrics; one aggregate read.
    async fn spool_summary(&self) -> Result<(u64, Option<i64>)>;
    /// Apply an administrator's change; the entry as it is afterwards.
    async fn spool_change(&self, id: i64, c: SpoolChange) -> Result<SpoolEntry>;
}

/// The message archive (OPS-5, [`crate::archive`]): copies of a domain's traffic, kept
/// apart from mailboxes, each its own blob held by its row.
#[async_trait]
pub trait ArchiveStore: Send + Sync {
    /// Store a copy of a message and its record durably; returns the record.
    async fn archive_add(&self, bytes: MessageBytes, e: NewArchived) -> Result<Archived>;
    /// The records matching `q`, newest first: how many match in all, and the page
    /// `offset..offset+limit`.
    async fn archive_search(
        &self,
        q: &ArchiveQuery,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<Archived>)>;
    /// The records of these ids that exist, in the order given.
    async fn archive_get(&self, ids: &[i64]) -> Result<Vec<Archived>>;
    /// An archived message's bytes; NotFound when it was pruned meanwhile.
    async fn archive_read(&self, a: &Archived) -> Result<Vec<u8>>;
    /// Remove up to `limit` records archived before `before` (Unix seconds), oldest first,
    /// with their bytes; returns how many went.
    async fn archive_prune(&self, before: i64, limit: u64) -> Result<u64>;
}
