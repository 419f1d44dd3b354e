//! The PostgreSQL schema as numbered migrations, applied in order when a store connects.
//!
//! Invariants: a migration, once released, never changes: a new version is a new entry at
//! the end of [`MIGRATIONS`] with its own SQL file. The `migrations` table records each
//! applied version with its time; applying runs under a transaction-scoped advisory lock, so
//! nodes starting together apply each migration exactly once, and a migration's SQL and its
//! record commit together. A database that has a version this program does not know (made
//! by a newer one) is refused rather than used.

use deadpool_postgres::Object;
use tokio_postgres::NoTls;

use crate::error::{Result, StoreError};

/// One schema change.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// Position in the order of application, from 1, without gaps.
    pub version: i32,
    /// What it does, in a few words (what `heron migrate` prints).
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial schema",
        sql: include_str!("migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "nodes and holds",
        sql: include_str!("migrations/0002_nodes.sql"),
    },
    Migration {
        version: 3,
        name: "admin sessions",
        sql: include_str!("migrations/0003_admin_sessions.sql"),
    },
    Migration {
        version: 4,
        name: "stopped services and failure limits",
        sql: include_str!("migrations/0004_stopped_services_and_limits.sql"),
    },
    Migration {
        version: 5,
        name: "expunged messages held readable",
        sql: include_str!("migrations/0005_held_messages.sql"),
    },
    Migration {
        version: 6,
        name: "recent messages per folder",
        sql: include_str!("migrations/0006_recent.sql"),
    },
    Migration {
        version: 7,
        name: "subscriptions apart from folders, last UIDVALIDITY per user",
        sql: include_str!("migrations/0007_subscriptions.sql"),
    },
    Migration {
        version: 8,
        name: "expunged messages by modseq",
        sql: include_str!("migrations/0008_expunged_modseq.sql"),
    },
    Migration {
        version: 9,
        name: "metadata entries (RFC 5464)",
        sql: include_str!("migrations/0009_metadata.sql"),
    },
    Migration {
        version: 10,
        name: "access-control lists of folders",
        sql: include_str!("migrations/0010_acl.sql"),
    },
    Migration {
        version: 11,
        name: "search text of messages",
        sql: include_str!("migrations/0011_search_text.sql"),
    },
    Migration {
        version: 12,
        name: "Bayesian classifier",
        sql: include_str!("migrations/0012_bayes.sql"),
    },
    Migration {
        version: 13,
        name: "spam-filter settings of domains and users, Bayes message age",
        sql: include_str!("migrations/0013_filter_overrides.sql"),
    },
    Migration {
        version: 14,
        name: "DMARC aggregate reports",
        sql: include_str!("migrations/0014_dmarc_reports.sql"),
    },
    Migration {
        version: 15,
        name: "greylisting",
        sql: include_str!("migrations/0015_greylisting.sql"),
    },
    Migration {
        version: 16,
        name: "sending throttles",
        sql: include_str!("migrations/0016_throttle_counts.sql"),
    },
    Migration {
        version: 17,
        name: "TLS reporting",
        sql: include_str!("migrations/0017_tlsrpt_results.sql"),
    },
    Migration {
        version: 18,
        name: "domain alternate SMTP port",
        sql: include_str!("migrations/0018_domain_smtp_alt_port.sql"),
    },
    Migration {
        version: 19,
        name: "pop retrieval",
        sql: include_str!("migrations/0019_pop_retrieval.sql"),
    },
    Migration {
        version: 20,
        name: "statistics",
        sql: include_str!("migrations/0020_stat_counts.sql"),
    },
    Migration {
        version: 21,
        name: "message archive",
        sql: include_str!("migrations/0021_archive.sql"),
    },
    Migration {
        version: 22,
        name: "domain and user auto-clean, domain POP-retrieval switch",
        sql: include_str!("migrations/0022_autoclean_levels.sql"),
    },
    Migration {
        version: 23,
        name: "recent marks apart from the folder row",
        sql: include_str!("migrations/0023_recent_marks.sql"),
    },
    Migration {
        version: 24,
        name: "message chunks compressed with lz4",
        sql: include_str!("migrations/0024_blob_chunks_lz4.sql"),
    },
];

