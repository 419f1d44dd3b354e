//! Removing message files no record refers to. A backend that writes large messages to the
//! [`FileBlobStore`] before their records commit leaves the file behind, with nothing naming
//! it, when the process is killed in between. [`sweep`] removes such files; a server runs it
//! at start and every [`ORPHAN_SWEEP_EVERY`], asking the backend which ids it has no record of.
//!
//! Invariants: a file is removed only when it is older than [`ORPHAN_MIN_AGE`] (far longer
//! than any write transaction takes between writing a file and committing its record, in this
//! or another process on the same data directory) and the backend has no record of its id.
//! Empty files (spares, made ahead of time and not yet written) and names that are not blob
//! ids are never removed here. A file that is removed was unreachable: no message or spool
//! entry could ever read it.

use std::future::Future;
use std::time::{Duration, SystemTime};

use crate::blob::{BlobStore, FileBlobStore};
use crate::error::{Result, StoreError};
use crate::model::BlobId;

/// How old a file with no record must be before it is removed: any write in flight commits
/// or fails well within this.
pub const ORPHAN_MIN_AGE: Duration = Duration::from_secs(3600);

/// How often a running server looks for files with no record.
pub const ORPHAN_SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Remove the files of `blobs` older than `min_age` whose ids `unreferenced` returns (it is
/// given candidate ids and answers those the backend has no record of), and writes older than
/// that left unfinished in `tmp/`. Returns how many files were removed.
pub async fn sweep<F, Fut>(
    blobs: &FileBlobStore,
    min_age: Duration,
    mut unreferenced: F,
) -> Result<usize>
where
    F: FnMut(Vec<BlobId>) -> Fut,
    Fut: Future<Output = Result<Vec<BlobId>>>,
{
    let before = SystemTime::now()
        .checked_sub(min_age)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let files = blobs.clone();
    let (dirs, mut removed) = tokio::task::spawn_blocking(move || {
        Ok::<_, StoreError>((files.blob_dirs()?, files.remove_stale_tmp(before)?))
    })
    .await
    .map_err(|e| StoreError::Db(format!("orphan sweep task failed: {e}")))??;
    // One directory at a time, so memory stays bounded by a 256th of the files.
    for dir in dirs {
        let files = blobs.clone();
        let old = tokio::task::spawn_blocking(move || files.written_before(&dir, before))
            .await
            .map_err(|e| StoreError::Db(format!("orphan sweep task failed: {e}")))??;
        if old.is_empty() {
            continue;
        }
        for id in unreferenced(old).await? {
            tracing::info!(target: "events", "removing message file {id}: no record refers to it");
            blobs.delete(&id).await?;
            removed += 1;
        }
    }
    Ok(removed)
}
