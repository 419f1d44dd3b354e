//! Message bytes in PostgreSQL: one `blobs` row per stored message (reference count, size,
//! kept header block) and its bytes as `blob_chunks` rows of at most [`CHUNK`] bytes, keyed
//! by (blob id, sequence number).
//!
//! Invariants: a blob's rows are inserted in the transaction of the first record that refers
//! to it, so a committed record never names missing bytes and a rolled-back one leaves none;
//! its chunks, read in sequence order, are the message, prefix then body, and add up to its
//! size; the row goes (its chunks with it) in the transaction that drops its last reference.
//! A message is never joined into one buffer to be written: chunks are cut from the prefix and
//! the shared body, and only a chunk straddling the two is copied.

use std::borrow::Cow;
use std::collections::BTreeMap;

use deadpool_postgres::GenericClient;
use futures::{TryStreamExt, pin_mut};
use tokio_postgres::types::ToSql;

use super::error::TxResult;
use super::tx::Tx;
use crate::error::{Result, StoreError};
use crate::model::{BlobId, MessageBytes};
use crate::rules::blob_id;
use crate::rules::head::joined_head;

/// Largest chunk: small enough that writing or reading one holds little memory, large
/// enough that a typical message is one row.
pub(crate) const CHUNK: usize = 256 * 1024;

/// Chunk inserts sent at once (pipelined on the connection): the bytes of at most this many
/// chunks are in flight beside the message.
const IN_FLIGHT: usize = 4;

/// The chunks of a message, in order.
pub(crate) fn chunks(m: &MessageBytes) -> Vec<Cow<'_, [u8]>> {
    let (p, b) = (&m.prefix[..], &m.body[..]);
    let len = p.len() + b.len();
    let mut out = Vec::with_capacity(len.div_ceil(CHUNK));
    let mut at = 0;
    while at < len {
        let end = (at + CHUNK).min(len);
        out.push(if end <= p.len() {
            Cow::Borrowed(&p[at..end])
        } else if at >= p.len() {
            Cow::Borrowed(&b[at - p.len()..end - p.len()])
        } else {
            let mut joined = Vec::with_capacity(end - at);
            joined.extend_from_slice(&p[at..]);
            joined.extend_from_slice(&b[..end - p.len()]);
            Cow::Owned(joined)
        });
        at = end;
    }
    out
}

/// Store a message's bytes with `refs` references; returns its id and size.
pub(crate) async fn add_blob(tx: &Tx, m: &MessageBytes, refs: usize) -> TxResult<(BlobId, u64)> {
    let id = blob_id::new();
    let size = m.len() as u64;
    let st =
        tx.t.prepare_cached("INSERT INTO blobs (id, refs, size, head) VALUES ($1, $2, $3, $4)")
            .await?;
    tx.t.execute(&st, &[&id, &(refs as i64), &(size as i64), &joined_head(m)])
        .await?;
    let st =
        tx.t.prepare_cached("INSERT INTO blob_chunks (blob_id, seq, data) VALUES ($1, $2, $3)")
            .await?;
    let parts = chunks(m);
    let slices: Vec<&[u8]> = parts.iter().map(|c| c.as_ref()).collect();
    let seqs: Vec<i32> = (0..slices.len() as i32).collect();
    for (seq_group, data_group) in seqs.chunks(IN_FLIGHT).zip(slices.chunks(IN_FLIGHT)) {
        let inserts = seq_group.iter().zip(data_group).map(|(seq, data)| {
            let params: [&(dyn ToSql + Sync); 3] = [&id, seq, data];
            tx.t.execute_raw(&st, params)
        });
        futures::future::try_join_all(inserts).await?;
    }
    Ok((id, size))
}

/// Add `n` references to each listed blob (copies of messages).
pub(crate) async fn add_refs(tx: &Tx, ids: &[&str]) -> TxResult<()> {
    let (ids, counts) = counted(ids);
    if ids.is_empty() {
        return Ok(());
    }
    tx.t.execute(
        &tx.t.prepare_cached("UPDATE blobs b SET refs = b.refs + d.n FROM unnest($1::text[], $2::bigint[]) AS d (id, n) \
         WHERE b.id = d.id").await?,
        &[&ids, &counts],
    )
    .await?;
    Ok(())
}

/// Drop one reference per listed id (an id listed twice loses two); blobs left with none are
/// deleted with their chunks.
pub(crate) async fn release(tx: &Tx, ids: &[&str]) -> TxResult<()> {
    let (ids, counts) = counted(ids);
    if ids.is_empty() {
        return Ok(());
    }
    tx.t.execute(
        &tx.t.prepare_cached("UPDATE blobs b SET refs = b.refs - d.n FROM unnest($1::text[], $2::bigint[]) AS d (id, n) \
         WHERE b.id = d.id").await?,
        &[&ids, &counts],
    )
    .await?;
    tx.t.execute(
        &tx.t
            .prepare_cached("DELETE FROM blobs WHERE id = ANY($1::text[]) AND refs <= 0")
            .await?,
        &[&ids],
    )
    .await?;
    // Some of these may live on; forgetting them too only costs a read.
    crate::bodycache::forget(&ids);
    Ok(())
}