/// A migration as a database has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationState {
    pub version: i32,
    pub name: String,
    /// Unix seconds when it was applied; `None` while pending.
    pub applied_at: Option<i64>,
}

/// Key of the advisory lock that serialises schema changes ("heron" and 1).
const LOCK_KEY: i64 = 0x6865_726f_6e00_0001;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS migrations (\
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// Apply every pending migration in one transaction.
pub(super) async fn apply(client: &mut Object) -> Result<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await?;
    tx.batch_execute(CREATE_TABLE).await?;
    let mut applied = Vec::new();
    for row in tx.query("SELECT version FROM migrations", &[]).await? {
        applied.push(row.try_get::<_, i32>(0)?);
    }
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(newer) = applied.iter().copied().filter(|v| *v > known).max() {
        return Err(StoreError::Db(format!(
            "the database has schema version {newer}; this program knows versions up to {known}"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        tx.batch_execute(m.sql).await?;
        tx.execute(
            "INSERT INTO migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[&m.version, &m.name, &crate::rules::now()],
        )
        .await?;
        tracing::info!("applied schema migration {}: {}", m.version, m.name);
    }
    tx.commit().await?;
    Ok(())
}

/// Every known migration with when the database at `url` applied it, without changing
/// anything there (what `heron migrate` shows before it applies).
pub async fn status(url: &str) -> Result<Vec<MigrationState>> {
    let (client, conn) = url
        .parse::<tokio_postgres::Config>()
        .map_err(|e| StoreError::Db(format!("bad PostgreSQL URL: {e}")))?
        .connect(NoTls)
        .await?;
    let driver = tokio::spawn(conn);
    let exists: bool = client
        .query_one("SELECT to_regclass('migrations') IS NOT NULL", &[])
        .await?
        .try_get(0)?;
    let mut done = Vec::new();
    if exists {
        let rows = client
            .query(
                "SELECT version, name, applied_at FROM migrations ORDER BY version",
                &[],
            )
            .await?;
        for r in rows {
            done.push(MigrationState {
                version: r.try_get(0)?,
                name: r.try_get(1)?,
                applied_at: Some(r.try_get(2)?),
            });
        }
    }
    drop(client);
    let _ = driver.await;
    Ok(merge(&done))
}

/// Known migrations with their application times from `done`, then any applied version not
/// known here (made by a newer program), in version order.
pub(super) fn merge(done: &[MigrationState]) -> Vec<MigrationState> {
    let mut out: Vec<MigrationState> = MIGRATIONS
        .iter()
        .map(|m| MigrationState {
            version: m.version,
            name: m.name.to_owned(),
            applied_at: done
                .iter()
                .find(|d| d.version == m.version)
                .and_then(|d| d.applied_at),
        })
        .collect();
    for d in done {
        if !MIGRATIONS.iter().any(|m| m.version == d.version) {
            out.push(d.clone());
        }
    }
    out.sort_by_key(|m| m.version);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_up_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
            assert!(!m.sql.trim().is_empty());
        }
    }

    #[test]
    fn status_lists_pending_applied_and_unknown_versions() {
        let done = [
            MigrationState {
                version: 1,
                name: "initial schema".into(),
                applied_at: Some(5),
            },
            MigrationState {
                version: 999,
                name: "from the future".into(),
                applied_at: Some(9),
            },
        ];
        let s = merge(&done);
        assert_eq!(s.first().and_then(|m| m.applied_at), Some(5));
        assert_eq!(s.last().map(|m| m.version), Some(999));
        assert!(merge(&[]).iter().all(|m| m.applied_at.is_none()));
    }
}
