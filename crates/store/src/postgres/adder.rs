//! New messages of a group-commit batch ([`super::group`]): every addition's bytes are
//! written first, then each folder gets all its new messages from one statement that takes
//! its UIDs and modseqs, inserts the rows, lists them for the search text indexer and charges
//! the owner. The statements are prepared beforehand ([`prepare`]) so that the batch sends
//! the bytes, its folder locks and the rows in one flight.
//!
//! Invariants: within a folder, additions get UIDs in the order given, an addition's own
//! messages in its order; a message's bytes and its listing for the search text indexer
//! are in the transaction of the row naming them.
//! Memory: chunk statements carry at most [`STATEMENT_BYTES`] each and at most
//! [`IN_FLIGHT`] are encoded at a time.

use std::borrow::Cow;
use std::collections::BTreeMap;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

use super::blobs::chunks;
use super::error::{TxResult, not_found};
use super::tx::Tx;
use crate::changelog::Step;
use crate::events::Event;
use crate::model::{FolderId, MessageBytes, MessageMeta, NewMessage, UserId};
use crate::rules::head::joined_head;
use crate::rules::{blob_id, flags, now};

/// One stored copy of a message's bytes and the folders it goes into.
pub(crate) struct Item {
    pub bytes: MessageBytes,
    pub targets: Vec<(FolderId, NewMessage)>,
}

impl Item {
    /// An item of `bytes` for `targets`.
    pub fn new(bytes: MessageBytes, targets: Vec<(FolderId, NewMessage)>) -> Self {
        Self { bytes, targets }
    }
}

/// Chunk bytes one INSERT statement carries, at most (a single larger chunk goes alone).
const STATEMENT_BYTES: usize = 1 << 20;

/// Chunk statements sent at once (pipelined on the connection).
const IN_FLIGHT: usize = 4;

/// A message of the batch on its way to one folder.
struct Placed<'a> {
    job: usize,
    /// Where its UID goes in the job's answer.
    slot: usize,
    blob: &'a str,
    size: i64,
    msg: &'a NewMessage,
}

/// The folders `jobs` add to.
pub(crate) fn folders_of(jobs: &[&[Item]]) -> impl Iterator<Item = FolderId> {
    jobs.iter()
        .flat_map(|items| items.iter())
        .flat_map(|item| item.targets.iter().map(|t| t.0))
}

/// The statements of an addition, prepared before its flight so that each is sent the
/// moment its future is first polled (the flight's order is the server's order).
pub(crate) struct Statements {
    rows: Statement,
    blobs: Statement,
    chunks: Statement,
}

/// Prepare (or find cached) the statements of an addition.
pub(crate) async fn prepare(tx: &Tx) -> TxResult<Statements> {
    // The new messages are only listed in `text_pending`: their search text is kept later
    // by the indexer, in batches, as its trigram index entries cost more than the row and
    // would lengthen the transaction.
    let rows = tx.t.prepare_cached(
        "WITH f AS (UPDATE folders SET uidnext = uidnext + $2, highestmodseq = highestmodseq + $2 \
           WHERE id = $1 RETURNING user_id, uidnext - $2 AS uid0, highestmodseq - $2 + 1 AS modseq0), \
         m AS (INSERT INTO messages (folder_id, uid, modseq, flags, internal_date, size, blob_id) \
           SELECT $1, f.uid0 + d.n - 1, f.modseq0 + d.n - 1, d.flags, d.date, d.size, d.blob \
           FROM f, unnest($3::text[], $4::bigint[], $5::bigint[], $6::text[]) \
             WITH ORDINALITY AS d (flags, date, size, blob, n)), \
         p AS (INSERT INTO text_pending (folder_id, uid, cut) \
           SELECT $1, f.uid0 + d.n - 1, false FROM f, unnest($3::text[]) WITH ORDINALITY AS d (x, n)), \
         u AS (UPDATE users SET used_bytes = greatest(used_bytes + $7, 0) \
           FROM f WHERE users.id = f.user_id) \
         SELECT user_id, uid0, modseq0 FROM f",
    );
    let blobs = tx.t.prepare_cached(
        "INSERT INTO blobs (id, refs, size, head) \
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[])",
    );
    let chunks = tx.t.prepare_cached(
        "INSERT INTO blob_chunks (blob_id, seq, data) \
         SELECT * FROM unnest($1::text[], $2::int[], $3::bytea[])",
    );
    let (rows, blobs, chunks) = futures::try_join!(rows, blobs, chunks)?;
    Ok(Statements {
        rows,
        blobs,
        chunks,
    })
}

