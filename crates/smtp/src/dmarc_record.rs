//! DMARC aggregate reporting at the SMTP door (RFC 7489 §7.2): the results of mail from other
//! servers for hosted mailboxes are counted for the From domain's daily report, and the
//! aggregate reports other servers send to hosted addresses are read and kept in summary.
//!
//! Invariants: neither touches the reply's path beyond a clone of an `Arc`: the store write
//! and the report parsing run in tasks of their own; at most [`PARSERS`] reports are parsed
//! at once (beyond that a report is delivered but not read, and the log says so); a report is
//! read only from a message within `dmarc.max_report_kb`, uncompressed within it too.

use std::sync::{Arc, LazyLock};

use heron_filter::verdict::{DmarcDisposition, Verdict};
use heron_settings::defs;
use heron_store::dmarc::{DmarcCollected, DmarcReport, DmarcReportRow, day_of};
use tokio::sync::Semaphore;

use crate::envelope::Transaction;
use crate::session::Session;

/// Reports parsed at once by this process.
pub const PARSERS: usize = 2;

static PARSING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(PARSERS));

/// Count `verdict`'s DMARC results for its From domain's report, when that domain asks for
/// reports, the message came from another server (no authenticated client) and is for at
/// least one hosted mailbox.
pub fn collect(s: &Session<'_>, tx: &Transaction, verdict: &Verdict) {
    let settings = &s.svc.settings;
    let Some(f) = verdict.dmarc_facts.as_ref() else {
        return;
    };
    if s.dlg.auth.is_some() || tx.local.is_empty() || !settings.get(defs::DMARC_REPORTS) {
        return;
    }
    let row = DmarcCollected {
        day: day_of(chrono::Utc::now().timestamp()),
        domain: f.domain.clone(),
        policy: f.policy.clone(),
        rua: f.rua.clone(),
        source_ip: f.ip.to_string(),
        header_from: f.header_from.clone(),
        envelope_from: f.envelope_from.clone(),
        spf: f.spf.name().to_owned(),
        dkim: f.dkim_text(),
        disposition: match verdict.dmarc {
            DmarcDisposition::None => "none",
            DmarcDisposition::Quarantine => "quarantine",
            DmarcDisposition::Reject => "reject",
        }
        .to_owned(),
        dkim_aligned: f.dkim_aligned,
        spf_aligned: f.spf_aligned,
        count: 1,
    };
    let max = settings.get(defs::DMARC_MAX_ROWS_PER_DAY);
    let store = s.svc.dir.store().clone();
    tokio::spawn(async move {
        match store.dmarc_collect(&row, max).await {
            Ok(true) => {}
            Ok(false) => tracing::info!(
                target: "smtp",
                "DMARC results for {} not counted: dmarc.max_rows_per_day reached",
                row.domain
            ),
            Err(e) => tracing::warn!(target: "smtp", "counting DMARC results failed: {e}"),
        }
    });
}

/// Read `body`, delivered to `tx`'s hosted mailboxes, as a DMARC aggregate report if it is
/// one, and keep its summary for the first recipient's domain.
pub fn receive(s: &Session<'_>, tx: &Transaction, body: &Arc<Vec<u8>>) {
    let settings = &s.svc.settings;
    let Some(domain_id) = tx.local.first().map(|u| u.domain_id) else {
        return;
    };
    let max = usize::try_from(settings.get(defs::DMARC_MAX_REPORT_KB))
        .unwrap_or(usize::MAX)
        .saturating_mul(1024);
    // Asked of every delivered message: only a likely report takes a reader and a task.
    if !settings.get(defs::DMARC_RECEIVE)
        || body.len() > max
        || !heron_mailauth::report::receive::looks_like_report(body)
    {
        return;
    }
    let Ok(permit) = PARSING.try_acquire() else {
        tracing::info!(target: "smtp", "DMARC report not read: {PARSERS} being read already");
        return;
    };
    let max_rows = usize::try_from(settings.get(defs::DMARC_MAX_REPORT_ROWS)).unwrap_or(usize::MAX);
    let (store, body) = (s.svc.dir.store().clone(), body.clone());
    tokio::spawn(async move {
        let parsed = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            heron_mailauth::report::receive::parse(&body, max, max_rows)
        })
        .await;
        let r = match parsed {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                tracing::debug!(target: "smtp", "not a DMARC report: {e}");
                return;
            }
            _ => return,
        };
        let summary = DmarcReport {
            domain_id,
            org: r.org,
            email: r.email,
            report_id: r.report_id,
            begin: r.begin,
            end: r.end,
            policy_domain: r.policy_domain,
            policy: r.policy,
            received_at: chrono::Utc::now().timestamp(),
            ..Default::default()
        };
        let rows: Vec<DmarcReportRow> = r
            .rows
            .into_iter()
            .map(|x| DmarcReportRow {
                source_ip: x.source_ip,
                count: x.count,
                disposition: x.disposition,
                dkim: x.dkim,
                spf: x.spf,
                header_from: x.header_from,
                envelope_from: x.envelope_from,
                auth: x.auth,
            })
            .collect();
        match store.dmarc_report_add(&summary, &rows).await {
            Ok(Some(id)) => tracing::info!(
                target: "smtp",
                "DMARC report {} from {} about {} kept as #{id} ({} rows)",
                summary.report_id,
                summary.org,
                summary.policy_domain,
                rows.len()
            ),
            Ok(None) => tracing::info!(
                target: "smtp",
                "DMARC report {} from {} already kept",
                summary.report_id,
                summary.org
            ),
            Err(e) => tracing::warn!(target: "smtp", "keeping a DMARC report failed: {e}"),
        }
    });
}
