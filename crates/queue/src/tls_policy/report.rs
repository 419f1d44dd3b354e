//! SMTP TLS reporting (RFC 8460): the outcome of each outbound session held to a policy is
//! counted in the store per policy domain and day ([`Queue::tls_report`]); once a day, from
//! `tlsrpt.report_hour` (UTC), each policy domain whose `_smtp._tls` TXT record names
//! `mailto:` addresses gets a JSON report, gzipped, in a `multipart/report` message sent
//! through the spool from the null sender ([`Reporter`]).
//!
//! Invariants: rows are taken from the store (read and deleted at once), so with several
//! nodes each row is reported by one node; rows of a domain whose record cannot be read for
//! a temporary DNS failure go back for the next round; rows older than `tlsrpt.keep_days`
//! are dropped; only `mailto:` addresses are used (`https:` submission is not implemented).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use heron_directory::Directory;
use heron_mailauth::SharedDns;
use heron_mailauth::report::tlsrpt::{
    DateRange, FailureDetails, Policy, PolicyDetails, PolicyType, ResultType, Summary, TlsReport,
};
use heron_settings::{Settings, defs};
use heron_store::TlsRptResult;
use heron_store::dmarc::{DAY, day_of};
use heron_store::tlsrpt::SUCCESS;
use tokio_util::sync::CancellationToken;

use crate::Queue;
use crate::dmarc::CHECK_EVERY;
use crate::identity::hostname;
use crate::notify::hand_off_with;

/// The outcome of one session (or of a policy lookup) to be counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// [`SUCCESS`] or a TLS-RPT result type.
    pub result: String,
    /// The MX host; empty for a policy-level failure.
    pub mx_host: String,
    /// The MX host's address, when known.
    pub receiving_ip: Option<IpAddr>,
    /// Words on the failure.
    pub detail: String,
}

impl Failure {
    /// A session that met the policy.
    pub fn success(mx_host: &str) -> Self {
        Self {
            result: SUCCESS.into(),
            mx_host: mx_host.into(),
            receiving_ip: None,
            detail: String::new(),
        }
    }

    /// A session that failed the policy with `result`.
    pub fn session(result: &str, mx_host: &str, addr: Option<SocketAddr>, detail: &str) -> Self {
        Self {
            result: result.into(),
            mx_host: mx_host.into(),
            receiving_ip: addr.map(|a| a.ip()),
            detail: detail.into(),
        }
    }

    /// A policy that could not be had (`sts-policy-fetch-error`, ...).
    pub fn policy(result: &str, detail: &str) -> Self {
        Self {
            result: result.into(),
            mx_host: String::new(),
            receiving_ip: None,
            detail: detail.into(),
        }
    }
}

impl Queue {
    /// Count `outcome` for policy domain `domain` under a policy of type `kind` (`sts`,
    /// `tlsa`) reading `policy` (newline-joined lines; empty for a policy that could not be
    /// had) in today's TLS-RPT rows; never fails the delivery.
    pub async fn tls_report(&self, domain: &str, kind: &str, policy: String, outcome: Failure) {
        let row = TlsRptResult {
            day: day_of(chrono::Utc::now().timestamp()),
            domain: domain.to_owned(),
            policy_type: kind.to_owned(),
            policy,
            mx_host: outcome.mx_host,
            result: outcome.result,
            receiving_ip: outcome
                .receiving_ip
                .map(|ip| ip.to_string())
                .unwrap_or_default(),
            detail: outcome.detail.chars().take(500).collect(),
            count: 1,
        };
        let max = self.settings.get(defs::TLSRPT_MAX_ROWS_PER_DAY);
        if let Err(e) = self.dir.store().tlsrpt_add(&row, max).await {
            tracing::warn!(target: "delivery", "TLS-RPT result for {domain} not recorded: {e}");
        }
    }
}

/// The `mailto:` addresses of a domain's TLS-RPT TXT record (RFC 8460 §3): the one record
/// starting `v=TLSRPTv1`; `None` when there is none (or several).
pub fn rua_mailto(texts: &[String]) -> Option<Vec<String>> {
    let records: Vec<&String> = texts
        .iter()
        .filter(|t| t.trim_start().starts_with("v=TLSRPTv1"))
        .collect();
    let [record] = records.as_slice() else {
        return None;
    };
    let rua = record
        .split(';')
        .filter_map(|f| f.trim().strip_prefix("rua="))
        .next()?;
    let to: Vec<String> = rua
        .split(',')
        .filter_map(|u| u.trim().strip_prefix("mailto:"))
        .map(|a| percent_decode(a.split('?').next().unwrap_or_default()))
        .filter(|a| a.contains('@'))
        .collect();
    Some(to)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn result_type(s: &str) -> ResultType {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).unwrap_or(ResultType::Other)
}

