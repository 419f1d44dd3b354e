//! The search text index on PostgreSQL: `message_text` (one row per message, its folded
//! header and body text, each under a `gin_trgm_ops` index) and `text_pending`, the
//! messages whose text is not all there.
//!
//! Invariants: every message has its row in `message_text` or in `text_pending` (both for a
//! cut text): a new message is listed in `text_pending` in the transaction that adds it
//! (deliver, append), and the indexer ([`crate::textindex`]) keeps its text in a later
//! batch; a copy or a move takes its source's row and listing in its transaction; foreign keys remove both with the message. `LIKE '%needle%'` with the needle's
//! `\`, `%` and `_` escaped is an exact substring test (the trigram index only narrows the
//! rows it is checked on), so the candidates are a superset of the matcher's answer.

use heron_message::searchtext::{self, SearchText};

use super::PgStore;
use super::blobs::read;
use super::error::TxResult;
use super::tx::Tx;
use crate::error::{Result, StoreError};
use crate::model::{FolderId, TextPart};

/// Copies' search text is their sources': `pairs` are (source UID, new UID).
pub(crate) async fn copy(
    tx: &Tx,
    from: FolderId,
    to: FolderId,
    pairs: &[(u32, u32)],
) -> TxResult<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let old: Vec<i64> = pairs.iter().map(|p| i64::from(p.0)).collect();
    let new: Vec<i64> = pairs.iter().map(|p| i64::from(p.1)).collect();
    let st =
        tx.t.prepare_cached(
            "INSERT INTO message_text (folder_id, uid, head, body) \
             SELECT $3, d.new, t.head, t.body FROM unnest($1::bigint[], $2::bigint[]) AS d (old, new) \
             JOIN message_text t ON t.folder_id = $4 AND t.uid = d.old",
        )
        .await?;
    tx.t.execute(&st, &[&old, &new, &to, &from]).await?;
    let st =
        tx.t.prepare_cached(
            "INSERT INTO text_pending (folder_id, uid, cut) \
             SELECT $3, d.new, p.cut FROM unnest($1::bigint[], $2::bigint[]) AS d (old, new) \
             JOIN text_pending p ON p.folder_id = $4 AND p.uid = d.old",
        )
        .await?;
    tx.t.execute(&st, &[&old, &new, &to, &from]).await?;
    Ok(())
}

/// `%needle%` with LIKE's special characters escaped (`\` is LIKE's escape character).
fn pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for ch in needle.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

impl PgStore {
    pub(crate) async fn text_candidates_impl(
        &self,
        folder: FolderId,
        part: TextPart,
        needle: &str,
    ) -> Result<Vec<u32>> {
        let c = self.client().await?;
        let rows = if searchtext::indexable(needle) {
            let test = match part {
                TextPart::Head => "head LIKE $2",
                TextPart::Body => "body LIKE $2",
                TextPart::All => "(head LIKE $2 OR body LIKE $2)",
            };
            let st = c
                .prepare_cached(&format!(
                    "SELECT uid FROM message_text WHERE folder_id = $1 AND {test} \
                     UNION SELECT uid FROM text_pending WHERE folder_id = $1"
                ))
                .await?;
            c.query(&st, &[&folder, &pattern(needle)]).await?
        } else {
            let st = c
                .prepare_cached("SELECT uid FROM messages WHERE folder_id = $1")
                .await?;
            c.query(&st, &[&folder]).await?
        };
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(r.try_get::<_, i64>(0)? as u32);
        }
        out.sort_unstable();
        Ok(out)
    }

    pub(crate) async fn index_pending_impl(&self, limit: usize) -> Result<usize> {
        let mut c = self.client().await?;
        let rows = c
            .query(
                "SELECT p.folder_id, p.uid, m.blob_id FROM text_pending p \
                 JOIN messages m ON m.folder_id = p.folder_id AND m.uid = p.uid \
                 WHERE NOT p.cut LIMIT $1",
                &[&(limit as i64)],
            )
            .await?;
        let mut made: Vec<(FolderId, i64, Option<SearchText>)> = Vec::with_capacity(rows.len());
        let mut held = 0usize;
        for r in &rows {
            let (folder, uid, blob): (FolderId, i64, String) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            let text = match read(&c, &blob).await {
                Ok(b) => Some(
                    tokio::task::spawn_blocking(move || searchtext::of_message(&b))
                        .await
                        .map_err(|e| StoreError::Db(e.to_string()))?,
                ),
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e),
            };
            let kept = text.as_ref().map_or(0, |t| t.head.len() + t.body.len());
            made.push((folder, uid, text));
            // The rest waits for the next batch (crate::textindex::INDEX_BATCH_BYTES).
            held += kept;
            if held >= crate::textindex::INDEX_BATCH_BYTES {
                break;
            }
        }
        let t = c.transaction().await?;
        for (folder, uid, text) in &made {
            // Only while still pending (another node may have done it); a message whose
            // bytes are gone stays pending as cut, a candidate for good.
            let claimed = t
                .execute(
                    "UPDATE text_pending SET cut = true WHERE folder_id = $1 AND uid = $2 AND NOT cut",
                    &[folder, uid],
                )
                .await?;
            let Some(text) = text.as_ref().filter(|_| claimed > 0) else {
                continue;
            };
            t.execute(
                "INSERT INTO message_text (folder_id, uid, head, body) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (folder_id, uid) DO UPDATE SET head = excluded.head, body = excluded.body",
                &[folder, uid, &text.head, &text.body],
            )
            .await?;
            if text.complete {
                t.execute(
                    "DELETE FROM text_pending WHERE folder_id = $1 AND uid = $2",
                    &[folder, uid],
                )
                .await?;
            }
        }
        t.commit().await?;
        Ok(made.len())
    }
}
