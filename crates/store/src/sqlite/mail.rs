//! [`MailStore`] on SQLite: folders and messages.
//!
//! Invariants (RFC 9051 §2.3.1.1): in a folder, UIDs strictly increase and are never reused
//! (`uidnext` only grows, also across expunges); every change to a folder's messages raises its
//! `highestmodseq` and stamps the changed messages with the new value; UIDVALIDITY never changes
//! for the life of a folder. A blob row counts the messages and spool entries that refer to it;
//! its file is removed once the count reaches zero, after the commit.

use async_trait::async_trait;
use std::sync::Arc;

use rusqlite::types::Type;
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteStore;
pub(crate) use super::mail_tx::{
    create_folder_tx, drop_blob_refs, expunge_tx, insert_message, release_blobs,
};
use super::staged::{Staged, add_blob, inline_bytes};
use super::textindex;
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::*;
use crate::rules::flags::{self, FolderFlagsBuilder};
use crate::traits::MailStore;

pub(crate) const FOLDER_COLS: &str =
    "id, user_id, name, special_use, uidvalidity, uidnext, highestmodseq, recent_uid";

pub(crate) fn folder_row(r: &Row<'_>) -> rusqlite::Result<Folder> {
    Ok(Folder {
        id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        special_use: r.get(3)?,
        uidvalidity: r.get(4)?,
        uidnext: r.get(5)?,
        highestmodseq: r.get::<_, i64>(6)? as u64,
        recent_uid: r.get(7)?,
    })
}

/// A message's metadata from a row `uid, modseq, flags, internal_date, size, blob_id`.
pub(crate) fn message_row(folder: FolderId, r: &Row<'_>) -> rusqlite::Result<MessageMeta> {
    let flag_text: String = r.get(2)?;
    Ok(MessageMeta {
        folder_id: folder,
        uid: r.get(0)?,
        modseq: r.get::<_, i64>(1)? as u64,
        flags: flags::from_text(&flag_text),
        internal_date: r.get(3)?,
        size: r.get::<_, i64>(4)? as u64,
        blob: r.get(5)?,
    })
}

/// Rows a read may take on the calling thread ([`SqliteStore::read_now`]) rather than a
/// blocking one.
const FEW_ROWS: usize = 16;

#[async_trait]
impl MailStore for SqliteStore {
    async fn create_folder(
        &self,
        user: UserId,
        name: &str,
        special_use: Option<&str>,
    ) -> Result<Folder> {
        let name = name.to_owned();
        let special = special_use.map(str::to_owned);
        self.write(move |ctx| {
            let f = create_folder_tx(ctx.conn, user, &name, special.as_deref())?;
            ctx.emit(Event::Folders { user_id: user });
            Ok(f)
        })
        .await
    }

    async fn get_folder(&self, user: UserId, name: &str) -> Result<Option<Folder>> {
        self.read_now(|c| {
            let sql = format!("SELECT {FOLDER_COLS} FROM folders WHERE user_id = ?1 AND name = ?2");
            Ok(c.prepare_cached(&sql)?
                .query_row(params![user, name], folder_row)
                .optional()?)
        })
    }