/// The report of `rows` (one policy domain) for `begin..=end` (Unix seconds).
pub fn build(
    org: &str,
    contact: &str,
    report_id: &str,
    begin: i64,
    end: i64,
    rows: &[TlsRptResult],
) -> TlsReport {
    let mut by_policy: BTreeMap<(String, String, String), Vec<&TlsRptResult>> = BTreeMap::new();
    for r in rows {
        by_policy
            .entry((r.domain.clone(), r.policy_type.clone(), r.policy.clone()))
            .or_default()
            .push(r);
    }
    let policies = by_policy
        .into_iter()
        .map(|((domain, kind, text), rows)| {
            let count = |ok: bool| -> u32 {
                rows.iter()
                    .filter(|r| r.is_success() == ok)
                    .map(|r| u32::try_from(r.count).unwrap_or(u32::MAX))
                    .fold(0, u32::saturating_add)
            };
            let mut mx: Vec<String> = text
                .lines()
                .filter_map(|l| l.strip_prefix("mx: "))
                .map(str::to_owned)
                .collect();
            mx.dedup();
            Policy {
                policy: PolicyDetails {
                    policy_type: match kind.as_str() {
                        "sts" => PolicyType::Sts,
                        "tlsa" => PolicyType::Tlsa,
                        _ => PolicyType::NoPolicyFound,
                    },
                    policy_string: text.lines().map(str::to_owned).collect(),
                    policy_domain: domain,
                    mx_host: mx,
                },
                summary: Summary {
                    total_success: count(true),
                    total_failure: count(false),
                },
                failure_details: rows
                    .iter()
                    .filter(|r| !r.is_success())
                    .map(|r| FailureDetails {
                        result_type: result_type(&r.result),
                        sending_mta_ip: None,
                        receiving_mx_hostname: Some(r.mx_host.clone()).filter(|h| !h.is_empty()),
                        receiving_mx_helo: None,
                        receiving_ip: r.receiving_ip.parse().ok(),
                        failed_session_count: u32::try_from(r.count).unwrap_or(u32::MAX),
                        additional_information: Some(r.detail.clone()).filter(|d| !d.is_empty()),
                        failure_reason_code: None,
                    })
                    .collect(),
            }
        })
        .collect();
    TlsReport {
        organization_name: Some(org.to_owned()),
        date_range: DateRange::from_timestamps(begin, end),
        contact_info: Some(contact.to_owned()),
        report_id: report_id.to_owned(),
        policies,
    }
}

/// What one round sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// Messages handed to the spool (one per policy domain and address).
    pub reports: usize,
    /// Policy domains reported.
    pub domains: usize,
    /// Rows taken from the store.
    pub rows: usize,
    /// Policy domains not reported, and why.
    pub skipped: Vec<String>,
}

/// The sender of TLS reports.
pub struct Reporter {
    dir: Directory,
    settings: Arc<Settings>,
    dns: Arc<SharedDns>,
}

impl Reporter {
    /// A reporter over the directory's store, reading `_smtp._tls` records with `dns`.
    pub fn new(dir: Directory, dns: Arc<SharedDns>) -> Self {
        let settings = dir.settings().clone();
        Self { dir, settings, dns }
    }

