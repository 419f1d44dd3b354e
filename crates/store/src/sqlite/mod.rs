//! The embedded backend: SQLite (WAL, synchronous=FULL) for metadata, files for message bytes.
//!
//! Writes go through the group-commit [`writer`]; reads use a small pool of read-only
//! connections on blocking threads. Several processes may open the same data directory (the
//! server and the CLI): SQLite's locking serialises their writers, and the server polls the
//! `changes` table so edits made by another process reach its subscribers.

mod acl;
mod admin_account;
mod archive;
pub mod backup;
mod bayes;
mod changes;
mod counts;
mod directory;
mod directory_rows;
mod directory_search;
mod dkim;
mod dmarc;
mod error;
mod folders;
mod greylist;
mod held;
mod limits;
mod mail;
mod mail_tx;
mod metadata;
mod misc;
mod nodes;
mod orphans;
mod pop_retrieval;
mod schema;
mod sessions;
mod spool;
mod staged;
mod stats;
mod textindex;
mod throttle;
mod tlsrpt;
mod tokens;
mod version;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::blob::FileBlobStore;
use crate::changelog::ChangeLog;
use crate::error::{Result, StoreError};
use crate::events::{Event, EventBus, Subscription};
use crate::rules::json::from_json;
use crate::traits::Store;
use writer::{Durability, WriteCtx, Writer};

/// SQLite + files store rooted in a data directory.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    db_path: PathBuf,
    writer: Writer,
    readers: Mutex<Vec<Connection>>,
    /// STATUS counts of folders that have not changed since they were counted.
    counts: crate::countcache::CountCache,
    /// The recent changes of folders this process changed, for sessions catching up.
    changelog: Arc<ChangeLog>,
    blobs: FileBlobStore,
    bus: EventBus,
    origin: String,
    /// This node's lasting id (`heron serve` adopts the one kept in its data directory), for
    /// node records, holds, leases and per-node stops; `origin` until then.
    node: std::sync::OnceLock<String>,
    /// Tells the checkpointer thread to end.
    stop: Arc<AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(1000);

/// Copy committed WAL content into the database file in the background. PASSIVE checkpoints
/// never block the writer or readers, so commits do not pay for them; the WAL restarts from
/// its beginning once a checkpoint has caught up.
fn checkpointer(conn: Connection, stop: Arc<AtomicBool>) -> Result<()> {
    std::thread::Builder::new()
        .name("store-checkpoint".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(CHECKPOINT_EVERY);
                if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);") {
                    tracing::debug!("checkpoint: {e}");
                }
            }
        })
        .map(drop)
        .map_err(|e| StoreError::Db(format!("cannot start the checkpointer: {e}")))
}

/// Prepared statements each connection keeps (the store runs fewer distinct ones).
const STATEMENT_CACHE: usize = 256;

/// Read connections kept for reuse: as many as reads may run at once under load (one per
/// busy session at most), so a burst does not open and close connections.
const POOLED_READERS: usize = 64;

fn open_conn(path: &Path, read_only: bool) -> Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    // Every statement a connection runs stays prepared: parsing SQL costs more than most
    // of the reads on the delivery path.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch(schema::PRAGMAS)?;
    if read_only {
        conn.execute_batch(schema::READER_PRAGMAS)?;
    }
    Ok(conn)
}

