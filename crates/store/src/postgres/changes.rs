//! Message changes for IMAP on PostgreSQL: expunge, copy and move (sharing the bytes), the
//! record of expunged UIDs for QRESYNC, and the catch-up read of a folder's changes (flag
//! changes are in [`super::runs`], which also settles a batch's expunges in memory).
//!
//! Invariants: every change locks the folder row first and raises its HIGHESTMODSEQ, stamping
//! what changed with the new value; a copy gets fresh UIDs in the target; a move is one
//! transaction, so a message is never in both folders or in neither; what changed since a
//! modseq is read in one snapshot, so its parts agree with each other.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::PgStore;
use super::blobs::add_refs;
use super::error::TxResult;
use super::error::not_found;
use super::mail::{Adding, MESSAGE_COLS, insert_messages, lock_folder, message_row};
use super::tx::Tx;
use crate::changelog::{Change, CountDelta, Step};
use crate::error::Result;
use crate::events::Event;
use crate::model::*;
use crate::rules::now;

/// An expunge in one statement: the messages leave `messages` for `held_messages`; when any
/// left, the folder's HIGHESTMODSEQ goes up by one, each UID is recorded in `expunged` with
/// it, and the owner's usage goes down by their sizes. Its rows: each removed UID with the
/// folder's owner and new HIGHESTMODSEQ, and the message's flags and size.
const EXPUNGE: &str = "\
WITH gone AS ( \
    DELETE FROM messages WHERE folder_id = $1 AND uid = ANY($2::bigint[]) \
    RETURNING folder_id, uid, modseq, flags, internal_date, size, blob_id), \
held AS ( \
    INSERT INTO held_messages \
    (folder_id, uid, modseq, flags, internal_date, size, blob_id, held_until) \
    SELECT folder_id, uid, modseq, flags, internal_date, size, blob_id, $3 FROM gone \
    ON CONFLICT (folder_id, uid) DO UPDATE SET held_until = excluded.held_until), \
f AS ( \
    UPDATE folders SET highestmodseq = highestmodseq + 1 \
    WHERE id = $1 AND EXISTS (SELECT 1 FROM gone) \
    RETURNING user_id, highestmodseq), \
noted AS ( \
    INSERT INTO expunged (folder_id, uid, modseq) SELECT $1, g.uid, f.highestmodseq \
    FROM gone g, f \
    ON CONFLICT (folder_id, uid) DO UPDATE SET modseq = excluded.modseq), \
freed AS ( \
    UPDATE users SET used_bytes = greatest(used_bytes - (SELECT sum(size) FROM gone), 0) \
    WHERE id = (SELECT user_id FROM f)) \
SELECT g.uid, f.user_id, f.highestmodseq, g.flags, g.size FROM gone g, f";

/// An expunge settled in memory by a run of a batch ([`super::runs`]), for any number of
/// folders in one statement: each message ($1 folder, $2 UID) leaves `messages` for
/// `held_messages` (held until $4), its UID is recorded in `expunged` with the modseq its
/// expunge took ($3), and its owner's usage goes down by its size (the folders' HIGHESTMODSEQ
/// is the run's to write). The run read these rows with their folders locked, so each is
/// there: a count other than $5 means that premise broke, and the statement fails (dividing
/// by zero), which fails the batch before its COMMIT.
pub(crate) const EXPUNGE_SETTLED: &str = "\
WITH gone AS ( \
    DELETE FROM messages m \
    USING unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS d (f, u, at) \
    WHERE m.folder_id = d.f AND m.uid = d.u \
    RETURNING m.folder_id, m.uid, m.modseq, m.flags, m.internal_date, m.size, m.blob_id, d.at), \
held AS ( \
    INSERT INTO held_messages \
    (folder_id, uid, modseq, flags, internal_date, size, blob_id, held_until) \
    SELECT folder_id, uid, modseq, flags, internal_date, size, blob_id, $4 FROM gone \
    ON CONFLICT (folder_id, uid) DO UPDATE SET held_until = excluded.held_until), \
noted AS ( \
    INSERT INTO expunged (folder_id, uid, modseq) SELECT folder_id, uid, at FROM gone \
    ON CONFLICT (folder_id, uid) DO UPDATE SET modseq = excluded.modseq), \
freed AS ( \
    UPDATE users u SET used_bytes = greatest(u.used_bytes - s.bytes, 0) \
    FROM (SELECT f.user_id, sum(g.size) AS bytes FROM gone g JOIN folders f ON f.id = g.folder_id \
          GROUP BY f.user_id) s \
    WHERE u.id = s.user_id) \
SELECT 1 / (CASE WHEN count(*) = $5 THEN 1 ELSE 0 END) FROM gone";

