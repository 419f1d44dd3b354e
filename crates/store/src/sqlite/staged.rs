//! Where a message's bytes go before its record commits. Messages up to [`INLINE_MAX`] are
//! kept in the `blobs` row itself, so they become durable with the same group commit as
//! their metadata (no file, no extra fsync); larger ones are written to the blob directory
//! and fsync'd first.
//!
//! Invariant: a `Staged` value names bytes that are either in memory, to be inserted in the
//! same transaction as the records that refer to them, or already durable on disk. Its kept
//! header block follows the shared rule ([`crate::rules::head`]) and its id the blob id rule
//! ([`crate::rules::blob_id`]).

use rusqlite::{Connection, OptionalExtension, params};
use tokio::task::JoinSet;

use super::SqliteStore;
use crate::blob::BlobStore;
use crate::error::{Result, StoreError};
use crate::model::{BlobId, MessageBytes};
use crate::rules::blob_id;
use crate::rules::head::{header_block, joined_head};

/// Largest message kept inside the database. Larger ones go to files: every inline byte is
/// written twice (WAL, then the checkpoint into the database file), and under a sustained
/// flood of 100 KB messages the checkpointer fell behind, so the WAL grew on fresh disk
/// blocks the kernel zeroes first; inbound throughput of such mail then varied by a third
/// from run to run.
pub const INLINE_MAX: usize = 64 * 1024;

/// Most blob files written at once by a batch.
const PARALLEL_PUTS: usize = 16;

/// Bytes ready to be referred to by a record.
pub struct Staged {
    pub id: BlobId,
    pub size: u64,
    /// The bytes, when they go inside the database.
    pub inline: Option<Vec<u8>>,
    /// The header block, kept apart so header searches need not read whole messages.
    pub head: Vec<u8>,
}

impl Staged {
    fn inline(bytes: Vec<u8>) -> Self {
        Self {
            id: blob_id::new(),
            size: bytes.len() as u64,
            head: header_block(&bytes).to_vec(),
            inline: Some(bytes),
        }
    }
    /// The id if the bytes are in a file (to delete on failure).
    pub fn file_id(&self) -> Option<BlobId> {
        self.inline.is_none().then(|| self.id.clone())
    }
}

/// Insert the blob row, with its bytes when inline.
pub fn add_blob(c: &Connection, s: &Staged, refs: usize) -> Result<()> {
    c.prepare_cached("INSERT INTO blobs (id, refs, size, data) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            s.id,
            refs as i64,
            s.size as i64,
            s.inline.as_deref()
        ])?;
    c.prepare_cached("INSERT INTO blob_headers (blob_id, data) VALUES (?1, ?2)")?
        .execute(params![s.id, s.head])?;
    Ok(())
}

/// The inline bytes of a blob: `Some(Some)` inline, `Some(None)` in a file, `None` unknown.
pub fn inline_bytes(c: &Connection, id: &str) -> Result<Option<Option<Vec<u8>>>> {
    Ok(c.prepare_cached("SELECT data FROM blobs WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

impl SqliteStore {
    /// Stage one message's bytes.
    pub(crate) async fn stage(&self, bytes: MessageBytes) -> Result<Staged> {
        if bytes.len() <= INLINE_MAX {
            return Ok(Staged::inline(bytes.into_vec()));
        }
        let size = bytes.len() as u64;
        let head = joined_head(&bytes);
        let id = self.blobs().put(bytes).await?;
        Ok(Staged {
            id,
            size,
            inline: None,
            head,
        })
    }

    /// Stage many, writing the large ones to files with bounded parallelism, in input order.
    pub(crate) async fn stage_many(&self, bodies: Vec<Vec<u8>>) -> Result<Vec<Staged>> {
        let mut out: Vec<Option<Staged>> = Vec::with_capacity(bodies.len());
        let mut set = JoinSet::new();
        let mut first_err = None;
        for (i, body) in bodies.into_iter().enumerate() {
            if body.len() <= INLINE_MAX {
                out.push(Some(Staged::inline(body)));
                continue;
            }
            out.push(None);
            if set.len() >= PARALLEL_PUTS
                && let Some(done) = set.join_next().await
            {
                collect(done, &mut out, &mut first_err);
            }
            let this = self.clone();
            set.spawn(async move { (i, this.stage(body.into()).await) });
        }
        while let Some(done) = set.join_next().await {
            collect(done, &mut out, &mut first_err);
        }
        let staged: Vec<Staged> = out.into_iter().flatten().collect();
        if let Some(e) = first_err {
            self.discard(staged.iter().filter_map(Staged::file_id))
                .await;
            return Err(e);
        }
        Ok(staged)
    }

    /// Remove blob files whose records did not commit (or are no longer referenced).
    pub(crate) async fn discard(&self, ids: impl IntoIterator<Item = BlobId>) {
        for id in ids {
            if let Err(e) = self.blobs().delete(&id).await {
                tracing::warn!("removing blob {id} failed: {e}");
            }
        }
    }
}

type Done = std::result::Result<(usize, Result<Staged>), tokio::task::JoinError>;

fn collect(done: Done, out: &mut [Option<Staged>], err: &mut Option<StoreError>) {
    match done {
        Ok((i, Ok(s))) => out[i] = Some(s),
        Ok((_, Err(e))) => *err = err.take().or(Some(e)),
        Err(e) => *err = err.take().or(Some(StoreError::Db(e.to_string()))),
    }
}