/// A new blob id for each item of each job.
pub(crate) fn blob_ids(jobs: &[&[Item]]) -> Vec<Vec<String>> {
    jobs.iter()
        .map(|items| items.iter().map(|_| blob_id::new()).collect())
        .collect()
}

/// Write the bytes of every job's items; their blob ids, per job and item.
pub(crate) async fn write_blobs(tx: &Tx, jobs: &[&[Item]]) -> TxResult<Vec<Vec<String>>> {
    let st = prepare(tx).await?;
    let ids = blob_ids(jobs);
    insert_blobs(tx, &st, jobs, &ids).await?;
    Ok(ids)
}

/// Add every job's items, whose bytes are in `blob_ids`, to their folders; the UIDs per job,
/// per item and then per target.
pub(crate) async fn add_to_folders(
    tx: &mut Tx,
    jobs: &[&[Item]],
    blob_ids: &[Vec<String>],
) -> TxResult<Vec<Vec<u32>>> {
    let st = prepare(tx).await?;
    let plan = Plan::new(jobs, blob_ids);
    let rows = plan.insert(tx, &st).await?;
    plan.placed(tx, rows)
}

/// The new messages of a batch, by folder (in id order, the order the batch locked them).
pub(crate) struct Plan<'a> {
    by_folder: BTreeMap<FolderId, Vec<Placed<'a>>>,
    /// Each folder's statement parameters, in the same order.
    columns: Vec<Columns>,
    /// Where each job's UIDs go: its number of targets.
    shape: Vec<usize>,
}

/// One folder's new messages as statement parameters.
struct Columns {
    folder: FolderId,
    count: i64,
    flags: Vec<String>,
    dates: Vec<i64>,
    sizes: Vec<i64>,
    blobs: Vec<String>,
    total: i64,
}

impl<'a> Plan<'a> {
    /// The plan for `jobs`, whose bytes are (or will be) in `blob_ids`.
    pub(crate) fn new(jobs: &'a [&'a [Item]], blob_ids: &'a [Vec<String>]) -> Self {
        let mut by_folder: BTreeMap<FolderId, Vec<Placed<'a>>> = BTreeMap::new();
        for (j, items) in jobs.iter().enumerate() {
            let mut slot = 0;
            for (k, item) in items.iter().enumerate() {
                for (folder, msg) in &item.targets {
                    by_folder.entry(*folder).or_default().push(Placed {
                        job: j,
                        slot,
                        blob: &blob_ids[j][k],
                        size: item.bytes.len() as i64,
                        msg,
                    });
                    slot += 1;
                }
            }
        }
        let columns = by_folder
            .iter()
            .map(|(folder, placed)| {
                let sizes: Vec<i64> = placed.iter().map(|p| p.size).collect();
                Columns {
                    folder: *folder,
                    count: placed.len() as i64,
                    flags: placed
                        .iter()
                        .map(|p| flags::to_text(&p.msg.flags))
                        .collect(),
                    dates: placed
                        .iter()
                        .map(|p| p.msg.internal_date.unwrap_or_else(now))
                        .collect(),
                    total: sizes.iter().sum(),
                    sizes,
                    blobs: placed.iter().map(|p| p.blob.to_owned()).collect(),
                }
            })
            .collect();
        let shape = jobs
            .iter()
            .map(|items| items.iter().map(|i| i.targets.len()).sum())
            .collect();
        Self {
            by_folder,
            columns,
            shape,
        }
    }

    /// Insert the rows, one statement per folder (pipelined; each is sent when first
    /// polled): each folder's row as it returned, or `None` for a folder that is gone.
    pub(crate) async fn insert(&self, tx: &Tx, st: &Statements) -> TxResult<Vec<Option<Row>>> {
        let t = &tx.t;
        let inserts = self.columns.iter().map(|c| async move {
            let params: [&(dyn ToSql + Sync); 7] = [
                &c.folder, &c.count, &c.flags, &c.dates, &c.sizes, &c.blobs, &c.total,
            ];
            t.query_opt(&st.rows, &params).await
        });
        Ok(futures::future::try_join_all(inserts).await?)
    }

    /// The UIDs, per job, per item and then per target, from the rows [`Self::insert`]
    /// returned; each new message is noted for the change log and each folder raises its
    /// event.
    pub(crate) fn placed(&self, tx: &mut Tx, rows: Vec<Option<Row>>) -> TxResult<Vec<Vec<u32>>> {
        let mut answers: Vec<Vec<u32>> = self.shape.iter().map(|n| vec![0; *n]).collect();
        for (((folder, placed), row), cols) in self.by_folder.iter().zip(rows).zip(&self.columns) {
            let row = row.ok_or_else(|| not_found(format!("folder #{folder}")))?;
            let (user, uid0, modseq0): (UserId, i64, i64) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            for (k, p) in placed.iter().enumerate() {
                let (uid, modseq) = ((uid0 + k as i64) as u32, (modseq0 + k as i64) as u64);
                answers[p.job][p.slot] = uid;
                // Each new message is a step of its own (its own modseq).
                let meta = MessageMeta {
                    folder_id: *folder,
                    uid,
                    modseq,
                    flags: flags::from_text(&cols.flags[k]),
                    internal_date: cols.dates[k],
                    size: p.size as u64,
                    blob: p.blob.to_owned(),
                };
                tx.logged(Step::added(meta, &cols.flags[k]));
            }
            tx.emit(Event::Mailbox {
                user_id: user,
                folder_id: *folder,
            });
        }
        Ok(answers)
    }
}

