//! Sending the DMARC aggregate reports (RFC 7489 §7.2) of the results counted at the SMTP
//! door: once a day, from `dmarc.report_hour` (UTC), one report per policy domain covering
//! the days before, to the record's `rua=` addresses that may get it (§7.1), through the
//! spool from the null sender.
//!
//! Invariants: the collected rows are taken from the store (read and deleted at once), so
//! with several nodes on one store each row is reported by one node; when the report
//! addresses cannot be checked for a temporary DNS failure the rows are put back for the next
//! round; rows older than `dmarc.keep_days` and received reports older than
//! `dmarc.received_keep_days` are dropped each round.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use heron_directory::Directory;
use heron_mailauth::SharedDns;
use heron_mailauth::report::send::{self, Reporter as Who, Results, Subject};
use heron_settings::{Settings, defs};
use heron_store::dmarc::{DAY, DmarcCollected, day_of};
use tokio_util::sync::CancellationToken;

use crate::identity::hostname;
use crate::notify::hand_off_with;

/// How often the daily task looks whether reports are due.
pub const CHECK_EVERY: Duration = Duration::from_secs(600);

/// What one round sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// Reports handed to the spool (one per policy domain and address).
    pub reports: usize,
    /// Policy domains reported.
    pub domains: usize,
    /// Rows taken from the store.
    pub rows: usize,
    /// Policy domains not reported, and why.
    pub skipped: Vec<String>,
}

/// The sender of DMARC aggregate reports.
pub struct Reporter {
    dir: Directory,
    settings: Arc<Settings>,
    dns: Arc<SharedDns>,
}

impl Reporter {
    /// A reporter over the directory's store, checking report addresses with `dns`.
    pub fn new(dir: Directory, dns: Arc<SharedDns>) -> Self {
        let settings = dir.settings().clone();
        Self { dir, settings, dns }
    }

