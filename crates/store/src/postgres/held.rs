//! Expunged messages held readable for a while ([`EXPUNGED_HOLD_SECS`]).
//!
//! Invariants: an expunge moves each message's row to `held_messages` in the same
//! transaction, with the message's blob reference, so its bytes stay readable on every node
//! while an IMAP session not yet told of the expunge may still fetch it. A held row is never
//! counted in a folder, a listing or the quota. [`PgStore::release_held_impl`] drops rows
//! whose time is up, or whose folder is gone, with their references; a blob left without any
//! is deleted as at any other release. Nodes may release at the same time: a row is released
//! by the one transaction that deletes it.

use super::PgStore;
use super::blobs::release;
use super::mail::{MESSAGE_COLS, message_row};
use crate::error::Result;
use crate::model::*;

/// Held rows released per transaction, so a large release holds few locks at a time.
const RELEASE_BATCH: i64 = 1000;

impl PgStore {
    /// The listed UIDs of a folder that are held after an expunge, in UID order.
    pub(crate) async fn held_impl(
        &self,
        folder: FolderId,
        uids: &[u32],
    ) -> Result<Vec<MessageMeta>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let uids: Vec<i64> = uids.iter().map(|u| i64::from(*u)).collect();
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLS} FROM held_messages \
                 WHERE folder_id = $1 AND uid = ANY($2::bigint[]) ORDER BY uid"
            ))
            .await?;
        let mut out = Vec::new();
        for r in c.query(&st, &[&folder, &uids]).await? {
            out.push(message_row(folder, &r)?);
        }
        Ok(out)
    }

    /// Release every held message whose time is up at `now` or whose folder is gone.
    /// Returns how many were released.
    pub(crate) async fn release_held_impl(&self, now: i64) -> Result<usize> {
        let mut total = 0;
        loop {
            let n: usize = write_tx!(self, |tx| {
                let st =
                    tx.t.prepare_cached(
                        "DELETE FROM held_messages WHERE (folder_id, uid) IN \
                         (SELECT folder_id, uid FROM held_messages h WHERE held_until <= $1 \
                          OR NOT EXISTS (SELECT 1 FROM folders f WHERE f.id = h.folder_id) \
                          LIMIT $2 FOR UPDATE SKIP LOCKED) \
                         RETURNING blob_id",
                    )
                    .await?;
                let rows = tx.t.query(&st, &[&now, &RELEASE_BATCH]).await?;
                let ids: Vec<&str> = rows
                    .iter()
                    .map(|r| r.try_get(0))
                    .collect::<std::result::Result<_, _>>()?;
                release(&tx, &ids).await?;
                Ok(ids.len())
            })?;
            total += n;
            if (n as i64) < RELEASE_BATCH {
                return Ok(total);
            }
        }
    }
}
