//! Checks that the copy's table list ([`TABLES`]) carries every column of both schemas: the
//! PostgreSQL migrations and a fresh SQLite database. A column left out must be named in
//! `NOT_COPIED`, with why.

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
    ("directory_stamp", "*"),
    // \Recent claims made on PostgreSQL; a copy brings the mark in folders.recent_uid.
    ("recent_marks", "*"),
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
