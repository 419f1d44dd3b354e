//! Message bytes as files, spread over 256 sub-directories so no directory grows without
//! bound. A returned id always names durable bytes: `put` writes into a *spare* — an empty
//! file made ahead of time at its final path, whose directory entry is already on disk — and
//! `fdatasync`s it, so the one flush on the message's path is its data. Spares are made in
//! batches off that path (each batch's directories fsync'd once) and listed first in a log of
//! this process under `spares/`, which the process keeps locked while it runs; a process that
//! opens the store removes the unused (still empty) spares of logs nobody holds any more, and
//! never touches those of a running process. When no spare is ready, the blob is written to
//! `tmp/`, fsync'd, renamed into place and its directory fsync'd.
//!
//! Blobs are immutable once written. Removal is done by the metadata store once no message or
//! spool entry refers to a blob. A process killed between writing a blob and committing its
//! record leaves a file nothing refers to; [`FileBlobStore::written_before`] lists the files
//! old enough to be such leftovers (never an empty file: that is a spare, or an unused one of
//! a stopped process, which [`FileBlobStore::open`] removes) and the metadata store removes
//! those it has no record of ([`crate::orphans`]). Ids follow [`crate::rules::blob_id`].

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;

use crate::error::{Result, StoreError};
use crate::model::{BlobId, MessageBytes};
use crate::rules::blob_id;

/// Storage of immutable message bytes.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Store a message durably, its prefix and body one after the other; returns its id.
    async fn put(&self, bytes: MessageBytes) -> Result<BlobId>;
    /// Read a blob whole.
    async fn get(&self, id: &str) -> Result<Vec<u8>>;
    /// Remove a blob; removing a missing blob is not an error.
    async fn delete(&self, id: &str) -> Result<()>;
}

/// The file that holds blob deletions while a backup copies files (see
/// [`FileBlobStore::hold_deletes`]).
pub const DELETES_HELD: &str = "deletes-held";
/// A hold older than this was left by a backup that died: it no longer counts.
pub const HOLD_STALE: std::time::Duration = std::time::Duration::from_secs(86_400);

/// While alive, no process removes a blob file of this store (they become orphans, swept
/// after the hold ends), so a backup's snapshot of the records finds every file it names.
#[derive(Debug)]
pub struct DeleteHold {
    path: PathBuf,
}

impl Drop for DeleteHold {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Spares made per batch; a new batch starts when fewer than half are left.
const SPARES: usize = 64;

/// Blobs as files under one directory.
#[derive(Clone, Debug)]
pub struct FileBlobStore {
    root: PathBuf,
    spares: Arc<Spares>,
}

/// Empty files made ahead of time, ready to be written.
#[derive(Debug, Default)]
struct Spares {
    ready: Mutex<Vec<BlobId>>,
    making: AtomicBool,
    /// This process's list of the spares it made, locked while the process runs.
    log: Mutex<Option<(PathBuf, File)>>,
}

fn io_err(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl FileBlobStore {
    /// Hold every deletion of blob files, in every process using this directory, until the
    /// guard is dropped. Fails while another live hold exists (one backup at a time).
    pub fn hold_deletes(&self) -> Result<DeleteHold> {
        let path = self.root.join(DELETES_HELD);
        if self.deletes_held() {
            return Err(StoreError::Conflict(format!(
                "{} exists: another backup is running (remove the file if none is)",
                path.display()
            )));
        }
        let mut f = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        f.write_all(format!("{}\n", std::process::id()).as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| io_err(&path, e))?;
        Ok(DeleteHold { path })
    }

    /// Whether a live hold on deletions exists ([`Self::hold_deletes`]).
    pub fn deletes_held(&self) -> bool {
        fs::metadata(self.root.join(DELETES_HELD))
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age < HOLD_STALE))
    }

    /// The directory holding the files.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of the file holding blob `id`.
    pub fn file_of(&self, id: &str) -> Result<PathBuf> {
        self.path_of(id)
    }

    /// Open (creating if needed) a blob directory.
    pub fn open(root: &Path) -> Result<Self> {
        fs::create_dir_all(root.join("tmp")).map_err(|e| io_err(root, e))?;
        let store = Self {
            root: root.to_path_buf(),
            spares: Arc::default(),
        };
        store.remove_unused_spares()?;
        Ok(store)
    }

