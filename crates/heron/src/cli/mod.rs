//! One module per CLI command. Every command opens the store itself, so all of them work
//! while `heron serve` runs on the same data directory or store (the server sees their
//! changes through the store's change log: polled on SQLite, `LISTEN/NOTIFY` on PostgreSQL).
//!
//! Invariants: only `serve` and `init` create a data directory ([`open_or_create`]); every
//! other command goes through [`open`], which refuses a directory that is not one. With a
//! shared store ([`Location::store`]) the data directory holds only what is the node's own
//! (logs, certificates, the serve lock) and the commands do not need one.

pub mod acme;
pub mod admin;
pub mod alias;
pub mod archive;
pub mod audit;
pub mod backup;
pub mod blocks;
pub mod bound;
pub mod dkim;
pub mod dns;
pub mod domain;
pub mod filter;
pub mod flood_sync;
pub mod import;
pub mod init;
pub mod migrate;
pub mod password;
pub mod pop_retrieval;
pub mod public;
pub mod serve;
pub mod settings;
pub mod spool;
pub mod startup;
pub mod stats;
pub mod store;
pub mod token;
pub mod user;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use heron_directory::Directory;
use heron_settings::Settings;
use heron_store::postgres::migrations;
use heron_store::{PgStore, SqliteStore, Store};

use crate::store_url::StoreUrl;

/// Where a command finds its data: the node's data directory, and the shared store when
/// one is named (otherwise the data directory's embedded one).
pub struct Location {
    pub data: PathBuf,
    pub store: Option<StoreUrl>,
}

/// The store a command opened, by backend: what is the same for both is reached through
/// [`Backend::shared`].
#[derive(Clone)]
pub enum Backend {
    /// SQLite and message files in the data directory.
    Sqlite(SqliteStore),
    /// A PostgreSQL database shared by every node.
    Postgres(PgStore),
}

impl Backend {
    /// The store as every service takes it.
    pub fn shared(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(s) => Arc::new(s.clone()),
            Self::Postgres(s) => Arc::new(s.clone()),
        }
    }

    /// Publish here the changes other processes commit, until the task is aborted. SQLite
    /// polls its change log; PostgreSQL's listener runs from connect, so there is no task.
    pub fn follow_changes(&self, every: Duration) -> Option<tokio::task::JoinHandle<()>> {
        match self {
            Self::Sqlite(s) => Some(s.start_change_poller(every)),
            Self::Postgres(_) => None,
        }
    }

    /// Remove, now and then every `every`, the message files a killed process wrote but
    /// never recorded. Only the file-backed store has such files: PostgreSQL writes bytes
    /// and records in one transaction.
    pub fn sweep_orphans(&self, every: Duration) -> Option<tokio::task::JoinHandle<()>> {
        match self {
            Self::Sqlite(s) => Some(s.start_orphan_sweeper(every)),
            Self::Postgres(_) => None,
        }
    }
}

/// The store opened for a command.
pub struct Opened {
    pub store: Backend,
    pub settings: Arc<Settings>,
    pub dir: Directory,
}

/// Open the store of an existing data directory, or the shared store.
pub async fn open(at: &Location) -> anyhow::Result<Opened> {
    if at.store.is_none() {
        crate::datadir::require(&at.data)?;
        // An embedded store is written by every verb: say plainly when it cannot be.
        crate::datadir::check_writable(&at.data)?;
    }
    load(connect(at).await?).await
}

/// Open the store, creating the data directory (and an embedded store in it) if needed
/// (`serve` and `init` only).
pub async fn open_or_create(at: &Location) -> anyhow::Result<Opened> {
    let data = &at.data;
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data directory {}", data.display()))?;
    crate::datadir::check_writable(data)?;
    load(connect(at).await?).await
}

/// [`open_or_create`] for the server: the store takes this node's lasting id from the data
/// directory ([`crate::datadir::node_id`]) before anything reads per-node state.
pub async fn open_as_node(at: &Location) -> anyhow::Result<Opened> {
    let data = &at.data;
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data directory {}", data.display()))?;
    crate::datadir::check_writable(data)?;
    let store = connect(at).await?;
    let id = crate::datadir::node_id(data)?;
    store.shared().adopt_node_id(&id);
    load(store).await
}

/// The backend `at` names: the shared store at its URL, else the data directory's own.
pub async fn connect(at: &Location) -> anyhow::Result<Backend> {
    Ok(match &at.store {
        Some(url) => Backend::Postgres(connect_pg(url).await?),
        None => Backend::Sqlite(
            SqliteStore::open(&at.data)
                .with_context(|| format!("cannot open the data directory {}", at.data.display()))?,
        ),
    })
}

/// Connect to the shared store (applying pending migrations); the error names the URL
/// without its password, and why (refused, no such database, authentication failed...).
pub async fn connect_pg(url: &StoreUrl) -> anyhow::Result<PgStore> {
    match PgStore::connect(url.as_str()).await {
        Ok(s) => Ok(s),
        Err(pooled) => {
            // The pool's error does not say why it could not connect; one plain connection
            // does (bounded: the pool already waited for the connect timeout).
            let why = match tokio::time::timeout(PROBE, migrations::status(url.as_str())).await {
                Ok(Err(direct)) => direct.to_string(),
                _ => pooled.to_string(),
            };
            anyhow::bail!("cannot use the PostgreSQL store {url}: {why}")
        }
    }
}

/// Longest wait for the connection that finds out why the store cannot be reached.
pub const PROBE: Duration = Duration::from_secs(10);

async fn load(store: Backend) -> anyhow::Result<Opened> {
    let shared = store.shared();
    let settings = Settings::load(shared.clone())
        .await
        .context("cannot load settings")?;
    let dir = Directory::new(shared, settings.clone());
    Ok(Opened {
        store,
        settings,
        dir,
    })
}
