//! New messages of a group-commit batch ([`super::group`]): every addition's bytes are
//! written first (no lock held), then each folder gets all its new messages from one
//! statement that takes its UIDs and modseqs, inserts the rows, lists them for the search
//! text indexer and charges the owner.
//!
//! Invariants: within a folder, additions get UIDs in the order given, an addition's own
//! messages in its order; a message's bytes and its listing for the search text indexer
//! are in the transaction of the row naming them.
//! Memory: chunk statements carry at most [`STATEMENT_BYTES`] each and at most
//! [`IN_FLIGHT`] are encoded at a time.

use std::borrow::Cow;
use std::collections::BTreeMap;

use tokio_postgres::types::ToSql;

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

/// Write the bytes of every job's items; their blob ids, per job and item.
pub(crate) async fn write_blobs(tx: &Tx<'_>, jobs: &[&[Item]]) -> TxResult<Vec<Vec<String>>> {
    let ids: Vec<Vec<String>> = jobs
        .iter()
        .map(|items| items.iter().map(|_| blob_id::new()).collect())
        .collect();
    insert_blobs(tx, jobs, &ids).await?;
    Ok(ids)
}

/// Add every job's items, whose bytes are in `blob_ids`, to their folders; the UIDs per job,
/// per item and then per target.
pub(crate) async fn add_to_folders(
    tx: &mut Tx<'_>,
    jobs: &[&[Item]],
    blob_ids: &[Vec<String>],
) -> TxResult<Vec<Vec<u32>>> {
    let mut answers: Vec<Vec<u32>> = jobs
        .iter()
        .map(|items| vec![0; items.iter().map(|i| i.targets.len()).sum()])
        .collect();

    let mut by_folder: BTreeMap<FolderId, Vec<Placed<'_>>> = BTreeMap::new();
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
    // Folders in id order (the batch locked them in that order already). The new messages
    // are only listed in `text_pending`: their search text is kept later by the indexer, in
    // batches, as its trigram index entries cost more than the row and would lengthen the
    // transaction.
    let st =
        tx.t.prepare_cached(
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
        )
        .await?;
    let columns: Vec<_> = by_folder
        .iter()
        .map(|(folder, placed)| {
            let n = placed.len() as i64;
            let flag_texts: Vec<String> = placed
                .iter()
                .map(|p| flags::to_text(&p.msg.flags))
                .collect();
            let dates: Vec<i64> = placed
                .iter()
                .map(|p| p.msg.internal_date.unwrap_or_else(now))
                .collect();
            let sizes: Vec<i64> = placed.iter().map(|p| p.size).collect();
            let blobs: Vec<&str> = placed.iter().map(|p| p.blob).collect();
            let total: i64 = sizes.iter().sum();
            (*folder, n, flag_texts, dates, sizes, blobs, total)
        })
        .collect();
    let (st, t) = (&st, &tx.t);
    let inserts = columns
        .iter()
        .map(|(folder, n, fl, dates, sizes, blobs, total)| async move {
            let params: [&(dyn ToSql + Sync); 7] = [folder, n, fl, dates, sizes, blobs, total];
            t.query_opt(st, &params).await
        });
    let rows = futures::future::try_join_all(inserts).await?;
    for (((folder, placed), row), cols) in by_folder.iter().zip(rows).zip(&columns) {
        let row = row.ok_or_else(|| not_found(format!("folder #{folder}")))?;
        let (user, uid0, modseq0): (UserId, i64, i64) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let (_, _, flag_texts, dates, _, _, _) = cols;
        for (k, p) in placed.iter().enumerate() {
            let (uid, modseq) = ((uid0 + k as i64) as u32, (modseq0 + k as i64) as u64);
            answers[p.job][p.slot] = uid;
            // Each new message is a step of its own (its own modseq).
            let meta = MessageMeta {
                folder_id: *folder,
                uid,
                modseq,
                flags: flags::from_text(&flag_texts[k]),
                internal_date: dates[k],
                size: p.size as u64,
                blob: p.blob.to_owned(),
            };
            tx.logged(Step::added(meta, &flag_texts[k]));
        }
        tx.emit(Event::Mailbox {
            user_id: user,
            folder_id: *folder,
        });
    }
    Ok(answers)
}

/// Insert the blob rows and chunks of every item, with as few statements as fit the limits.
async fn insert_blobs(tx: &Tx<'_>, jobs: &[&[Item]], ids: &[Vec<String>]) -> TxResult<()> {
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
    let blobs_st =
        tx.t.prepare_cached(
            "INSERT INTO blobs (id, refs, size, head) \
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[])",
        )
        .await?;
    let st =
        tx.t.prepare_cached(
            "INSERT INTO blob_chunks (blob_id, seq, data) \
             SELECT * FROM unnest($1::text[], $2::int[], $3::bytea[])",
        )
        .await?;
    let st = &st;
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
    futures::try_join!(tx.t.execute(&blobs_st, &blob_rows), chunk_rows)?;
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