    /// Send the reports of the days before today once `tlsrpt.report_hour` has come,
    /// checking every [`CHECK_EVERY`], until `stop`.
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
                if hour < self.settings.get(defs::TLSRPT_REPORT_HOUR).min(23) {
                    continue;
                }
                let today = day_of(now);
                match self.send(today - 1, today * DAY - 1).await {
                    Ok(s) if s.rows > 0 => {
                        tracing::info!(target: "events", "TLS reports: {} sent for {} domains", s.reports, s.domains)
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(target: "events", "TLS reports not sent: {e}"),
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
        let keep = i64::try_from(self.settings.get(defs::TLSRPT_KEEP_DAYS)).unwrap_or(i64::MAX);
        store
            .tlsrpt_forget(last_day.saturating_sub(keep))
            .await
            .map_err(|e| e.to_string())?;
        let mut sent = Sent::default();
        if !self.settings.get(defs::TLSRPT_REPORTS) {
            return Ok(sent);
        }
        let rows = store
            .tlsrpt_take(last_day)
            .await
            .map_err(|e| e.to_string())?;
        sent.rows = rows.len();
        let mut by_domain: BTreeMap<String, Vec<TlsRptResult>> = BTreeMap::new();
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
                        if let Err(e) = store.tlsrpt_add(r, 0).await {
                            tracing::warn!(target: "events", "TLS-RPT rows of {domain} lost: {e}");
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
            tracing::info!(target: "events", "TLS report not sent for {why}");
        }
        Ok(sent)
    }

    async fn report(&self, domain: &str, rows: &[TlsRptResult], end: i64) -> Result<usize, Why> {
        let dns = self.dns.get().map_err(|e| Why::Retry(e.to_string()))?;
        let texts = match dns.txt(&format!("_smtp._tls.{domain}")).await {
            Ok(t) => t,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(Why::Retry(e.to_string())),
        };
        let to = rua_mailto(&texts)
            .filter(|to| !to.is_empty())
            .ok_or_else(|| Why::Never("no TLS-RPT record with a mailto: address".into()))?;
        let host = hostname(&self.settings);
        let from = Some(self.settings.get(defs::TLSRPT_REPORT_FROM))
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| format!("noreply-tlsrpt@{host}"));
        let first = rows.iter().map(|r| r.day).min().unwrap_or_default();
        let last = rows.iter().map(|r| r.day).max().unwrap_or_default();
        let begin = first * DAY;
        let end = end.min((last + 1) * DAY - 1).max(begin);
        let report_id = format!("{begin}.{:08x}@{host}", rand::random::<u32>());
        let report = build(&host, &from, &report_id, begin, end, rows);
        let bytes = report
            .to_rfc5322(domain, &host, from.as_str(), to.iter().map(String::as_str))
            .map_err(|e| Why::Never(e.to_string()))?
            .into_bytes();
        let mut copies = 0;
        for a in &to {
            match hand_off_with(&self.dir, &self.settings, a, bytes.clone()).await {
                Ok(()) => {
                    copies += 1;
                    tracing::info!(target: "events", "TLS report {report_id} for {domain} sent to <{a}>");
                }
                Err(e) => {
                    tracing::warn!(target: "events", "TLS report for {domain} to <{a}> failed: {e}")
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rua() {
        let t = |s: &str| vec![s.to_owned()];
        assert_eq!(
            rua_mailto(&t(
                "v=TLSRPTv1; rua=mailto:tls%2Breports@r.test,https://r.test/x"
            )),
            Some(vec!["tls+reports@r.test".to_owned()])
        );
        assert_eq!(rua_mailto(&t("v=spf1 -all")), None);
        assert_eq!(
            rua_mailto(&t("v=TLSRPTv1; rua=https://r.test/")),
            Some(vec![])
        );
    }

    #[test]
    fn report_json() {
        let row = |result: &str, count| TlsRptResult {
            day: 1,
            domain: "d.test".into(),
            policy_type: "sts".into(),
            policy: "version: STSv1\nmode: enforce\nmx: mx.d.test\nmax_age: 60".into(),
            mx_host: "mx.d.test".into(),
            result: result.into(),
            receiving_ip: "192.0.2.1".into(),
            detail: "why".into(),
            count,
        };
        let r = build(
            "org",
            "a@b",
            "id1",
            86_400,
            2 * 86_400 - 1,
            &[row(SUCCESS, 3), row("certificate-expired", 2)],
        );
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        let p = &v["policies"][0];
        assert_eq!(p["policy"]["policy-type"], "sts");
        assert_eq!(p["policy"]["mx-host"][0], "mx.d.test");
        assert_eq!(p["summary"]["total-successful-session-count"], 3);
        assert_eq!(p["summary"]["total-failure-session-count"], 2);
        let f = &p["failure-details"][0];
        assert_eq!(f["result-type"], "certificate-expired");
        assert_eq!(f["receiving-ip"], "192.0.2.1");
        assert_eq!(v["date-range"]["start-datetime"], "1970-01-02T00:00:00Z");
    }
}
