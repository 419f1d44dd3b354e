//! The aggregate report this server sends a policy domain (RFC 7489 §7.2): its XML, the
//! message carrying it gzipped, and the `rua=` addresses it may go to (§7.1).
//!
//! Invariants: an address outside the policy domain (and its subdomains) is used only when
//! its domain publishes `<policy domain>._report._dmarc.<its domain>` with `v=DMARC1`; a
//! temporary DNS failure of that lookup sends to none of the addresses (the caller may try
//! again); an address whose `!size` the message exceeds is left out.

use std::net::IpAddr;

use mail_auth::MessageAuthenticator;
use mail_auth::common::cache::NoCache;
use mail_auth::report::{
    ActionDisposition, Alignment, AuthResult, DKIMAuthResult, DateRange, Discovery, Disposition,
    DkimResult, DmarcResult, Identifier, PolicyEvaluated, PolicyPublished, Record, Report,
    ReportMetadata, Row, SPFAuthResult, SPFDomainScope, SpfResult,
};

use super::policy_tag;
use crate::dns::Dns;

/// Who reports.
#[derive(Clone, Debug)]
pub struct Reporter<'a> {
    /// The organisation's name.
    pub org: &'a str,
    /// The From and contact address.
    pub email: &'a str,
    /// The reporting host (the submitter named in the subject).
    pub host: &'a str,
}

/// One row of results, as collected.
#[derive(Clone, Debug, Default)]
pub struct Results<'a> {
    pub source_ip: &'a str,
    pub header_from: &'a str,
    pub envelope_from: &'a str,
    /// SPF's result name.
    pub spf: &'a str,
    /// `domain selector result` entries separated by commas.
    pub dkim: &'a str,
    /// `none`, `quarantine` or `reject`.
    pub disposition: &'a str,
    pub dkim_aligned: bool,
    pub spf_aligned: bool,
    pub count: u64,
}

/// What a report is about.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    /// This report's id.
    pub report_id: &'a str,
    /// The policy domain.
    pub domain: &'a str,
    /// Its policy as [`super::policy_text`] wrote it.
    pub policy: &'a str,
    /// The period, Unix seconds.
    pub begin: i64,
    pub end: i64,
}

fn disposition(s: Option<&str>) -> Disposition {
    match s {
        Some("reject") => Disposition::Reject,
        Some("quarantine") => Disposition::Quarantine,
        Some("none") => Disposition::None,
        _ => Disposition::Unspecified,
    }
}

fn alignment(s: Option<&str>) -> Alignment {
    match s {
        Some("s") => Alignment::Strict,
        Some("r") => Alignment::Relaxed,
        _ => Alignment::Unspecified,
    }
}

fn spf_result(s: &str) -> SpfResult {
    match s {
        "pass" => SpfResult::Pass,
        "fail" => SpfResult::Fail,
        "softfail" => SpfResult::SoftFail,
        "neutral" => SpfResult::Neutral,
        "temperror" => SpfResult::TempError,
        "permerror" => SpfResult::PermError,
        _ => SpfResult::None,
    }
}

fn dkim_result(s: &str) -> DkimResult {
    match s {
        "pass" => DkimResult::Pass,
        "fail" => DkimResult::Fail,
        "neutral" => DkimResult::Neutral,
        "temperror" => DkimResult::TempError,
        "permerror" => DkimResult::PermError,
        _ => DkimResult::None,
    }
}

fn dmarc(pass: bool) -> DmarcResult {
    if pass {
        DmarcResult::Pass
    } else {
        DmarcResult::Fail
    }
}

fn record(r: &Results<'_>) -> Record {
    let action = match r.disposition {
        "reject" => ActionDisposition::Reject,
        "quarantine" => ActionDisposition::Quarantine,
        _ => ActionDisposition::None,
    };
    let dkim = r
        .dkim
        .split(',')
        .filter_map(|e| {
            let mut w = e.split_whitespace();
            let (d, s, res) = (w.next()?, w.next()?, w.next()?);
            Some(DKIMAuthResult {
                domain: d.to_owned(),
                selector: s.to_owned(),
                result: dkim_result(res),
                human_result: None,
            })
        })
        .collect();
    Record {
        row: Row {
            source_ip: r.source_ip.parse::<IpAddr>().ok(),
            count: u32::try_from(r.count).unwrap_or(u32::MAX),
            policy_evaluated: PolicyEvaluated {
                disposition: action,
                dkim: dmarc(r.dkim_aligned),
                spf: dmarc(r.spf_aligned),
                reason: Vec::new(),
            },
        },
        identifiers: Identifier {
            envelope_to: None,
            envelope_from: r.envelope_from.to_owned(),
            header_from: r.header_from.to_owned(),
        },
        auth_results: AuthResult {
            dkim,
            spf: vec![SPFAuthResult {
                domain: r.envelope_from.to_owned(),
                scope: SPFDomainScope::MailFrom,
                result: spf_result(r.spf),
                human_result: None,
            }],
        },
        extensions: Vec::new(),
    }
}