impl SqliteStore {
    /// Open or create the store in `dir` (`heron.db` and `blobs/`).
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
            path: dir.display().to_string(),
            source: e,
        })?;
        let db_path = dir.join("heron.db");
        let conn = open_conn(&db_path, false)?;
        migrate(&conn)?;
        conn.execute_batch(schema::SCHEMA)?;
        recount_usage_if_older(&conn)?;
        separate_subscriptions_if_older(&conn)?;
        list_unindexed_if_older(&conn)?;
        // Checkpoints run on their own thread, off the commit path (see `checkpointer`).
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [schema::VERSION.to_string()],
        )?;
        let bus = EventBus::new();
        let origin = format!("{:016x}", rand::random::<u64>());
        let changelog = Arc::new(ChangeLog::default());
        let writer = Writer::start(conn, bus.clone(), changelog.clone(), origin.clone())?;
        let blobs = FileBlobStore::open(&dir.join("blobs"))?;
        let stop = Arc::new(AtomicBool::new(false));
        checkpointer(open_conn(&db_path, false)?, stop.clone())?;
        Ok(Self {
            inner: Arc::new(Inner {
                db_path,
                writer,
                readers: Mutex::new(Vec::new()),
                counts: crate::countcache::CountCache::default(),
                changelog,
                blobs,
                bus,
                origin,
                node: std::sync::OnceLock::new(),
                stop,
            }),
        })
    }

    /// The blob store holding message bytes.
    pub fn blobs(&self) -> &FileBlobStore {
        &self.inner.blobs
    }

    /// Run `f` on a pooled read connection in a blocking thread.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || with_reader(&inner, f))
            .await
            .map_err(|e| StoreError::Db(format!("reader task failed: {e}")))?
    }

    /// Run a short read on the calling thread: for one or a few rows found through an index
    /// (a folder's counters, its changes since a modseq, one folder row), which take less
    /// time than handing the work to a blocking thread and waking the caller again. Reads
    /// that may scan a folder or read message bytes go through [`Self::read`].
    pub(crate) fn read_now<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Connection) -> Result<T>,
    {
        with_reader(&self.inner, f)
    }

    /// Run `f` in the next group commit.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut WriteCtx<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.inner.writer.write(Durability::Durable, f).await
    }

    /// Like [`Self::write`], but the caller hears `Ok` once committed, before the fsync
    /// (see [`writer`]): for flag changes and expunges only, never for mail or accounts.
    pub(crate) async fn write_relaxed<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut WriteCtx<'_>) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.inner.writer.write(Durability::Relaxed, f).await
    }

    /// Poll the change log for events committed by other processes and publish them here,
    /// until the returned task is aborted. Call once in a long-running server.
    pub fn start_change_poller(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut last: i64 = match this
                .read(|c| {
                    Ok(c.query_row("SELECT coalesce(max(id), 0) FROM changes", [], |r| r.get(0))?)
                })
                .await
            {
                Ok(v) => v,
                Err(e) => {
                    tracing::error!("change poller cannot start: {e}");
                    return;
                }
            };
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match this.poll_changes(last).await {
                    Ok((new_last, events)) => {
                        last = new_last;
                        for e in events {
                            this.inner.bus.publish(e);
                        }
                    }
                    Err(e) => tracing::warn!("change poll failed: {e}"),
                }
            }
        })
    }

    async fn poll_changes(&self, after: i64) -> Result<(i64, Vec<Event>)> {
        let origin = self.inner.origin.clone();
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT id, origin, event FROM changes WHERE id > ?1 ORDER BY id",
            )?;
            let rows = st.query_map([after], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            let mut last = after;
            let mut out = Vec::new();
            for row in rows {
                let (id, o, text) = row?;
                last = id;
                if o != origin
                    && let Ok(e) = from_json::<Event>(&text, "change event")
                {
                    out.push(e);
                }
            }
            Ok((last, out))
        })
        .await
    }
}

/// Run `f` on a pooled read connection (a new one when the pool is empty) and give the
/// connection back, unless `f` left it inside a statement or transaction.
fn with_reader<T>(inner: &Inner, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let pooled = inner.readers.lock().ok().and_then(|mut p| p.pop());
    let conn = match pooled {
        Some(c) => c,
        None => open_conn(&inner.db_path, true)?,
    };
    let r = f(&conn);
    // A statement left stepping or a transaction left open would pin this connection's
    // snapshot: every later read on it would miss newer commits. Such a connection is
    // closed instead of pooled.
    if conn.is_busy() || !conn.is_autocommit() {
        tracing::warn!("a store read left its connection in a transaction; closing it");
        return r;
    }
    if let Ok(mut p) = inner.readers.lock()
        && p.len() < POOLED_READERS
    {
        p.push(conn);
    }
    r
}

