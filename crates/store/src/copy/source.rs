//! The reading side of a copy: a blocking thread holding one SQLite read transaction, so
//! every row it sends belongs to one snapshot even while a server writes to the database.
//!
//! Invariants: items go out in [`TABLES`] order; a blob is sent once, in a
//! [`Item::Blobs`] before the first rows naming it; [`Item::Sequences`] is the last item and
//! is sent only when everything before it was read, so a receiver that did not get it must
//! not commit. A failed send means the receiver gave up: the thread ends quietly.

use std::collections::HashSet;
use std::path::PathBuf;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;
use tokio::sync::mpsc::Sender;

use super::{BLOBS, BlobCopy, Item, TABLES, Table};
use crate::blob::{BlobStore, FileBlobStore};
use crate::error::{Result, StoreError};
use crate::rules::head::header_block;

/// Rows sent at once.
const BATCH_ROWS: usize = 500;
/// Message bytes sent at once (a batch is cut when it holds more).
const BATCH_BYTES: usize = 16 * 1024 * 1024;

/// Start reading the database at `db` (message files in `files`) into `out`.
pub(super) fn start(
    db: PathBuf,
    files: FileBlobStore,
    out: Sender<Item>,
) -> tokio::task::JoinHandle<Result<()>> {
    let rt = Handle::current();
    tokio::task::spawn_blocking(move || {
        let conn = Connection::open_with_flags(
            &db,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.execute_batch("PRAGMA busy_timeout = 15000;")?;
        let mut r = Reader {
            conn: &conn,
            files,
            rt,
            out,
            sent: HashSet::new(),
        };
        match r.run() {
            Err(Stop::Gone) => Ok(()),
            Err(Stop::Failed(e)) => Err(e),
            Ok(()) => Ok(()),
        }
    })
}

/// Why reading ended early.
enum Stop {
    /// The receiver is gone (it failed and reports why).
    Gone,
    Failed(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Failed(e)
    }
}

impl From<rusqlite::Error> for Stop {
    fn from(e: rusqlite::Error) -> Self {
        Stop::Failed(e.into())
    }
}

/// A blob's reference count, size, bytes when kept in the row, and kept header block.
type BlobRow = (i64, i64, Option<Vec<u8>>, Option<Vec<u8>>);

struct Reader<'c> {
    conn: &'c Connection,
    files: FileBlobStore,
    rt: Handle,
    out: Sender<Item>,
    /// Blobs already sent.
    sent: HashSet<String>,
}