    /// Remove the spares that processes no longer running listed and never wrote (empty
    /// files), with their logs. A log still locked belongs to a running process.
    fn remove_unused_spares(&self) -> Result<()> {
        let dir = self.root.join("spares");
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err(&dir, e)),
        };
        for entry in entries {
            let log = entry.map_err(|e| io_err(&dir, e))?.path();
            let Ok(f) = OpenOptions::new().read(true).write(true).open(&log) else {
                continue;
            };
            if f.try_lock().is_err() {
                continue;
            }
            let text = fs::read_to_string(&log).map_err(|e| io_err(&log, e))?;
            for id in text.lines() {
                let Ok(path) = self.path_of(id.trim()) else {
                    continue;
                };
                if fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
                    fs::remove_file(&path).map_err(|e| io_err(&path, e))?;
                }
            }
            fs::remove_file(&log).map_err(|e| io_err(&log, e))?;
        }
        Ok(())
    }

    /// Append `ids` to this process's spares log (made and locked on first use), fsync'd.
    fn log_spares(&self, ids: &[BlobId]) -> Result<()> {
        let mut guard = self
            .spares
            .log
            .lock()
            .map_err(|_| StoreError::Db("spares log lock poisoned".into()))?;
        if guard.is_none() {
            let dir = self.root.join("spares");
            fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
            let path = dir.join(format!("{:016x}.log", rand::random::<u64>()));
            let f = File::create_new(&path).map_err(|e| io_err(&path, e))?;
            f.lock().map_err(|e| io_err(&path, e))?;
            sync_dir(&dir)?;
            *guard = Some((path, f));
        }
        let Some((path, f)) = guard.as_mut() else {
            return Err(StoreError::Db("no spares log".into()));
        };
        f.write_all(format!("{}\n", ids.join("\n")).as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| io_err(path, e))
    }

    /// Make a batch of spares: list them in this process's log (fsync'd), create them in one
    /// directory, fsync it once (which makes the new entries and their empty inodes durable),
    /// then offer them.
    fn make_spares(&self) -> Result<()> {
        // One directory per batch (the 256 are still filled evenly over batches), so the
        // whole batch is made durable by one directory fsync.
        let shard = rand::random::<u8>();
        let ids: Vec<BlobId> = (0..SPARES).map(|_| blob_id::in_dir(shard)).collect();
        self.log_spares(&ids)?;
        let mut dirs = BTreeSet::new();
        for id in &ids {
            let path = self.path_of(id)?;
            let dir = path.parent().unwrap_or(&self.root).to_path_buf();
            if !dir.exists() {
                fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
                sync_dir(&self.root)?;
            }
            File::create_new(&path).map_err(|e| io_err(&path, e))?;
            dirs.insert(dir);
        }
        for dir in &dirs {
            sync_dir(dir)?;
        }
        if let Ok(mut ready) = self.spares.ready.lock() {
            ready.extend(ids);
        }
        Ok(())
    }

    /// A spare to write into, if one is ready; starts a new batch when they run low.
    fn take_spare(&self) -> Option<BlobId> {
        let (id, left) = {
            let mut ready = self.spares.ready.lock().ok()?;
            let id = ready.pop();
            (id, ready.len())
        };
        if left < SPARES / 2 && !self.spares.making.swap(true, Ordering::AcqRel) {
            let this = self.clone();
            std::thread::spawn(move || {
                if let Err(e) = this.make_spares() {
                    tracing::warn!("making spare blob files failed: {e}");
                }
                this.spares.making.store(false, Ordering::Release);
            });
        }
        id
    }

    /// The sub-directories blob files live in (`00` to `ff`, those that exist).
    pub fn blob_dirs(&self) -> Result<Vec<PathBuf>> {
        let mut dirs: Vec<PathBuf> = read_dir_or_empty(&self.root)?
            .into_iter()
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_hexdigit()))
            })
            .map(|e| e.path())
            .collect();
        dirs.sort();
        Ok(dirs)
    }

    /// Ids of the non-empty blob files in `dir` (one of [`blob_dirs`](Self::blob_dirs)) last
    /// written before `before`. Empty files are spares and are never listed.
    pub fn written_before(&self, dir: &Path, before: SystemTime) -> Result<Vec<BlobId>> {
        let mut ids = Vec::new();
        for file in read_dir_or_empty(dir)? {
            let Some(id) = file.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if self.path_of(&id).ok().as_deref() != Some(file.path().as_path()) {
                continue;
            }
            if file
                .metadata()
                .is_ok_and(|m| m.is_file() && m.len() > 0 && m.modified().is_ok_and(|t| t < before))
            {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Remove the files in `tmp/` last written before `before`: writes that never reached
    /// their final name (the process stopped first). Returns how many were removed.
    pub fn remove_stale_tmp(&self, before: SystemTime) -> Result<usize> {
        let mut n = 0;
        for file in read_dir_or_empty(&self.root.join("tmp"))? {
            let path = file.path();
            if file
                .metadata()
                .is_ok_and(|m| m.is_file() && m.modified().is_ok_and(|t| t < before))
            {
                match fs::remove_file(&path) {
                    Ok(()) => n += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(&path, e)),
                }
            }
        }
        Ok(n)
    }

    /// Where a blob's file lives. Ids are 32 lower-case hex digits; anything else is refused
    /// so an id can never escape the blob directory.
    fn path_of(&self, id: &str) -> Result<PathBuf> {
        if !blob_id::is_valid(id) {
            return Err(StoreError::Corrupt(format!("bad blob id {id:?}")));
        }
        Ok(self.root.join(&id[..2]).join(id))
    }

    fn put_sync(&self, bytes: &MessageBytes) -> Result<BlobId> {
        let write = |f: &mut File| {
            f.write_all(&bytes.prefix)
                .and_then(|()| f.write_all(&bytes.body))
        };
        if let Some(id) = self.take_spare() {
            let path = self.path_of(&id)?;
            let mut f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| io_err(&path, e))?;
            // The entry is durable already: flushing the data (and its length) is enough.
            write(&mut f)
                .and_then(|()| f.sync_data())
                .map_err(|e| io_err(&path, e))?;
            return Ok(id);
        }
        let id = blob_id::new();
        let dest = self.path_of(&id)?;
        let tmp = self.root.join("tmp").join(&id);
        let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
        write(&mut f).map_err(|e| io_err(&tmp, e))?;
        f.sync_all().map_err(|e| io_err(&tmp, e))?;
        drop(f);
        let dir = dest.parent().unwrap_or(&self.root);
        if !dir.exists() {
            fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
            sync_dir(&self.root)?;
        }
        fs::rename(&tmp, &dest).map_err(|e| io_err(&dest, e))?;
        sync_dir(dir)?;
        Ok(id)
    }
}