fn report(who: &Reporter<'_>, what: &Subject<'_>, rows: &[Results<'_>]) -> Report {
    let p = |t| policy_tag(what.policy, t);
    Report {
        version: 1.0,
        report_metadata: ReportMetadata {
            org_name: who.org.to_owned(),
            email: who.email.to_owned(),
            extra_contact_info: None,
            report_id: what.report_id.to_owned(),
            date_range: DateRange {
                begin: what.begin.max(0) as u64,
                end: what.end.max(0) as u64,
            },
            error: Vec::new(),
            generator: Some(format!("Heron {}", env!("CARGO_PKG_VERSION"))),
        },
        policy_published: PolicyPublished {
            domain: what.domain.to_owned(),
            version_published: None,
            adkim: alignment(p("adkim")),
            aspf: alignment(p("aspf")),
            p: disposition(p("p")),
            sp: disposition(p("sp")),
            np: disposition(p("np")),
            testing: p("t") == Some("y"),
            discovery_method: Discovery::Treewalk,
            fo: None,
        },
        record: rows.iter().map(record).collect(),
        extensions: Vec::new(),
    }
}

/// The report's XML.
pub fn xml(who: &Reporter<'_>, what: &Subject<'_>, rows: &[Results<'_>]) -> String {
    report(who, what, rows).to_xml()
}

/// The report as a message from `who` to `to` (RFC 7489 §7.2.1.1: the subject names the
/// domain, submitter and report id; the XML is attached gzipped).
pub fn message(
    who: &Reporter<'_>,
    what: &Subject<'_>,
    rows: &[Results<'_>],
    to: &[String],
) -> std::io::Result<Vec<u8>> {
    let text = report(who, what, rows).to_rfc5322(
        who.host,
        (who.org, who.email),
        to.iter().map(String::as_str),
    )?;
    Ok(text.into_bytes())
}

/// The addresses of a `rua` text (`address` or `address!bytes` entries) with their size
/// limits (0: none).
pub fn rua_addresses(rua: &str) -> Vec<(String, usize)> {
    rua.split_whitespace()
        .map(|e| match e.split_once('!') {
            Some((a, n)) => (a.to_owned(), n.parse().unwrap_or(0)),
            None => (e.to_owned(), 0),
        })
        .filter(|(a, _)| a.contains('@'))
        .collect()
}

/// Those of `addresses` that may get `domain`'s reports (RFC 7489 §7.1); `None` when DNS
/// failed temporarily.
pub async fn authorized(dns: &Dns, domain: &str, addresses: &[String]) -> Option<Vec<String>> {
    let auth = MessageAuthenticator(dns.resolver().clone());
    let ok = auth
        .verify_dmarc_report_address(
            domain,
            addresses,
            None::<&NoCache<Box<str>, mail_auth::Txt>>,
        )
        .await?;
    Some(ok.into_iter().cloned().collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_xml_reports_policy_rows_and_results() {
        let who = Reporter {
            org: "mx.example",
            email: "noreply-dmarc@mx.example",
            host: "mx.example",
        };
        let what = Subject {
            report_id: "42",
            domain: "sender.test",
            policy: "p=reject sp=quarantine np=reject adkim=s aspf=r t=n",
            begin: 86_400,
            end: 2 * 86_400,
        };
        let rows = [Results {
            source_ip: "192.0.2.10",
            header_from: "sender.test",
            envelope_from: "sender.test",
            spf: "pass",
            dkim: "sender.test s1 pass, other.test s2 fail",
            disposition: "none",
            dkim_aligned: true,
            spf_aligned: false,
            count: 3,
        }];
        let x = xml(&who, &what, &rows);
        for want in [
            "<domain>sender.test</domain>",
            "<p>reject</p>",
            "<sp>quarantine</sp>",
            "<adkim>s</adkim>",
            "<source_ip>192.0.2.10</source_ip>",
            "<count>3</count>",
            "<selector>s2</selector>",
            "<report_id>42</report_id>",
        ] {
            assert!(x.contains(want), "{want} missing in {x}");
        }
        let m = message(&who, &what, &rows, &["dmarc@reports.test".into()]).unwrap();
        let text = String::from_utf8_lossy(&m);
        assert!(text.contains("Report Domain: sender.test"), "{text}");
        let back = mail_auth::report::Report::parse_rfc5322(&m, 1 << 20).unwrap();
        assert_eq!(back.record.len(), 1);
        assert_eq!(back.record[0].row.count, 3);
    }

    #[test]
    fn rua_entries_keep_their_limits() {
        assert_eq!(
            rua_addresses("a@x.test b@y.test!10485760 junk"),
            vec![("a@x.test".into(), 0), ("b@y.test".into(), 10_485_760)]
        );
    }
}