    async fn list_folders(&self, user: UserId) -> Result<Vec<Folder>> {
        self.read(move |c| {
            let sql = format!("SELECT {FOLDER_COLS} FROM folders WHERE user_id = ?1 ORDER BY name");
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map([user], folder_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn deliver(
        &self,
        bytes: MessageBytes,
        targets: &[(FolderId, NewMessage)],
    ) -> Result<Vec<u32>> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let staged = self.stage(bytes).await?;
        let file = staged.file_id();
        let targets = targets.to_vec();
        let r = self
            .write(move |ctx| {
                add_blob(ctx.conn, &staged, targets.len())?;
                let mut uids = Vec::with_capacity(targets.len());
                for (folder, m) in &targets {
                    let uid = insert_message(ctx, *folder, &staged.id, staged.size, m)?;
                    textindex::pending(ctx.conn, *folder, uid)?;
                    uids.push(uid);
                }
                Ok(uids)
            })
            .await;
        if r.is_err() {
            self.discard(file).await;
        }
        r
    }

    async fn append_batch(
        &self,
        folder: FolderId,
        msgs: Vec<(Vec<u8>, NewMessage)>,
    ) -> Result<Vec<u32>> {
        let (bodies, metas): (Vec<_>, Vec<_>) = msgs.into_iter().unzip();
        let staged = self.stage_many(bodies).await?;
        let files: Vec<BlobId> = staged.iter().filter_map(Staged::file_id).collect();
        let r = self
            .write(move |ctx| {
                let mut uids = Vec::with_capacity(staged.len());
                for (s, m) in staged.iter().zip(&metas) {
                    add_blob(ctx.conn, s, 1)?;
                    let uid = insert_message(ctx, folder, &s.id, s.size, m)?;
                    textindex::pending(ctx.conn, folder, uid)?;
                    uids.push(uid);
                }
                Ok(uids)
            })
            .await;
        if r.is_err() {
            self.discard(files).await;
        }
        r
    }

    async fn list_messages(&self, folder: FolderId) -> Result<Vec<MessageMeta>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT uid, modseq, flags, internal_date, size, blob_id FROM messages \
                 WHERE folder_id = ?1 ORDER BY uid",
            )?;
            let rows = st.query_map([folder], |r| message_row(folder, r))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn list_flags(&self, folder: FolderId) -> Result<FolderFlags> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT uid, modseq, flags FROM messages WHERE folder_id = ?1 ORDER BY uid",
            )?;
            let count: i64 = c
                .prepare_cached("SELECT count(*) FROM messages WHERE folder_id = ?1")?
                .query_row([folder], |r| r.get(0))?;
            let mut out = FolderFlagsBuilder::with_capacity(usize::try_from(count).unwrap_or(0));
            let mut rows = st.query([folder])?;
            while let Some(r) = rows.next()? {
                let text = r.get_ref(2)?.as_str().map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(2, Type::Text, Box::new(e))
                })?;
                out.push(r.get(0)?, r.get::<_, i64>(1)? as u64, text);
            }
            Ok(out.finish())
        })
        .await
    }

    async fn get_messages(&self, folder: FolderId, uids: &[u32]) -> Result<Vec<MessageMeta>> {
        let mut uids = uids.to_vec();
        uids.sort_unstable();
        uids.dedup();
        let (Some(&lo), Some(&hi)) = (uids.first(), uids.last()) else {
            return Ok(Vec::new());
        };
        let few = uids.len() <= FEW_ROWS;
        let run = move |c: &rusqlite::Connection| {
            let mut out = Vec::with_capacity(uids.len());
            // Mostly contiguous UIDs (a range of messages): one scan of the range.
            if (hi - lo) as usize <= 2 * uids.len() {
                let mut st = c.prepare_cached(
                    "SELECT uid, modseq, flags, internal_date, size, blob_id FROM messages \
                     WHERE folder_id = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid",
                )?;
                for m in st.query_map(params![folder, lo, hi], |r| message_row(folder, r))? {
                    let m = m?;
                    if uids.binary_search(&m.uid).is_ok() {
                        out.push(m);
                    }
                }
                return Ok(out);
            }
            let mut st = c.prepare_cached(
                "SELECT uid, modseq, flags, internal_date, size, blob_id FROM messages \
                 WHERE folder_id = ?1 AND uid = ?2",
            )?;
            for uid in uids {
                let row = st.query_row(params![folder, uid], |r| message_row(folder, r));
                if let Some(m) = row.optional()? {
                    out.push(m);
                }
            }
            Ok(out)
        };
        if few {
            self.read_now(run)
        } else {
            self.read(run).await
        }
    }

    async fn list_headers(&self, folder: FolderId) -> Result<Vec<(u32, Option<Vec<u8>>)>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT m.uid, h.data FROM messages m LEFT JOIN blob_headers h ON h.blob_id = m.blob_id \
                 WHERE m.folder_id = ?1 ORDER BY m.uid",
            )?;
            let rows = st.query_map([folder], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn read_message(&self, m: &MessageMeta) -> Result<Vec<u8>> {
        self.read_messages(std::slice::from_ref(m))
            .await?
            .pop()
            .flatten()
            .map(|b| b.to_vec())
            .ok_or_else(|| StoreError::NotFound(format!("blob {}", m.blob)))
    }

    async fn read_messages(&self, ms: &[MessageMeta]) -> Result<Vec<Option<Arc<[u8]>>>> {
        // The kept bytes from memory; one blocking hop for the others: the inline bytes
        // from the database, the rest from their files.
        let ids: Vec<String> = ms.iter().map(|m| m.blob.clone()).collect();
        let blobs = self.blobs().clone();
        crate::bodycache::shared()
            .read_through(&ids, |missing| {
                self.read(move |c| {
                    let mut out = Vec::with_capacity(missing.len());
                    for id in &missing {
                        out.push(match inline_bytes(c, id)? {
                            Some(Some(bytes)) => Some(bytes),
                            Some(None) => blobs.get_sync(id)?,
                            None => None,
                        });
                    }
                    Ok(out)
                })
            })
            .await
    }

    async fn get_folder_by_id(&self, id: FolderId) -> Result<Option<Folder>> {
        self.get_folder_by_id_impl(id).await
    }

    async fn store_flags(
        &self,
        folder: FolderId,
        uids: &[u32],
        op: FlagOp,
        flags: &[String],
        unchanged_since: Option<u64>,
    ) -> Result<FlagUpdate> {
        self.store_flags_impl(folder, uids, op, flags, unchanged_since)
            .await
    }

    async fn copy_messages(
        &self,
        from: FolderId,
        uids: &[u32],
        to: FolderId,
    ) -> Result<Vec<(u32, u32)>> {
        self.copy_impl(from, uids, to, false).await
    }

    async fn move_messages(
        &self,
        from: FolderId,
        uids: &[u32],
        to: FolderId,
    ) -> Result<Vec<(u32, u32)>> {
        self.copy_impl(from, uids, to, true).await
    }

    async fn rename_folder(
        &self,
        user: UserId,
        from: &str,
        to: &str,
        delimiter: char,
    ) -> Result<()> {
        self.rename_folder_impl(user, from, to, delimiter).await
    }

    async fn delete_folder(&self, folder: FolderId) -> Result<()> {
        self.delete_folder_impl(folder).await
    }

    async fn list_subscriptions(&self, user: UserId) -> Result<Vec<String>> {
        self.list_subscriptions_impl(user).await
    }

    async fn set_subscription(&self, user: UserId, name: &str, on: bool) -> Result<()> {
        self.set_subscription_impl(user, name, on).await
    }

    async fn get_metadata(
        &self,
        user: UserId,
        folder: Option<FolderId>,
    ) -> Result<Vec<(String, Vec<u8>)>> {
        self.get_metadata_impl(user, folder).await
    }

    async fn set_metadata(
        &self,
        user: UserId,
        folder: Option<FolderId>,
        changes: &[MetadataChange],
        max_entries: usize,
    ) -> Result<MetadataWrite> {
        self.set_metadata_impl(user, folder, changes, max_entries)
            .await
    }

    async fn changes_since(&self, folder: FolderId, modseq: u64) -> Result<FolderChanges> {
        self.changes_since_impl(folder, modseq).await
    }

    async fn vanished_since(&self, folder: FolderId, modseq: u64) -> Result<Vec<u32>> {
        self.vanished_impl(folder, modseq).await
    }

    async fn folder_counts(&self, folder: FolderId) -> Result<FolderCounts> {
        self.folder_counts_impl(folder).await
    }

    async fn claim_recent(&self, folder: FolderId, _seen: u32) -> Result<(u32, u32)> {
        self.claim_recent_impl(folder).await
    }

    async fn held_messages(&self, folder: FolderId, uids: &[u32]) -> Result<Vec<MessageMeta>> {
        self.held_impl(folder, uids).await
    }

    async fn release_held(&self, now: i64) -> Result<usize> {
        self.release_held_impl(now).await
    }

    async fn expunge(&self, folder: FolderId, uids: &[u32]) -> Result<Vec<u32>> {
        let uids = uids.to_vec();
        self.write_relaxed(move |ctx| expunge_tx(ctx, folder, &uids))
            .await
    }

    async fn text_candidates(
        &self,
        folder: FolderId,
        part: TextPart,
        needle: &str,
    ) -> Result<Vec<u32>> {
        self.text_candidates_impl(folder, part, needle).await
    }

    async fn index_pending(&self, limit: usize) -> Result<usize> {
        self.index_pending_impl(limit).await
    }
}
