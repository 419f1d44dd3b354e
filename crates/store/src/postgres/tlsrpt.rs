//! [`TlsRptStore`] on PostgreSQL: the `tlsrpt_results` table.
//!
//! Invariant: rows are taken by one `DELETE … RETURNING`, so when several nodes take the same
//! day at once each row goes to one of them.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::PgStore;
use crate::error::Result;
use crate::rules::nodes::numbered;
use crate::rules::tlsrpt::*;
use crate::tlsrpt::TlsRptResult;
use crate::traits::TlsRptStore;

fn result(r: &Row) -> std::result::Result<TlsRptResult, tokio_postgres::Error> {
    Ok(TlsRptResult {
        day: r.try_get(0)?,
        domain: r.try_get(1)?,
        policy_type: r.try_get(2)?,
        policy: r.try_get(3)?,
        mx_host: r.try_get(4)?,
        result: r.try_get(5)?,
        receiving_ip: r.try_get(6)?,
        detail: r.try_get(7)?,
        count: r.try_get::<_, i64>(8)?.max(0) as u64,
    })
}

#[async_trait]
impl TlsRptStore for PgStore {
    async fn tlsrpt_add(&self, row: &TlsRptResult, max_rows: u64) -> Result<bool> {
        let key = row.key();
        let count = i64::try_from(row.count).unwrap_or(i64::MAX);
        write_tx!(self, |tx| {
            let st = tx.t.prepare_cached(&numbered(ADD)).await?;
            if tx.t.execute(&st, &[&row.day, &key, &count]).await? == 1 {
                return Ok(true);
            }
            let st = tx.t.prepare_cached(&numbered(ROWS_OF_DAY)).await?;
            let have: i64 = tx.t.query_one(&st, &[&row.day]).await?.try_get(0)?;
            if max_rows != 0 && have as u64 >= max_rows {
                return Ok(false);
            }
            let st = tx.t.prepare_cached(&numbered(NEW)).await?;
            tx.t.execute(
                &st,
                &[
                    &row.day,
                    &key,
                    &row.domain,
                    &row.policy_type,
                    &row.policy,
                    &row.mx_host,
                    &row.result,
                    &row.receiving_ip,
                    &row.detail,
                    &count,
                ],
            )
            .await?;
            Ok(true)
        })
    }

    async fn tlsrpt_results(&self, last_day: i64) -> Result<Vec<TlsRptResult>> {
        let c = self.client().await?;
        let st = c.prepare_cached(&numbered(LIST)).await?;
        let rows = c.query(&st, &[&last_day]).await?;
        Ok(rows
            .iter()
            .map(result)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn tlsrpt_take(&self, last_day: i64) -> Result<Vec<TlsRptResult>> {
        let mut rows: Vec<TlsRptResult> = write_tx!(self, |tx| {
            let st =
                tx.t.prepare_cached(&format!(
                    "DELETE FROM tlsrpt_results WHERE day <= $1 RETURNING {COLS}"
                ))
                .await?;
            let rows = tx.t.query(&st, &[&last_day]).await?;
            Ok(rows
                .iter()
                .map(result)
                .collect::<std::result::Result<Vec<_>, _>>()?)
        })?;
        rows.sort_by(|a, b| (a.day, &a.domain).cmp(&(b.day, &b.domain)));
        Ok(rows)
    }

    async fn tlsrpt_forget(&self, first_day: i64) -> Result<u64> {
        write_tx!(self, |tx| {
            let st = tx.t.prepare_cached(&numbered(FORGET)).await?;
            Ok(tx.t.execute(&st, &[&first_day]).await?)
        })
    }
}