#[async_trait]
impl Store for SqliteStore {
    fn subscribe(&self) -> Subscription {
        self.inner.bus.subscribe()
    }

    /// The count of directory changes committed by any process sharing the database file
    /// (`directory_stamp`, bumped in the committing transaction): reading one row is
    /// cheaper than reading a domain, and a change made by the command line is seen at once
    /// rather than at the next poll of the change log.
    fn directory_generation(&self) -> Option<u64> {
        self.read_now(|c| {
            Ok(c.prepare_cached(schema::DIRECTORY_STAMP_READ)?
                .query_row([], |r| r.get::<_, i64>(0))?)
        })
        .ok()
        .map(|g| g as u64)
    }
}

/// Recount every user's `used_bytes` by the quota rule ([`crate::rules::quota`]: messages plus
/// [`folder_cost`](crate::rules::quota::folder_cost) of each folder) when the database was last
/// opened by a version that did not count folders.
fn recount_usage_if_older(conn: &Connection) -> Result<()> {
    if stored_version(conn)?.is_some_and(|v| v >= schema::FOLDERS_IN_QUOTA) {
        return Ok(());
    }
    conn.execute(
        "UPDATE users SET used_bytes = \
           coalesce((SELECT sum(m.size) FROM messages m JOIN folders f ON f.id = m.folder_id \
                     WHERE f.user_id = users.id), 0) \
         + coalesce((SELECT sum(?1 + length(CAST(name AS BLOB))) FROM folders \
                     WHERE user_id = users.id), 0)",
        [crate::rules::quota::FOLDER_OVERHEAD as i64],
    )?;
    Ok(())
}

/// When the database was last opened by a version that kept subscriptions as a column of
/// `folders`: copy the subscribed folders' names into `subscriptions` and each user's
/// highest folder UIDVALIDITY into `users.last_uidvalidity`. The old column stays, unused.
fn separate_subscriptions_if_older(conn: &Connection) -> Result<()> {
    if stored_version(conn)?.is_some_and(|v| v >= schema::SUBSCRIPTIONS_APART) {
        return Ok(());
    }
    let has_column: bool = conn.query_row(
        "SELECT count(*) FROM pragma_table_info('folders') WHERE name = 'subscribed'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if has_column {
        conn.execute(
            "INSERT OR IGNORE INTO subscriptions (user_id, name) \
             SELECT user_id, name FROM folders WHERE subscribed <> 0",
            [],
        )?;
    }
    conn.execute(
        "UPDATE users SET last_uidvalidity = max(last_uidvalidity, \
           coalesce((SELECT max(uidvalidity) FROM folders WHERE user_id = users.id), 0))",
        [],
    )?;
    Ok(())
}

/// When the database was last opened by a version without the search text tables: list
/// every message as pending, so searches scan them until the indexer has kept their text.
fn list_unindexed_if_older(conn: &Connection) -> Result<()> {
    if stored_version(conn)?.is_some_and(|v| v >= schema::TEXT_INDEX) {
        return Ok(());
    }
    conn.execute(
        "INSERT OR IGNORE INTO text_pending (folder_id, uid, cut) \
         SELECT folder_id, uid, 0 FROM messages",
        [],
    )?;
    Ok(())
}

/// The schema version the database was last opened with, if recorded.
fn stored_version(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .and_then(|v| v.parse().ok()))
}

/// Bring a database made by an older version up to [`schema::VERSION`]: add the columns
/// later versions introduced (before [`schema::SCHEMA`] creates indexes over them).
fn migrate(conn: &Connection) -> Result<()> {
    for (table, column, def) in schema::ADDED_COLUMNS {
        let exists: bool = conn
            .query_row(
                &format!("SELECT count(*) FROM pragma_table_info('{table}')"),
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)?;
        let has: bool = conn.query_row(
            &format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = ?1"),
            [column],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )?;
        if exists && !has {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {def};"))?;
        }
    }
    Ok(())
}
