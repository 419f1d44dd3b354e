//! Folder and message writes inside an open transaction, shared by the SQLite store's
//! modules: creating a folder, adding and expunging messages, and the blob reference counts
//! behind them.
//!
//! Invariants: the same as [`super::mail`]'s: UIDs and HIGHESTMODSEQ only grow, every change to
//! a folder's messages raises its HIGHESTMODSEQ, and a blob row counts its references.

use rusqlite::{Connection, OptionalExtension, params};

use super::writer::WriteCtx;
use crate::changelog::{Change, CountDelta, Step};
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::*;
use crate::rules::flags;
use crate::rules::{folders, now};

/// Create a folder inside an open transaction.
pub(crate) fn create_folder_tx(
    c: &Connection,
    user: UserId,
    name: &str,
    special_use: Option<&str>,
) -> Result<Folder> {
    // UIDVALIDITY from the clock and above every earlier one of the user: a folder deleted
    // and created again, even within the same second, gets a new value.
    let last: i64 = c
        .prepare_cached("SELECT last_uidvalidity FROM users WHERE id = ?1")?
        .query_row([user], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("user #{user}")))?;
    let uidvalidity = folders::uidvalidity(now(), last.clamp(0, u32::MAX.into()) as u32);
    c.execute(
        "INSERT INTO folders (user_id, name, special_use, uidvalidity, uidnext, highestmodseq) \
         VALUES (?1, ?2, ?3, ?4, 1, 1)",
        params![user, name, special_use, uidvalidity],
    )?;
    let id = c.last_insert_rowid();
    c.prepare_cached(
        "UPDATE users SET used_bytes = used_bytes + ?2, last_uidvalidity = ?3 WHERE id = ?1",
    )?
    .execute(params![user, folder_cost(name) as i64, uidvalidity])?;
    Ok(Folder {
        id,
        user_id: user,
        name: name.to_owned(),
        special_use: special_use.map(str::to_owned),
        uidvalidity,
        uidnext: 1,
        highestmodseq: 1,
        recent_uid: 0,
    })
}

