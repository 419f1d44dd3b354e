//! [`SpoolStore`] on SQLite: the outbound queue's records.
//!
//! Invariants: an entry's bytes are referenced from `blobs` (one reference per entry) and are
//! removed with the last reference; a lease (`leased_until` > 0) is set and cleared only in
//! write transactions, so two schedulers sharing the database never take the same entry.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteStore;
use super::staged::{add_blob, inline_bytes};
use crate::blob::BlobStore;
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::*;
use crate::rules::json::{from_json, to_json};
use crate::rules::now;
use crate::rules::spool::{apply_change, finished};
use crate::traits::SpoolStore;

const SPOOL_COLS: &str = "id, sender, recipients, blob_id, size, priority, ret, envid, attempts, \
     created_at, next_attempt_at, leased_until, last_attempt_at, requiretls";

/// One row as an entry (recipients still as JSON text).
fn entry_row(r: &Row<'_>) -> rusqlite::Result<(SpoolEntry, String)> {
    Ok((
        SpoolEntry {
            id: r.get(0)?,
            sender: r.get(1)?,
            recipients: Vec::new(),
            blob: r.get(3)?,
            size: r.get::<_, i64>(4)? as u64,
            priority: r.get(5)?,
            ret: r.get(6)?,
            envid: r.get(7)?,
            attempts: r.get(8)?,
            created_at: r.get(9)?,
            next_attempt_at: r.get(10)?,
            leased_until: r.get(11)?,
            last_attempt_at: r.get(12)?,
            requiretls: r.get(13)?,
        },
        r.get(2)?,
    ))
}

/// Entries selected by `filter` (an SQL tail: WHERE/ORDER/LIMIT with `?1`.. parameters).
fn select(c: &Connection, filter: &str, p: impl rusqlite::Params) -> Result<Vec<SpoolEntry>> {
    let sql = format!("SELECT {SPOOL_COLS} FROM spool {filter}");
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map(p, entry_row)?;
    rows.map(|row| {
        let (mut e, rcpts) = row?;
        e.recipients = from_json(&rcpts, "spool recipients")?;
        Ok(e)
    })
    .collect()
}

fn get(c: &Connection, id: i64) -> Result<SpoolEntry> {
    select(c, "WHERE id = ?1", [id])?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("spool entry #{id}")))
}

/// Delete an entry and drop its blob reference; the blob id when nothing refers to it now.
fn remove(c: &Connection, id: i64) -> Result<Option<BlobId>> {
    let blob: String = c
        .query_row(
            "DELETE FROM spool WHERE id = ?1 RETURNING blob_id",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("spool entry #{id}")))?;
    let left: i64 = c.query_row(
        "UPDATE blobs SET refs = refs - 1 WHERE id = ?1 RETURNING refs",
        [&blob],
        |r| r.get(0),
    )?;
    if left <= 0 {
        c.execute("DELETE FROM blobs WHERE id = ?1", [&blob])?;
        crate::bodycache::forget(&[&blob]);
        return Ok(Some(blob));
    }
    Ok(None)
}

