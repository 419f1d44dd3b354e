//! `heron init`: make a new data directory (database, default settings, the admin/admin
//! account that must change its password at first login) without starting the server.
//!
//! With a shared store (`--store`), the data directory is made for the node's own files and
//! the store gets its default settings and administrator if it has none yet.
//!
//! Invariant: running it on an existing data directory changes nothing.

use anyhow::Context;

use crate::datadir;
use crate::out::outln;

/// Run `heron init`.
pub async fn run(at: &super::Location) -> anyhow::Result<()> {
    let data = &at.data;
    if at.store.is_none() && datadir::is_data_dir(data) {
        outln!("{} is already a Heron data directory", data.display());
        return Ok(());
    }
    let o = super::open_or_create(at).await?;
    o.dir
        .ensure_admin()
        .await
        .context("cannot create the administrator account")?;
    match &at.store {
        None => outln!("made the Heron data directory {}", data.display()),
        Some(url) => outln!(
            "the store {url} is ready; this node's own files go in {}",
            data.display()
        ),
    }
    Ok(())
}
