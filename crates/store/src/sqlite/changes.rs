//! Message changes for IMAP on SQLite: flags (with CONDSTORE's UNCHANGEDSINCE, by the rules
//! of [`crate::rules::flags`]), copy and move (sharing the bytes), and the record of expunged
//! UIDs for QRESYNC.
//!
//! Invariants: every change raises the folder's HIGHESTMODSEQ and stamps what changed with
//! the new value; a copy gets fresh UIDs in the target; a move is one transaction, so a
//! message is never in both folders or in neither.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use super::mail::{expunge_tx, insert_message, message_row};
use super::writer::WriteCtx;
use crate::changelog::{Change, CountDelta, Step};
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::*;
use crate::rules::flags::{self, Outcome};

fn folder_owner(ctx: &WriteCtx<'_>, folder: FolderId) -> Result<(UserId, i64)> {
    ctx.conn
        .query_row(
            "SELECT user_id, highestmodseq + 1 FROM folders WHERE id = ?1",
            [folder],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("folder #{folder}")))
}

/// Flag changes inside a transaction.
pub fn store_flags_tx(
    ctx: &mut WriteCtx<'_>,
    folder: FolderId,
    uids: &[u32],
    op: FlagOp,
    new_flags: &[String],
    unchanged_since: Option<u64>,
) -> Result<FlagUpdate> {
    let (user, modseq) = folder_owner(ctx, folder)?;
    let c = ctx.conn;
    let mut get = c.prepare_cached(
        "SELECT flags, modseq, internal_date, size, blob_id FROM messages \
         WHERE folder_id = ?1 AND uid = ?2",
    )?;
    let mut set = c.prepare_cached(
        "UPDATE messages SET flags = ?3, modseq = ?4 WHERE folder_id = ?1 AND uid = ?2",
    )?;
    let mut out = FlagUpdate::default();
    let mut logged = Vec::new();
    let mut counts = CountDelta::default();
    for &uid in uids {
        let Some((text_before, old_modseq, internal_date, size, blob)) = get
            .query_row(params![folder, uid], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .optional()?
        else {
            out.missing.push(uid);
            continue;
        };
        let current = flags::from_text(&text_before);
        match flags::outcome(&current, old_modseq as u64, op, new_flags, unchanged_since) {
            Outcome::Conflict => out.modified.push(uid),
            Outcome::Same => {}
            Outcome::Changed(new) => {
                let text = flags::to_text(&new);
                set.execute(params![folder, uid, text, modseq])?;
                counts = counts.plus(CountDelta::reflagged(&text_before, &text, size as u64));
                logged.push(Change::Meta(std::sync::Arc::new(MessageMeta {
                    folder_id: folder,
                    uid,
                    modseq: modseq as u64,
                    flags: flags::from_text(&text),
                    internal_date,
                    size: size as u64,
                    blob,
                })));
                out.changed.push((uid, modseq as u64, new));
            }
        }
    }
    if !out.changed.is_empty() {
        c.execute(
            "UPDATE folders SET highestmodseq = ?2 WHERE id = ?1",
            params![folder, modseq],
        )?;
        ctx.logged(Step::at(folder, modseq as u64, logged, counts));
        ctx.emit(Event::Mailbox {
            user_id: user,
            folder_id: folder,
        });
    }
    Ok(out)
}

/// Copy inside a transaction: new rows in the target pointing at the same blobs.
pub fn copy_tx(
    ctx: &mut WriteCtx<'_>,
    from: FolderId,
    uids: &[u32],
    to: FolderId,
) -> Result<Vec<(u32, u32)>> {
    folder_owner(ctx, from)?;
    let mut pairs = Vec::new();
    for &uid in uids {
        let row: Option<(String, i64, i64, String)> = ctx
            .conn
            .prepare_cached("SELECT flags, internal_date, size, blob_id FROM messages WHERE folder_id = ?1 AND uid = ?2")?
            .query_row(params![from, uid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((flag_text, date, size, blob)) = row else {
            continue;
        };
        ctx.conn
            .prepare_cached("UPDATE blobs SET refs = refs + 1 WHERE id = ?1")?
            .execute([&blob])?;
        let m = NewMessage {
            flags: flags::from_text(&flag_text),
            internal_date: Some(date),
        };
        let new = insert_message(ctx, to, &blob, size as u64, &m)?;
        super::textindex::copy(ctx.conn, from, uid, to, new)?;
        pairs.push((uid, new));
    }
    Ok(pairs)
}

fn highest_modseq(c: &rusqlite::Connection, folder: FolderId) -> Result<u64> {
    let h: i64 = c
        .prepare_cached("SELECT highestmodseq FROM folders WHERE id = ?1")?
        .query_row([folder], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("folder #{folder}")))?;
    Ok(h as u64)
}

fn changes_in(c: &rusqlite::Connection, folder: FolderId, modseq: u64) -> Result<FolderChanges> {
    let highestmodseq = highest_modseq(c, folder)? as i64;
    if highestmodseq as u64 <= modseq {
        // Every change raises the folder's HIGHESTMODSEQ: nothing happened since.
        return Ok(FolderChanges {
            highestmodseq: highestmodseq as u64,
            changed: Vec::new(),
            vanished: Vec::new(),
        });
    }
    let mut st = c.prepare_cached(
        "SELECT uid, modseq, flags, internal_date, size, blob_id FROM messages \
         WHERE folder_id = ?1 AND modseq > ?2 ORDER BY uid",
    )?;
    let changed = st
        .query_map(params![folder, modseq as i64], |r| {
            message_row(folder, r).map(std::sync::Arc::new)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut st = c.prepare_cached(
        "SELECT uid FROM expunged WHERE folder_id = ?1 AND modseq > ?2 ORDER BY uid",
    )?;
    let vanished = st
        .query_map(params![folder, modseq as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<u32>>>()?;
    Ok(FolderChanges {
        highestmodseq: highestmodseq as u64,
        changed,
        vanished,
    })
}

impl SqliteStore {
    pub(crate) async fn store_flags_impl(
        &self,
        folder: FolderId,
        uids: &[u32],
        op: FlagOp,
        flags: &[String],
        unchanged_since: Option<u64>,
    ) -> Result<FlagUpdate> {
        let (uids, flags) = (uids.to_vec(), flags.to_vec());
        self.write_relaxed(move |ctx| {
            store_flags_tx(ctx, folder, &uids, op, &flags, unchanged_since)
        })
        .await
    }

    pub(crate) async fn copy_impl(
        &self,
        from: FolderId,
        uids: &[u32],
        to: FolderId,
        remove: bool,
    ) -> Result<Vec<(u32, u32)>> {
        let uids = uids.to_vec();
        self.write(move |ctx| {
            let pairs = copy_tx(ctx, from, &uids, to)?;
            if remove {
                let moved: Vec<u32> = pairs.iter().map(|p| p.0).collect();
                expunge_tx(ctx, from, &moved)?;
            }
            Ok(pairs)
        })
        .await
    }

    pub(crate) async fn changes_since_impl(
        &self,
        folder: FolderId,
        modseq: u64,
    ) -> Result<FolderChanges> {
        let log = self.inner.changelog.clone();
        // A few rows through indexes: on this thread.
        self.read_now(move |c| {
            // The folder's HIGHESTMODSEQ now; what changed up to it is in this process's log
            // when the log covers the span (see `crate::changelog`).
            let highest = highest_modseq(c, folder)?;
            if highest <= modseq {
                return Ok(FolderChanges {
                    highestmodseq: highest,
                    changed: Vec::new(),
                    vanished: Vec::new(),
                });
            }
            if let Some(ch) = log.since(folder, modseq, highest) {
                return Ok(ch);
            }
            // One read transaction, so the three answers agree with each other.
            c.execute_batch("BEGIN")?;
            let r = changes_in(c, folder, modseq);
            c.execute_batch("COMMIT")?;
            r
        })
    }

    pub(crate) async fn vanished_impl(&self, folder: FolderId, modseq: u64) -> Result<Vec<u32>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT uid FROM expunged WHERE folder_id = ?1 AND modseq > ?2 ORDER BY uid",
            )?;
            let rows = st.query_map(params![folder, modseq as i64], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<u32>>>()?)
        })
        .await
    }
}
