//! [`LimitStore`] on PostgreSQL (statements and rules in [`crate::rules::limits`]): a key's
//! record is locked (`FOR UPDATE`) while a failure is counted, so failures counted at once on
//! several nodes all count.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::rules::limits::{self as q, LimitBlock, Record, Rule, over_cap};
use crate::rules::nodes::numbered;
use crate::traits::LimitStore;

#[async_trait]
impl LimitStore for PgStore {
    async fn limit_blocked(&self, scope: &str, key: &str, now: i64) -> Result<Option<i64>> {
        let c = self.client().await?;
        let row = c
            .query_opt(&numbered(q::BLOCKED_UNTIL), &[&scope, &key])
            .await?;
        let until: Option<i64> = row.map(|r| r.try_get(0)).transpose()?;
        Ok(until.and_then(|u| q::blocked_for(u, now)))
    }

    async fn limit_failure(
        &self,
        scope: &str,
        key: &str,
        rule: &Rule,
        max_keys: usize,
        now: i64,
    ) -> Result<bool> {
        let get = format!("{} FOR UPDATE", numbered(q::GET));
        write_tx!(self, |tx| {
            tx.t.execute(&numbered(q::PRUNE), &[&now]).await?;
            if tx
                .t
                .execute(&numbered(q::CREATE), &[&scope, &key, &now])
                .await?
                == 1
            {
                let count: i64 =
                    tx.t.query_one(&numbered(q::COUNT), &[&scope])
                        .await?
                        .try_get(0)?;
                let extra = over_cap(count, max_keys);
                if extra > 0 {
                    tx.t.execute(&numbered(q::EVICT), &[&scope, &key, &now, &extra])
                        .await?;
                }
            }
            let row = tx.t.query_one(&get, &[&scope, &key]).await?;
            let mut record = Record::from_stored(row.try_get(0)?, row.try_get(1)?)?;
            let blocks = record.fail(rule, now);
            tx.t.execute(
                &numbered(q::UPDATE),
                &[
                    &scope,
                    &key,
                    &record.failures_text()?,
                    &record.blocked_until,
                    &record.expires_at(rule),
                ],
            )
            .await?;
            Ok(blocks)
        })
    }

    async fn limit_success(&self, scope: &str, key: &str, now: i64) -> Result<()> {
        let c = self.client().await?;
        c.execute(&numbered(q::SUCCESS), &[&scope, &key, &now])
            .await?;
        Ok(())
    }

    async fn limit_blocks(&self, now: i64) -> Result<Vec<LimitBlock>> {
        let c = self.client().await?;
        let rows = c.query(&numbered(q::BLOCKS), &[&now]).await?;
        rows.iter()
            .map(|r| {
                Ok(LimitBlock {
                    scope: r.try_get(0)?,
                    key: r.try_get(1)?,
                    blocked_until: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn limit_remove(&self, scope: &str, key: &str) -> Result<bool> {
        let c = self.client().await?;
        Ok(c.execute(&numbered(q::REMOVE), &[&scope, &key]).await? > 0)
    }

    async fn limit_failures(&self, scope: &str, key: &str) -> Result<Vec<i64>> {
        let c = self.client().await?;
        let row = c.query_opt(&numbered(q::FAILURES), &[&scope, &key]).await?;
        Ok(match row {
            Some(r) => Record::from_stored(r.try_get(0)?, 0)?.failures,
            None => Vec::new(),
        })
    }
}
