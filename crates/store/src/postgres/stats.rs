//! [`StatsStore`] on PostgreSQL: the `stat_counts` table. A batch is one transaction of
//! upserts in key order, so nodes flushing at once add up and never deadlock on each other.

use async_trait::async_trait;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::PgStore;
use crate::error::Result;
use crate::rules::nodes::numbered;
use crate::rules::stats as q;
use crate::stats::{Counts, Scope, Span, StatRow, sort};
use crate::traits::StatsStore;

/// The eleven counters from column `first` on.
fn counts(r: &Row, first: usize) -> std::result::Result<Counts, tokio_postgres::Error> {
    let mut v = [0i64; 11];
    for (i, x) in v.iter_mut().enumerate() {
        *x = r.try_get(first + i)?;
    }
    Ok(Counts::from_values(v))
}

#[async_trait]
impl StatsStore for PgStore {
    async fn stats_add(&self, rows: &[StatRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut rows = rows.to_vec();
        sort(&mut rows);
        write_tx!(self, |tx| {
            let st = tx.t.prepare_cached(&numbered(q::ADD)).await?;
            for r in &rows {
                let (scope, span, v) = (r.scope.as_str(), r.span.seconds(), r.counts.values());
                let mut p: Vec<&(dyn ToSql + Sync)> = vec![&scope, &r.key, &span, &r.start];
                p.extend(v.iter().map(|x| x as &(dyn ToSql + Sync)));
                tx.t.execute(&st, &p).await?;
            }
            Ok(())
        })
    }

    async fn stats_series(
        &self,
        scope: Scope,
        key: i64,
        span: Span,
        from: i64,
        to: i64,
    ) -> Result<Vec<StatRow>> {
        let c = self.client().await?;
        let st = c.prepare_cached(&numbered(q::SERIES)).await?;
        let rows = c
            .query(&st, &[&scope.as_str(), &key, &span.seconds(), &from, &to])
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(StatRow {
                    scope,
                    key,
                    span,
                    start: r.try_get(0)?,
                    counts: counts(r, 1)?,
                })
            })
            .collect::<std::result::Result<_, tokio_postgres::Error>>()?)
    }

    async fn stats_totals(
        &self,
        scope: Scope,
        span: Span,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, Counts)>> {
        let c = self.client().await?;
        let st = c.prepare_cached(&numbered(q::TOTALS)).await?;
        let rows = c
            .query(&st, &[&scope.as_str(), &span.seconds(), &from, &to])
            .await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, counts(r, 1)?)))
            .collect::<std::result::Result<_, tokio_postgres::Error>>()?)
    }

    async fn stats_prune(&self, span: Span, before: i64) -> Result<u64> {
        write_tx!(self, |tx| {
            let st = tx.t.prepare_cached(&numbered(q::PRUNE)).await?;
            Ok(tx.t.execute(&st, &[&span.seconds(), &before]).await?)
        })
    }
}
