//! The shared backend: PostgreSQL holds the metadata and the message bytes, so several nodes
//! serve one mail system with no shared disk.
//!
//! How it works: a pool of connections serves reads and write transactions; every write runs
//! in one transaction (PostgreSQL commits it durably and batches concurrent commits itself)
//! and is run again from the start when PostgreSQL picks it as a deadlock or serialization
//! victim. Message bytes are `bytea` chunks written in the transaction of the records that name
//! them ([`blobs`]). The schema is a list of numbered [`migrations`] applied at connect. Change
//! events go into a `changes` table and out with `NOTIFY`; a listener on its own connection
//! republishes other processes' events here ([`listener`]).
//!
//! Invariants: the same as the SQLite backend's, by the same [`crate::rules`]: UIDs strictly
//! increase per folder and are never reused (the folder row is locked while they are handed
//! out, so two nodes appending at once get distinct UIDs); a returned write is committed; an
//! event is published only after its transaction committed. Spool leases are taken with
//! `FOR UPDATE SKIP LOCKED`, so two nodes never lease one entry while its lease runs, and a
//! lease that ran out is taken over by whoever asks next.

/// Run `$body` inside a write transaction of `$store`, with `$tx` naming the open
/// [`tx::Tx`]; commit it, publish its events, and answer the body's value. A transaction that
/// PostgreSQL aborted for a deadlock or a serialization conflict is run again, a few times.
macro_rules! write_tx {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let store: &$crate::postgres::PgStore = &$store;
        let mut tries = 0u32;
        loop {
            let client = store.client().await?;
            #[allow(unused_mut)]
            let mut $tx = $crate::postgres::tx::Tx::begun(client)
                .await
                .map_err($crate::error::StoreError::from)?;
            let r: ::std::result::Result<_, $crate::postgres::error::Fail> = async { $body }.await;
            let r = match r {
                Ok(v) => {
                    let steps = $tx.take_steps();
                    $tx.commit(&store.inner.origin)
                        .await
                        .map(|ev| (v, ev, steps))
                }
                Err(e) => {
                    $tx.rollback().await;
                    Err(e)
                }
            };
            match r {
                Ok((v, events, steps)) => {
                    store.inner.committed(steps, events);
                    break Ok(v);
                }
                Err(e) if e.retryable() && tries < $crate::postgres::MAX_RETRIES => {
                    tries += 1;
                    tracing::debug!("transaction retried after {e:?}");
                    tokio::time::sleep($crate::postgres::retry_pause(tries)).await;
                }
                Err(e) => break Err($crate::error::StoreError::from(e)),
            }
        }
    }};
}

mod acl;
mod adder;
mod admin_account;
mod archive;
mod bayes;
mod blobs;
mod changes;
mod directory;
mod directory_rows;
mod directory_search;
mod dkim;
mod dmarc;
mod error;
mod folders;
mod greylist;
mod group;
mod heads;
mod held;
mod limits;
mod listener;
mod mail;
mod metadata;
pub mod migrations;
mod misc;
mod nodes;
mod pop_retrieval;
mod runs;
mod sessions;
mod spool;
mod stats;
mod textindex;
mod throttle;
mod tlsrpt;
mod tokens;
mod tx;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::error::{Result, StoreError};
use crate::events::{EventBus, Subscription};
use crate::model::FolderId;
use crate::traits::Store;

pub use migrations::{MIGRATIONS, Migration, MigrationState};

/// How many times a write transaction is run again when PostgreSQL keeps aborting it as a
/// deadlock or serialization victim.
pub(crate) const MAX_RETRIES: u32 = 5;

/// How long to wait before running an aborted transaction again for the `tries`-th time: a
/// random pause that grows with the tries, so the transactions that collided do not meet
/// again in step.
pub(crate) fn retry_pause(tries: u32) -> Duration {
    let ms: u64 = rand::Rng::gen_range(&mut rand::thread_rng(), 1..=20);
    Duration::from_millis(ms * u64::from(tries))
}

/// Connections one store handle keeps for its queries (the listener has one more).
const POOL_SIZE: usize = 16;

/// Longest wait for a free pooled connection, and for a new one to be made: past these a
/// call fails instead of hanging while the database is unreachable.
const WAIT_FOR_CONNECTION: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Session settings every connection runs with, whatever the server's defaults: a COMMIT
/// returns only once its WAL is flushed (the store's durability rule), and a session left
/// idle inside a transaction by a stalled caller is ended rather than holding its locks.
const SESSION: &str = "-c synchronous_commit=on -c idle_in_transaction_session_timeout=60000";

/// A pool of at most `size` connections to the database of `config`.
fn make_pool(config: &tokio_postgres::Config, size: usize) -> Result<Pool> {
    let manager = Manager::from_config(
        config.clone(),
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(WAIT_FOR_CONNECTION))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| StoreError::Db(format!("cannot make a connection pool: {e}")))
}

/// A store in a PostgreSQL database, shared by every node pointed at it.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// The group commit's own connections ([`group`]): made and served on its thread.
    group_pool: Pool,
    bus: EventBus,
    /// Tags this handle's rows in `changes` (its events are published here at commit, so the
    /// listener skips them) and its spool leases.
    origin: String,
    /// This node's lasting id (`heron serve` adopts the one kept in its data directory), for
    /// node records, holds, leases and per-node stops; `origin` until then.
    node: std::sync::OnceLock<String>,
    /// The listener task; it ends with the last handle.
    listener: tokio::task::JoinHandle<()>,
    /// Gathers the writes that lock folders into shared transactions.
    group: group::Group,
    /// Header blocks read for searches, by blob id.
    heads: heads::HeadCache,
    /// Recent changes of busy folders committed by this process, so IMAP catch-ups read
    /// only the folder's HIGHESTMODSEQ when the log covers them, and nothing while it is
    /// known current (the listener declares other processes' changes stale).
    changelog: Arc<crate::changelog::ChangeLog>,
    /// STATUS counts kept by folder stamp, brought forward by the change log.
    counts: crate::countcache::CountCache,
    /// The highest `\Recent` mark seen of each folder lately.
    recent: RecentFloors,
}

