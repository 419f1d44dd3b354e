//! The search text index on SQLite: `message_text`, an FTS5 table with the trigram
//! tokenizer (case kept: the text is folded before it is stored), one row per message whose
//! rowid is [`doc`] (folder id times 2^32 plus UID), and `text_pending`, the messages whose
//! text is not all there.
//!
//! Invariants: every message has its row in `message_text` or in `text_pending` (both for a
//! cut text): a new message is listed in `text_pending` in the transaction that adds it
//! (deliver, append), and the indexer ([`crate::textindex`]) keeps its text in a later
//! batch; a copy or a move takes its source's row and listing in its transaction. When a
//! message goes (expunge, move, folder, user or domain deletion), the foreign key of
//! `text_pending` removes its listing and the `message_text_unlisted` trigger lists its row
//! in `text_gone`, in the same transaction; the indexer removes listed rows in its next batch
//! ([`GONE_BATCH`] at a time), and searches skip them until then. Writing a row
//! ([`put`], [`copy`]) takes it off `text_gone`, so a row listed there is never a live
//! message's. The trigram phrase query matches exactly the rows whose text holds the needle
//! as a substring, so the candidates are a superset of the matcher's answer.

use heron_message::searchtext::{self, SearchText};
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::staged::inline_bytes;
use crate::blob::BlobStore;
use crate::error::{Result, StoreError};
use crate::model::{FolderId, TextPart};

/// Rows of deleted messages removed from `message_text` per indexer batch, at most.
pub(crate) const GONE_BATCH: i64 = 2000;

/// The `message_text` rowid of a message.
pub(crate) fn doc(folder: FolderId, uid: u32) -> i64 {
    (folder << 32) | i64::from(uid)
}

/// List a new message for the indexer (inside the transaction that adds it). Its text is
/// kept later, in a batch: tokenising it here would hold the one writer, and with it every
/// commit waiting behind, for as long as a message's trigrams take.
pub(crate) fn pending(c: &Connection, folder: FolderId, uid: u32) -> Result<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO text_pending (folder_id, uid, cut) VALUES (?1, ?2, 0)",
    )?
    .execute(params![folder, uid])?;
    Ok(())
}

/// Keep a message's search text (the indexer, for a pending message).
pub(crate) fn put(c: &Connection, folder: FolderId, uid: u32, t: &SearchText) -> Result<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO message_text (rowid, head, body) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![doc(folder, uid), t.head, t.body])?;
    listed_again(c, doc(folder, uid))?;
    if !t.complete {
        c.prepare_cached(
            "INSERT OR REPLACE INTO text_pending (folder_id, uid, cut) VALUES (?1, ?2, 1)",
        )?
        .execute(params![folder, uid])?;
    }
    Ok(())
}

/// A copy's search text is its source's (inside the copying transaction).
pub(crate) fn copy(c: &Connection, from: FolderId, uid: u32, to: FolderId, new: u32) -> Result<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO message_text (rowid, head, body) \
         SELECT ?2, head, body FROM message_text WHERE rowid = ?1",
    )?
    .execute(params![doc(from, uid), doc(to, new)])?;
    listed_again(c, doc(to, new))?;
    c.prepare_cached(
        "INSERT OR REPLACE INTO text_pending (folder_id, uid, cut) \
         SELECT ?3, ?4, cut FROM text_pending WHERE folder_id = ?1 AND uid = ?2",
    )?
    .execute(params![from, uid, to, new])?;
    Ok(())
}

/// A row just written is a live message's: off `text_gone`.
fn listed_again(c: &Connection, row: i64) -> Result<()> {
    c.prepare_cached("DELETE FROM text_gone WHERE doc = ?1")?
        .execute([row])?;
    Ok(())
}

