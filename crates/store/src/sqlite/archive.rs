//! [`ArchiveStore`] on SQLite (see [`crate::archive`]).
//!
//! Invariants: each `archive` row holds one reference to its own blob (inline in `blobs` or
//! a file, as [`super::staged`] decides); a pruned row drops it in the same transaction and
//! the file, when there is one, goes after the commit.

use async_trait::async_trait;
use rusqlite::types::ToSql;
use rusqlite::{Connection, Row, params};

use super::SqliteStore;
use super::mail::release_blobs;
use super::staged::{add_blob, inline_bytes};
use crate::archive::{
    ArchiveQuery, Archived, Direction, NewArchived, describe, recipients_from_text, recipients_text,
};
use crate::blob::BlobStore;
use crate::error::{Result, StoreError};
use crate::traits::ArchiveStore;

const COLS: &str = "id, domain, direction, sender, recipients, subject, archived_at, size, blob_id";

/// The filter every search applies: each parameter `?1`..`?8` is NULL when not asked.
const FILTER: &str = "(?1 IS NULL OR domain = ?1) AND (?2 IS NULL OR direction = ?2) \
     AND (?3 IS NULL OR instr(lower(sender), lower(?3)) > 0) \
     AND (?4 IS NULL OR instr(recipients, lower(?4)) > 0) \
     AND (?5 IS NULL OR instr(lower(subject), lower(?5)) > 0) \
     AND (?6 IS NULL OR instr(lower(head), lower(?6)) > 0) \
     AND (?7 IS NULL OR archived_at >= ?7) AND (?8 IS NULL OR archived_at < ?8)";

fn row(r: &Row<'_>) -> rusqlite::Result<Archived> {
    let direction: String = r.get(2)?;
    let recipients: String = r.get(4)?;
    Ok(Archived {
        id: r.get(0)?,
        domain: r.get(1)?,
        direction: Direction::parse(&direction).unwrap_or(Direction::Incoming),
        sender: r.get(3)?,
        recipients: recipients_from_text(&recipients),
        subject: r.get(5)?,
        archived_at: r.get(6)?,
        size: r.get::<_, i64>(7)? as u64,
        blob: r.get(8)?,
    })
}

fn search(
    c: &Connection,
    q: &ArchiveQuery,
    limit: u64,
    offset: u64,
) -> Result<(u64, Vec<Archived>)> {
    let direction = q.direction.map(Direction::as_str);
    // ?1..?8 of FILTER, then the page's ?9 and ?10.
    let filter: [&dyn ToSql; 8] = [
        &q.domain,
        &direction,
        &q.sender,
        &q.recipient,
        &q.subject,
        &q.header,
        &q.since,
        &q.until,
    ];
    let total: i64 = c
        .prepare_cached(&format!("SELECT count(*) FROM archive WHERE {FILTER}"))?
        .query_row(&filter[..], |r| r.get(0))?;
    let limit = limit.min(i64::MAX as u64) as i64;
    let offset = offset.min(i64::MAX as u64) as i64;
    let mut paged = filter.to_vec();
    paged.extend([&limit as &dyn ToSql, &offset]);
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLS} FROM archive WHERE {FILTER} ORDER BY id DESC LIMIT ?9 OFFSET ?10"
    ))?;
    let rows = st
        .query_map(&paged[..], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((u64::try_from(total).unwrap_or(0), rows))
}

#[async_trait]
impl ArchiveStore for SqliteStore {
    async fn archive_add(&self, bytes: crate::MessageBytes, e: NewArchived) -> Result<Archived> {
        let staged = self.stage(bytes).await?;
        let file = staged.file_id();
        let (head, subject) = describe(&staged.head);
        let r = self
            .write(move |ctx| {
                add_blob(ctx.conn, &staged, 1)?;
                ctx.conn
                    .prepare_cached(
                        "INSERT INTO archive (domain, direction, sender, recipients, subject, \
                         head, archived_at, size, blob_id) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        e.domain,
                        e.direction.as_str(),
                        e.sender,
                        recipients_text(&e.recipients),
                        subject,
                        head,
                        e.archived_at,
                        staged.size as i64,
                        staged.id,
                    ])?;
                Ok(Archived {
                    id: ctx.conn.last_insert_rowid(),
                    domain: e.domain,
                    direction: e.direction,
                    sender: e.sender,
                    recipients: recipients_from_text(&recipients_text(&e.recipients)),
                    subject,
                    archived_at: e.archived_at,
                    size: staged.size,
                    blob: staged.id.clone(),
                })
            })
            .await;
        if r.is_err() {
            self.discard(file).await;
        }
        r
    }

    async fn archive_search(
        &self,
        q: &ArchiveQuery,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<Archived>)> {
        let q = q.without_nul();
        self.read(move |c| search(c, &q, limit, offset)).await
    }

    async fn archive_get(&self, ids: &[i64]) -> Result<Vec<Archived>> {
        let ids = ids.to_vec();
        self.read(move |c| {
            let mut st = c.prepare_cached(&format!("SELECT {COLS} FROM archive WHERE id = ?1"))?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(a) = st.query_map([id], row)?.next() {
                    out.push(a?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn archive_read(&self, a: &Archived) -> Result<Vec<u8>> {
        let id = a.blob.clone();
        match self.read(move |c| inline_bytes(c, &id)).await? {
            Some(Some(bytes)) => Ok(bytes),
            Some(None) => self.blobs().get(&a.blob).await,
            None => Err(StoreError::NotFound(format!("archived message #{}", a.id))),
        }
    }

    async fn archive_prune(&self, before: i64, limit: u64) -> Result<u64> {
        let (n, orphans) = self
            .write(move |ctx| {
                let mut st = ctx.conn.prepare_cached(
                    "DELETE FROM archive WHERE id IN (SELECT id FROM archive \
                     WHERE archived_at < ?1 ORDER BY archived_at, id LIMIT ?2) RETURNING blob_id",
                )?;
                let blobs = st
                    .query_map(params![before, limit.min(i64::MAX as u64) as i64], |r| {
                        r.get::<_, String>(0)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let orphans = release_blobs(ctx.conn, &blobs)?;
                Ok((blobs.len() as u64, orphans))
            })
            .await?;
        self.discard(orphans).await;
        Ok(n)
    }
}
