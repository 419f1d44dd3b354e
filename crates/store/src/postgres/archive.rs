//! [`ArchiveStore`] on PostgreSQL (see [`crate::archive`]).
//!
//! Invariants: each `archive` row holds one reference to its own blob, added in the row's
//! transaction; pruning deletes rows and drops their references in one transaction (a blob
//! left with none goes with its chunks).

use async_trait::async_trait;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::PgStore;
use super::blobs::{add_blob, read, release};
use crate::archive::{
    ArchiveQuery, Archived, Direction, NewArchived, describe, recipients_from_text, recipients_text,
};
use crate::error::{Result, StoreError};
use crate::rules::head::joined_head;
use crate::traits::ArchiveStore;

const COLS: &str = "id, domain, direction, sender, recipients, subject, archived_at, size, blob_id";

/// The filter every search applies: each parameter `$1`..`$8` is NULL when not asked.
const FILTER: &str = "($1::text IS NULL OR domain = $1) AND ($2::text IS NULL OR direction = $2) \
     AND ($3::text IS NULL OR strpos(lower(sender), lower($3)) > 0) \
     AND ($4::text IS NULL OR strpos(recipients, lower($4)) > 0) \
     AND ($5::text IS NULL OR strpos(lower(subject), lower($5)) > 0) \
     AND ($6::text IS NULL OR strpos(lower(head), lower($6)) > 0) \
     AND ($7::bigint IS NULL OR archived_at >= $7) AND ($8::bigint IS NULL OR archived_at < $8)";

fn row(r: &Row) -> Result<Archived> {
    Ok(Archived {
        id: r.try_get(0)?,
        domain: r.try_get(1)?,
        direction: Direction::parse(r.try_get(2)?).unwrap_or(Direction::Incoming),
        sender: r.try_get(3)?,
        recipients: recipients_from_text(r.try_get(4)?),
        subject: r.try_get(5)?,
        archived_at: r.try_get(6)?,
        size: r.try_get::<_, i64>(7)? as u64,
        blob: r.try_get(8)?,
    })
}

#[async_trait]
impl ArchiveStore for PgStore {
    async fn archive_add(&self, bytes: crate::MessageBytes, e: NewArchived) -> Result<Archived> {
        let (head, subject) = describe(&joined_head(&bytes));
        let rcpts = recipients_text(&e.recipients);
        let (id, blob, size) = write_tx!(self, |tx| {
            let (blob, size) = add_blob(&tx, &bytes, 1).await?;
            let r =
                tx.t.query_one(
                    &tx.t
                        .prepare_cached(
                            "INSERT INTO archive (domain, direction, sender, recipients, subject, \
                             head, archived_at, size, blob_id) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                        )
                        .await?,
                    &[
                        &e.domain,
                        &e.direction.as_str(),
                        &e.sender,
                        &rcpts,
                        &subject,
                        &head,
                        &e.archived_at,
                        &(size as i64),
                        &blob,
                    ],
                )
                .await?;
            Ok((r.try_get::<_, i64>(0)?, blob, size))
        })?;
        Ok(Archived {
            id,
            domain: e.domain,
            direction: e.direction,
            sender: e.sender,
            recipients: recipients_from_text(&rcpts),
            subject,
            archived_at: e.archived_at,
            size,
            blob,
        })
    }

    async fn archive_search(
        &self,
        q: &ArchiveQuery,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<Archived>)> {
        let q = &q.without_nul();
        let c = self.client().await?;
        let direction = q.direction.map(Direction::as_str);
        // $1..$8 of FILTER, then the page's $9 and $10.
        let filter: [&(dyn ToSql + Sync); 8] = [
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
            .query_one(
                &format!("SELECT count(*) FROM archive WHERE {FILTER}"),
                &filter,
            )
            .await?
            .try_get(0)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let mut paged = filter.to_vec();
        paged.extend([&limit as &(dyn ToSql + Sync), &offset]);
        let rows = c
            .query(
                &format!(
                    "SELECT {COLS} FROM archive WHERE {FILTER} ORDER BY id DESC LIMIT $9 OFFSET $10"
                ),
                &paged,
            )
            .await?;
        let page = rows.iter().map(row).collect::<Result<Vec<_>>>()?;
        Ok((u64::try_from(total).unwrap_or(0), page))
    }

    async fn archive_get(&self, ids: &[i64]) -> Result<Vec<Archived>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {COLS} FROM archive WHERE id = ANY($1::bigint[])"),
                &[&ids],
            )
            .await?;
        let found = rows.iter().map(row).collect::<Result<Vec<_>>>()?;
        Ok(ids
            .iter()
            .filter_map(|id| found.iter().find(|a| a.id == *id).cloned())
            .collect())
    }

    async fn archive_read(&self, a: &Archived) -> Result<Vec<u8>> {
        read(&self.client().await?, &a.blob)
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => {
                    StoreError::NotFound(format!("archived message #{}", a.id))
                }
                e => e,
            })
    }

    async fn archive_prune(&self, before: i64, limit: u64) -> Result<u64> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        write_tx!(self, |tx| {
            let rows =
                tx.t.query(
                    "DELETE FROM archive WHERE id IN (SELECT id FROM archive \
                     WHERE archived_at < $1 ORDER BY archived_at, id LIMIT $2 \
                     FOR UPDATE SKIP LOCKED) RETURNING blob_id",
                    &[&before, &limit],
                )
                .await?;
            let blobs = rows
                .iter()
                .map(|r| r.try_get::<_, &str>(0))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            release(&tx, &blobs).await?;
            Ok(blobs.len() as u64)
        })
    }
}
