//! [`DmarcStore`] on SQLite: the `dmarc_collected` and `dmarc_reports` tables.
//!
//! Invariants: taking the collected rows reads and deletes them in one write job, so a row is
//! reported once; a report's rows are kept with it as one JSON value.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteStore;
use crate::dmarc::{DmarcCollected, DmarcReport, DmarcReportRow};
use crate::error::Result;
use crate::model::DomainId;
use crate::rules::dmarc::*;
use crate::rules::json::{from_json, to_json};
use crate::traits::DmarcStore;

fn collected(r: &Row<'_>) -> rusqlite::Result<DmarcCollected> {
    Ok(DmarcCollected {
        day: r.get(0)?,
        domain: r.get(1)?,
        policy: r.get(2)?,
        rua: r.get(3)?,
        source_ip: r.get(4)?,
        header_from: r.get(5)?,
        envelope_from: r.get(6)?,
        spf: r.get(7)?,
        dkim: r.get(8)?,
        disposition: r.get(9)?,
        dkim_aligned: r.get(10)?,
        spf_aligned: r.get(11)?,
        count: r.get::<_, i64>(12)?.max(0) as u64,
    })
}

fn report(r: &Row<'_>) -> rusqlite::Result<DmarcReport> {
    Ok(DmarcReport {
        id: r.get(0)?,
        domain_id: r.get(1)?,
        org: r.get(2)?,
        email: r.get(3)?,
        report_id: r.get(4)?,
        begin: r.get(5)?,
        end: r.get(6)?,
        policy_domain: r.get(7)?,
        policy: r.get(8)?,
        received_at: r.get(9)?,
        messages: r.get::<_, i64>(10)?.max(0) as u64,
        rows: r.get::<_, i64>(11)?.max(0) as u64,
    })
}

fn select_collected(c: &rusqlite::Connection, last_day: i64) -> Result<Vec<DmarcCollected>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLLECTED_COLS} FROM dmarc_collected WHERE day <= ?1 ORDER BY day, domain, key"
    ))?;
    let rows = st.query_map([last_day], collected)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[async_trait]
impl DmarcStore for SqliteStore {
    async fn dmarc_collect(&self, row: &DmarcCollected, max_rows: u64) -> Result<bool> {
        let row = row.clone();
        let key = row.key();
        let count = i64::try_from(row.count).unwrap_or(i64::MAX);
        self.write(move |ctx| {
            let c = ctx.conn;
            if c.prepare_cached(COLLECT_ADD)?
                .execute(params![row.day, key, count, row.rua])?
                == 1
            {
                return Ok(true);
            }
            let have: i64 = c
                .prepare_cached(COLLECT_ROWS_OF_DAY)?
                .query_row([row.day], |r| r.get(0))?;
            if max_rows != 0 && have as u64 >= max_rows {
                return Ok(false);
            }
            c.prepare_cached(COLLECT_NEW)?.execute(params![
                row.day,
                key,
                row.domain,
                row.policy,
                row.rua,
                row.source_ip,
                row.header_from,
                row.envelope_from,
                row.spf,
                row.dkim,
                row.disposition,
                row.dkim_aligned,
                row.spf_aligned,
                count
            ])?;
            Ok(true)
        })
        .await
    }

    async fn dmarc_collected(&self, last_day: i64) -> Result<Vec<DmarcCollected>> {
        self.read(move |c| select_collected(c, last_day)).await
    }

    async fn dmarc_take(&self, last_day: i64) -> Result<Vec<DmarcCollected>> {
        self.write(move |ctx| {
            let rows = select_collected(ctx.conn, last_day)?;
            ctx.conn
                .execute("DELETE FROM dmarc_collected WHERE day <= ?1", [last_day])?;
            Ok(rows)
        })
        .await
    }

    async fn dmarc_forget(&self, first_day: i64) -> Result<u64> {
        self.write(move |ctx| Ok(ctx.conn.execute(FORGET_COLLECTED, [first_day])? as u64))
            .await
    }

    async fn dmarc_report_add(
        &self,
        r: &DmarcReport,
        rows: &[DmarcReportRow],
    ) -> Result<Option<i64>> {
        let rows = &rows[..rows.len().min(MAX_REPORT_ROWS)];
        let json = to_json(&rows)?;
        let messages: u64 = rows.iter().map(|x| x.count).sum();
        let (r, n) = (r.clone(), rows.len() as i64);
        self.write(move |ctx| {
            Ok(ctx
                .conn
                .prepare_cached(REPORT_ADD)?
                .query_row(
                    params![
                        r.domain_id,
                        r.org,
                        r.email,
                        r.report_id,
                        r.begin,
                        r.end,
                        r.policy_domain,
                        r.policy,
                        r.received_at,
                        i64::try_from(messages).unwrap_or(i64::MAX),
                        n,
                        json
                    ],
                    |x| x.get(0),
                )
                .optional()?)
        })
        .await
    }

    async fn dmarc_reports(
        &self,
        domain: Option<DomainId>,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<DmarcReport>)> {
        let d = domain.unwrap_or(0);
        let (limit, offset) = (
            i64::try_from(limit).unwrap_or(i64::MAX),
            i64::try_from(offset).unwrap_or(i64::MAX),
        );
        self.read(move |c| {
            let total: i64 = c
                .prepare_cached(&format!(
                    "SELECT count(*) FROM dmarc_reports {REPORT_WHERE}"
                ))?
                .query_row([d], |r| r.get(0))?;
            let mut st = c.prepare_cached(&format!(
                "SELECT {REPORT_COLS} FROM dmarc_reports {REPORT_WHERE} \
                 ORDER BY received_at DESC, id DESC LIMIT ?2 OFFSET ?3"
            ))?;
            let page = st
                .query_map(params![d, limit, offset], report)?
                .collect::<rusqlite::Result<_>>()?;
            Ok((total.max(0) as u64, page))
        })
        .await
    }

    async fn dmarc_report(&self, id: i64) -> Result<Option<(DmarcReport, Vec<DmarcReportRow>)>> {
        let found: Option<(DmarcReport, String)> = self
            .read(move |c| {
                Ok(c.prepare_cached(&format!(
                    "SELECT {REPORT_COLS}, rows_json FROM dmarc_reports WHERE id = ?1"
                ))?
                .query_row([id], |r| Ok((report(r)?, r.get(12)?)))
                .optional()?)
            })
            .await?;
        match found {
            Some((r, json)) => Ok(Some((r, from_json(&json, "DMARC report rows")?))),
            None => Ok(None),
        }
    }

    async fn dmarc_reports_forget(&self, before: i64) -> Result<u64> {
        self.write(move |ctx| Ok(ctx.conn.execute(FORGET_REPORTS, [before])? as u64))
            .await
    }
}