/// Remove the rows of deleted messages from `message_text`, at most [`GONE_BATCH`]; how many.
fn purge_gone(c: &Connection) -> Result<usize> {
    let rows: Vec<i64> = c
        .prepare_cached("SELECT doc FROM text_gone ORDER BY doc LIMIT ?1")?
        .query_map([GONE_BATCH], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut del = c.prepare_cached("DELETE FROM message_text WHERE rowid = ?1")?;
    let mut done = c.prepare_cached("DELETE FROM text_gone WHERE doc = ?1")?;
    for row in &rows {
        del.execute([row])?;
        done.execute([row])?;
    }
    Ok(rows.len())
}

/// The FTS5 query for a needle: one phrase, its quotes doubled.
fn phrase(needle: &str) -> String {
    format!("\"{}\"", needle.replace('"', "\"\""))
}

fn candidates(c: &Connection, folder: FolderId, part: TextPart, needle: &str) -> Result<Vec<u32>> {
    let mut out: Vec<u32> = Vec::new();
    if !searchtext::indexable(needle) {
        let mut st = c.prepare_cached("SELECT uid FROM messages WHERE folder_id = ?1")?;
        for uid in st.query_map([folder], |r| r.get(0))? {
            out.push(uid?);
        }
        return Ok(out);
    }
    // Pending ones first: a message the indexer keeps between the two reads is then in the
    // first (still pending) or in the second (indexed), never in neither.
    let mut st = c.prepare_cached("SELECT uid FROM text_pending WHERE folder_id = ?1")?;
    for uid in st.query_map([folder], |r| r.get(0))? {
        out.push(uid?);
    }
    // A column name on the left of MATCH limits the query to that column.
    let column = match part {
        TextPart::Head => "head",
        TextPart::Body => "body",
        TextPart::All => "message_text",
    };
    let sql = format!(
        "SELECT rowid FROM message_text WHERE {column} MATCH ?1 AND rowid BETWEEN ?2 AND ?3 \
         AND rowid NOT IN (SELECT doc FROM text_gone WHERE doc BETWEEN ?2 AND ?3)"
    );
    let base = doc(folder, 0);
    let mut st = c.prepare_cached(&sql)?;
    for id in st.query_map(params![phrase(needle), base, doc(folder, u32::MAX)], |r| {
        r.get::<_, i64>(0)
    })? {
        out.push((id? - base) as u32);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// A pending message's text as the indexer made it: `None` when its bytes are gone.
type Made = (FolderId, u32, Option<SearchText>);

impl SqliteStore {
    pub(crate) async fn text_candidates_impl(
        &self,
        folder: FolderId,
        part: TextPart,
        needle: &str,
    ) -> Result<Vec<u32>> {
        let needle = needle.to_owned();
        self.read(move |c| candidates(c, folder, part, &needle))
            .await
    }

    pub(crate) async fn index_pending_impl(&self, limit: usize) -> Result<usize> {
        let todo: Vec<(FolderId, u32, String)> = self
            .read(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT p.folder_id, p.uid, m.blob_id FROM text_pending p \
                     JOIN messages m ON m.folder_id = p.folder_id AND m.uid = p.uid \
                     WHERE p.cut = 0 LIMIT ?1",
                )?;
                let rows =
                    st.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .await?;
        let mut made: Vec<Made> = Vec::with_capacity(todo.len());
        let mut held = 0usize;
        for (folder, uid, blob) in todo {
            let id = blob.clone();
            let bytes = match self.read(move |c| inline_bytes(c, &id)).await? {
                Some(Some(b)) => Some(b),
                Some(None) => match self.blobs().get(&blob).await {
                    Ok(b) => Some(b),
                    Err(StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            let text = match bytes {
                Some(b) => Some(
                    tokio::task::spawn_blocking(move || searchtext::of_message(&b))
                        .await
                        .map_err(|e| StoreError::Db(e.to_string()))?,
                ),
                None => None,
            };
            let kept = text.as_ref().map_or(0, |t| t.head.len() + t.body.len());
            made.push((folder, uid, text));
            // The rest waits for the next batch (crate::textindex::INDEX_BATCH_BYTES).
            held += kept;
            if held >= crate::textindex::INDEX_BATCH_BYTES {
                break;
            }
        }
        if made.is_empty() {
            // Nothing to index: only the rows of deleted messages to remove, if any.
            let listed: bool = self
                .read(|c| {
                    Ok(c.query_row("SELECT EXISTS (SELECT 1 FROM text_gone)", [], |r| r.get(0))?)
                })
                .await?;
            if listed {
                self.write_relaxed(|ctx| purge_gone(ctx.conn)).await?;
            }
            return Ok(0);
        }
        let n = made.len();
        // Relaxed: the index is derived data; a power loss that undid this batch would leave
        // its messages pending, to be indexed again.
        self.write_relaxed(move |ctx| {
            let c = ctx.conn;
            // In the same job as the new rows: the full-text index writes its changes once.
            purge_gone(c)?;
            for (folder, uid, text) in &made {
                let still: Option<i64> = c
                    .prepare_cached(
                        "SELECT 1 FROM text_pending WHERE folder_id = ?1 AND uid = ?2 AND cut = 0",
                    )?
                    .query_row(params![folder, uid], |r| r.get(0))
                    .optional()?;
                if still.is_none() {
                    continue;
                }
                match text {
                    Some(t) => {
                        put(c, *folder, *uid, t)?;
                        if t.complete {
                            c.prepare_cached(
                                "DELETE FROM text_pending WHERE folder_id = ?1 AND uid = ?2",
                            )?
                            .execute(params![folder, uid])?;
                        }
                    }
                    // Bytes gone: the message stays a candidate for good.
                    None => {
                        c.prepare_cached(
                            "UPDATE text_pending SET cut = 1 WHERE folder_id = ?1 AND uid = ?2",
                        )?
                        .execute(params![folder, uid])?;
                    }
                }
            }
            Ok(())
        })
        .await?;
        Ok(n)
    }
}