/// Folders' `\Recent` marks as this process last saw them: floors of the marks, since a
/// mark only moves up. Memory: at most [`RecentFloors::MAX`] folders (all forgotten past it).
/// Claims of one folder by this process take turns ([`RecentFloors::turn`]), so sessions
/// that saw the same new messages at once make one claim, not one each.
pub(crate) struct RecentFloors {
    marks: std::sync::Mutex<std::collections::HashMap<FolderId, u32>>,
    /// Turns, by folder id modulo their number.
    turns: Vec<tokio::sync::Mutex<()>>,
}

impl Default for RecentFloors {
    fn default() -> Self {
        Self {
            marks: Default::default(),
            turns: (0..Self::TURNS).map(|_| Default::default()).collect(),
        }
    }
}

impl RecentFloors {
    const MAX: usize = 65_536;
    const TURNS: usize = 64;

    /// Wait for `folder`'s turn to claim (shared with the folders of the same stripe).
    pub(crate) async fn turn(&self, folder: FolderId) -> tokio::sync::MutexGuard<'_, ()> {
        self.turns[folder.rem_euclid(Self::TURNS as i64) as usize]
            .lock()
            .await
    }

    /// The floor of `folder`'s mark, if one was seen.
    pub(crate) fn get(&self, folder: FolderId) -> Option<u32> {
        let marks = self.marks.lock().unwrap_or_else(|p| p.into_inner());
        marks.get(&folder).copied()
    }

    /// `folder`'s mark was seen at `mark`.
    pub(crate) fn raise(&self, folder: FolderId, mark: u32) {
        let mut marks = self.marks.lock().unwrap_or_else(|p| p.into_inner());
        if marks.len() >= Self::MAX && !marks.contains_key(&folder) {
            marks.clear();
        }
        let floor = marks.entry(folder).or_default();
        *floor = (*floor).max(mark);
    }
}

impl Inner {
    /// A write committed: the change log learns its steps (and of folders it changed without
    /// one) before its events go out, so nobody woken by them reads a log that is behind.
    fn committed(&self, steps: Vec<crate::changelog::Step>, events: Vec<crate::events::Event>) {
        let recorded: Vec<FolderId> = steps.iter().map(|s| s.folder).collect();
        self.changelog.record(steps);
        for e in &events {
            self.changelog.heard(e, &recorded);
        }
        for e in events {
            self.bus.publish(e);
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PgStore {
    /// Connect to the database at `url` (`postgres://user@host:port/db`), apply pending
    /// migrations, and start listening for other processes' changes.
    pub async fn connect(url: &str) -> Result<Self> {
        let config = url
            .parse::<tokio_postgres::Config>()
            .map_err(|e| StoreError::Db(format!("bad PostgreSQL URL: {e}")))?;
        Self::connect_with(config).await
    }

    /// [`connect`](Self::connect) with a parsed configuration.
    pub async fn connect_with(mut config: tokio_postgres::Config) -> Result<Self> {
        let options = match config.get_options() {
            Some(given) => format!("{SESSION} {given}"),
            None => SESSION.to_owned(),
        };
        config.options(&options);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let pool = make_pool(&config, POOL_SIZE)?;
        let group_pool = make_pool(&config, group::POOL_SIZE)?;
        migrations::apply(&mut pool.get().await?).await?;
        let bus = EventBus::new();
        let origin = format!("{:016x}", rand::random::<u64>());
        let changelog = Arc::new(crate::changelog::ChangeLog::default());
        let listener = listener::start(
            config,
            pool.clone(),
            bus.clone(),
            changelog.clone(),
            origin.clone(),
        )
        .await?;
        Ok(Self {
            inner: Arc::new_cyclic(|me| Inner {
                pool,
                group_pool,
                bus,
                origin,
                node: std::sync::OnceLock::new(),
                listener,
                group: group::Group::start(me.clone()),
                heads: heads::HeadCache::default(),
                changelog,
                counts: crate::countcache::CountCache::default(),
                recent: RecentFloors::default(),
            }),
        })
    }

    /// The migrations of this database, applied and pending.
    pub async fn migrations(&self) -> Result<Vec<MigrationState>> {
        let client = self.client().await?;
        let mut done = Vec::new();
        for r in client
            .query(
                &client
                    .prepare_cached(
                        "SELECT version, name, applied_at FROM migrations ORDER BY version",
                    )
                    .await?,
                &[],
            )
            .await?
        {
            done.push(MigrationState {
                version: r.try_get(0)?,
                name: r.try_get(1)?,
                applied_at: Some(r.try_get(2)?),
            });
        }
        Ok(migrations::merge(&done))
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<Object> {
        Ok(self.inner.pool.get().await?)
    }

    /// A connection of the group commit's pool (only its thread asks for them).
    pub(crate) async fn group_client(&self) -> Result<Object> {
        Ok(self.inner.group_pool.get().await?)
    }
}

#[async_trait]
impl Store for PgStore {
    fn subscribe(&self) -> Subscription {
        self.inner.bus.subscribe()
    }

    fn directory_generation(&self) -> Option<u64> {
        Some(self.inner.bus.directory_generation())
    }
}
