//! Copying a whole embedded store (a data directory's SQLite database and message files)
//! into an empty PostgreSQL database: how an installation moves to the shared store.
//!
//! How it works: one blocking thread reads the SQLite database inside one read transaction
//! (a consistent snapshot, taken while `heron serve` may go on writing) and sends rows in
//! batches over a bounded channel ([`source`]); this task writes them into PostgreSQL inside
//! one transaction ([`target`]), then sets the identity sequences past the copied ids and
//! commits. Message bytes travel with the first message (or spool entry) that names them, so
//! the progress in messages is also the progress in bytes. After the commit, each table's row
//! count is compared with the snapshot's and each message's bytes, as PostgreSQL reassembles
//! them, are hashed there (SHA-256) and compared with the hash of the bytes read here.
//!
//! Invariants: ids (domains, users, folders, spool entries, tokens...), UIDs, UIDVALIDITY,
//! UIDNEXT, modseqs, flags and internal dates are kept, so IMAP clients' caches stay valid;
//! a sequence never hands out an id SQLite already used (`sqlite_sequence` is honoured). The
//! target must be empty: a database holding any row of these tables is refused before
//! anything is written, and a copy that fails leaves it as it was (one transaction). Not
//! copied: the change log (events of the old process) and the spool leases (every copied
//! entry is free for the new nodes at once).

mod source;
mod target;

use std::path::Path;

use rusqlite::types::Value;

use crate::error::StoreError;

/// How far a copy is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

/// The stages a copy goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Messages written (with their bytes).
    Copying,
    /// Messages whose bytes were checked in PostgreSQL.
    Checking,
}

/// One table's rows on both sides after a copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub source: u64,
    pub target: u64,
}

/// What a copy did and what its checks found.
#[derive(Clone, Debug, Default)]
pub struct CopyReport {
    pub tables: Vec<TableCount>,
    /// Stored messages (distinct byte blobs) whose SHA-256 matched on both sides.
    pub blobs_checked: u64,
    /// Their bytes in all.
    pub bytes: u64,
    /// Every difference found; empty when the copy is exact.
    pub mismatches: Vec<String>,
}

/// Why a copy did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The target database holds data (what it holds, per table).
    #[error(
        "the target database is not empty ({0}); a store is copied only into an empty \
         database (make a new one with createdb)"
    )]
    NotEmpty(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for CopyError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for CopyError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Store(e.into())
    }
}

/// How a column is typed in PostgreSQL (SQLite stores integers, text and blobs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// BIGINT
    Int,
    /// INTEGER
    Int4,
    /// SMALLINT
    Small,
    /// BOOLEAN (0 or 1 in SQLite)
    Bool,
    Text,
    /// BYTEA
    Bytes,
}

/// A table copied row by row, with the same columns on both sides.
pub(crate) struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    /// The SELECT list on SQLite when it is not the column names.
    pub select: Option<&'static str>,
    pub order: &'static str,
    /// The column naming a message blob, for tables whose rows refer to one.
    pub blob: Option<usize>,
    /// The identity column whose sequence is set past the copied ids.
    pub identity: bool,
}

use Kind::*;

