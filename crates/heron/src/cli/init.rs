//! `heron init`: make a new data directory (database, default settings, the admin/admin
//! account that must change its password at first login) without starting the server.
//!
//! Invariant: it never writes into a directory that holds other files but no Heron data, so
//! `heron --data ~ init` cannot scatter a database among someone's files. Running it on an
//! existing data directory changes nothing.

use std::path::Path;

use anyhow::Context;

use crate::datadir;

/// Run `heron init`.
pub async fn run(data: &Path) -> anyhow::Result<()> {
    if datadir::is_data_dir(data) {
        println!("{} is already a Heron data directory", data.display());
        return Ok(());
    }
    let occupied = std::fs::read_dir(data)
        .map(|mut entries| entries.next().is_some())
        .unwrap_or(false);
    if occupied {
        anyhow::bail!(
            "{} holds other files and no Heron data: choose a new or empty directory",
            data.display()
        );
    }
    let o = super::open_or_create(data).await?;
    o.dir
        .ensure_admin()
        .await
        .context("cannot create the administrator account")?;
    println!("made the Heron data directory {}", data.display());
    Ok(())
}
