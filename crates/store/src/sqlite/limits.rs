//! [`LimitStore`] on SQLite (statements and rules in [`crate::rules::limits`]). The writer
//! thread runs one job at a time, so a key's record is read and written back unchallenged.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::error::Result;
use crate::rules::limits::{self as q, LimitBlock, Record, Rule, over_cap};
use crate::traits::LimitStore;

#[async_trait]
impl LimitStore for SqliteStore {
    async fn limit_blocked(&self, scope: &str, key: &str, now: i64) -> Result<Option<i64>> {
        self.read_now(move |c| {
            let until: Option<i64> = c
                .prepare_cached(q::BLOCKED_UNTIL)?
                .query_row(params![scope, key], |r| r.get(0))
                .optional()?;
            Ok(until.and_then(|u| q::blocked_for(u, now)))
        })
    }

    async fn limit_failure(
        &self,
        scope: &str,
        key: &str,
        rule: &Rule,
        max_keys: usize,
        now: i64,
    ) -> Result<bool> {
        let (scope, key, rule) = (scope.to_owned(), key.to_owned(), *rule);
        self.write(move |ctx| {
            let c = ctx.conn;
            c.execute(q::PRUNE, [now])?;
            if c.execute(q::CREATE, params![scope, key, now])? == 1 {
                let count: i64 = c.query_row(q::COUNT, [&scope], |r| r.get(0))?;
                let extra = over_cap(count, max_keys);
                if extra > 0 {
                    c.execute(q::EVICT, params![scope, key, now, extra])?;
                }
            }
            let (failures, blocked_until): (String, i64) =
                c.query_row(q::GET, params![scope, key], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let mut record = Record::from_stored(&failures, blocked_until)?;
            let blocks = record.fail(&rule, now);
            c.execute(
                q::UPDATE,
                params![
                    scope,
                    key,
                    record.failures_text()?,
                    record.blocked_until,
                    record.expires_at(&rule)
                ],
            )?;
            Ok(blocks)
        })
        .await
    }

    async fn limit_success(&self, scope: &str, key: &str, now: i64) -> Result<()> {
        let known = self.read_now(|c| {
            Ok(c.prepare_cached(q::BLOCKED_UNTIL)?
                .query_row(params![scope, key], |r| r.get::<_, i64>(0))
                .optional()?
                .is_some())
        })?;
        // Most logins have no failures to forget: no write (and no commit) for them.
        if !known {
            return Ok(());
        }
        let (scope, key) = (scope.to_owned(), key.to_owned());
        self.write(move |ctx| {
            ctx.conn.execute(q::SUCCESS, params![scope, key, now])?;
            Ok(())
        })
        .await
    }

    async fn limit_blocks(&self, now: i64) -> Result<Vec<LimitBlock>> {
        self.read(move |c| {
            let mut st = c.prepare(q::BLOCKS)?;
            let rows = st.query_map([now], |r| {
                Ok(LimitBlock {
                    scope: r.get(0)?,
                    key: r.get(1)?,
                    blocked_until: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn limit_remove(&self, scope: &str, key: &str) -> Result<bool> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        self.write(move |ctx| Ok(ctx.conn.execute(q::REMOVE, params![scope, key])? > 0))
            .await
    }

    async fn limit_failures(&self, scope: &str, key: &str) -> Result<Vec<i64>> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        self.read(move |c| {
            let text: Option<String> = c
                .query_row(q::FAILURES, params![scope, key], |r| r.get(0))
                .optional()?;
            Ok(match text {
                Some(t) => Record::from_stored(&t, 0)?.failures,
                None => Vec::new(),
            })
        })
        .await
    }
}
