//! [`GreylistStore`] on SQLite: the `greylist` and `greylist_correspondents` tables.
//!
//! Invariants: a triplet whose record needs no change (retried too early, or passed and
//! fresh) is judged from a read alone; otherwise its read, decision and write run in one
//! write job (the single writer serialises them), so two sessions retrying one triplet at
//! once see each other's outcome; each write job removes at most [`PRUNE_BATCH`] expired
//! rows.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use crate::error::Result;
use crate::model::{GreylistRecord, GreylistTimes, GreylistVerdict, UserId};
use crate::rules::greylist::{PRUNE_BATCH, decide};
use crate::traits::GreylistStore;

/// The triplet's record, if any.
fn record(c: &Connection, key: &str) -> rusqlite::Result<Option<GreylistRecord>> {
    c.prepare_cached("SELECT first_seen, passed, expires FROM greylist WHERE key = ?1")?
        .query_row([key], |r| {
            Ok(GreylistRecord {
                first_seen: r.get(0)?,
                passed: r.get(1)?,
                expires: r.get(2)?,
            })
        })
        .optional()
}

#[async_trait]
impl GreylistStore for SqliteStore {
    async fn greylist_check(
        &self,
        key: &str,
        now: i64,
        times: GreylistTimes,
    ) -> Result<GreylistVerdict> {
        let key = key.to_owned();
        let k = key.clone();
        let seen = self.read(move |c| Ok(record(c, &k)?)).await?;
        if seen.is_some()
            && let (verdict, None) = decide(seen, now, times)
        {
            return Ok(verdict);
        }
        self.write(move |ctx| {
            let c = ctx.conn;
            c.prepare_cached(
                "DELETE FROM greylist WHERE key IN \
                 (SELECT key FROM greylist WHERE expires < ?1 AND key <> ?2 LIMIT ?3)",
            )?
            .execute(params![now, key, PRUNE_BATCH])?;
            let (verdict, write) = decide(record(c, &key)?, now, times);
            if let Some(w) = write {
                c.prepare_cached(
                    "INSERT INTO greylist (key, first_seen, passed, expires) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET \
                     first_seen = ?2, passed = ?3, expires = ?4",
                )?
                .execute(params![key, w.first_seen, w.passed, w.expires])?;
            }
            Ok(verdict)
        })
        .await
    }

    async fn correspondent_note(
        &self,
        user: UserId,
        remote: &str,
        now: i64,
        expires: i64,
    ) -> Result<()> {
        let remote = remote.to_owned();
        self.write(move |ctx| {
            let c = ctx.conn;
            c.prepare_cached(
                "DELETE FROM greylist_correspondents WHERE (user_id, remote) IN \
                 (SELECT user_id, remote FROM greylist_correspondents \
                  WHERE expires < ?1 LIMIT ?2)",
            )?
            .execute(params![now, PRUNE_BATCH])?;
            c.prepare_cached(
                "INSERT INTO greylist_correspondents (user_id, remote, expires) \
                 VALUES (?1, ?2, ?3) ON CONFLICT (user_id, remote) DO UPDATE SET \
                 expires = max(expires, ?3)",
            )?
            .execute(params![user, remote, expires])?;
            Ok(())
        })
        .await
    }

    async fn correspondent_known(&self, user: UserId, remote: &str, now: i64) -> Result<bool> {
        let remote = remote.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT 1 FROM greylist_correspondents \
                 WHERE user_id = ?1 AND remote = ?2 AND expires >= ?3",
            )?
            .query_row(params![user, remote, now], |_| Ok(()))
            .optional()?
            .is_some())
        })
        .await
    }
}