/// Remove messages by UID inside a transaction ([`EXPUNGE`], one round trip): one new
/// HIGHESTMODSEQ for the whole expunge, recorded per UID for QRESYNC (RFC 7162 §3.2.10);
/// quota usage given back. Each message moves to `held_messages` with its blob reference,
/// readable until [`EXPUNGED_HOLD_SECS`] from now (see [`super::held`]). Returns the UIDs
/// removed, in the order asked.
pub(crate) async fn expunge_tx(tx: &mut Tx, folder: FolderId, uids: &[u32]) -> TxResult<Vec<u32>> {
    let st = tx.t.prepare_cached(EXPUNGE).await?;
    let want: Vec<i64> = uids.iter().map(|u| i64::from(*u)).collect();
    let held_until = now() + EXPUNGED_HOLD_SECS;
    let rows = tx.t.query(&st, &[&folder, &want, &held_until]).await?;
    if rows.is_empty() {
        // Nothing removed: say so, unless the folder itself is gone.
        let st =
            tx.t.prepare_cached("SELECT 1 FROM folders WHERE id = $1")
                .await?;
        if tx.t.query_opt(&st, &[&folder]).await?.is_none() {
            return Err(not_found(format!("folder #{folder}")));
        }
    }
    expunged(tx, folder, uids, &rows)
}

/// What an expunge of `uids` did, from its [`EXPUNGE`] rows: noted for the change log and the
/// bus; the UIDs removed, in the order asked.
fn expunged(tx: &mut Tx, folder: FolderId, uids: &[u32], rows: &[Row]) -> TxResult<Vec<u32>> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let (user, modseq): (UserId, i64) = (first.try_get(1)?, first.try_get(2)?);
    let mut gone = HashSet::with_capacity(rows.len());
    let mut counts = CountDelta::default();
    for r in rows {
        gone.insert(r.try_get::<_, i64>(0)? as u32);
        let flags: &str = r.try_get(3)?;
        counts = counts.plus(CountDelta::of(flags, r.try_get::<_, i64>(4)? as u64, -1));
    }
    let changes = gone.iter().map(|&uid| Change::Gone(uid)).collect();
    tx.logged(Step::at(folder, modseq as u64, changes, counts));
    tx.emit(Event::Mailbox {
        user_id: user,
        folder_id: folder,
    });
    // In the order asked, each once.
    let removed: Vec<u32> = uids.iter().copied().filter(|u| gone.remove(u)).collect();
    Ok(removed)
}

/// Copy inside a transaction: new rows in the target referring to the same blobs, in the
/// order asked; UIDs the source does not hold are skipped. Returns (source, new) UID pairs.
/// Both folders stay locked to the commit (a move then expunges from the source).
pub(crate) async fn copy_tx(
    tx: &mut Tx,
    from: FolderId,
    uids: &[u32],
    to: FolderId,
) -> TxResult<Vec<(u32, u32)>> {
    // Both folders, in id order: a copy or move the other way round waits instead of
    // deadlocking.
    let (first, second) = (from.min(to), from.max(to));
    lock_folder(tx, first).await?;
    if second != first {
        lock_folder(tx, second).await?;
    }
    let want: Vec<i64> = uids.iter().map(|u| i64::from(*u)).collect();
    let rows = tx
        .t
        .query(
            &format!(
                "SELECT {MESSAGE_COLS} FROM messages WHERE folder_id = $1 AND uid = ANY($2::bigint[])"
            ),
            &[&from, &want],
        )
        .await?;
    let mut found: HashMap<u32, MessageMeta> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let m = message_row(from, r)?;
        found.insert(m.uid, m);
    }
    let copies: Vec<(u32, &MessageMeta, NewMessage)> = uids
        .iter()
        .filter_map(|u| found.get(u).map(|m| (*u, m)))
        .map(|(u, m)| {
            let keep = NewMessage {
                flags: m.flags.clone(),
                internal_date: Some(m.internal_date),
            };
            (u, m, keep)
        })
        .collect();
    let blobs: Vec<&str> = copies.iter().map(|(_, m, _)| m.blob.as_str()).collect();
    add_refs(tx, &blobs).await?;
    let adding: Vec<Adding<'_>> = copies
        .iter()
        .map(|(_, m, keep)| Adding {
            blob: &m.blob,
            size: m.size,
            msg: keep,
        })
        .collect();
    let new = insert_messages(tx, to, &adding).await?;
    let pairs: Vec<(u32, u32)> = copies.iter().map(|c| c.0).zip(new).collect();
    super::textindex::copy(tx, from, to, &pairs).await?;
    Ok(pairs)
}

