//! Counts kept for reports: statistics (OPS-3), DMARC aggregate reporting (RFC 7489) and
//! TLS reporting (RFC 8460).
//!
//! Invariant: collected counts are only ever added to, and a row taken for reporting is
//! read and deleted in one transaction, so one node reports it.

use async_trait::async_trait;

use crate::dmarc::{DmarcCollected, DmarcReport, DmarcReportRow};
use crate::error::Result;
use crate::model::DomainId;
use crate::stats::{Counts, Scope, Span, StatRow};
use crate::tlsrpt::TlsRptResult;

/// Statistics (OPS-3; see [`crate::stats`]): counters per scope, key and bucket, written in
/// batches by each node's recorder and only ever added to.
#[async_trait]
pub trait StatsStore: Send + Sync {
    /// Add each row's counts to the stored row of the same scope, key, span and start (made
    /// when missing), all in one transaction. Rows should come in key order
    /// ([`crate::stats::sort`]).
    async fn stats_add(&self, rows: &[StatRow]) -> Result<()>;
    /// The stored rows of one scope and key and span whose bucket starts in `from..to`, by
    /// start (buckets without counts have no row).
    async fn stats_series(
        &self,
        scope: Scope,
        key: i64,
        span: Span,
        from: i64,
        to: i64,
    ) -> Result<Vec<StatRow>>;
    /// Per key of `scope`, the sum of its `span` rows whose bucket starts in `from..to`, by
    /// key (keys without rows are left out).
    async fn stats_totals(
        &self,
        scope: Scope,
        span: Span,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, Counts)>>;
    /// Delete the `span` rows whose bucket starts before `before`; how many went.
    async fn stats_prune(&self, span: Span, before: i64) -> Result<u64>;
}

/// DMARC aggregate reporting (RFC 7489 §7.2): the results collected about arriving mail, to
/// be reported once a day to the domains that ask, and the reports received for the hosted
/// domains.
#[async_trait]
pub trait DmarcStore: Send + Sync {
    /// Add `row.count` messages to the collected row of the same day and results
    /// ([`DmarcCollected::key`]), taking the row's latest reporting addresses; a new row is
    /// made only while the day has fewer than `max_rows` rows (0: no limit). Returns whether
    /// the messages were counted.
    async fn dmarc_collect(&self, row: &DmarcCollected, max_rows: u64) -> Result<bool>;
    /// The collected rows of the days up to `last_day`, by day and policy domain.
    async fn dmarc_collected(&self, last_day: i64) -> Result<Vec<DmarcCollected>>;
    /// Take the collected rows of the days up to `last_day` for reporting: they are read and
    /// deleted in one transaction, so whichever of several nodes asks, each row is reported
    /// once.
    async fn dmarc_take(&self, last_day: i64) -> Result<Vec<DmarcCollected>>;
    /// Delete the collected rows of the days before `first_day`; how many went.
    async fn dmarc_forget(&self, first_day: i64) -> Result<u64>;
    /// Keep a received report with its rows; `None` when the same domain already has the
    /// report (same organisation and report id), else its id.
    async fn dmarc_report_add(
        &self,
        report: &DmarcReport,
        rows: &[DmarcReportRow],
    ) -> Result<Option<i64>>;
    /// One page of the received reports, newest first, of one hosted domain or of all: how
    /// many there are in all, and the page `offset..offset+limit`.
    async fn dmarc_reports(
        &self,
        domain: Option<DomainId>,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<DmarcReport>)>;
    /// A received report and its rows.
    async fn dmarc_report(&self, id: i64) -> Result<Option<(DmarcReport, Vec<DmarcReportRow>)>>;
    /// Delete the reports received before `before` (Unix seconds); how many went.
    async fn dmarc_reports_forget(&self, before: i64) -> Result<u64>;
}

/// TLS reporting (RFC 8460): the outcomes of outbound TLS sessions, collected per policy
/// domain and day and reported once a day to the domains that ask.
#[async_trait]
pub trait TlsRptStore: Send + Sync {
    /// Add `row.count` sessions to the row of the same day and outcome
    /// ([`TlsRptResult::key`]); a new row is made only while the day has fewer than
    /// `max_rows` rows (0: no limit). Returns whether the sessions were counted.
    async fn tlsrpt_add(&self, row: &TlsRptResult, max_rows: u64) -> Result<bool>;
    /// The rows of the days up to `last_day`, by day and policy domain.
    async fn tlsrpt_results(&self, last_day: i64) -> Result<Vec<TlsRptResult>>;
    /// Take the rows of the days up to `last_day` for reporting: read and deleted in one
    /// transaction, so each row is reported by one node.
    async fn tlsrpt_take(&self, last_day: i64) -> Result<Vec<TlsRptResult>>;
    /// Delete the rows of the days before `first_day`; how many went.
    async fn tlsrpt_forget(&self, first_day: i64) -> Result<u64>;
}
