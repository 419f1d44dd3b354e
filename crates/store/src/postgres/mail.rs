//! [`MailStore`] on PostgreSQL: folders and messages.
//!
//! Invariants (RFC 9051 §2.3.1.1): in a folder, UIDs strictly increase and are never reused:
//! they are handed out by one `UPDATE … RETURNING` of the folder row, which stays locked until
//! the transaction ends, so appends from several processes queue on it and each gets its own
//! range; every change to a folder's messages raises its `highestmodseq` and stamps the
//! changed messages with the new value; UIDVALIDITY never changes for the life of a folder.
//! Every operation that changes a folder's messages locks the folder row first.

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Arc;
use tokio_postgres::Row;

use super::PgStore;
use super::adder::Item;
use super::blobs::read;
use super::error::{TxResult, not_found};
use super::tx::Tx;
use crate::changelog::Step;
use crate::error::Result;
use crate::events::Event;
use crate::model::*;
use crate::rules::flags::{self, FolderFlagsBuilder};
use crate::rules::{folders, now};
use crate::traits::MailStore;

/// The `\Recent` mark of folder `f`: the greater of `folders.recent_uid` (set at creation or
/// by a copy) and the row of `recent_marks` that claims move.
macro_rules! recent_mark {
    () => {
        "greatest(f.recent_uid, coalesce((SELECT r.recent_uid FROM recent_marks r \
         WHERE r.folder_id = f.id), 0))"
    };
}
pub(crate) use recent_mark;

/// Columns of [`folder_row`], from `folders f`.
pub(crate) const FOLDER_COLS: &str = concat!(
    "f.id, f.user_id, f.name, f.special_use, f.uidvalidity, f.uidnext, f.highestmodseq, ",
    recent_mark!()
);

/// How many columns [`FOLDER_COLS`] has.
pub(crate) const FOLDER_COL_COUNT: usize = 8;

/// Columns of [`message_row`].
pub(crate) const MESSAGE_COLS: &str = "uid, modseq, flags, internal_date, size, blob_id";

pub(crate) fn folder_row(r: &Row) -> Result<Folder> {
    Ok(Folder {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        name: r.try_get(2)?,
        special_use: r.try_get(3)?,
        uidvalidity: r.try_get::<_, i64>(4)? as u32,
        uidnext: r.try_get::<_, i64>(5)? as u32,
        highestmodseq: r.try_get::<_, i64>(6)? as u64,
        recent_uid: r.try_get::<_, i64>(7)? as u32,
    })
}

/// A message's metadata from a row of [`MESSAGE_COLS`].
pub(crate) fn message_row(folder: FolderId, r: &Row) -> Result<MessageMeta> {
    Ok(MessageMeta {
        folder_id: folder,
        uid: r.try_get::<_, i64>(0)? as u32,
        modseq: r.try_get::<_, i64>(1)? as u64,
        flags: flags::from_text(r.try_get(2)?),
        internal_date: r.try_get(3)?,
        size: r.try_get::<_, i64>(4)? as u64,
        blob: r.try_get(5)?,
    })
}