/// Every copied table, parents before children.
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "domains",
        columns: &[
            ("id", Int),
            ("name", Text),
            ("disabled", Bool),
            ("limits", Text),
            ("catch_all", Text),
            ("require_smtp_auth", Bool),
            ("bind_ip", Text),
            ("created_at", Int),
            ("filter", Text),
            ("greylisting", Bool),
            ("smtp_alt_port", Int),
            ("archive_rule", Text),
            ("autoclean_rules", Text),
            ("autoclean_user_override", Bool),
            ("pop_retrieval", Bool),
        ],
        select: None,
        order: "id",
        blob: None,
        identity: true,
    },
    Table {
        name: "domain_aliases",
        columns: &[("name", Text), ("domain_id", Int)],
        select: None,
        order: "name",
        blob: None,
        identity: false,
    },
    Table {
        name: "users",
        columns: &[
            ("id", Int),
            ("domain_id", Int),
            ("local", Text),
            ("credentials", Text),
            ("display_name", Text),
            ("quota_bytes", Int),
            ("used_bytes", Int),
            ("disabled", Bool),
            ("role", Text),
            ("forward_to", Text),
            ("created_at", Int),
            ("last_login", Int),
            ("last_uidvalidity", Int),
            ("filter", Text),
            ("greylisting", Bool),
            ("autoclean_rules", Text),
        ],
        select: None,
        order: "id",
        blob: None,
        identity: true,
    },
    Table {
        name: "aliases",
        columns: &[
            ("id", Int),
            ("domain_id", Int),
            ("local", Text),
            ("targets", Text),
        ],
        select: None,
        order: "id",
        blob: None,
        identity: true,
    },
    Table {
        name: "lists",
        columns: &[
            ("id", Int),
            ("domain_id", Int),
            ("local", Text),
            ("members", Text),
            ("moderated", Bool),
        ],
        select: None,
        order: "id",
        blob: None,
        identity: true,
    },
    Table {
        name: "admin",
        columns: &[
            ("id", Int4),
            ("username", Text),
            ("credentials", Text),
            ("must_change", Bool),
        ],
        select: None,
        order: "id",
        blob: None,
        identity: false,
    },
    Table {
        name: "folders",
        columns: &[
            ("id", Int),
            ("user_id", Int),
            ("name", Text),
            ("special_use", Text),
            ("uidvalidity", Int),
            ("uidnext", Int),
            ("highestmodseq", Int),
            ("recent_uid", Int),
        ],
        select: None,
        order: "id",
        blob: None,
        identity: true,
    },
    Table {
        name: "subscriptions",
        columns: &[("user_id", Int), ("name", Text)],
        select: None,
        order: "user_id, name",
        blob: None,
        identity: false,
    },
    Table {
        name: "metadata",
        columns: &[
            ("user_id", Int),
            ("folder_id", Int),
            ("name", Text),
            ("value", Bytes),
        ],
        select: None,
        order: "user_id, folder_id, name",
        blob: None,
        identity: false,
    },
    Table {
        name: "acl",
        columns: &[("folder_id", Int), ("grantee_id", Int), ("rights", Text)],
        select: None,
        order: "folder_id, grantee_id",
        blob: None,
        identity: false,
    },
    Table {
        name: "messages",
        columns: &[
            ("folder_id", Int),
            ("uid", Int),
            ("modseq", Int),
            ("flags", Text),
            ("internal_date", Int),
            ("size", Int),
            ("blob_id", Text),
        ],
        select: None,
        order: "folder_id, uid",
        blob: Some(6),
        identity: false,
    },
    Table {
        name: "held_messages",
        columns: &[
            ("folder_id", Int),
            ("uid", Int),
            ("modseq", Int),
            ("flags", Text),
            ("internal_date", Int),
            ("size", Int),
            ("blob_id", Text),
            ("held_until", Int),
        ],
        select: None,
        order: "folder_id, uid",
        blob: Some(6),
        identity: false,
    },
    Table {
        name: "expunged",
        columns: &[("folder_id", Int), ("uid", Int), ("modseq", Int)],
        select: None,
        order: "folder_id, uid",
        blob: None,
        identity: false,
    },
    Table {
        name: "settings",
        columns: &[("key", Text), ("value", Text)],
        select: None,
        order: "key",
        blob: None,
        identity: false,
    },
    Table {
        name: "secrets",
        columns: &[("name", Text), ("value", Bytes)],
        select: None,
        order: "name",
        blob: None,
        identity: false,
    },
    Table {
        name: "spool",
        columns: &[
            ("id", Int),
            ("sender", Text),
            ("recipients", Text),
            ("blob_id", Text),
            ("size", Int),
            ("priority", Small),
            ("ret", Text),
            ("envid", Text),
            ("attempts", Int),
            ("created_at", Int),
            ("next_attempt_at", Int),
            ("leased_until", Int),
            ("last_attempt_at", Int),
            ("requiretls", Bool),
        ],
        // A lease belongs to the process that took it; the copy's entries are free.
        select: Some(
            "id, sender, recipients, blob_id, size, priority, ret, envid, attempts, \
             created_at, next_attempt_at, 0, last_attempt_at, requiretls",
        ),
        order: "id",
        blob: Some(3),
        identity: true,
    },
    Table {
        name: "dkim_keys",
        columns: &[
            ("domain", Text),
            ("selector", Text),
            ("algorithm", Text),
            ("private_key", Text),
            ("created_at", Int),
        ],
        select: None,
        order: "domain",
        blob: None,
        identity: false,
    },
    Table {
        name: "api_tokens",
        columns: &[
            ("id", Int),
            ("name", Text),
            ("hash", Text),
            ("created_at", Int),
        ],
        select: None,
        order: "id",
        blob: None,
        identity: true,
    },
    Table {
        name: "bayes_tokens",
        columns: &[("hash", Int), ("spam", Int), ("ham", Int), ("seen", Int)],
        select: None,
        order: "hash",
        blob: None,
        identity: false,
    },
    Table {
        name: "bayes_messages",
        columns: &[("key", Text), ("spam", Bool), ("learned_at", Int)],
        select: None,
        order: "key",
        blob: None,
        identity: false,
    },
    Table {
        name: "bayes_totals",
        columns: &[("id", Int4), ("spam", Int), ("ham", Int)],
        select: None,
        order: "id",
        blob: None,
        identity: false,
    },
    Table {
        name: "stat_counts",
        columns: &[
            ("scope", Text),
            ("key", Int),
            ("span", Int),
            ("start", Int),
            ("messages_in", Int),
            ("bytes_in", Int),
            ("messages_out", Int),
            ("bytes_out", Int),
            ("spam", Int),
            ("virus", Int),
            ("bounces", Int),
            ("logins_imap", Int),
            ("logins_pop3", Int),
            ("logins_smtp", Int),
            ("logins_web", Int),
        ],
        select: None,
        order: "scope, key, span, start",
        blob: None,
        identity: false,
    },
    Table {
        name: "dmarc_collected",
        columns: &[
            ("day", Int),
            ("key", Int),
            ("domain", Text),
            ("policy", Text),
            ("rua", Text),
            ("source_ip", Text),
            ("header_from", Text),
            ("envelope_from", Text),
            ("spf", Text),
            ("dkim", Text),
            ("disposition", Text),
            ("dkim_aligned", Bool),
            ("spf_aligned", Bool),
            ("count", Int),
        ],
        select: None,
        order: "day, key",
        blob: None,
        identity: false,
    },
    Table {
        name: "tlsrpt_results",
        columns: &[
            ("day", Int),
            ("key", Int),
            ("domain", Text),
            ("policy_type", Text),
            ("policy", Text),
            ("mx_host", Text),
            ("result", Text),
            ("receiving_ip", Text),
            ("detail", Text),
            ("count", Int),
        ],
        select: None,
        order: "day, key",
        blob: None,
        identity: false,
    },
    Table {
        name: "dmarc_reports",
        columns: &[
            ("id", Int),
            ("domain_id", Int),
            ("org", Text),
            ("email", Text),
            ("report_id", Text),
            ("begin_at", Int),
            ("end_at", Int),
            ("policy_domain", Text),
            ("policy", Text),
            ("received_at", Int),
            ("messages", Int),
            ("row_count", Int),
            ("rows_json", Text),
        ],
        select: None,
        order: "id",
        blob: None,
        identity: true,
    },
    Table {
        name: "greylist",
        columns: &[
            ("key", Text),
            ("first_seen", Int),
            ("passed", Bool),
            ("expires", Int),
        ],
        select: None,
        order: "key",
        blob: None,
        identity: false,
    },
    Table {
        name: "user_throttles",
        columns: &[("user_id", Int), ("limits", Text)],
        select: None,
        order: "user_id",
        blob: None,
        identity: false,
    },
    Table {
        name: "pop_accounts",
        columns: &[
            ("id", Int),
            ("user_id", Int),
            ("host", Text),
            ("port", Int),
            ("tls", Text),
            ("verify_tls", Bool),
            ("login", Text),
            ("password", Bytes),
            ("leave_on_server", Bool),
            ("folder", Text),
            ("enabled", Bool),
            ("last_run", Int),
            ("last_error", Text),
        ],
        select: None,
        order: "id",
        blob: None,
        identity: true,
    },
    Table {
        name: "pop_uidls",
        columns: &[("account_id", Int), ("uidl", Text), ("fetched_at", Int)],
        select: None,
        order: "account_id, uidl",
        blob: None,
        identity: false,
    },
    Table {
        name: "archive",
        columns: &[
            ("id", Int),
            ("domain", Text),
            ("direction", Text),
            ("sender", Text),
            ("recipients", Text),
            ("subject", Text),
            ("head", Text),
            ("archived_at", Int),
            ("size", Int),
            ("blob_id", Text),
        ],
        select: None,
        order: "id",
        blob: Some(9),
        identity: true,
    },
    Table {
        name: "greylist_correspondents",
        columns: &[("user_id", Int), ("remote", Text), ("expires", Int)],
        select: None,
        order: "user_id, remote",
        blob: None,
        identity: false,
    },
];

