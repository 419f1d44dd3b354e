//! `heron backup DEST` and `heron restore SRC` (OPS-9): an online, consistent backup of an
//! installation on the embedded store, and its restore into an empty data directory.
//!
//! A backup directory holds `heron.db` (a snapshot of the database), the message files it
//! names under `blobs/`, the data directory's `tls/` (certificates and keys), and
//! `manifest.json` listing every file with its size and SHA-256. Backing up into the same
//! directory again copies only message files it lacks (they never change) and removes those
//! no longer named. The manifest is written last: a backup is complete when it names the
//! database snapshot now in the directory.
//!
//! Invariants: the server may run during a backup (the snapshot is one read transaction;
//! message-file removals wait, see `heron_store::sqlite::backup`); a restore writes only into
//! a directory with no database yet, checks every file against the manifest before it copies
//! anything, and leaves out `node-id` (the restored server is a node of its own unless the
//! old one is gone); on PostgreSQL both commands refuse and point to the database's own tools.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use heron_store::sqlite::backup::{BackedUp, copy_synced, digest};
use serde::{Deserialize, Serialize};

use crate::out::outln;

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The manifest's format.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: u32,
    /// When the backup finished (RFC 3339).
    created: String,
    /// The Heron version that made it.
    version: String,
    files: Vec<Entry>,
}

#[derive(Serialize, Deserialize, Clone)]
struct Entry {
    path: String,
    size: u64,
    sha256: String,
}

impl From<BackedUp> for Entry {
    fn from(b: BackedUp) -> Self {
        Self {
            path: b.path,
            size: b.size,
            sha256: b.sha256,
        }
    }
}

const PG_ADVICE: &str = "this installation's store is PostgreSQL: back it up with PostgreSQL's \
    own tools (pg_dump for a copy, or base backups with WAL archiving for point-in-time \
    recovery); the nodes' data directories hold only logs, certificates and their node id";

fn read_manifest(dir: &Path) -> anyhow::Result<Option<Manifest>> {
    let path = dir.join(MANIFEST);
    match fs::read(&path) {
        Ok(b) => {
            Ok(Some(serde_json::from_slice(&b).with_context(|| {
                format!("{} is not a manifest", path.display())
            })?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// `heron backup DEST`.
pub async fn backup(at: &super::Location, dest: &Path) -> anyhow::Result<()> {
    if at.store.is_some() {
        bail!("{PG_ADVICE}");
    }
    let data = fs::canonicalize(&at.data)
        .with_context(|| format!("cannot find the data directory {}", at.data.display()))?;
    fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    let dest = fs::canonicalize(dest)?;
    ensure!(
        !dest.starts_with(&data) && !data.starts_with(&dest),
        "the backup directory must be outside the data directory {}",
        data.display()
    );
    let o = super::open(at).await?;
    let super::Backend::Sqlite(store) = &o.store else {
        bail!("{PG_ADVICE}");
    };
    let earlier: HashMap<String, Entry> = read_manifest(&dest)?
        .map(|m| m.files.into_iter().map(|e| (e.path.clone(), e)).collect())
        .unwrap_or_default();
    let report = store
        .backup_to(&dest, move |path, size| {
            earlier
                .get(path)
                .filter(|e| e.size == size)
                .map(|e| e.sha256.clone())
        })
        .await
        .context("backup failed")?;
    let mut files: Vec<Entry> = report.files.into_iter().map(Entry::from).collect();
    files.extend(copy_tree(&data, &dest, "tls")?);
    let manifest = Manifest {
        format: FORMAT,
        created: chrono::Utc::now().to_rfc3339(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        files,
    };
    let tmp = dest.join(format!("{MANIFEST}.part"));
    fs::write(&tmp, serde_json::to_vec_pretty(&manifest)?)?;
    fs::File::open(&tmp)?.sync_all()?;
    fs::rename(&tmp, dest.join(MANIFEST))?;
    let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
    outln!(
        "backed up {} files ({bytes} bytes) into {}: {} message files copied, {} kept, {} removed",
        manifest.files.len(),
        dest.display(),
        report.copied,
        report.kept,
        report.removed
    );
    Ok(())
}

/// Copy the files under `data/sub` into `dest/sub`; their entries.
fn copy_tree(data: &Path, dest: &Path, sub: &str) -> anyhow::Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut stack = vec![data.join(sub)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = rel_path(data, &p)?;
            let to = dest.join(&rel);
            let (sha256, size) = copy_synced(&p, &to)?;
            keep_mode(&p, &to);
            out.push(Entry {
                path: rel,
                size,
                sha256,
            });
        }
    }
    Ok(out)
}

/// A copied private key keeps its owner-only mode.
fn keep_mode(from: &Path, to: &Path) {
    if let Ok(m) = fs::metadata(from) {
        let _ = fs::set_permissions(to, m.permissions());
    }
}

fn rel_path(base: &Path, p: &Path) -> anyhow::Result<String> {
    let rel = p.strip_prefix(base)?;
    Ok(rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}

/// A manifest path as a path under `dir`, refusing anything that would leave it.
fn under(dir: &Path, rel: &str) -> anyhow::Result<PathBuf> {
    ensure!(
        !rel.is_empty()
            && !rel.starts_with('/')
            && rel
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != ".."),
        "the manifest names a bad path {rel:?}"
    );
    Ok(dir.join(rel))
}

/// `heron restore SRC` into the data directory.
pub async fn restore(at: &super::Location, src: &Path) -> anyhow::Result<()> {
    if at.store.is_some() {
        bail!("{PG_ADVICE}");
    }
    let Some(manifest) = read_manifest(src)? else {
        bail!("{} holds no {MANIFEST}: not a backup", src.display());
    };
    ensure!(
        manifest.format == FORMAT,
        "backup format {} is not known to this version",
        manifest.format
    );
    let data = &at.data;
    ensure!(
        !data.join(crate::datadir::DB_FILE).exists(),
        "{} already holds a database: restore into an empty directory",
        data.display()
    );
    ensure!(
        manifest
            .files
            .iter()
            .any(|f| f.path == crate::datadir::DB_FILE),
        "the backup has no database"
    );
    for f in &manifest.files {
        let p = under(src, &f.path)?;
        let (sha256, size) = digest(&p).with_context(|| format!("cannot read {}", p.display()))?;
        ensure!(
            sha256 == f.sha256 && size == f.size,
            "{} does not match the manifest (damaged or changed backup)",
            p.display()
        );
    }
    fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    // The database last: until it is there, the directory is not a data directory.
    let mut files = manifest.files.clone();
    files.sort_by_key(|f| f.path == crate::datadir::DB_FILE);
    for f in &files {
        let from = under(src, &f.path)?;
        let to = under(data, &f.path)?;
        let (sha256, _) = copy_synced(&from, &to)?;
        ensure!(
            sha256 == f.sha256,
            "{} changed while copied",
            from.display()
        );
        keep_mode(&from, &to);
    }
    // The restored store opens (and brings an older schema up to date).
    heron_store::SqliteStore::open(data).context("the restored store does not open")?;
    outln!(
        "restored {} files from {} (backup of {}) into {}",
        manifest.files.len(),
        src.display(),
        manifest.created,
        data.display()
    );
    Ok(())
}
