//! The writing side of a copy: everything into PostgreSQL in one transaction, committed only
//! when the source's last item arrived; then the checks of the committed copy.
//!
//! Rows go in per batch as one `INSERT … SELECT * FROM unnest(…)` with a typed array per
//! column; message bytes as `blobs` rows and `blob_chunks` of at most [`CHUNK`] bytes, the
//! layout the backend reads ([`crate::postgres`]).

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use rusqlite::types::Value;
use tokio::sync::mpsc::Receiver;
use tokio_postgres::types::ToSql;

use super::{
    BLOBS, BlobCopy, CopyError, CopyReport, Item, Kind, Progress, Stage, TABLES, Table, TableCount,
};
use crate::error::{Result, StoreError};
use crate::postgres::PgStore;

/// Largest chunk row, as the backend writes them.
const CHUNK: usize = 256 * 1024;
/// Chunks inserted by one statement.
const CHUNKS_PER_INSERT: usize = 64;
/// Blobs hashed by one query of the check.
const CHECK_BATCH: usize = 200;
/// Differences listed one by one in a report; more are counted.
const LISTED: usize = 20;

/// What was committed, for the checks.
pub(super) struct Copied {
    counts: Vec<(&'static str, u64)>,
    /// Every blob's id, SHA-256 and size as read from the source.
    blobs: Vec<(String, [u8; 32], u64)>,
}

/// Write what `rx` brings into `pg` and commit once the source's last item came.
pub(super) async fn write(
    pg: &PgStore,
    mut rx: Receiver<Item>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> std::result::Result<Copied, CopyError> {
    let mut client = pg.client().await?;
    let tx = client.transaction().await?;
    // The transaction waits on the reader between statements; it is not a stalled session.
    tx.batch_execute("SET LOCAL idle_in_transaction_session_timeout = 0")
        .await?;
    refuse_non_empty(&tx).await?;
    let mut copied = Copied {
        counts: Vec::new(),
        blobs: Vec::new(),
    };
    let (mut done, mut total) = (0u64, 0u64);
    while let Some(item) = rx.recv().await {
        match item {
            Item::Counts(c) => {
                total = c
                    .iter()
                    .find(|(t, _)| *t == "messages")
                    .map_or(0, |(_, n)| *n);
                progress(Progress {
                    stage: Stage::Copying,
                    done,
                    total,
                });
                copied.counts = c;
            }
            Item::Blobs(b) => {
                insert_blobs(&tx, &b).await?;
                copied.blobs.extend(
                    b.into_iter()
                        .map(|b| (b.id, b.sha256, b.bytes.len() as u64)),
                );
            }
            Item::Rows { table, rows } => {
                let n = rows.len() as u64;
                insert_rows(&tx, table, rows).await?;
                if table.name == "messages" {
                    done += n;
                    progress(Progress {
                        stage: Stage::Copying,
                        done,
                        total,
                    });
                }
            }
            Item::Sequences(seq) => {
                set_sequences(&tx, &seq).await?;
                // The search text is not copied: the new nodes' indexer keeps it afresh, and
                // searches read the pending messages until then.
                tx.execute(
                    "INSERT INTO text_pending (folder_id, uid, cut) \
                     SELECT folder_id, uid, false FROM messages ON CONFLICT DO NOTHING",
                    &[],
                )
                .await?;
                tx.commit().await?;
                return Ok(copied);
            }
        }
    }
    // Dropping the transaction rolls it back.
    Err(StoreError::Db("the copy's source stopped before the end".into()).into())
}

/// Fail, naming what it holds, unless every copied table of the target is empty.
async fn refuse_non_empty(tx: &Transaction<'_>) -> std::result::Result<(), CopyError> {
    let mut full = Vec::new();
    for t in TABLES.iter().map(|t| t.name).chain([BLOBS]) {
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {t}"), &[])
            .await?
            .try_get(0)?;
        if n > 0 {
            full.push(format!("{t}: {n} rows"));
        }
    }
    if full.is_empty() {
        return Ok(());
    }
    Err(CopyError::NotEmpty(full.join(", ")))
}

/// A column's values as the typed array PostgreSQL takes.
enum Column {
    Int(Vec<Option<i64>>),
    Int4(Vec<Option<i32>>),
    Small(Vec<Option<i16>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
    Bytes(Vec<Option<Vec<u8>>>),
}

impl Column {
    fn new(kind: Kind, n: usize) -> Self {
        match kind {
            Kind::Int => Self::Int(Vec::with_capacity(n)),
            Kind::Int4 => Self::Int4(Vec::with_capacity(n)),
            Kind::Small => Self::Small(Vec::with_capacity(n)),
            Kind::Bool => Self::Bool(Vec::with_capacity(n)),
            Kind::Text => Self::Text(Vec::with_capacity(n)),
            Kind::Bytes => Self::Bytes(Vec::with_capacity(n)),
        }
    }

    /// Add a SQLite value; `Err` names what it holds when it does not fit.
    fn push(&mut self, v: Value) -> std::result::Result<(), String> {
        let bad = |v: &Value| format!("{:?}", v.data_type());
        match (self, v) {
            (Self::Int(c), Value::Null) => c.push(None),
            (Self::Int4(c), Value::Null) => c.push(None),
            (Self::Small(c), Value::Null) => c.push(None),
            (Self::Bool(c), Value::Null) => c.push(None),
            (Self::Text(c), Value::Null) => c.push(None),
            (Self::Bytes(c), Value::Null) => c.push(None),
            (Self::Int(c), Value::Integer(i)) => c.push(Some(i)),
            (Self::Int4(c), Value::Integer(i)) => {
                c.push(Some(i32::try_from(i).map_err(|_| i.to_string())?))
            }
            (Self::Small(c), Value::Integer(i)) => {
                c.push(Some(i16::try_from(i).map_err(|_| i.to_string())?))
            }
            (Self::Bool(c), Value::Integer(i)) => c.push(Some(i != 0)),
            (Self::Text(c), Value::Text(s)) => c.push(Some(s)),
            (Self::Text(c), Value::Blob(b)) => {
                c.push(Some(String::from_utf8(b).map_err(|_| "non-UTF-8 text")?))
            }
            (Self::Bytes(c), Value::Blob(b)) => c.push(Some(b)),
            (Self::Bytes(c), Value::Text(s)) => c.push(Some(s.into_bytes())),
            (_, v) => return Err(bad(&v)),
        }
        Ok(())
    }

    fn array_type(&self) -> &'static str {
        match self {
            Self::Int(_) => "bigint[]",
            Self::Int4(_) => "integer[]",
            Self::Small(_) => "smallint[]",
            Self::Bool(_) => "boolean[]",
            Self::Text(_) => "text[]",
            Self::Bytes(_) => "bytea[]",
        }
    }

    fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            Self::Int(c) => c,
            Self::Int4(c) => c,
            Self::Small(c) => c,
            Self::Bool(c) => c,
            Self::Text(c) => c,
            Self::Bytes(c) => c,
        }
    }
}