impl Reader<'_> {
    fn send(&self, item: Item) -> std::result::Result<(), Stop> {
        self.out.blocking_send(item).map_err(|_| Stop::Gone)
    }

    fn run(&mut self) -> std::result::Result<(), Stop> {
        // DEFERRED: the snapshot is taken by the first read and held until the end.
        self.conn.execute_batch("BEGIN")?;
        let mut counts = Vec::new();
        for t in TABLES.iter().map(|t| t.name).chain([BLOBS]) {
            let n: i64 = self
                .conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
            counts.push((t, n as u64));
        }
        self.send(Item::Counts(counts))?;
        for t in TABLES {
            self.table(t)?;
        }
        self.unsent_blobs()?;
        let sequences = self.sequences()?;
        self.send(Item::Sequences(sequences))?;
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Every row of `t`, with the blobs they name sent first.
    fn table(&mut self, t: &'static Table) -> std::result::Result<(), Stop> {
        let list = match t.select {
            Some(s) => s.to_owned(),
            None => t
                .columns
                .iter()
                .map(|(c, _)| *c)
                .collect::<Vec<_>>()
                .join(", "),
        };
        let sql = format!("SELECT {list} FROM {} ORDER BY {}", t.name, t.order);
        let conn = self.conn;
        let mut st = conn.prepare(&sql)?;
        let mut rows = st.query([])?;
        let (mut batch, mut blobs, mut bytes) = (Vec::new(), Vec::new(), 0usize);
        while let Some(row) = rows.next()? {
            let values = (0..t.columns.len())
                .map(|i| row.get::<_, Value>(i))
                .collect::<rusqlite::Result<Vec<Value>>>()?;
            if let Some(i) = t.blob
                && let Some(Value::Text(id)) = values.get(i)
                && !self.sent.contains(id)
            {
                let b = self.blob(id)?;
                bytes += b.bytes.len();
                self.sent.insert(id.clone());
                blobs.push(b);
            }
            batch.push(values);
            if batch.len() >= BATCH_ROWS || bytes >= BATCH_BYTES {
                self.flush(t, &mut batch, &mut blobs)?;
                bytes = 0;
            }
        }
        self.flush(t, &mut batch, &mut blobs)
    }

    fn flush(
        &self,
        t: &'static Table,
        batch: &mut Vec<Vec<Value>>,
        blobs: &mut Vec<BlobCopy>,
    ) -> std::result::Result<(), Stop> {
        if !blobs.is_empty() {
            self.send(Item::Blobs(std::mem::take(blobs)))?;
        }
        if !batch.is_empty() {
            self.send(Item::Rows {
                table: t,
                rows: std::mem::take(batch),
            })?;
        }
        Ok(())
    }

    /// Blobs no message or spool entry named (none in a sound store), so the copy holds
    /// every row the source has.
    fn unsent_blobs(&mut self) -> std::result::Result<(), Stop> {
        let mut st = self.conn.prepare("SELECT id FROM blobs ORDER BY id")?;
        let ids = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        let mut blobs = Vec::new();
        for id in ids.iter().filter(|id| !self.sent.contains(*id)) {
            blobs.push(self.blob(id)?);
            if blobs.len() >= BATCH_ROWS {
                self.send(Item::Blobs(std::mem::take(&mut blobs)))?;
            }
        }
        if !blobs.is_empty() {
            self.send(Item::Blobs(blobs))?;
        }
        Ok(())
    }

    /// A blob's row, its bytes (in the row or in its file) and their hash.
    fn blob(&self, id: &str) -> std::result::Result<BlobCopy, Stop> {
        let row: Option<BlobRow> = self
            .conn
            .prepare_cached(
                "SELECT b.refs, b.size, b.data, h.data FROM blobs b \
                 LEFT JOIN blob_headers h ON h.blob_id = b.id WHERE b.id = ?1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((refs, size, inline, head)) = row else {
            return Err(StoreError::Corrupt(format!(
                "a record names blob {id}, which does not exist"
            ))
            .into());
        };
        let bytes = match inline {
            Some(b) => b,
            None => self.rt.block_on(self.files.get(id)).map_err(|e| match e {
                StoreError::NotFound(_) => StoreError::NotFound(format!(
                    "the message file of blob {id} (removed while copying? copy again, \
                     ideally with the server stopped)"
                )),
                e => e,
            })?,
        };
        if bytes.len() as i64 != size {
            return Err(StoreError::Corrupt(format!(
                "blob {id} holds {} bytes, its record says {size}",
                bytes.len()
            ))
            .into());
        }
        let head = head.unwrap_or_else(|| header_block(&bytes).to_vec());
        let sha256 = Sha256::digest(&bytes).into();
        Ok(BlobCopy {
            id: id.to_owned(),
            refs,
            bytes,
            head,
            sha256,
        })
    }

    /// The highest id SQLite gave per table, deleted rows included.
    fn sequences(&self) -> std::result::Result<Vec<(String, i64)>, Stop> {
        let exists: bool = self.conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'sqlite_sequence'",
            [],
            |r| r.get(0),
        )?;
        if !exists {
            return Ok(Vec::new());
        }
        let mut st = self.conn.prepare("SELECT name, seq FROM sqlite_sequence")?;
        let out = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<(String, i64)>>>()?;
        Ok(out)
    }
}
