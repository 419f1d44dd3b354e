//! `heron migrate [--apply]`: the store's schema migrations. On the shared store
//! (`--store postgres://…`) it lists every migration this program knows with when the
//! database applied it, or `pending`, without changing anything; `--apply` applies the
//! pending ones (as `heron serve` does at start) and lists them again. The embedded store has
//! no separate step: its schema is brought up to date whenever heron opens the data
//! directory, so it reports the schema version.

use clap::Parser;
use heron_store::SqliteStore;
use heron_store::postgres::{MigrationState, migrations};

use crate::out::outln;
use crate::store_url::StoreUrl;

/// `migrate` options.
#[derive(Parser)]
pub struct MigrateArgs {
    /// Apply the pending migrations.
    #[arg(long)]
    apply: bool,
}

/// Run `heron migrate`.
pub async fn run(at: &super::Location, a: MigrateArgs) -> anyhow::Result<()> {
    let Some(url) = &at.store else {
        let o = super::open(at).await?;
        let version = match &o.store {
            super::Backend::Sqlite(s) => s.schema_version().await?,
            super::Backend::Postgres(_) => None,
        };
        outln!(
            "embedded SQLite store in {}: schema version {} (this program's: {})",
            at.data.display(),
            version.map_or_else(|| "unknown".to_owned(), |v| v.to_string()),
            SqliteStore::current_schema_version()
        );
        outln!("its schema is brought up to date whenever heron opens it; nothing to apply");
        return Ok(());
    };
    let before = status(url).await?;
    if a.apply && before.iter().any(|m| m.applied_at.is_none()) {
        super::connect_pg(url).await?;
        outln!("PostgreSQL store {url}: migrations applied");
        print(&status(url).await?);
    } else {
        outln!("PostgreSQL store {url}:");
        print(&before);
        if before.iter().all(|m| m.applied_at.is_some()) {
            outln!("nothing to apply");
        } else if !a.apply {
            outln!("run `heron migrate --apply` to apply the pending migrations");
        }
    }
    Ok(())
}

/// The migrations of the store at `url`, waiting at most [`super::PROBE`] to connect.
async fn status(url: &StoreUrl) -> anyhow::Result<Vec<MigrationState>> {
    match tokio::time::timeout(super::PROBE, migrations::status(url.as_str())).await {
        Ok(Ok(list)) => Ok(list),
        Ok(Err(e)) => anyhow::bail!("cannot read the migrations of {url}: {e}"),
        Err(_) => anyhow::bail!(
            "cannot read the migrations of {url}: no answer within {:?}",
            super::PROBE
        ),
    }
}

/// One line per migration: version, name, and when it was applied or `pending`.
fn print(list: &[MigrationState]) {
    for m in list {
        let when = match m
            .applied_at
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        {
            Some(t) => format!("applied {}", t.format("%Y-%m-%d %H:%M:%S UTC")),
            None if m.applied_at.is_some() => "applied".to_owned(),
            None => "pending".to_owned(),
        };
        outln!("  {:>4}  {:<40} {when}", m.version, m.name);
    }
}