/// Create a folder inside a transaction, charging its cost to the owner.
pub(crate) async fn create_folder_tx(
    tx: &Tx,
    user: UserId,
    name: &str,
    special_use: Option<&str>,
) -> TxResult<Folder> {
    // UIDVALIDITY from the clock and above every earlier one of the user: a folder deleted
    // and created again, even within the same second, gets a new value. The user's row stays
    // locked to the commit, so folders created at once on several nodes queue on it.
    let st =
        tx.t.prepare_cached("SELECT last_uidvalidity FROM users WHERE id = $1 FOR UPDATE")
            .await?;
    let last: i64 = match tx.t.query_opt(&st, &[&user]).await? {
        Some(r) => r.try_get(0)?,
        None => return Err(not_found(format!("user #{user}"))),
    };
    let uidvalidity = folders::uidvalidity(now(), last.clamp(0, u32::MAX.into()) as u32);
    let st =
        tx.t.prepare_cached(
            "INSERT INTO folders (user_id, name, special_use, uidvalidity, uidnext, highestmodseq) \
             VALUES ($1, $2, $3, $4, 1, 1) RETURNING id",
        )
        .await?;
    let id: i64 =
        tx.t.query_one(&st, &[&user, &name, &special_use, &(uidvalidity as i64)])
            .await?
            .try_get(0)?;
    charge(tx, user, folder_cost(name) as i64).await?;
    let st =
        tx.t.prepare_cached("UPDATE users SET last_uidvalidity = $2 WHERE id = $1")
            .await?;
    tx.t.execute(&st, &[&user, &(uidvalidity as i64)]).await?;
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

/// Add `delta` (negative: give back) to a user's quota usage, never below zero.
pub(crate) async fn charge(tx: &Tx, user: UserId, delta: i64) -> TxResult<()> {
    let st = tx
        .t
        .prepare_cached("UPDATE users SET used_bytes = greatest(used_bytes + $2, 0) WHERE id = $1")
        .await?;
    tx.t.execute(&st, &[&user, &delta]).await?;
    Ok(())
}

/// Lock a folder row: its owner and the modseq a change gets.
pub(crate) const LOCK_FOLDER: &str =
    "SELECT user_id, highestmodseq + 1 FROM folders WHERE id = $1 FOR UPDATE";

/// Lock a folder for a change of its messages: its owner and the modseq the change gets.
pub(crate) async fn lock_folder(tx: &Tx, folder: FolderId) -> TxResult<(UserId, i64)> {
    let st = tx.t.prepare_cached(LOCK_FOLDER).await?;
    let row =
        tx.t.query_opt(&st, &[&folder])
            .await?
            .ok_or_else(|| not_found(format!("folder #{folder}")))?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// A message to add: its blob, size, flags and date.
pub(crate) struct Adding<'a> {
    pub blob: &'a str,
    pub size: u64,
    pub msg: &'a NewMessage,
}

/// Add messages to a folder: each gets the next UID and its own new modseq, in order; the
/// owner's usage grows by their sizes. Returns the UIDs.
pub(crate) async fn insert_messages(
    tx: &mut Tx,
    folder: FolderId,
    adding: &[Adding<'_>],
) -> TxResult<Vec<u32>> {
    if adding.is_empty() {
        return Ok(Vec::new());
    }
    let n = adding.len() as i64;
    let st =
        tx.t.prepare_cached(
            "UPDATE folders SET uidnext = uidnext + $2, highestmodseq = highestmodseq + $2 \
             WHERE id = $1 RETURNING user_id, uidnext - $2, highestmodseq - $2 + 1",
        )
        .await?;
    let row =
        tx.t.query_opt(&st, &[&folder, &n])
            .await?
            .ok_or_else(|| not_found(format!("folder #{folder}")))?;
    let (user, uid0, modseq0): (UserId, i64, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let uids: Vec<i64> = (uid0..uid0 + n).collect();
    let modseqs: Vec<i64> = (modseq0..modseq0 + n).collect();
    let flag_texts: Vec<String> = adding
        .iter()
        .map(|a| flags::to_text(&a.msg.flags))
        .collect();
    let dates: Vec<i64> = adding
        .iter()
        .map(|a| a.msg.internal_date.unwrap_or_else(now))
        .collect();
    let sizes: Vec<i64> = adding.iter().map(|a| a.size as i64).collect();
    let blobs: Vec<&str> = adding.iter().map(|a| a.blob).collect();
    let st =
        tx.t.prepare_cached(
            "INSERT INTO messages (folder_id, uid, modseq, flags, internal_date, size, blob_id) \
             SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bigint[], \
             $6::bigint[], $7::text[])",
        )
        .await?;
    tx.t.execute(
        &st,
        &[
            &folder,
            &uids,
            &modseqs,
            &flag_texts,
            &dates,
            &sizes,
            &blobs,
        ],
    )
    .await?;
    charge(tx, user, sizes.iter().sum()).await?;
    for k in 0..adding.len() {
        let meta = MessageMeta {
            folder_id: folder,
            uid: uids[k] as u32,
            modseq: modseqs[k] as u64,
            flags: flags::from_text(&flag_texts[k]),
            internal_date: dates[k],
            size: sizes[k] as u64,
            blob: blobs[k].to_owned(),
        };
        tx.logged(Step::added(meta, &flag_texts[k]));
    }
    tx.emit(Event::Mailbox {
        user_id: user,
        folder_id: folder,
    });
    Ok(uids.into_iter().map(|u| u as u32).collect())
}

impl PgStore {
    /// Messages of `folder` with the given UIDs (those it holds), in UID order.
    async fn messages_by_uid(&self, folder: FolderId, uids: &[u32]) -> Result<Vec<MessageMeta>> {
        let uids: Vec<i64> = uids.iter().map(|u| i64::from(*u)).collect();
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLS} FROM messages WHERE folder_id = $1 AND uid = ANY($2::bigint[]) \
                 ORDER BY uid"
            ))
            .await?;
        let mut out = Vec::new();
        for r in c.query(&st, &[&folder, &uids]).await? {
            out.push(message_row(folder, &r)?);
        }
        Ok(out)
    }
}