/// Distinct ids in sorted order (so concurrent transactions lock blob rows in one order) with
/// how often each was listed.
fn counted<'a>(ids: &[&'a str]) -> (Vec<&'a str>, Vec<i64>) {
    let mut n: BTreeMap<&str, i64> = BTreeMap::new();
    for id in ids {
        *n.entry(id).or_default() += 1;
    }
    n.into_iter().unzip()
}

/// A blob's bytes, read chunk by chunk into one buffer of its size (one query: every chunk
/// row carries the blob's size).
pub(crate) async fn read(c: &impl GenericClient, id: &str) -> Result<Vec<u8>> {
    let gone = || StoreError::NotFound(format!("blob {id}"));
    let st = c
        .prepare_cached(
            "SELECT b.size, c.data FROM blobs b JOIN blob_chunks c ON c.blob_id = b.id \
             WHERE b.id = $1 ORDER BY c.seq",
        )
        .await?;
    let rows = c.query_raw(&st, [id]).await?;
    pin_mut!(rows);
    let mut out: Option<(usize, Vec<u8>)> = None;
    while let Some(row) = rows.try_next().await? {
        let (size, buf) = match &mut out {
            Some(o) => o,
            None => {
                let size = usize::try_from(row.try_get::<_, i64>(0)?)
                    .map_err(|_| StoreError::Corrupt(format!("blob {id} size")))?;
                out.insert((size, Vec::with_capacity(size)))
            }
        };
        let data: &[u8] = row.try_get(1)?;
        if buf.len() + data.len() > *size {
            return Err(StoreError::Corrupt(format!(
                "blob {id} is longer than its size"
            )));
        }
        buf.extend_from_slice(data);
    }
    match out {
        Some((size, buf)) if buf.len() == size => Ok(buf),
        // Deleted while it was read, or damaged.
        Some(_) => Err(gone()),
        // An empty message has no chunks: is there such a blob at all?
        None => {
            let st = c
                .prepare_cached("SELECT size FROM blobs WHERE id = $1")
                .await?;
            match c.query_opt(&st, &[&id]).await? {
                Some(r) if r.try_get::<_, i64>(0)? == 0 => Ok(Vec::new()),
                _ => Err(gone()),
            }
        }
    }
}

/// Several blobs' bytes in one query, in the order of `ids`: `None` for one that is gone (or
/// shorter than its size, deleted while it was read). An empty blob has no chunks.
pub(crate) async fn read_many(
    c: &impl GenericClient,
    ids: &[String],
) -> Result<Vec<Option<Vec<u8>>>> {
    let st = c
        .prepare_cached(
            "SELECT b.id, b.size, c.data FROM blobs b LEFT JOIN blob_chunks c ON c.blob_id = b.id \
             WHERE b.id = ANY($1) ORDER BY b.id, c.seq",
        )
        .await?;
    let rows = c.query_raw(&st, [ids]).await?;
    pin_mut!(rows);
    // id -> (size, bytes so far)
    let mut found: BTreeMap<String, (usize, Vec<u8>)> = BTreeMap::new();
    while let Some(row) = rows.try_next().await? {
        let id: String = row.try_get(0)?;
        let size = usize::try_from(row.try_get::<_, i64>(1)?)
            .map_err(|_| StoreError::Corrupt(format!("blob {id} size")))?;
        let data: Option<&[u8]> = row.try_get(2)?;
        let (size, buf) = found
            .entry(id.clone())
            .or_insert_with(|| (size, Vec::with_capacity(size)));
        if let Some(data) = data {
            if buf.len() + data.len() > *size {
                return Err(StoreError::Corrupt(format!(
                    "blob {id} is longer than its size"
                )));
            }
            buf.extend_from_slice(data);
        }
    }
    // A blob named twice (a message copied within its folder) is cloned for all but its
    // last place; the others are moved out.
    let mut last = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        last.insert(id.as_str(), i);
    }
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let whole = |e: &(usize, Vec<u8>)| e.1.len() == e.0;
        out.push(if last.get(id.as_str()) == Some(&i) {
            found.remove(id).filter(whole).map(|e| e.1)
        } else {
            found.get(id).filter(|e| whole(e)).map(|e| e.1.clone())
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn chunks_cut_prefix_and_body_without_joining_them() {
        for (p, b) in [
            (0, 0),
            (0, 1),
            (10, 0),
            (10, CHUNK - 10),
            (10, CHUNK),
            (CHUNK + 3, 2 * CHUNK + 1),
        ] {
            let m = MessageBytes::new(vec![b'p'; p], Arc::new((0..b).map(|i| i as u8).collect()));
            let parts = chunks(&m);
            assert!(parts.iter().all(|c| !c.is_empty() && c.len() <= CHUNK));
            assert_eq!(parts.len(), (p + b).div_ceil(CHUNK));
            assert_eq!(parts.concat(), m.joined(), "prefix {p}, body {b}");
            let copied = parts.iter().filter(|c| matches!(c, Cow::Owned(_))).count();
            assert!(copied <= 1, "only a straddling chunk is copied");
        }
    }

    #[test]
    fn references_are_counted_per_id_in_sorted_order() {
        let (ids, n) = counted(&["b", "a", "b"]);
        assert_eq!((ids, n), (vec!["a", "b"], vec![1, 2]));
    }
}