/// The entries of a directory (none when it does not exist); unreadable entries are skipped.
fn read_dir_or_empty(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    match fs::read_dir(dir) {
        Ok(entries) => Ok(entries.filter_map(std::result::Result::ok).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io_err(dir, e)),
    }
}

/// fsync a directory so a rename or create inside it is durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err(dir, e))
}

impl FileBlobStore {
    /// A blob's bytes, read on the calling thread (for a caller already off the async
    /// runtime); `None` when there is no such blob.
    pub fn get_sync(&self, id: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path_of(id)?;
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path, e)),
        }
    }
}

#[async_trait]
impl BlobStore for FileBlobStore {
    async fn put(&self, bytes: MessageBytes) -> Result<BlobId> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.put_sync(&bytes))
            .await
            .map_err(|e| StoreError::Db(format!("blob writer task failed: {e}")))?
    }

    async fn get(&self, id: &str) -> Result<Vec<u8>> {
        let path = self.path_of(id)?;
        tokio::fs::read(&path).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                StoreError::NotFound(format!("blob {id}"))
            } else {
                io_err(&path, e)
            }
        })
    }

    async fn delete(&self, id: &str) -> Result<()> {
        if self.deletes_held() {
            // A backup is copying files: this one stays, and the orphan sweep removes it
            // once the hold is over (no record refers to it).
            return Ok(());
        }
        let path = self.path_of(id)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path, e)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn files(root: &Path) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for d in fs::read_dir(root).unwrap() {
            let d = d.unwrap().path();
            let name = d.file_name().unwrap().to_owned();
            if d.is_dir() && name != "tmp" && name != "spares" {
                for f in fs::read_dir(&d).unwrap() {
                    let f = f.unwrap();
                    out.push((
                        f.file_name().into_string().unwrap(),
                        f.metadata().unwrap().len(),
                    ));
                }
            }
        }
        out
    }

    #[tokio::test]
    async fn a_hold_keeps_files_until_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::open(dir.path()).unwrap();
        let id = store.put(b"kept".to_vec().into()).await.unwrap();
        let path = store.file_of(&id).unwrap();
        let hold = store.hold_deletes().unwrap();
        // One hold at a time, seen by any handle on the directory.
        assert!(FileBlobStore::open(dir.path()).unwrap().deletes_held());
        assert!(store.hold_deletes().is_err());
        store.delete(&id).await.unwrap();
        assert!(path.exists());
        drop(hold);
        assert!(!store.deletes_held());
        store.delete(&id).await.unwrap();
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn spares_are_used_and_unused_ones_removed_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::open(dir.path()).unwrap();
        // The first put finds no spare (and starts a batch); wait for it.
        let first = store.put(b"first".to_vec().into()).await.unwrap();
        for _ in 0..500 {
            if !store.spares.ready.lock().unwrap().is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let second = store.put(b"second".to_vec().into()).await.unwrap();
        assert_eq!(store.get(&first).await.unwrap(), b"first");
        assert_eq!(store.get(&second).await.unwrap(), b"second");
        assert!(
            files(dir.path()).iter().any(|(_, len)| *len == 0),
            "spares on disk"
        );
        while store.spares.making.load(Ordering::Acquire) {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        // Another process opening the store leaves a running process's spares alone.
        let other = FileBlobStore::open(dir.path()).unwrap();
        assert!(files(dir.path()).len() > 2);
        let third = store.put(b"third".to_vec().into()).await.unwrap();
        assert_eq!(other.get(&third).await.unwrap(), b"third");
        // Once it has stopped, its unused spares go.
        drop(store);
        drop(other);
        let again = FileBlobStore::open(dir.path()).unwrap();
        let left = files(dir.path());
        assert_eq!(left.len(), 3, "{left:?}");
        assert!(left.iter().all(|(_, len)| *len > 0));
        assert_eq!(again.get(&second).await.unwrap(), b"second");
        assert_eq!(fs::read_dir(dir.path().join("spares")).unwrap().count(), 0);
    }
}
