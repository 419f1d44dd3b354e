//! [`StatsStore`] on SQLite: the `stat_counts` table. A batch is one write job of upserts.

use async_trait::async_trait;
use rusqlite::{Row, params};

use super::SqliteStore;
use crate::error::Result;
use crate::rules::stats as q;
use crate::stats::{Counts, Scope, Span, StatRow};
use crate::traits::StatsStore;

/// The eleven counters from column `first` on.
fn counts(r: &Row<'_>, first: usize) -> rusqlite::Result<Counts> {
    let mut v = [0i64; 11];
    for (i, x) in v.iter_mut().enumerate() {
        *x = r.get(first + i)?;
    }
    Ok(Counts::from_values(v))
}

#[async_trait]
impl StatsStore for SqliteStore {
    async fn stats_add(&self, rows: &[StatRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let rows = rows.to_vec();
        self.write(move |ctx| {
            let mut st = ctx.conn.prepare_cached(q::ADD)?;
            for r in &rows {
                let v = r.counts.values();
                st.execute(params![
                    r.scope.as_str(),
                    r.key,
                    r.span.seconds(),
                    r.start,
                    v[0],
                    v[1],
                    v[2],
                    v[3],
                    v[4],
                    v[5],
                    v[6],
                    v[7],
                    v[8],
                    v[9],
                    v[10]
                ])?;
            }
            Ok(())
        })
        .await
    }

    async fn stats_series(
        &self,
        scope: Scope,
        key: i64,
        span: Span,
        from: i64,
        to: i64,
    ) -> Result<Vec<StatRow>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(q::SERIES)?;
            let rows = st.query_map(
                params![scope.as_str(), key, span.seconds(), from, to],
                |r| {
                    Ok(StatRow {
                        scope,
                        key,
                        span,
                        start: r.get(0)?,
                        counts: counts(r, 1)?,
                    })
                },
            )?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn stats_totals(
        &self,
        scope: Scope,
        span: Span,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, Counts)>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(q::TOTALS)?;
            let rows = st.query_map(params![scope.as_str(), span.seconds(), from, to], |r| {
                Ok((r.get(0)?, counts(r, 1)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn stats_prune(&self, span: Span, before: i64) -> Result<u64> {
        self.write(move |ctx| {
            Ok(ctx
                .conn
                .prepare_cached(q::PRUNE)?
                .execute(params![span.seconds(), before])? as u64)
        })
        .await
    }
}
