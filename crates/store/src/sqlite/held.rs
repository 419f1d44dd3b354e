//! Expunged messages held readable for a while ([`EXPUNGED_HOLD_SECS`]).
//!
//! Invariants: an expunge moves each message's row to `held_messages` in the same
//! transaction, with the message's blob reference, so its bytes stay readable while an IMAP
//! session not yet told of the expunge may still fetch it. A held row is never counted in a
//! folder, a listing or the quota. [`SqliteStore::release_held_impl`] drops rows whose time
//! is up, or whose folder is gone, with their references; a blob left without any is deleted
//! (its file too) as at any other release.

use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::mail::{message_row, release_blobs};
use crate::error::Result;
use crate::model::*;

/// Held rows released per transaction, so a large release does not hold the writer long.
const RELEASE_BATCH: usize = 1000;

impl SqliteStore {
    /// The listed UIDs of a folder that are held after an expunge, in UID order.
    pub(crate) async fn held_impl(
        &self,
        folder: FolderId,
        uids: &[u32],
    ) -> Result<Vec<MessageMeta>> {
        let mut uids = uids.to_vec();
        uids.sort_unstable();
        uids.dedup();
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT uid, modseq, flags, internal_date, size, blob_id FROM held_messages \
                 WHERE folder_id = ?1 AND uid = ?2",
            )?;
            let mut out = Vec::new();
            for uid in uids {
                let row = st.query_row(params![folder, uid], |r| message_row(folder, r));
                if let Some(m) = row.optional()? {
                    out.push(m);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Release every held message whose time is up at `now` or whose folder is gone.
    /// Returns how many were released.
    pub(crate) async fn release_held_impl(&self, now: i64) -> Result<usize> {
        let mut total = 0;
        loop {
            let (n, orphans) = self
                .write(move |ctx| release_tx(ctx.conn, now, RELEASE_BATCH))
                .await?;
            self.discard(orphans).await;
            total += n;
            if n < RELEASE_BATCH {
                return Ok(total);
            }
        }
    }
}

/// Release at most `limit` held messages due at `now` (or of a deleted folder): their rows
/// go and their blob references are dropped. Returns how many were released and the blob
/// ids now unreferenced.
fn release_tx(c: &Connection, now: i64, limit: usize) -> Result<(usize, Vec<BlobId>)> {
    let mut st = c.prepare_cached(
        "DELETE FROM held_messages WHERE (folder_id, uid) IN \
         (SELECT folder_id, uid FROM held_messages h WHERE held_until <= ?1 \
          OR NOT EXISTS (SELECT 1 FROM folders f WHERE f.id = h.folder_id) LIMIT ?2) \
         RETURNING blob_id",
    )?;
    let blobs = st
        .query_map(params![now, limit as i64], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let orphans = release_blobs(c, &blobs)?;
    Ok((blobs.len(), orphans))
}
