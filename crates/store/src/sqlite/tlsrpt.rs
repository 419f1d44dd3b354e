//! [`TlsRptStore`] on SQLite: the `tlsrpt_results` table.
//!
//! Invariant: taking the rows reads and deletes them in one write job, so a row is reported
//! once.

use async_trait::async_trait;
use rusqlite::{Row, params};

use super::SqliteStore;
use crate::error::Result;
use crate::rules::tlsrpt::*;
use crate::tlsrpt::TlsRptResult;
use crate::traits::TlsRptStore;

fn result(r: &Row<'_>) -> rusqlite::Result<TlsRptResult> {
    Ok(TlsRptResult {
        day: r.get(0)?,
        domain: r.get(1)?,
        policy_type: r.get(2)?,
        policy: r.get(3)?,
        mx_host: r.get(4)?,
        result: r.get(5)?,
        receiving_ip: r.get(6)?,
        detail: r.get(7)?,
        count: r.get::<_, i64>(8)?.max(0) as u64,
    })
}

fn select(c: &rusqlite::Connection, last_day: i64) -> Result<Vec<TlsRptResult>> {
    let mut st = c.prepare_cached(LIST)?;
    let rows = st.query_map([last_day], result)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[async_trait]
impl TlsRptStore for SqliteStore {
    async fn tlsrpt_add(&self, row: &TlsRptResult, max_rows: u64) -> Result<bool> {
        let row = row.clone();
        let key = row.key();
        let count = i64::try_from(row.count).unwrap_or(i64::MAX);
        self.write(move |ctx| {
            let c = ctx.conn;
            if c.prepare_cached(ADD)?
                .execute(params![row.day, key, count])?
                == 1
            {
                return Ok(true);
            }
            let have: i64 = c
                .prepare_cached(ROWS_OF_DAY)?
                .query_row([row.day], |r| r.get(0))?;
            if max_rows != 0 && have as u64 >= max_rows {
                return Ok(false);
            }
            c.prepare_cached(NEW)?.execute(params![
                row.day,
                key,
                row.domain,
                row.policy_type,
                row.policy,
                row.mx_host,
                row.result,
                row.receiving_ip,
                row.detail,
                count
            ])?;
            Ok(true)
        })
        .await
    }

    async fn tlsrpt_results(&self, last_day: i64) -> Result<Vec<TlsRptResult>> {
        self.read(move |c| select(c, last_day)).await
    }

    async fn tlsrpt_take(&self, last_day: i64) -> Result<Vec<TlsRptResult>> {
        self.write(move |ctx| {
            let rows = select(ctx.conn, last_day)?;
            ctx.conn.execute(TAKE, [last_day])?;
            Ok(rows)
        })
        .await
    }

    async fn tlsrpt_forget(&self, first_day: i64) -> Result<u64> {
        self.write(move |ctx| Ok(ctx.conn.execute(FORGET, [first_day])? as u64))
            .await
    }
}