    /// Send the reports of the days before today once `dmarc.report_hour` has come, checking
    /// every [`CHECK_EVERY`], until `stop`.
    pub fn start(self: Arc<Self>, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECK_EVERY);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => {}
                }
                let now = chrono::Utc::now().timestamp();
                let hour = (now.rem_euclid(DAY) / 3600) as u64;
                if hour < self.settings.get(defs::DMARC_REPORT_HOUR).min(23) {
                    continue;
                }
                let today = day_of(now);
                match self.send(today - 1, today * DAY - 1).await {
                    Ok(s) if s.rows > 0 => {
                        tracing::info!(target: "events", "DMARC reports: {} sent for {} domains", s.reports, s.domains)
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(target: "events", "DMARC reports not sent: {e}"),
                }
            }
        })
    }

    /// Send the reports of everything collected so far, today included.
    pub async fn send_now(&self) -> Result<Sent, String> {
        let now = chrono::Utc::now().timestamp();
        self.send(day_of(now), now).await
    }

    /// Send the reports of the days up to `last_day`, the period ending at `end` at the
    /// latest (Unix seconds).
    pub async fn send(&self, last_day: i64, end: i64) -> Result<Sent, String> {
        let store = self.dir.store();
        let s = &self.settings;
        let keep = i64::try_from(s.get(defs::DMARC_KEEP_DAYS)).unwrap_or(i64::MAX);
        store
            .dmarc_forget(last_day.saturating_sub(keep))
            .await
            .map_err(|e| e.to_string())?;
        let received = i64::try_from(s.get(defs::DMARC_RECEIVED_KEEP_DAYS)).unwrap_or(i64::MAX);
        let before = chrono::Utc::now()
            .timestamp()
            .saturating_sub(received.saturating_mul(DAY));
        store
            .dmarc_reports_forget(before)
            .await
            .map_err(|e| e.to_string())?;
        let mut sent = Sent::default();
        if !s.get(defs::DMARC_REPORTS) {
            return Ok(sent);
        }
        let rows = store
            .dmarc_take(last_day)
            .await
            .map_err(|e| e.to_string())?;
        sent.rows = rows.len();
        let mut by_domain: BTreeMap<String, Vec<DmarcCollected>> = BTreeMap::new();
        for r in rows {
            by_domain.entry(r.domain.clone()).or_default().push(r);
        }
        for (domain, rows) in by_domain {
            match self.report(&domain, &rows, end).await {
                Ok(n) => {
                    sent.reports += n;
                    sent.domains += 1;
                }
                Err(Why::Retry(why)) => {
                    for r in &rows {
                        if let Err(e) = store.dmarc_collect(r, 0).await {
                            tracing::warn!(target: "events", "DMARC rows of {domain} lost: {e}");
                            break;
                        }
                    }
                    sent.skipped
                        .push(format!("{domain}: {why} (kept for the next round)"));
                }
                Err(Why::Never(why)) => sent.skipped.push(format!("{domain}: {why}")),
            }
        }
        for why in &sent.skipped {
            tracing::info!(target: "events", "DMARC report not sent for {why}");
        }
        Ok(sent)
    }

    /// Send `domain`'s report of `rows` (one policy domain); how many copies went.
    async fn report(&self, domain: &str, rows: &[DmarcCollected], end: i64) -> Result<usize, Why> {
        let latest = rows
            .iter()
            .max_by_key(|r| r.day)
            .ok_or(Why::Never("no rows".into()))?;
        let addresses = send::rua_addresses(&latest.rua);
        let plain: Vec<String> = addresses.iter().map(|(a, _)| a.clone()).collect();
        let dns = self.dns.get().map_err(|e| Why::Retry(e.to_string()))?;
        let allowed = send::authorized(&dns, domain, &plain)
            .await
            .ok_or_else(|| Why::Retry("report addresses not verified (DNS)".into()))?;
        if allowed.is_empty() {
            return Err(Why::Never(
                "no report address may get it (no external destination record)".into(),
            ));
        }
        let host = hostname(&self.settings);
        let org = Some(self.settings.get(defs::DMARC_REPORT_ORG))
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| host.clone());
        let email = Some(self.settings.get(defs::DMARC_REPORT_FROM))
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| format!("noreply-dmarc@{host}"));
        let first = rows.iter().map(|r| r.day).min().unwrap_or(latest.day);
        let begin = first * DAY;
        let end = end.min((latest.day + 1) * DAY - 1).max(begin);
        let report_id = format!("{domain}.{begin}.{:08x}", rand::random::<u32>());
        let results: Vec<Results<'_>> = rows
            .iter()
            .map(|r| Results {
                source_ip: &r.source_ip,
                header_from: &r.header_from,
                envelope_from: &r.envelope_from,
                spf: &r.spf,
                dkim: &r.dkim,
                disposition: &r.disposition,
                dkim_aligned: r.dkim_aligned,
                spf_aligned: r.spf_aligned,
                count: r.count,
            })
            .collect();
        let who = Who {
            org: &org,
            email: &email,
            host: &host,
        };
        let what = Subject {
            report_id: &report_id,
            domain,
            policy: &latest.policy,
            begin,
            end,
        };
        let build = |to: &[String]| {
            send::message(&who, &what, &results, to).map_err(|e| Why::Never(e.to_string()))
        };
        let mut to = allowed;
        let mut bytes = build(&to)?;
        // RFC 7489 §7.1: an address's `!size` is the largest report it takes.
        let fits = |a: &String, len: usize| {
            addresses
                .iter()
                .find(|(x, _)| x == a)
                .is_none_or(|(_, max)| *max == 0 || len <= *max)
        };
        if !to.iter().all(|a| fits(a, bytes.len())) {
            let len = bytes.len();
            to.retain(|a| fits(a, len));
            if to.is_empty() {
                return Err(Why::Never(format!(
                    "the report ({len} bytes) exceeds every address's size limit"
                )));
            }
            bytes = build(&to)?;
        }
        let mut copies = 0;
        for a in &to {
            match hand_off_with(&self.dir, &self.settings, a, bytes.clone()).await {
                Ok(()) => {
                    copies += 1;
                    tracing::info!(target: "events", "DMARC report {report_id} for {domain} sent to <{a}>");
                }
                Err(e) => {
                    tracing::warn!(target: "events", "DMARC report for {domain} to <{a}> failed: {e}")
                }
            }
        }
        Ok(copies)
    }
}

/// Why a domain's report was not sent.
enum Why {
    /// A temporary failure: the rows go back to the store.
    Retry(String),
    /// Not to be sent at all.
    Never(String),
}
