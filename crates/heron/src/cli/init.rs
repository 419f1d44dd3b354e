//! `heron init`: make a new data directory (database, default settings, the admin/admin
//! account that must change its password at first login) without starting the server.
//!
//! Invariant: running it on an existing data directory changes nothing.

use std::path::Path;

use anyhow::Context;

use crate::datadir;
use crate::out::outln;

/// Run `heron init`.
pub async fn run(data: &Path) -> anyhow::Result<()> {
    if datadir::is_data_dir(data) {
        outln!("{} is already a Heron data directory", data.display());
        return Ok(());
    }
    let o = super::open_or_create(data).await?;
    o.dir
        .ensure_admin()
        .await
        .context("cannot create the administrator account")?;
    outln!("made the Heron data directory {}", data.display());
    Ok(())
}