/// A folder's HIGHESTMODSEQ with its messages changed and UIDs expunged after a modseq ($2),
/// in one snapshot: message columns first (as [`message_row`] reads them), then the
/// folder's HIGHESTMODSEQ, then whether the row is an expunged UID (NULL on the one row of
/// a folder with no change, or whose HIGHESTMODSEQ is not above $3, the reach of this
/// process's change log, which answers then).
const CHANGES_SINCE: &str = "\
SELECT m.uid, m.modseq, m.flags, m.internal_date, m.size, m.blob_id, f.highestmodseq, m.gone \
FROM folders f LEFT JOIN LATERAL ( \
    SELECT uid, modseq, flags, internal_date, size, blob_id, false AS gone \
    FROM messages WHERE folder_id = f.id AND modseq > $2 \
    UNION ALL \
    SELECT uid, modseq, NULL, NULL, NULL, NULL, true \
    FROM expunged WHERE folder_id = f.id AND modseq > $2 \
) m ON f.highestmodseq > $3 \
WHERE f.id = $1 \
ORDER BY m.gone, m.uid";

/// UIDs expunged from a folder after `modseq`, ascending.
pub(crate) async fn vanished(
    c: &impl GenericClient,
    folder: FolderId,
    modseq: u64,
) -> Result<Vec<u32>> {
    let st = c
        .prepare_cached(
            "SELECT uid FROM expunged WHERE folder_id = $1 AND modseq > $2 ORDER BY uid",
        )
        .await?;
    let mut out = Vec::new();
    for r in c.query(&st, &[&folder, &(modseq as i64)]).await? {
        out.push(r.try_get::<_, i64>(0)? as u32);
    }
    Ok(out)
}

impl PgStore {
    /// What changed in `folder` after `modseq` ([`crate::MailStore::changes_since`]): from
    /// this process's change log alone while it is known current; else one statement, so
    /// one snapshot and one round trip, bringing the folder's HIGHESTMODSEQ and, unless the
    /// log covers the span up to it, the changed messages and expunged UIDs.
    pub(crate) async fn changes_since_impl(
        &self,
        folder: FolderId,
        modseq: u64,
    ) -> Result<FolderChanges> {
        let log = &self.inner.changelog;
        if let Some(ch) = log.current(folder, modseq) {
            return Ok(ch);
        }
        let ticket = log.ticket();
        let reach = log.reach(folder, modseq);
        let c = self.client().await?;
        let st = c.prepare_cached(CHANGES_SINCE).await?;
        let mut skip = reach.map_or(-1, |to| to as i64);
        loop {
            let rows = c.query(&st, &[&folder, &(modseq as i64), &skip]).await?;
            let Some(first) = rows.first() else {
                return Err(crate::error::StoreError::NotFound(format!(
                    "folder #{folder}"
                )));
            };
            let highestmodseq = first.try_get::<_, i64>(6)? as u64;
            log.confirm(folder, highestmodseq, ticket);
            if highestmodseq <= modseq {
                return Ok(FolderChanges {
                    highestmodseq,
                    changed: Vec::new(),
                    vanished: Vec::new(),
                });
            }
            if skip >= 0 && highestmodseq as i64 <= skip {
                match log.since(folder, modseq, highestmodseq) {
                    Some(ch) => return Ok(ch),
                    // The log started again meanwhile: read the rows after all.
                    None => {
                        skip = -1;
                        continue;
                    }
                }
            }
            let (mut changed, mut vanished) = (Vec::new(), Vec::new());
            for r in &rows {
                match r.try_get::<_, Option<bool>>(7)? {
                    Some(false) => changed.push(std::sync::Arc::new(message_row(folder, r)?)),
                    Some(true) => vanished.push(r.try_get::<_, i64>(0)? as u32),
                    None => {}
                }
            }
            return Ok(FolderChanges {
                highestmodseq,
                changed,
                vanished,
            });
        }
    }
}