#[async_trait]
impl MailStore for PgStore {
    async fn create_folder(
        &self,
        user: UserId,
        name: &str,
        special_use: Option<&str>,
    ) -> Result<Folder> {
        write_tx!(self, |tx| {
            let f = create_folder_tx(&tx, user, name, special_use).await?;
            tx.emit(Event::Folders { user_id: user });
            Ok(f)
        })
    }

    async fn get_folder(&self, user: UserId, name: &str) -> Result<Option<Folder>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!(
                "SELECT {FOLDER_COLS} FROM folders f WHERE user_id = $1 AND name = $2"
            ))
            .await?;
        match c.query_opt(&st, &[&user, &name]).await? {
            Some(r) => Ok(Some(folder_row(&r)?)),
            None => Ok(None),
        }
    }

    async fn list_folders(&self, user: UserId) -> Result<Vec<Folder>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {FOLDER_COLS} FROM folders f WHERE user_id = $1 ORDER BY name"),
                &[&user],
            )
            .await?;
        Ok(rows.iter().map(folder_row).collect::<Result<_>>()?)
    }

    async fn deliver(
        &self,
        bytes: MessageBytes,
        targets: &[(FolderId, NewMessage)],
    ) -> Result<Vec<u32>> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let item = Item::new(bytes, targets.to_vec());
        self.inner.group.add(vec![item]).await
    }

    async fn append_batch(
        &self,
        folder: FolderId,
        msgs: Vec<(Vec<u8>, NewMessage)>,
    ) -> Result<Vec<u32>> {
        let items = msgs
            .into_iter()
            .map(|(b, m)| {
                Item::new(
                    MessageBytes::new(Vec::new(), Arc::new(b)),
                    vec![(folder, m)],
                )
            })
            .collect();
        self.inner.group.add(items).await
    }

    async fn list_messages(&self, folder: FolderId) -> Result<Vec<MessageMeta>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLS} FROM messages WHERE folder_id = $1 ORDER BY uid"
            ))
            .await?;
        let rows = c.query(&st, &[&folder]).await?;
        Ok(rows
            .iter()
            .map(|r| message_row(folder, r))
            .collect::<Result<_>>()?)
    }

    async fn list_flags(&self, folder: FolderId) -> Result<FolderFlags> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(
                "SELECT uid, modseq, flags FROM messages WHERE folder_id = $1 ORDER BY uid",
            )
            .await?;
        let rows = c.query(&st, &[&folder]).await?;
        let mut out = FolderFlagsBuilder::with_capacity(rows.len());
        for r in &rows {
            out.push(
                r.try_get::<_, i64>(0)? as u32,
                r.try_get::<_, i64>(1)? as u64,
                r.try_get(2)?,
            );
        }
        Ok(out.finish())
    }

    async fn get_messages(&self, folder: FolderId, uids: &[u32]) -> Result<Vec<MessageMeta>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        self.messages_by_uid(folder, uids).await
    }

    async fn list_headers(&self, folder: FolderId) -> Result<Vec<(u32, Option<Vec<u8>>)>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached("SELECT uid, blob_id FROM messages WHERE folder_id = $1 ORDER BY uid")
            .await?;
        let rows = c.query(&st, &[&folder]).await?;
        let ids: Vec<&str> = rows
            .iter()
            .map(|r| r.try_get(1))
            .collect::<std::result::Result<_, _>>()?;
        let mut heads = self.inner.heads.get_all(&ids);
        let missing: Vec<&str> = ids
            .iter()
            .zip(&heads)
            .filter(|(_, h)| h.is_none())
            .map(|(id, _)| *id)
            .collect();
        if !missing.is_empty() {
            let st = c
                .prepare_cached("SELECT id, head FROM blobs WHERE id = ANY($1)")
                .await?;
            let mut read: HashMap<String, Vec<u8>> = HashMap::with_capacity(missing.len());
            for r in c.query(&st, &[&missing]).await? {
                read.insert(r.try_get(0)?, r.try_get(1)?);
            }
            for (id, head) in ids.iter().zip(heads.iter_mut()) {
                if head.is_none()
                    && let Some(h) = read.get(*id)
                {
                    self.inner.heads.keep((*id).to_owned(), h.clone());
                    *head = Some(h.clone());
                }
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for (r, head) in rows.iter().zip(heads) {
            out.push((r.try_get::<_, i64>(0)? as u32, head));
        }
        Ok(out)
    }

    async fn read_message(&self, m: &MessageMeta) -> Result<Vec<u8>> {
        if let Some(bytes) = crate::bodycache::shared().get(&m.blob) {
            return Ok(bytes.to_vec());
        }
        let bytes = read(&self.client().await?, &m.blob).await?;
        crate::bodycache::shared().keep(&m.blob, &bytes);
        Ok(bytes)
    }

    async fn read_messages(&self, ms: &[MessageMeta]) -> Result<Vec<Option<Arc<[u8]>>>> {
        let ids: Vec<String> = ms.iter().map(|m| m.blob.clone()).collect();
        crate::bodycache::shared()
            .read_through(&ids, |missing| async move {
                super::blobs::read_many(&self.client().await?, &missing).await
            })
            .await
    }

    async fn folder_counts(&self, folder: FolderId) -> Result<FolderCounts> {
        self.folder_counts_impl(folder).await
    }

    async fn folder_counts_of(&self, folder: &Folder) -> Result<FolderCounts> {
        self.folder_counts_of_impl(folder).await
    }

    async fn claim_recent(&self, folder: FolderId, seen: u32) -> Result<(u32, u32)> {
        self.claim_recent_impl(folder, seen).await
    }

    async fn held_messages(&self, folder: FolderId, uids: &[u32]) -> Result<Vec<MessageMeta>> {
        self.held_impl(folder, uids).await
    }

    async fn release_held(&self, now: i64) -> Result<usize> {
        self.release_held_impl(now).await
    }

    async fn expunge(&self, folder: FolderId, uids: &[u32]) -> Result<Vec<u32>> {
        self.inner.group.expunge(folder, uids.to_vec()).await
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
        self.inner
            .group
            .store_flags(folder, uids.to_vec(), op, flags.to_vec(), unchanged_since)
            .await
    }

    async fn copy_messages(
        &self,
        from: FolderId,
        uids: &[u32],
        to: FolderId,
    ) -> Result<Vec<(u32, u32)>> {
        let uids = Arc::new(uids.to_vec());
        self.inner
            .group
            .run(vec![from, to], move |tx| {
                let uids = uids.clone();
                Box::pin(async move { super::changes::copy_tx(tx, from, &uids, to).await })
            })
            .await
    }

    async fn move_messages(
        &self,
        from: FolderId,
        uids: &[u32],
        to: FolderId,
    ) -> Result<Vec<(u32, u32)>> {
        let uids = Arc::new(uids.to_vec());
        self.inner
            .group
            .run(vec![from, to], move |tx| {
                let uids = uids.clone();
                Box::pin(async move {
                    let pairs = super::changes::copy_tx(tx, from, &uids, to).await?;
                    let moved: Vec<u32> = pairs.iter().map(|p| p.0).collect();
                    super::changes::expunge_tx(tx, from, &moved).await?;
                    Ok(pairs)
                })
            })
            .await
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
        let c = self.client().await?;
        super::changes::vanished(&c, folder, modseq).await
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
