//! [`SpoolStore`] on PostgreSQL: the outbound queue's records, shared by every node.
//!
//! Invariants: an entry's bytes are a blob with one reference per entry, removed with the
//! last reference. Leases: [`spool_lease`](SpoolStore::spool_lease) picks due entries that
//! are not leased or whose lease ran out, with `FOR UPDATE SKIP LOCKED`, so nodes asking at
//! once never pick the same entry, and marks each with its deadline and the handle that took
//! it (`leased_by`). A node that dies mid-delivery leaves its leases to run out; the next
//! node to ask takes them over (delivery is at-least-once). Releasing
//! ([`spool_release`](SpoolStore::spool_release)) frees this handle's own leases and those
//! run out at the given time, never another live node's.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::PgStore;
use super::blobs::{add_blob, read, release};
use super::error::{Fail, TxResult, not_found};
use super::tx::Tx;
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::*;
use crate::rules::json::{from_json, to_json};
use crate::rules::now;
use crate::rules::spool::{apply_change, finished};
use crate::traits::NodeStore;
use crate::traits::SpoolStore;

/// The entry's lease was taken by a node that has stopped beating (`stale`: the parameter
/// holding the stale limit): it died, and its deliveries are free for the others at once.
fn leaser_gone(stale: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM nodes n WHERE n.id = spool.leased_by AND n.heartbeat_at < {stale})"
    )
}

const SPOOL_COLS: &str = "id, sender, recipients, blob_id, size, priority, ret, envid, attempts, \
     created_at, next_attempt_at, leased_until, last_attempt_at, requiretls";

fn entry_row(r: &Row) -> Result<SpoolEntry> {
    Ok(SpoolEntry {
        id: r.try_get(0)?,
        sender: r.try_get(1)?,
        recipients: from_json(r.try_get(2)?, "spool recipients")?,
        blob: r.try_get(3)?,
        size: r.try_get::<_, i64>(4)? as u64,
        priority: r.try_get::<_, i16>(5)? as u8,
        ret: r.try_get(6)?,
        envid: r.try_get(7)?,
        attempts: r.try_get::<_, i64>(8)? as u32,
        created_at: r.try_get(9)?,
        next_attempt_at: r.try_get(10)?,
        leased_until: r.try_get(11)?,
        last_attempt_at: r.try_get(12)?,
        requiretls: r.try_get(13)?,
    })
}

/// Delete an entry and drop its blob reference.
async fn remove(tx: &Tx, id: i64) -> TxResult<()> {
    let row =
        tx.t.query_opt(
            &tx.t
                .prepare_cached("DELETE FROM spool WHERE id = $1 RETURNING blob_id")
                .await?,
            &[&id],
        )
        .await?
        .ok_or_else(|| not_found(format!("spool entry #{id}")))?;
    release(tx, &[row.try_get::<_, &str>(0)?]).await
}

#[async_trait]
impl SpoolStore for PgStore {
    async fn spool_insert(&self, bytes: MessageBytes, e: NewSpoolEntry) -> Result<SpoolEntry> {
        let rcpts = to_json(&e.recipients)?;
        let created = now();
        let (id, blob, size) = write_tx!(self, |tx| {
            let (blob, size) = add_blob(&tx, &bytes, 1).await?;
            let r =
                tx.t.query_one(
                    &tx.t.prepare_cached("INSERT INTO spool (sender, recipients, blob_id, size, priority, ret, envid, \
                     created_at, next_attempt_at, requiretls) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id").await?,
                    &[
                        &e.sender,
                        &rcpts,
                        &blob,
                        &(size as i64),
                        &i16::from(e.priority),
                        &e.ret,
                        &e.envid,
                        &created,
                        &e.next_attempt_at,
                        &e.requiretls,
                    ],
                )
                .await?;
            tx.emit(Event::Spool);
            Ok((r.try_get::<_, i64>(0)?, blob, size))
        })?;
        Ok(SpoolEntry {
            id,
            sender: e.sender,
            recipients: e.recipients,
            blob,
            size,
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
    }

    async fn spool_list(&self) -> Result<Vec<SpoolEntry>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {SPOOL_COLS} FROM spool ORDER BY priority DESC, id"),
                &[],
            )
            .await?;
        rows.iter().map(entry_row).collect()
    }