#[async_trait]
impl SpoolStore for SqliteStore {
    async fn spool_insert(&self, bytes: MessageBytes, e: NewSpoolEntry) -> Result<SpoolEntry> {
        let staged = self.stage(bytes).await?;
        let file = staged.file_id();
        let rcpts = to_json(&e.recipients)?;
        let created = now();
        let r = self
            .write(move |ctx| {
                add_blob(ctx.conn, &staged, 1)?;
                ctx.conn.execute(
                    "INSERT INTO spool (sender, recipients, blob_id, size, priority, ret, envid, \
                     created_at, next_attempt_at, requiretls) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        e.sender,
                        rcpts,
                        staged.id,
                        staged.size as i64,
                        e.priority,
                        e.ret,
                        e.envid,
                        created,
                        e.next_attempt_at,
                        e.requiretls
                    ],
                )?;
                ctx.emit(Event::Spool);
                Ok(SpoolEntry {
                    id: ctx.conn.last_insert_rowid(),
                    sender: e.sender,
                    recipients: e.recipients,
                    blob: staged.id.clone(),
                    size: staged.size,
                    priority: e.priority,
                    ret: e.ret,
                    envid: e.envid,
                    attempts: 0,
                    created_at: created,
                    next_attempt_at: e.next_attempt_at,
                    leased_until: 0,
                    last_attempt_at: None,
                    requiretls: e.requiretls,
                })
            })
            .await;
        if r.is_err() {
            self.discard(file).await;
        }
        r
    }

    async fn spool_list(&self) -> Result<Vec<SpoolEntry>> {
        self.read(|c| select(c, "ORDER BY priority DESC, id", []))
            .await
    }

    async fn spool_get(&self, id: i64) -> Result<Option<SpoolEntry>> {
        self.read(move |c| Ok(select(c, "WHERE id = ?1", [id])?.pop()))
            .await
    }

    async fn spool_delete(&self, id: i64) -> Result<()> {
        let orphan = self
            .write(move |ctx| {
                let orphan = remove(ctx.conn, id)?;
                ctx.emit(Event::Spool);
                Ok(orphan)
            })
            .await?;
        self.discard(orphan).await;
        Ok(())
    }

    async fn spool_read(&self, e: &SpoolEntry) -> Result<Vec<u8>> {
        let id = e.blob.clone();
        match self.read(move |c| inline_bytes(c, &id)).await? {
            Some(Some(bytes)) => Ok(bytes),
            Some(None) => self.blobs().get(&e.blob).await,
            None => Err(StoreError::NotFound(format!("blob {}", e.blob))),
        }
    }

    async fn spool_lease(&self, now: i64, until: i64, limit: usize) -> Result<Vec<SpoolEntry>> {
        self.write(move |ctx| {
            // Walk the lease index in its order (priority, then due time) and stop at the
            // limit; without the hint SQLite may pick `spool_due` and sort every due row.
            let mut due = select(
                ctx.conn,
                "INDEXED BY spool_lease WHERE leased_until = 0 AND next_attempt_at <= ?1 \
                 ORDER BY priority DESC, next_attempt_at, id LIMIT ?2",
                params![now, limit as i64],
            )?;
            let mut st = ctx
                .conn
                .prepare_cached("UPDATE spool SET leased_until = ?2 WHERE id = ?1")?;
            for e in &mut due {
                st.execute(params![e.id, until])?;
                e.leased_until = until;
            }
            Ok(due)
        })
        .await
    }

    async fn spool_finish(&self, id: i64, a: SpoolAttempt) -> Result<bool> {
        let done = finished(&a.recipients);
        let rcpts = to_json(&a.recipients)?;
        let (kept, orphan) = self
            .write(move |ctx| {
                if done {
                    // Deleted by an administrator meanwhile: nothing left to do.
                    return match remove(ctx.conn, id) {
                        Err(StoreError::NotFound(_)) => Ok((false, None)),
                        r => Ok((false, r?)),
                    };
                }
                let n = ctx.conn.execute(
                    "UPDATE spool SET recipients = ?2, attempts = ?3, next_attempt_at = ?4, \
                     priority = ?5, last_attempt_at = ?6, leased_until = 0 WHERE id = ?1",
                    params![
                        id,
                        rcpts,
                        a.attempts,
                        a.next_attempt_at,
                        a.priority,
                        a.last_attempt_at
                    ],
                )?;
                Ok((n == 1, None))
            })
            .await?;
        self.discard(orphan).await;
        Ok(kept)
    }

    async fn spool_release(&self, now: i64) -> Result<Vec<i64>> {
        self.write(move |ctx| {
            let mut st = ctx.conn.prepare_cached(
                "UPDATE spool SET leased_until = 0, next_attempt_at = MIN(next_attempt_at, ?1) \
                 WHERE leased_until != 0 RETURNING id",
            )?;
            let ids = st
                .query_map([now], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(ids)
        })
        .await
    }

    async fn spool_next_due(&self) -> Result<Option<i64>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT MIN(next_attempt_at) FROM spool WHERE leased_until = 0",
                [],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn spool_summary(&self) -> Result<(u64, Option<i64>)> {
        self.read(|c| {
            let (n, oldest): (i64, Option<i64>) =
                c.query_row("SELECT COUNT(*), MIN(created_at) FROM spool", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            Ok((u64::try_from(n).unwrap_or(0), oldest))
        })
        .await
    }

    async fn spool_change(&self, id: i64, c: SpoolChange) -> Result<SpoolEntry> {
        self.write(move |ctx| {
            let mut e = get(ctx.conn, id)?;
            apply_change(&mut e, &c);
            ctx.conn.execute(
                "UPDATE spool SET recipients = ?2, attempts = ?3, next_attempt_at = ?4, \
                 priority = ?5 WHERE id = ?1",
                params![
                    id,
                    to_json(&e.recipients)?,
                    e.attempts,
                    e.next_attempt_at,
                    e.priority
                ],
            )?;
            ctx.emit(Event::Spool);
            Ok(e)
        })
        .await
    }
}
