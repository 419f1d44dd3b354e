//! The DNS check: each wanted [`Record`] looked up through the configured resolver
//! (`dns.servers`, else the system's) and marked present, missing or different.
//!
//! Invariants: every record gets a status, the lookups run together (one slow name does not
//! hold up the rest longer than the resolver's own timeout); a lookup failure other than "no
//! such record" is `error`, never `missing`; answers are never cached (a fix shows at once).

use heron_mailauth::dns::Dns;
use heron_settings::values::parse_dns_servers;
use heron_settings::{Settings, defs};
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use serde::Serialize;

use crate::SetupError;
use crate::records::{Match, Record};

/// What the check found for a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Published as wanted.
    Present,
    /// Nothing of the kind is published.
    Missing,
    /// Published with another value.
    Different,
    /// The lookup failed (timeout, server failure).
    Error,
    /// Not looked up.
    Unchecked,
}

impl Status {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Missing => "missing",
            Status::Different => "different",
            Status::Error => "error",
            Status::Unchecked => "unchecked",
        }
    }
}

/// A record with what the DNS says.
#[derive(Clone, Debug, Serialize)]
pub struct Checked {
    #[serde(flatten)]
    pub record: Record,
    pub status: Status,
    /// The values published (of the same kind, for TXT), as found.
    pub found: Vec<String>,
    /// Why the lookup failed, for `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A resolver for the configured `dns.servers` (the system's when none), without a cache.
pub fn resolver(settings: &Settings) -> Result<Dns, SetupError> {
    let servers: Vec<String> = parse_dns_servers(&settings.get(defs::DNS_SERVERS).join(","))
        .map_err(SetupError::Dns)?
        .iter()
        .map(ToString::to_string)
        .collect();
    Dns::new(&servers, false).map_err(|e| SetupError::Dns(e.to_string()))
}

/// Check every record.
pub async fn check(dns: &Dns, records: Vec<Record>) -> Vec<Checked> {
    futures::future::join_all(records.into_iter().map(|r| one(dns, r))).await
}

fn record_type(t: &str) -> Option<RecordType> {
    Some(match t {
        "MX" => RecordType::MX,
        "TXT" => RecordType::TXT,
        "CNAME" => RecordType::CNAME,
        "A" => RecordType::A,
        "AAAA" => RecordType::AAAA,
        "SRV" => RecordType::SRV,
        "TLSA" => RecordType::TLSA,
        _ => return None,
    })
}

/// Spacing, case (except in TXT) and a final dot do not count.
fn normalise(rtype: &str, v: &str) -> String {
    if rtype == "TXT" {
        return v
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
    }
    v.split_whitespace()
        .map(|w| w.trim_end_matches('.').to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A TXT record's kind: its first `tag=value` (`v=spf1`, `v=DMARC1`).
fn kind(v: &str) -> String {
    v.split([';', ' '])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

async fn one(dns: &Dns, record: Record) -> Checked {
    let fail = |record: Record, status: Status, error: Option<String>| Checked {
        record,
        status,
        found: Vec::new(),
        error,
    };
    let Some(rtype) = record_type(&record.rtype) else {
        return fail(record, Status::Error, Some("unknown record type".into()));
    };
    let Ok(name) = Name::from_ascii(&record.name) else {
        return fail(record, Status::Error, Some("bad name".into()));
    };
    let lookup = match dns.resolver().lookup(name, rtype).await {
        Ok(l) => l,
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => {
            return fail(record, Status::Missing, None);
        }
        Err(e) => return fail(record, Status::Error, Some(e.to_string())),
    };
    let mut found: Vec<String> = lookup
        .answers()
        .iter()
        .filter(|r| r.record_type() == rtype)
        .map(|r| match &r.data {
            RData::TXT(t) => String::from_utf8_lossy(&t.txt_data.concat()).into_owned(),
            other => other.to_string(),
        })
        .collect();
    if record.rtype == "TXT" {
        let want = kind(&record.value);
        found.retain(|f| kind(f) == want);
    }
    let want = normalise(&record.rtype, &record.value);
    let status = if found.is_empty() {
        Status::Missing
    } else if record.matching == Match::Kind
        || found.iter().any(|f| normalise(&record.rtype, f) == want)
    {
        Status::Present
    } else {
        Status::Different
    };
    Checked {
        record,
        status,
        found,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_ignore_form() {
        assert_eq!(
            normalise("MX", "10  Mail.Example.test."),
            "10 mail.example.test"
        );
        assert_eq!(
            normalise("TXT", "v=DMARC1;p=none ; rua=x"),
            "v=DMARC1; p=none; rua=x"
        );
        assert_eq!(kind("v=spf1 mx -all"), "v=spf1");
        assert_eq!(kind("v=DMARC1; p=none"), "v=dmarc1");
    }
}