    async fn spool_get(&self, id: i64) -> Result<Option<SpoolEntry>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!("SELECT {SPOOL_COLS} FROM spool WHERE id = $1"))
            .await?;
        c.query_opt(&st, &[&id])
            .await?
            .as_ref()
            .map(entry_row)
            .transpose()
    }

    async fn spool_delete(&self, id: i64) -> Result<()> {
        write_tx!(self, |tx| {
            remove(&tx, id).await?;
            tx.emit(Event::Spool);
            Ok(())
        })
    }

    async fn spool_read(&self, e: &SpoolEntry) -> Result<Vec<u8>> {
        read(&self.client().await?, &e.blob).await
    }

    async fn spool_lease(&self, now: i64, until: i64, limit: usize) -> Result<Vec<SpoolEntry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let origin = &self.node_id().to_owned();
        let mut leased = write_tx!(self, |tx| {
            let rows =
                tx.t.query(
                    &format!(
                        "UPDATE spool SET leased_until = $2, leased_by = $4 WHERE id IN (\
                         SELECT id FROM spool \
                         WHERE (leased_until = 0 OR leased_until <= $1 OR {gone}) \
                         AND next_attempt_at <= $1 \
                         ORDER BY priority DESC, next_attempt_at, id LIMIT $3 \
                         FOR UPDATE SKIP LOCKED) RETURNING {SPOOL_COLS}",
                        gone = leaser_gone("$5")
                    ),
                    &[&now, &until, &limit, origin, &(now - NODE_STALE_SECS)],
                )
                .await?;
            Ok(rows.iter().map(entry_row).collect::<Result<Vec<_>>>()?)
        })?;
        // RETURNING keeps no order: put them back in the order they were picked.
        leased.sort_by_key(|e| (std::cmp::Reverse(e.priority), e.next_attempt_at, e.id));
        Ok(leased)
    }

    async fn spool_finish(&self, id: i64, a: SpoolAttempt) -> Result<bool> {
        let done = finished(&a.recipients);
        let rcpts = to_json(&a.recipients)?;
        write_tx!(self, |tx| {
            if done {
                // Deleted by an administrator meanwhile: nothing left to do.
                return match remove(&tx, id).await {
                    Err(Fail::Store(StoreError::NotFound(_))) => Ok(false),
                    r => r.map(|()| false),
                };
            }
            let n =
                tx.t.execute(
                    &tx.t.prepare_cached("UPDATE spool SET recipients = $2, attempts = $3, next_attempt_at = $4, \
                     priority = $5, last_attempt_at = $6, leased_until = 0, leased_by = NULL \
                     WHERE id = $1").await?,
                    &[
                        &id,
                        &rcpts,
                        &i64::from(a.attempts),
                        &a.next_attempt_at,
                        &i16::from(a.priority),
                        &a.last_attempt_at,
                    ],
                )
                .await?;
            Ok(n == 1)
        })
    }

    async fn spool_release(&self, now: i64) -> Result<Vec<i64>> {
        let origin = &self.node_id().to_owned();
        let mut ids = write_tx!(self, |tx| {
            let rows =
                tx.t.query(
                    &tx.t
                        .prepare_cached(
                            "UPDATE spool SET leased_until = 0, leased_by = NULL, \
                     next_attempt_at = least(next_attempt_at, $1) \
                     WHERE leased_until <> 0 AND (leased_by = $2 OR leased_until <= $1) \
                     RETURNING id",
                        )
                        .await?,
                    &[&now, origin],
                )
                .await?;
            let mut ids = Vec::with_capacity(rows.len());
            for r in &rows {
                ids.push(r.try_get::<_, i64>(0)?);
            }
            Ok(ids)
        })?;
        ids.sort_unstable();
        Ok(ids)
    }

    async fn spool_next_due(&self) -> Result<Option<i64>> {
        // A leased entry is due again when its lease runs out (another node's, if it died).
        let c = self.client().await?;
        let r = c
            .query_one(
                &format!(
                    "SELECT min(CASE WHEN leased_until = 0 OR {gone} THEN next_attempt_at \
                     ELSE greatest(next_attempt_at, leased_until) END) FROM spool",
                    gone = leaser_gone("$1")
                ),
                &[&(now() - NODE_STALE_SECS)],
            )
            .await?;
        Ok(r.try_get(0)?)
    }

    async fn spool_summary(&self) -> Result<(u64, Option<i64>)> {
        let c = self.client().await?;
        let r = c
            .query_one("SELECT count(*), min(created_at) FROM spool", &[])
            .await?;
        let n: i64 = r.try_get(0)?;
        Ok((u64::try_from(n).unwrap_or(0), r.try_get(1)?))
    }

    async fn spool_change(&self, id: i64, c: SpoolChange) -> Result<SpoolEntry> {
        write_tx!(self, |tx| {
            let row =
                tx.t.query_opt(
                    &format!("SELECT {SPOOL_COLS} FROM spool WHERE id = $1 FOR UPDATE"),
                    &[&id],
                )
                .await?
                .ok_or_else(|| not_found(format!("spool entry #{id}")))?;
            let mut e = entry_row(&row)?;
            apply_change(&mut e, &c);
            tx.t.execute(
                &tx.t
                    .prepare_cached(
                        "UPDATE spool SET recipients = $2, attempts = $3, next_attempt_at = $4, \
                 priority = $5 WHERE id = $1",
                    )
                    .await?,
                &[
                    &id,
                    &to_json(&e.recipients)?,
                    &i64::from(e.attempts),
                    &e.next_attempt_at,
                    &i16::from(e.priority),
                ],
            )
            .await?;
            tx.emit(Event::Spool);
            Ok(e)
        })
    }
}