/// The table of message bytes, counted apart from [`TABLES`].
pub(crate) const BLOBS: &str = "blobs";

/// One stored message's bytes as read from the source.
pub(crate) struct BlobCopy {
    pub id: String,
    pub refs: i64,
    pub bytes: Vec<u8>,
    pub head: Vec<u8>,
    pub sha256: [u8; 32],
}

/// What the source sends, in the order it is to be written.
pub(crate) enum Item {
    /// Rows per table in the snapshot ([`TABLES`] and [`BLOBS`]); sent first.
    Counts(Vec<(&'static str, u64)>),
    /// Message bytes, sent before the rows that name them.
    Blobs(Vec<BlobCopy>),
    Rows {
        table: &'static Table,
        rows: Vec<Vec<Value>>,
    },
    /// The highest id SQLite ever gave per table (`sqlite_sequence`); sent last.
    Sequences(Vec<(String, i64)>),
}

/// Copy the embedded store of the data directory `from` into the empty PostgreSQL database
/// at `to`, reporting progress to `progress`; then check the copy. An `Err` means nothing was
/// copied (or the check could not run); a report with mismatches means the copy differs.
pub async fn sqlite_to_postgres(
    from: &Path,
    to: &str,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> std::result::Result<CopyReport, CopyError> {
    if !from.join("heron.db").is_file() {
        return Err(
            StoreError::NotFound(format!("Heron data directory {}", from.display())).into(),
        );
    }
    // The normal open path brings an older database's schema up to date first.
    let sqlite = crate::sqlite::SqliteStore::open(from)?;
    let pg = crate::postgres::PgStore::connect(to).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let reader = source::start(from.join("heron.db"), sqlite.blobs().clone(), tx);
    let written = target::write(&pg, rx, progress).await;
    // The reader stops at its next send once the receiver is gone.
    let read = reader
        .await
        .map_err(|e| StoreError::Db(format!("the reader stopped: {e}")))?;
    // A reader that failed is the cause of the writer's failure, if any.
    let copied = match (written, read) {
        (Ok(c), Ok(())) => c,
        (_, Err(e)) => return Err(e.into()),
        (Err(e), Ok(())) => return Err(e),
    };
    Ok(target::check(&pg, copied, progress).await?)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Columns of each store table that a copy does not carry, with why.
    const NOT_COPIED: &[(&str, &str)] = &[
        // Message bytes are copied as blobs, not row by row.
        ("blobs", "*"),
        ("blob_chunks", "*"),
        ("blob_headers", "*"),
        // The search text is kept afresh by the new store's indexer (all listed pending).
        ("message_text", "*"),
        ("message_text_data", "*"),
        ("message_text_idx", "*"),
        ("message_text_content", "*"),
        ("message_text_docsize", "*"),
        ("message_text_config", "*"),
        ("text_pending", "*"),
        ("text_gone", "*"),
        // The old process's events, bookkeeping of each backend, live nodes.
        ("changes", "*"),
        ("meta", "*"),
        ("migrations", "*"),
        ("nodes", "*"),
        ("holds", "*"),
        ("stopped_services", "*"),
        // Failed logins are counted afresh on the new store.
        ("failure_limits", "*"),
        // Sending-throttle counts are transient: the new store counts afresh.
        ("throttle_counts", "*"),
        // Logins end with the move: users log in again on the new store.
        ("admin_sessions", "*"),
        // A lease belongs to the process that took it.
        ("spool", "leased_by"),
    ];

    fn skipped(table: &str, column: &str) -> bool {
        NOT_COPIED
            .iter()
            .any(|(t, c)| *t == table && (*c == "*" || *c == column))
    }

    fn copied(table: &str) -> BTreeSet<String> {
        TABLES
            .iter()
            .find(|t| t.name == table)
            .map(|t| t.columns.iter().map(|(c, _)| (*c).to_owned()).collect())
            .unwrap_or_default()
    }

    /// Tables and their columns as the PostgreSQL migrations create them.
    fn pg_schema() -> Vec<(String, BTreeSet<String>)> {
        let mut out = Vec::new();
        for m in crate::postgres::MIGRATIONS {
            for part in m.sql.split("CREATE TABLE ").skip(1) {
                let (name, body) = part.split_once('(').expect("table body");
                let body = body.split(");").next().expect("table end");
                let columns: BTreeSet<String> = body
                    .lines()
                    .map(str::trim)
                    .filter_map(|l| l.split_whitespace().next())
                    .filter(|w| !["PRIMARY", "UNIQUE", "CONSTRAINT", "--"].contains(w))
                    .map(|w| w.trim_end_matches(',').to_owned())
                    .filter(|w| !w.is_empty())
                    .collect();
                out.push((name.trim().to_owned(), columns));
            }
            // Columns added or dropped later: `ALTER TABLE t ADD COLUMN c ...`,
            // `ALTER TABLE t DROP COLUMN c;`.
            for line in m.sql.lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                if let [
                    "ALTER",
                    "TABLE",
                    table,
                    op @ ("ADD" | "DROP"),
                    "COLUMN",
                    column,
                    ..,
                ] = words[..]
                    && let Some((_, cols)) = out.iter_mut().find(|(n, _)| n == table)
                {
                    let column = column.trim_end_matches(';').to_owned();
                    if op == "ADD" {
                        cols.insert(column);
                    } else {
                        cols.remove(&column);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_postgres_column_is_copied_or_named_as_not_copied() {
        let schema = pg_schema();
        assert!(schema.len() >= TABLES.len(), "{schema:?}");
        for (table, columns) in &schema {
            for c in columns {
                assert!(
                    copied(table).contains(c) || skipped(table, c),
                    "PostgreSQL column {table}.{c} is neither copied nor listed in NOT_COPIED"
                );
            }
        }
        for t in TABLES {
            let (_, columns) = schema
                .iter()
                .find(|(n, _)| n == t.name)
                .unwrap_or_else(|| panic!("no PostgreSQL table {}", t.name));
            assert_eq!(
                &copied(t.name),
                &columns
                    .iter()
                    .filter(|c| !skipped(t.name, c))
                    .cloned()
                    .collect(),
                "{}",
                t.name
            );
        }
    }

    #[tokio::test]
    async fn every_sqlite_column_is_copied_or_named_as_not_copied() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::sqlite::SqliteStore::open(dir.path()).expect("open");
        let schema: Vec<(String, BTreeSet<String>)> = store
            .read(|c| {
                let mut st = c.prepare(
                    "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
                )?;
                let mut out: Vec<(String, BTreeSet<String>)> = Vec::new();
                for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))? {
                    let (t, c) = row?;
                    match out.iter_mut().find(|(n, _)| *n == t) {
                        Some((_, cols)) => {
                            cols.insert(c);
                        }
                        None => out.push((t, BTreeSet::from([c]))),
                    }
                }
                Ok(out)
            })
            .await
            .expect("schema");
        for (table, columns) in &schema {
            for c in columns {
                assert!(
                    copied(table).contains(c) || skipped(table, c),
                    "SQLite column {table}.{c} is neither copied nor listed in NOT_COPIED"
                );
            }
        }
        for t in TABLES {
            let (_, columns) = schema
                .iter()
                .find(|(n, _)| n == t.name)
                .unwrap_or_else(|| panic!("no SQLite table {}", t.name));
            assert!(copied(t.name).is_subset(columns), "{}", t.name);
        }
    }
}
