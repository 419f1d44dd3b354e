//! Copying a whole embedded store (a data directory's SQLite database and message files)
//! into an empty PostgreSQL database: how an installation moves to the shared store.
//!
//! How it works: one blocking thread reads the SQLite database inside one read transaction
//! (a consistent snapshot, taken while `heron serve` may go on writing) and sends rows in
//! batches over a bounded channel ([`source`]); this task writes them into PostgreSQL inside
//! one transaction ([`target`]), then sets the identity sequences past the copied ids and
//! commits. Message bytes travel with the first message (or spool entry) that names them, so
//! the progress in messages is also the progress in bytes. After the commit, each table's row
//! count is compared with the snapshot's and each message's bytes, as PostgreSQL reassembles
//! them, are hashed there (SHA-256) and compared with the hash of the bytes read here.
//!
//! Invariants: ids (domains, users, folders, spool entries, tokens...), UIDs, UIDVALIDITY,
//! UIDNEXT, modseqs, flags and internal dates are kept, so IMAP clients' caches stay valid;
//! a sequence never hands out an id SQLite already used (`sqlite_sequence` is honoured). The
//! target must be empty: a database holding any row of these tables is refused before
//! anything is written, and a copy that fails leaves it as it was (one transaction). Not
//! copied: the change log (events of the old process) and the spool leases (every copied
//! entry is free for the new nodes at once).
//!
//! The copied tables, their columns and how each is typed in PostgreSQL are listed in
//! `tables`; a test (`tests`) checks the list against both schemas.

mod source;
mod tables;
mod target;
#[cfg(test)]
mod tests;

use std::path::Path;

use rusqlite::types::Value;

use crate::error::StoreError;

pub(crate) use tables::{BLOBS, Kind, TABLES, Table};

/// How far a copy is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

/// The stages a copy goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Messages written (with their bytes).
    Copying,
    /// Messages whose bytes were checked in PostgreSQL.
    Checking,
}

/// One table's rows on both sides after a copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub source: u64,
    pub target: u64,
}

/// What a copy did and what its checks found.
#[derive(Clone, Debug, Default)]
pub struct CopyReport {
    pub tables: Vec<TableCount>,
    /// Stored messages (distinct byte blobs) whose SHA-256 matched on both sides.
    pub blobs_checked: u64,
    /// Their bytes in all.
    pub bytes: u64,
    /// Every difference found; empty when the copy is exact.
    pub mismatches: Vec<String>,
}

/// Why a copy did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The target database holds data (what it holds, per table).
    #[error(
        "the target database is not empty ({0}); a store is copied only into an empty \
         database (make a new one with createdb)"
    )]
    NotEmpty(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for CopyError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for CopyError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Store(e.into())
    }
}

/// One stored message's bytes as read from the source.
pub(crate) struct BlobCopy {
    pub id: String,
    pub refs: i64,
    pub bytes: Vec<u8>,
    pub head: Vec<u8>,
    pub sha256: [u8; 32],
}

/// What the source sends, in the order it is to be written.
pub(crate) enum Item {
    /// Rows per table in the snapshot ([`TABLES`] and [`BLOBS`]); sent first.
    Counts(Vec<(&'static str, u64)>),
    /// Message bytes, sent before the rows that name them.
    Blobs(Vec<BlobCopy>),
    Rows {
        table: &'static Table,
        rows: Vec<Vec<Value>>,
    },
    /// The highest id SQLite ever gave per table (`sqlite_sequence`); sent last.
    Sequences(Vec<(String, i64)>),
}

/// Copy the embedded store of the data directory `from` into the empty PostgreSQL database
/// at `to`, reporting progress to `progress`; then check the copy. An `Err` means nothing was
/// copied (or the check could not run); a report with mismatches means the copy differs.
pub async fn sqlite_to_postgres(
    from: &Path,
    to: &str,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> std::result::Result<CopyReport, CopyError> {
    if !from.join("heron.db").is_file() {
        return Err(
            StoreError::NotFound(format!("Heron data directory {}", from.display())).into(),
        );
    }
    // The normal open path brings an older database's schema up to date first.
    let sqlite = crate::sqlite::SqliteStore::open(from)?;
    let pg = crate::postgres::PgStore::connect(to).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let reader = source::start(from.join("heron.db"), sqlite.blobs().clone(), tx);
    let written = target::write(&pg, rx, progress).await;
    // The reader stops at its next send once the receiver is gone.
    let read = reader
        .await
        .map_err(|e| StoreError::Db(format!("the reader stopped: {e}")))?;
    // A reader that failed is the cause of the writer's failure, if any.
    let copied = match (written, read) {
        (Ok(c), Ok(())) => c,
        (_, Err(e)) => return Err(e.into()),
        (Err(e), Ok(())) => return Err(e),
    };
    Ok(target::check(&pg, copied, progress).await?)
}