/// Insert the blob rows and chunks of every item, with as few statements as fit the limits.
pub(crate) async fn insert_blobs(
    tx: &Tx,
    st: &Statements,
    jobs: &[&[Item]],
    ids: &[Vec<String>],
) -> TxResult<()> {
    let mut rows_id: Vec<&str> = Vec::new();
    let mut rows_refs: Vec<i64> = Vec::new();
    let mut rows_size: Vec<i64> = Vec::new();
    let mut rows_head: Vec<Vec<u8>> = Vec::new();
    let mut parts: Vec<(&str, i32, Cow<'_, [u8]>)> = Vec::new();
    for (items, ids) in jobs.iter().zip(ids) {
        for (item, id) in items.iter().zip(ids) {
            rows_id.push(id);
            rows_refs.push(item.targets.len() as i64);
            rows_size.push(item.bytes.len() as i64);
            rows_head.push(joined_head(&item.bytes));
            for (seq, c) in chunks(&item.bytes).into_iter().enumerate() {
                parts.push((id, seq as i32, c));
            }
        }
    }
    if rows_id.is_empty() {
        return Ok(());
    }
    let (blobs_st, st) = (&st.blobs, &st.chunks);
    let groups = statement_groups(parts.iter().map(|p| p.2.len()));
    let blob_rows: [&(dyn ToSql + Sync); 4] = [&rows_id, &rows_refs, &rows_size, &rows_head];
    // The blob rows and the first chunk statements go out together (pipelined; the server
    // runs them in order, so every chunk finds its blob row).
    let chunk_rows = async {
        for wave in groups.chunks(IN_FLIGHT) {
            let sent = wave.iter().map(|range| {
                let group = &parts[range.clone()];
                let ids: Vec<&str> = group.iter().map(|p| p.0).collect();
                let seqs: Vec<i32> = group.iter().map(|p| p.1).collect();
                let data: Vec<&[u8]> = group.iter().map(|p| p.2.as_ref()).collect();
                async move { tx.t.execute(st, &[&ids, &seqs, &data]).await }
            });
            futures::future::try_join_all(sent).await?;
        }
        Ok(())
    };
    futures::try_join!(tx.t.execute(blobs_st, &blob_rows), chunk_rows)?;
    Ok(())
}

/// Cut a run of chunks (given by their lengths) into consecutive statements of at most
/// [`STATEMENT_BYTES`] each, a larger chunk alone.
fn statement_groups(lens: impl Iterator<Item = usize>) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes, mut end) = (0, 0, 0);
    for (i, len) in lens.enumerate() {
        if i > start && bytes + len > STATEMENT_BYTES {
            out.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += len;
        end = i + 1;
    }
    if end > start {
        out.push(start..end);
    }
    out
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_grouped_up_to_the_statement_size_in_order() {
        let s = STATEMENT_BYTES;
        let cases: [(&[usize], &[std::ops::Range<usize>]); 5] = [
            (&[], &[]),
            (&[10], &[0..1]),
            (&[s / 2, s / 2, 1], &[0..2, 2..3]),
            (&[2 * s, 1, 1], &[0..1, 1..3]),
            (&[1, 2 * s, 1], &[0..1, 1..2, 2..3]),
        ];
        for (lens, want) in cases {
            assert_eq!(statement_groups(lens.iter().copied()), want, "{lens:?}");
        }
    }
}
