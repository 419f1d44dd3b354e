//! Where a message's bytes go before its record commits. Messages up to [`INLINE_MAX`] are
//! kept in the `blobs` row itself, so they become durable with the same group commit as
//! their metadata (no file, no extra fsync); larger ones are written to the blob directory
//! and fsync'd first.
//!
//! Invariant: a `Staged` value names bytes that are either in memory, to be inserted in the
//! same transaction as the records that refer to them, or already durable on disk.

use rusqlite::{Connection, OptionalExtension, params};
use tokio::task::JoinSet;

use super::SqliteStore;
use crate::blob::BlobStore;
use crate::error::{Result, StoreError};
use crate::model::BlobId;

/// Largest message kept inside the database.
pub const INLINE_MAX: usize = 256 * 1024;

/// Most blob files written at once by a batch.
const PARALLEL_PUTS: usize = 16;

/// Bytes ready to be referred to by a record.
pub struct Staged {
    pub id: BlobId,
    pub size: u64,
    /// The bytes, when they go inside the database.
    pub inline: Option<Vec<u8>>,
    /// The header block, kept apart so header searches need not read whole messages.
    pub head: Vec<u8>,
}

/// The header block of a message: through the first empty line, or all of it (capped).
pub fn header_block(raw: &[u8]) -> &[u8] {
    const MAX_HEAD: usize = 256 * 1024;
    let cap = raw.len().min(MAX_HEAD);
    // The empty line ends at the first LF followed by LF, or by CR LF; looking at line
    // ends only (memchr) keeps this cheap on large bodies.
    for j in memchr::memchr_iter(b'\n', &raw[..cap]) {
        let end = match (raw.get(j + 1), raw.get(j + 2)) {
            (Some(b'\n'), _) => j + 2,
            (Some(b'\r'), Some(b'\n')) if j > 0 && raw[j - 1] == b'\r' => j + 3,
            _ => continue,
        };
        return &raw[..end.min(MAX_HEAD)];
    }
    &raw[..cap]
}

impl Staged {
    fn inline(bytes: Vec<u8>) -> Self {
        Self {
            id: format!("{:032x}", rand::random::<u128>()),
            size: bytes.len() as u64,
            head: header_block(&bytes).to_vec(),
            inline: Some(bytes),
        }
    }
    /// The id if the bytes are in a file (to delete on failure).
    pub fn file_id(&self) -> Option<BlobId> {
        self.inline.is_none().then(|| self.id.clone())
    }
}

/// Insert the blob row, with its bytes when inline.
pub fn add_blob(c: &Connection, s: &Staged, refs: usize) -> Result<()> {
    c.prepare_cached("INSERT INTO blobs (id, refs, size, data) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            s.id,
            refs as i64,
            s.size as i64,
            s.inline.as_deref()
        ])?;
    c.prepare_cached("INSERT INTO blob_headers (blob_id, data) VALUES (?1, ?2)")?
        .execute(params![s.id, s.head])?;
    Ok(())
}

/// The inline bytes of a blob: `Some(Some)` inline, `Some(None)` in a file, `None` unknown.
pub fn inline_bytes(c: &Connection, id: &str) -> Result<Option<Option<Vec<u8>>>> {
    Ok(c.prepare_cached("SELECT data FROM blobs WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

impl SqliteStore {
    /// Stage one message's bytes.
    pub(crate) async fn stage(&self, bytes: Vec<u8>) -> Result<Staged> {
        if bytes.len() <= INLINE_MAX {
            return Ok(Staged::inline(bytes));
        }
        let size = bytes.len() as u64;
        let head = header_block(&bytes).to_vec();
        let id = self.blobs().put(bytes).await?;
        Ok(Staged {
            id,
            size,
            inline: None,
            head,
        })
    }

    /// Stage many, writing the large ones to files with bounded parallelism, in input order.
    pub(crate) async fn stage_many(&self, bodies: Vec<Vec<u8>>) -> Result<Vec<Staged>> {
        let mut out: Vec<Option<Staged>> = Vec::with_capacity(bodies.len());
        let mut set = JoinSet::new();
        let mut first_err = None;
        for (i, body) in bodies.into_iter().enumerate() {
            if body.len() <= INLINE_MAX {
                out.push(Some(Staged::inline(body)));
                continue;
            }
            out.push(None);
            if set.len() >= PARALLEL_PUTS
                && let Some(done) = set.join_next().await
            {
                collect(done, &mut out, &mut first_err);
            }
            let this = self.clone();
            set.spawn(async move { (i, this.stage(body).await) });
        }
        while let Some(done) = set.join_next().await {
            collect(done, &mut out, &mut first_err);
        }
        let staged: Vec<Staged> = out.into_iter().flatten().collect();
        if let Some(e) = first_err {
            self.discard(staged.iter().filter_map(Staged::file_id))
                .await;
            return Err(e);
        }
        Ok(staged)
    }

    /// Remove blob files whose records did not commit (or are no longer referenced).
    pub(crate) async fn discard(&self, ids: impl IntoIterator<Item = BlobId>) {
        for id in ids {
            if let Err(e) = self.blobs().delete(&id).await {
                tracing::warn!("removing blob {id} failed: {e}");
            }
        }
    }
}

type Done = std::result::Result<(usize, Result<Staged>), tokio::task::JoinError>;

fn collect(done: Done, out: &mut [Option<Staged>], err: &mut Option<StoreError>) {
    match done {
        Ok((i, Ok(s))) => out[i] = Some(s),
        Ok((_, Err(e))) => *err = err.take().or(Some(e)),
        Err(e) => *err = err.take().or(Some(StoreError::Db(e.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::header_block;

    /// The rule written plainly: the first of "\r\n\r\n" or "\n\n", capped.
    fn reference(raw: &[u8]) -> &[u8] {
        let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
        let lf = raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
        let end = match (crlf, lf) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(raw.len()),
        };
        &raw[..end.min(256 * 1024)]
    }

    #[test]
    fn header_block_matches_the_plain_rule() {
        let mut cases: Vec<Vec<u8>> = [
            &b""[..],
            b"\n",
            b"\n\n",
            b"\r\n\r\n",
            b"A: b\r\n\r\nbody\r\n\r\n",
            b"A: b\n\nbody",
            b"A: b\r\n\nbody",
            b"A: b\n\r\nbody",
            b"A: b\r\r\n\r\nx",
            b"no blank line\r\nat all\r\n",
            b"A: b\r\n\r",
        ]
        .iter()
        .map(|c| c.to_vec())
        .collect();
        let mut big = b"A: b\r\n".repeat(50_000);
        cases.push(big.clone());
        big.extend_from_slice(b"\r\nbody");
        cases.push(big);
        for c in &cases {
            assert_eq!(
                header_block(c),
                reference(c),
                "{:?}",
                String::from_utf8_lossy(&c[..c.len().min(40)])
            );
        }
        // Pseudo-random mixes of CR, LF and text.
        let mut x: u32 = 7;
        for _ in 0..2000 {
            let raw: Vec<u8> = (0..24)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    [b'\r', b'\n', b'a'][(x >> 16) as usize % 3]
                })
                .collect();
            assert_eq!(header_block(&raw), reference(&raw), "{raw:?}");
        }
    }
}
