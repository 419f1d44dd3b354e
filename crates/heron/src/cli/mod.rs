//! One module per CLI command. Every command opens the data directory itself, so all of them
//! work while `heron serve` runs on the same directory (the server sees their changes through
//! the store's change log).
//!
//! Invariant: only `serve` and `init` create a data directory ([`open_or_create`]); every
//! other command goes through [`open`], which refuses a directory that is not one.

pub mod admin;
pub mod alias;
pub mod audit;
pub mod dkim;
pub mod domain;
pub mod import;
pub mod init;
pub mod password;
pub mod serve;
pub mod settings;
pub mod spool;
pub mod startup;
pub mod token;
pub mod user;

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use heron_directory::Directory;
use heron_settings::Settings;
use heron_store::{SqliteStore, Store};

/// The data directory opened for a command.
pub struct Opened {
    pub store: SqliteStore,
    pub settings: Arc<Settings>,
    pub dir: Directory,
}

/// Open the store of an existing data directory.
pub async fn open(data: &Path) -> anyhow::Result<Opened> {
    crate::datadir::require(data)?;
    open_or_create(data).await
}

/// Open the store in a data directory, creating it if needed (`serve` and `init` only).
pub async fn open_or_create(data: &Path) -> anyhow::Result<Opened> {
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data directory {}", data.display()))?;
    crate::datadir::check_writable(data)?;
    let store = SqliteStore::open(data)
        .with_context(|| format!("cannot open the data directory {}", data.display()))?;
    let shared: Arc<dyn Store> = Arc::new(store.clone());
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