/// Insert rows of `t` (values in its column order).
async fn insert_rows(tx: &Transaction<'_>, t: &Table, rows: Vec<Vec<Value>>) -> Result<()> {
    let mut cols: Vec<Column> = t
        .columns
        .iter()
        .map(|(_, k)| Column::new(*k, rows.len()))
        .collect();
    for row in rows {
        for ((col, v), (name, _)) in cols.iter_mut().zip(row).zip(t.columns) {
            col.push(v).map_err(|what| {
                StoreError::Corrupt(format!("{}.{name} holds an unexpected {what}", t.name))
            })?;
        }
    }
    let names: Vec<&str> = t.columns.iter().map(|(n, _)| *n).collect();
    let arrays: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}", i + 1, c.array_type()))
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) SELECT * FROM unnest({})",
        t.name,
        names.join(", "),
        arrays.join(", ")
    );
    let params: Vec<&(dyn ToSql + Sync)> = cols.iter().map(Column::param).collect();
    tx.execute(&sql, &params).await?;
    Ok(())
}

/// Insert blobs: their rows, then their bytes in chunks.
async fn insert_blobs(tx: &Transaction<'_>, blobs: &[BlobCopy]) -> Result<()> {
    let ids: Vec<&str> = blobs.iter().map(|b| b.id.as_str()).collect();
    let refs: Vec<i64> = blobs.iter().map(|b| b.refs).collect();
    let sizes: Vec<i64> = blobs.iter().map(|b| b.bytes.len() as i64).collect();
    let heads: Vec<&[u8]> = blobs.iter().map(|b| b.head.as_slice()).collect();
    tx.execute(
        "INSERT INTO blobs (id, refs, size, head) \
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[])",
        &[&ids, &refs, &sizes, &heads],
    )
    .await?;
    let chunks: Vec<(&str, i32, &[u8])> = blobs
        .iter()
        .flat_map(|b| {
            b.bytes
                .chunks(CHUNK)
                .enumerate()
                .map(|(seq, data)| (b.id.as_str(), seq as i32, data))
        })
        .collect();
    for group in chunks.chunks(CHUNKS_PER_INSERT) {
        let ids: Vec<&str> = group.iter().map(|c| c.0).collect();
        let seqs: Vec<i32> = group.iter().map(|c| c.1).collect();
        let data: Vec<&[u8]> = group.iter().map(|c| c.2).collect();
        tx.execute(
            "INSERT INTO blob_chunks (blob_id, seq, data) \
             SELECT * FROM unnest($1::text[], $2::integer[], $3::bytea[])",
            &[&ids, &seqs, &data],
        )
        .await?;
    }
    Ok(())
}

