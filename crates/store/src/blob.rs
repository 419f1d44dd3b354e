//! Message bytes as files. Each blob is written to a temporary file, fsync'd, renamed into
//! place and its directory fsync'd before `put` returns, so a returned id always names durable
//! bytes. Files are spread over 256 sub-directories so no directory grows without bound.
//!
//! Blobs are immutable once written. Removal is done by the metadata store once no message or
//! spool entry refers to a blob.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::error::{Result, StoreError};
use crate::model::BlobId;

/// Storage of immutable message bytes.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Store bytes durably; returns their id.
    async fn put(&self, bytes: Vec<u8>) -> Result<BlobId>;
    /// Read a blob whole.
    async fn get(&self, id: &str) -> Result<Vec<u8>>;
    /// Remove a blob; removing a missing blob is not an error.
    async fn delete(&self, id: &str) -> Result<()>;
}

/// Blobs as files under one directory.
#[derive(Clone, Debug)]
pub struct FileBlobStore {
    root: PathBuf,
}

fn io_err(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl FileBlobStore {
    /// Open (creating if needed) a blob directory.
    pub fn open(root: &Path) -> Result<Self> {
        fs::create_dir_all(root.join("tmp")).map_err(|e| io_err(root, e))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// Where a blob's file lives. Ids are 32 lower-case hex digits; anything else is refused
    /// so an id can never escape the blob directory.
    fn path_of(&self, id: &str) -> Result<PathBuf> {
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Corrupt(format!("bad blob id {id:?}")));
        }
        Ok(self.root.join(&id[..2]).join(id))
    }

    fn put_sync(&self, bytes: &[u8]) -> Result<BlobId> {
        let id = format!("{:032x}", rand::random::<u128>());
        let dest = self.path_of(&id)?;
        let tmp = self.root.join("tmp").join(&id);
        let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
        f.write_all(bytes).map_err(|e| io_err(&tmp, e))?;
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

/// fsync a directory so a rename or create inside it is durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err(dir, e))
}

#[async_trait]
impl BlobStore for FileBlobStore {
    async fn put(&self, bytes: Vec<u8>) -> Result<BlobId> {
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
        let path = self.path_of(id)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path, e)),
        }
    }
}
