//! [`DmarcStore`] on PostgreSQL: the `dmarc_collected` and `dmarc_reports` tables.
//!
//! Invariants: rows are taken by one `DELETE … RETURNING`, so when several nodes take the
//! same day at once each row goes to one of them; a report's rows are kept with it as one JSON
//! value.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::PgStore;
use crate::dmarc::{DmarcCollected, DmarcReport, DmarcReportRow};
use crate::error::Result;
use crate::model::DomainId;
use crate::rules::dmarc::*;
use crate::rules::json::{from_json, to_json};
use crate::rules::nodes::numbered;
use crate::traits::DmarcStore;

fn collected(r: &Row) -> std::result::Result<DmarcCollected, tokio_postgres::Error> {
    Ok(DmarcCollected {
        day: r.try_get(0)?,
        domain: r.try_get(1)?,
        policy: r.try_get(2)?,
        rua: r.try_get(3)?,
        source_ip: r.try_get(4)?,
        header_from: r.try_get(5)?,
        envelope_from: r.try_get(6)?,
        spf: r.try_get(7)?,
        dkim: r.try_get(8)?,
        disposition: r.try_get(9)?,
        dkim_aligned: r.try_get(10)?,
        spf_aligned: r.try_get(11)?,
        count: r.try_get::<_, i64>(12)?.max(0) as u64,
    })
}

fn report(r: &Row) -> std::result::Result<DmarcReport, tokio_postgres::Error> {
    Ok(DmarcReport {
        id: r.try_get(0)?,
        domain_id: r.try_get(1)?,
        org: r.try_get(2)?,
        email: r.try_get(3)?,
        report_id: r.try_get(4)?,
        begin: r.try_get(5)?,
        end: r.try_get(6)?,
        policy_domain: r.try_get(7)?,
        policy: r.try_get(8)?,
        received_at: r.try_get(9)?,
        messages: r.try_get::<_, i64>(10)?.max(0) as u64,
        rows: r.try_get::<_, i64>(11)?.max(0) as u64,
    })
}

#[async_trait]
impl DmarcStore for PgStore {
    async fn dmarc_collect(&self, row: &DmarcCollected, max_rows: u64) -> Result<bool> {
        let key = row.key();
        let count = i64::try_from(row.count).unwrap_or(i64::MAX);
        write_tx!(self, |tx| {
            let st = tx.t.prepare_cached(&numbered(COLLECT_ADD)).await?;
            if tx
                .t
                .execute(&st, &[&row.day, &key, &count, &row.rua])
                .await?
                == 1
            {
                return Ok(true);
            }
            let st = tx.t.prepare_cached(&numbered(COLLECT_ROWS_OF_DAY)).await?;
            let have: i64 = tx.t.query_one(&st, &[&row.day]).await?.try_get(0)?;
            if max_rows != 0 && have as u64 >= max_rows {
                return Ok(false);
            }
            let st = tx.t.prepare_cached(&numbered(COLLECT_NEW)).await?;
            tx.t.execute(
                &st,
                &[
                    &row.day,
                    &key,
                    &row.domain,
                    &row.policy,
                    &row.rua,
                    &row.source_ip,
                    &row.header_from,
                    &row.envelope_from,
                    &row.spf,
                    &row.dkim,
                    &row.disposition,
                    &row.dkim_aligned,
                    &row.spf_aligned,
                    &count,
                ],
            )
            .await?;
            Ok(true)
        })
    }

    async fn dmarc_collected(&self, last_day: i64) -> Result<Vec<DmarcCollected>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!(
                "SELECT {COLLECTED_COLS} FROM dmarc_collected WHERE day <= $1 \
                 ORDER BY day, domain, key"
            ))
            .await?;
        let rows = c.query(&st, &[&last_day]).await?;
        Ok(rows
            .iter()
            .map(collected)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn dmarc_take(&self, last_day: i64) -> Result<Vec<DmarcCollected>> {
        let mut rows: Vec<DmarcCollected> = write_tx!(self, |tx| {
            let st =
                tx.t.prepare_cached(&format!(
                    "DELETE FROM dmarc_collected WHERE day <= $1 RETURNING {COLLECTED_COLS}"
                ))
                .await?;
            let rows = tx.t.query(&st, &[&last_day]).await?;
            Ok(rows
                .iter()
                .map(collected)
                .collect::<std::result::Result<Vec<_>, _>>()?)
        })?;
        rows.sort_by(|a, b| (a.day, &a.domain).cmp(&(b.day, &b.domain)));
        Ok(rows)
    }

    async fn dmarc_forget(&self, first_day: i64) -> Result<u64> {
        write_tx!(self, |tx| {
            let st = tx.t.prepare_cached(&numbered(FORGET_COLLECTED)).await?;
            Ok(tx.t.execute(&st, &[&first_day]).await?)
        })
    }

    async fn dmarc_report_add(
        &self,
        r: &DmarcReport,
        rows: &[DmarcReportRow],
    ) -> Result<Option<i64>> {
        let rows = &rows[..rows.len().min(MAX_REPORT_ROWS)];
        let json = to_json(&rows)?;
        let messages = i64::try_from(rows.iter().map(|x| x.count).sum::<u64>()).unwrap_or(i64::MAX);
        let n = rows.len() as i64;
        write_tx!(self, |tx| {
            let st = tx.t.prepare_cached(&numbered(REPORT_ADD)).await?;
            let row =
                tx.t.query_opt(
                    &st,
                    &[
                        &r.domain_id,
                        &r.org,
                        &r.email,
                        &r.report_id,
                        &r.begin,
                        &r.end,
                        &r.policy_domain,
                        &r.policy,
                        &r.received_at,
                        &messages,
                        &n,
                        &json,
                    ],
                )
                .await?;
            Ok(match row {
                Some(row) => Some(row.try_get::<_, i64>(0)?),
                None => None,
            })
        })
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
        let c = self.client().await?;
        let st = c
            .prepare_cached(&numbered(&format!(
                "SELECT count(*) FROM dmarc_reports {REPORT_WHERE}"
            )))
            .await?;
        let total: i64 = c.query_one(&st, &[&d]).await?.try_get(0)?;
        let st = c
            .prepare_cached(&numbered(&format!(
                "SELECT {REPORT_COLS} FROM dmarc_reports {REPORT_WHERE} \
                 ORDER BY received_at DESC, id DESC LIMIT ?2 OFFSET ?3"
            )))
            .await?;
        let page = c
            .query(&st, &[&d, &limit, &offset])
            .await?
            .iter()
            .map(report)
            .collect::<std::result::Result<_, _>>()?;
        Ok((total.max(0) as u64, page))
    }

    async fn dmarc_report(&self, id: i64) -> Result<Option<(DmarcReport, Vec<DmarcReportRow>)>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!(
                "SELECT {REPORT_COLS}, rows_json FROM dmarc_reports WHERE id = $1"
            ))
            .await?;
        match c.query_opt(&st, &[&id]).await? {
            Some(r) => {
                let json: String = r.try_get(12)?;
                Ok(Some((report(&r)?, from_json(&json, "DMARC report rows")?)))
            }
            None => Ok(None),
        }
    }

    async fn dmarc_reports_forget(&self, before: i64) -> Result<u64> {
        write_tx!(self, |tx| {
            let st = tx.t.prepare_cached(&numbered(FORGET_REPORTS)).await?;
            Ok(tx.t.execute(&st, &[&before]).await?)
        })
    }
}