/// Start each identity past the highest id copied or ever given by SQLite.
async fn set_sequences(tx: &Transaction<'_>, sqlite: &[(String, i64)]) -> Result<()> {
    for t in TABLES.iter().filter(|t| t.identity) {
        let copied: i64 = tx
            .query_one(&format!("SELECT coalesce(max(id), 0) FROM {}", t.name), &[])
            .await?
            .try_get(0)?;
        let given = sqlite
            .iter()
            .find(|(n, _)| n == t.name)
            .map_or(0, |(_, s)| *s);
        let next = copied.max(given) + 1;
        tx.execute(
            "SELECT setval(pg_get_serial_sequence($1, 'id'), $2, false)",
            &[&t.name, &next],
        )
        .await?;
    }
    Ok(())
}

/// Compare the committed copy with the source: rows per table, and every blob's SHA-256
/// and size as PostgreSQL reassembles it from its chunks.
pub(super) async fn check(
    pg: &PgStore,
    copied: Copied,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<CopyReport> {
    let client = pg.client().await?;
    let mut report = CopyReport::default();
    for (table, source) in copied.counts {
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await?
            .try_get(0)?;
        let target = n as u64;
        if target != source {
            report.mismatches.push(format!(
                "{table}: {source} rows in the source, {target} in the copy"
            ));
        }
        report.tables.push(TableCount {
            table,
            source,
            target,
        });
    }
    let total = copied.blobs.len() as u64;
    let mut bad = 0usize;
    for (i, group) in copied.blobs.chunks(CHECK_BATCH).enumerate() {
        let ids: Vec<&str> = group.iter().map(|b| b.0.as_str()).collect();
        let rows = client
            .query(
                "SELECT b.id, b.size, \
                 sha256(coalesce(string_agg(c.data, ''::bytea ORDER BY c.seq), ''::bytea)) \
                 FROM blobs b LEFT JOIN blob_chunks c ON c.blob_id = b.id \
                 WHERE b.id = ANY($1) GROUP BY b.id, b.size",
                &[&ids],
            )
            .await?;
        let mut found: HashMap<String, (i64, Vec<u8>)> = HashMap::with_capacity(rows.len());
        for r in rows {
            found.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?));
        }
        for (id, sha, size) in group {
            let problem = match found.get(id) {
                None => Some("missing from the copy".to_owned()),
                Some((s, _)) if *s as u64 != *size => {
                    Some(format!("{s} bytes in the copy, {size} in the source"))
                }
                Some((_, h)) if h.as_slice() != sha.as_slice() => {
                    Some("bytes differ (SHA-256)".to_owned())
                }
                Some(_) => None,
            };
            match problem {
                Some(p) => {
                    bad += 1;
                    if bad <= LISTED {
                        report.mismatches.push(format!("message bytes {id}: {p}"));
                    }
                }
                None => {
                    report.blobs_checked += 1;
                    report.bytes += size;
                }
            }
        }
        progress(Progress {
            stage: Stage::Checking,
            done: (i * CHECK_BATCH + group.len()) as u64,
            total,
        });
    }
    if bad > LISTED {
        report.mismatches.push(format!(
            "… and {} more message byte mismatches",
            bad - LISTED
        ));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_values_become_the_postgres_column_types() {
        let mut b = Column::new(Kind::Bool, 3);
        for v in [Value::Integer(0), Value::Integer(1), Value::Null] {
            b.push(v).expect("bool");
        }
        assert!(matches!(&b, Column::Bool(v) if v == &[Some(false), Some(true), None]));
        let mut small = Column::new(Kind::Small, 1);
        assert!(small.push(Value::Integer(40_000)).is_err(), "out of range");
        let mut text = Column::new(Kind::Text, 2);
        text.push(Value::Blob(b"ok".to_vec())).expect("utf-8 blob");
        assert!(text.push(Value::Blob(vec![0xff])).is_err(), "not UTF-8");
        let mut bytes = Column::new(Kind::Bytes, 1);
        bytes.push(Value::Text("k".into())).expect("text as bytes");
        let mut int = Column::new(Kind::Int, 1);
        assert!(int.push(Value::Real(1.5)).is_err(), "no real columns");
        assert_eq!(int.array_type(), "bigint[]");
    }
}