/// Decrement the reference count of every blob selected by `select_blobs` (one `?1`
/// parameter) and return the ids whose count reached zero (their rows are deleted).
pub(crate) fn drop_blob_refs(c: &Connection, select_blobs: &str, id: i64) -> Result<Vec<BlobId>> {
    let mut st = c.prepare(select_blobs)?;
    let ids = st
        .query_map([id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    release_blobs(c, &ids)
}

/// Drop one reference per listed id; returns the ids now unreferenced.
pub(crate) fn release_blobs(c: &Connection, ids: &[BlobId]) -> Result<Vec<BlobId>> {
    let mut dec =
        c.prepare_cached("UPDATE blobs SET refs = refs - 1 WHERE id = ?1 RETURNING refs")?;
    let mut del = c.prepare_cached("DELETE FROM blobs WHERE id = ?1")?;
    let mut orphans = Vec::new();
    for id in ids {
        let left: Option<i64> = dec.query_row([id], |r| r.get(0)).optional()?;
        if left.is_some_and(|n| n <= 0) {
            del.execute([id])?;
            orphans.push(id.clone());
        }
    }
    crate::bodycache::forget(&orphans);
    Ok(orphans)
}

/// Remove messages by UID inside a transaction: one new HIGHESTMODSEQ for the whole
/// expunge, recorded per UID for QRESYNC (RFC 7162 §3.2.10); quota usage given back. Each
/// message moves to `held_messages` with its blob reference, readable until
/// [`EXPUNGED_HOLD_SECS`] from now (see [`super::held`]). Returns the UIDs removed.
pub(crate) fn expunge_tx(
    ctx: &mut WriteCtx<'_>,
    folder: FolderId,
    uids: &[u32],
) -> Result<Vec<u32>> {
    let c = ctx.conn;
    let (user, modseq): (UserId, i64) = c
        .query_row(
            "SELECT user_id, highestmodseq + 1 FROM folders WHERE id = ?1",
            [folder],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("folder #{folder}")))?;
    let mut hold = c.prepare_cached(
        "INSERT OR REPLACE INTO held_messages \
         (folder_id, uid, modseq, flags, internal_date, size, blob_id, held_until) \
         SELECT folder_id, uid, modseq, flags, internal_date, size, blob_id, ?3 \
         FROM messages WHERE folder_id = ?1 AND uid = ?2",
    )?;
    let mut del = c.prepare_cached(
        "DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2 RETURNING size, flags",
    )?;
    let mut record = c.prepare_cached(
        "INSERT OR REPLACE INTO expunged (folder_id, uid, modseq) VALUES (?1, ?2, ?3)",
    )?;
    let held_until = now() + EXPUNGED_HOLD_SECS;
    let (mut removed, mut freed) = (Vec::new(), 0i64);
    let mut counts = CountDelta::default();
    for &uid in uids {
        if hold.execute(params![folder, uid, held_until])? == 0 {
            continue;
        }
        let (size, flag_text): (i64, String) =
            del.query_row(params![folder, uid], |r| Ok((r.get(0)?, r.get(1)?)))?;
        counts = counts.plus(CountDelta::of(&flag_text, size as u64, -1));
        record.execute(params![folder, uid, modseq])?;
        removed.push(uid);
        freed += size;
    }
    if removed.is_empty() {
        return Ok(removed);
    }
    c.execute(
        "UPDATE folders SET highestmodseq = ?2 WHERE id = ?1",
        params![folder, modseq],
    )?;
    c.execute(
        "UPDATE users SET used_bytes = max(used_bytes - ?2, 0) WHERE id = ?1",
        params![user, freed],
    )?;
    let gone = removed.iter().map(|&uid| Change::Gone(uid)).collect();
    ctx.logged(Step::at(folder, modseq as u64, gone, counts));
    ctx.emit(Event::Mailbox {
        user_id: user,
        folder_id: folder,
    });
    Ok(removed)
}

/// Insert one message into a folder, advancing UIDNEXT and HIGHESTMODSEQ and charging the
/// owner's quota usage. Returns the UID. The caller keeps its search text
/// ([`super::textindex::pending`] or [`super::textindex::copy`]) in the same transaction.
pub(crate) fn insert_message(
    ctx: &mut WriteCtx<'_>,
    folder: FolderId,
    blob: &str,
    size: u64,
    m: &NewMessage,
) -> Result<u32> {
    let c = ctx.conn;
    let (user, uid, modseq): (UserId, u32, i64) = c
        .prepare_cached("SELECT user_id, uidnext, highestmodseq + 1 FROM folders WHERE id = ?1")?
        .query_row([folder], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("folder #{folder}")))?;
    let flag_text = flags::to_text(&m.flags);
    let date = m.internal_date.unwrap_or_else(now);
    c.prepare_cached(
        "INSERT INTO messages (folder_id, uid, modseq, flags, internal_date, size, blob_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        folder,
        uid,
        modseq,
        flag_text,
        date,
        size as i64,
        blob
    ])?;
    c.prepare_cached("UPDATE folders SET uidnext = ?2 + 1, highestmodseq = ?3 WHERE id = ?1")?
        .execute(params![folder, uid, modseq])?;
    c.prepare_cached("UPDATE users SET used_bytes = used_bytes + ?2 WHERE id = ?1")?
        .execute(params![user, size as i64])?;
    let meta = MessageMeta {
        folder_id: folder,
        uid,
        modseq: modseq as u64,
        flags: flags::from_text(&flag_text),
        internal_date: date,
        size,
        blob: blob.to_owned(),
    };
    ctx.logged(Step::added(meta, &flag_text));
    ctx.emit(Event::Mailbox {
        user_id: user,
        folder_id: folder,
    });
    Ok(uid)
}
