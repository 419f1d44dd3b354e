//! [`GreylistStore`] on PostgreSQL: the `greylist` and `greylist_correspondents` tables.
//!
//! Invariants: a triplet whose record needs no change (retried too early, or passed and
//! fresh) is judged from a read alone; otherwise its read, decision and write run in one
//! transaction holding the
//! triplet's row lock (a first attempt inserts the row, so two nodes seeing a new triplet at
//! once serialise on that insert), so every node of a cluster reaches the same verdict;
//! each transaction removes at most [`PRUNE_BATCH`] expired rows.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::{GreylistRecord, GreylistTimes, GreylistVerdict, UserId};
use crate::rules::greylist::{PRUNE_BATCH, decide};
use crate::traits::GreylistStore;

#[async_trait]
impl GreylistStore for PgStore {
    async fn greylist_check(
        &self,
        key: &str,
        now: i64,
        times: GreylistTimes,
    ) -> Result<GreylistVerdict> {
        {
            let c = self.client().await?;
            let st = c
                .prepare_cached("SELECT first_seen, passed, expires FROM greylist WHERE key = $1")
                .await?;
            if let Some(r) = c.query_opt(&st, &[&key]).await? {
                let rec = GreylistRecord {
                    first_seen: r.try_get(0)?,
                    passed: r.try_get(1)?,
                    expires: r.try_get(2)?,
                };
                if let (verdict, None) = decide(Some(rec), now, times) {
                    return Ok(verdict);
                }
            }
        }
        write_tx!(self, |tx| {
            let st =
                tx.t.prepare_cached(
                    "DELETE FROM greylist WHERE key IN (SELECT key FROM greylist \
                     WHERE expires < $1 AND key <> $2 LIMIT $3 FOR UPDATE SKIP LOCKED)",
                )
                .await?;
            tx.t.execute(&st, &[&now, &key, &PRUNE_BATCH]).await?;
            let (verdict, fresh) = decide(None, now, times);
            if let Some(w) = fresh {
                let st =
                    tx.t.prepare_cached(
                        "INSERT INTO greylist (key, first_seen, passed, expires) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING",
                    )
                    .await?;
                if tx
                    .t
                    .execute(&st, &[&key, &w.first_seen, &w.passed, &w.expires])
                    .await?
                    == 1
                {
                    return Ok(verdict);
                }
            }
            let st =
                tx.t.prepare_cached(
                    "SELECT first_seen, passed, expires FROM greylist WHERE key = $1 FOR UPDATE",
                )
                .await?;
            let r = tx.t.query_one(&st, &[&key]).await?;
            let rec = GreylistRecord {
                first_seen: r.try_get(0)?,
                passed: r.try_get(1)?,
                expires: r.try_get(2)?,
            };
            let (verdict, write) = decide(Some(rec), now, times);
            if let Some(w) = write {
                let st =
                    tx.t.prepare_cached(
                        "UPDATE greylist SET first_seen = $2, passed = $3, expires = $4 \
                         WHERE key = $1",
                    )
                    .await?;
                tx.t.execute(&st, &[&key, &w.first_seen, &w.passed, &w.expires])
                    .await?;
            }
            Ok(verdict)
        })
    }

    async fn correspondent_note(
        &self,
        user: UserId,
        remote: &str,
        now: i64,
        expires: i64,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            let st =
                tx.t.prepare_cached(
                    "DELETE FROM greylist_correspondents WHERE (user_id, remote) IN \
                     (SELECT user_id, remote FROM greylist_correspondents WHERE expires < $1 \
                      LIMIT $2 FOR UPDATE SKIP LOCKED)",
                )
                .await?;
            tx.t.execute(&st, &[&now, &PRUNE_BATCH]).await?;
            let st =
                tx.t.prepare_cached(
                    "INSERT INTO greylist_correspondents (user_id, remote, expires) \
                     VALUES ($1, $2, $3) ON CONFLICT (user_id, remote) DO UPDATE SET \
                     expires = greatest(greylist_correspondents.expires, $3)",
                )
                .await?;
            tx.t.execute(&st, &[&user, &remote, &expires]).await?;
            Ok(())
        })
    }

    async fn correspondent_known(&self, user: UserId, remote: &str, now: i64) -> Result<bool> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(
                "SELECT 1 FROM greylist_correspondents \
                 WHERE user_id = $1 AND remote = $2 AND expires >= $3",
            )
            .await?;
        Ok(c.query_opt(&st, &[&user, &remote, &now]).await?.is_some())
    }
}
