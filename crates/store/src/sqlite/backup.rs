//! Online backup of the embedded store (OPS-9): one consistent snapshot of the database and
//! the message files it names, copied into a backup directory while the server runs.
//!
//! The snapshot is `VACUUM INTO`, which reads inside one read transaction (writers go on,
//! WAL). Message files are immutable, so a file already in the backup directory with the
//! right size is kept (incremental by file) and files no longer named are removed there.
//! While the copy runs, a [`DeleteHold`](crate::blob::DeleteHold) stops every process from
//! removing message files, so each file the snapshot names is still there to copy (files
//! freed meanwhile are swept as orphans afterwards).
//!
//! Invariants: the backup's `heron.db` is replaced only after every file it names is copied
//! and synced; each file is written under a temporary name, synced, then renamed; the report
//! lists every file of the backup with its SHA-256, for the manifest.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::SqliteStore;
use crate::error::{Result, StoreError};

/// A file of the backup, relative to its directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackedUp {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// What a backup did.
#[derive(Debug, Default)]
pub struct BackupReport {
    /// The database snapshot and every message file, as they are in the backup.
    pub files: Vec<BackedUp>,
    /// Message files copied this time.
    pub copied: usize,
    /// Message files already in the backup and kept.
    pub kept: usize,
    /// Files of an earlier backup no longer named, removed.
    pub removed: usize,
}

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        source: e,
    }
}

/// SHA-256 (hex) and size of a file.
pub fn digest(path: &Path) -> Result<(String, u64)> {
    let mut f = File::open(path).map_err(|e| io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| io(path, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex(&h.finalize()), size))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Copy `from` to `to` through a temporary name, synced; its digest and size.
pub fn copy_synced(from: &Path, to: &Path) -> Result<(String, u64)> {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    let tmp = to.with_extension("part");
    let mut src = File::open(from).map_err(|e| io(from, e))?;
    let mut dst = File::create(&tmp).map_err(|e| io(&tmp, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = src.read(&mut buf).map_err(|e| io(from, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
        dst.write_all(&buf[..n]).map_err(|e| io(&tmp, e))?;
    }
    dst.sync_all().map_err(|e| io(&tmp, e))?;
    fs::rename(&tmp, to).map_err(|e| io(to, e))?;
    Ok((hex(&h.finalize()), size))
}

impl SqliteStore {
    /// Back the store up into `dest` (created if needed; an earlier backup there is brought
    /// up to date). `known` gives the digest of a file already in `dest` (from its last
    /// manifest), so kept files are not read again.
    pub async fn backup_to(
        &self,
        dest: &Path,
        known: impl Fn(&str, u64) -> Option<String> + Send + 'static,
    ) -> Result<BackupReport> {
        let hold = self.blobs().hold_deletes()?;
        let src_db = self.inner.db_path.clone();
        let blobs = self.blobs().clone();
        let dest = dest.to_path_buf();
        let report = tokio::task::spawn_blocking(move || {
            let r = run(&src_db, &blobs, &dest, &known);
            drop(hold);
            r
        })
        .await
        .map_err(|e| StoreError::Db(format!("backup task failed: {e}")))??;
        Ok(report)
    }
}

fn run(
    src_db: &Path,
    blobs: &crate::blob::FileBlobStore,
    dest: &Path,
    known: &dyn Fn(&str, u64) -> Option<String>,
) -> Result<BackupReport> {
    fs::create_dir_all(dest).map_err(|e| io(dest, e))?;
    let snapshot = dest.join("heron.db.part");
    let _ = fs::remove_file(&snapshot);
    let src = super::open_conn(src_db, true)?;
    src.execute("VACUUM INTO ?1", [snapshot.display().to_string()])?;
    drop(src);
    let files: Vec<(String, u64)> = {
        let snap = rusqlite::Connection::open(&snapshot)?;
        let mut st = snap.prepare("SELECT id, size FROM blobs WHERE data IS NULL ORDER BY id")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        rows.map(|r| r.map(|(id, size)| (id, u64::try_from(size).unwrap_or(0))))
            .collect::<rusqlite::Result<_>>()?
    };
    let mut report = BackupReport::default();
    let mut wanted = std::collections::HashSet::new();
    for (id, _) in &files {
        let from = blobs.file_of(id)?;
        let rel = relative(blobs, &from)?;
        let to = dest.join(&rel);
        let present = fs::metadata(&to).map(|m| m.len()).ok();
        let from_size = fs::metadata(&from).map_err(|e| io(&from, e))?.len();
        let (sha256, size) = match present {
            Some(n) if n == from_size => {
                report.kept += 1;
                match known(&rel, n) {
                    Some(d) => (d, n),
                    None => digest(&to)?,
                }
            }
            _ => {
                report.copied += 1;
                copy_synced(&from, &to)?
            }
        };
        wanted.insert(rel.clone());
        report.files.push(BackedUp {
            path: rel,
            size,
            sha256,
        });
    }
    report.removed = prune(&dest.join("blobs"), dest, &wanted)?;
    File::open(&snapshot)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(&snapshot, e))?;
    let db = dest.join("heron.db");
    fs::rename(&snapshot, &db).map_err(|e| io(&db, e))?;
    let (sha256, size) = digest(&db)?;
    report.files.insert(
        0,
        BackedUp {
            path: "heron.db".into(),
            size,
            sha256,
        },
    );
    Ok(report)
}

/// `file`'s path relative to the data directory (`blobs/..`), with `/` separators.
fn relative(blobs: &crate::blob::FileBlobStore, file: &Path) -> Result<String> {
    let base = blobs.root().parent().unwrap_or(blobs.root());
    let rel = file.strip_prefix(base).map_err(|_| {
        StoreError::Db(format!(
            "{} is not under the data directory",
            file.display()
        ))
    })?;
    Ok(rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}

/// Remove files under `dir` (relative to `dest`) not in `wanted`; how many.
fn prune(dir: &Path, dest: &Path, wanted: &std::collections::HashSet<String>) -> Result<usize> {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut stack: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(more) = fs::read_dir(&p) {
                stack.extend(more.flatten().map(|e| e.path()));
            }
            continue;
        }
        let rel = p
            .strip_prefix(dest)
            .map(|r| {
                r.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default();
        if !wanted.contains(&rel) {
            fs::remove_file(&p).map_err(|e| io(&p, e))?;
            removed += 1;
        }
    }
    Ok(removed)
}
