//! The records of DMARC aggregate reporting (RFC 7489 §7.2): the results this server collects
//! about arriving mail, to report to the domains that ask (`rua=`), and the reports other
//! servers send to the hosted domains.
//!
//! Invariants: a collected row is identified by its day and [`DmarcCollected::key`], a hash
//! of every field but the count and the reporting addresses, so the same results from the
//! same IP on the same day always add to one row; a received report is kept once per hosted
//! domain, organisation and report id.

use serde::{Deserialize, Serialize};

use crate::model::DomainId;

/// Seconds in a reporting day.
pub const DAY: i64 = 86_400;

/// The reporting day (days since the Unix epoch, UTC) of Unix time `t`.
pub fn day_of(t: i64) -> i64 {
    t.div_euclid(DAY)
}

/// Messages of one day that got the same DMARC results: one row of an aggregate report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcCollected {
    /// The day ([`day_of`]).
    pub day: i64,
    /// The policy domain: the From domain the record was published for.
    pub domain: String,
    /// The published policy as it was seen: `p=… sp=… np=… adkim=r|s aspf=r|s t=y|n`.
    pub policy: String,
    /// The `rua=` URIs of the record, space-separated, each with its `!size` when given.
    pub rua: String,
    /// The IP the message came from.
    pub source_ip: String,
    /// The RFC 5322 From domain.
    pub header_from: String,
    /// The domain SPF checked (MAIL FROM, or HELO for the null sender).
    pub envelope_from: String,
    /// The SPF result (`pass`, `fail`, …).
    pub spf: String,
    /// The DKIM signatures: `domain selector result` entries separated by commas.
    pub dkim: String,
    /// What was done under the policy: `none`, `quarantine` or `reject`.
    pub disposition: String,
    /// DMARC's DKIM result: an aligned signature verified.
    pub dkim_aligned: bool,
    /// DMARC's SPF result: SPF passed for an aligned domain.
    pub spf_aligned: bool,
    /// Messages counted.
    pub count: u64,
}

impl DmarcCollected {
    /// The row's identity within its day: FNV-1a (64 bit) over every field that tells rows
    /// apart (not the count, not the reporting addresses).
    pub fn key(&self) -> i64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let fields = [
            self.domain.as_str(),
            &self.policy,
            &self.source_ip,
            &self.header_from,
            &self.envelope_from,
            &self.spf,
            &self.dkim,
            &self.disposition,
            if self.dkim_aligned { "1" } else { "0" },
            if self.spf_aligned { "1" } else { "0" },
        ];
        for f in fields {
            for b in f.bytes().chain([0u8]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h as i64
    }
}

/// One row of a received aggregate report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcReportRow {
    /// The IP the messages came from.
    pub source_ip: String,
    /// How many messages.
    pub count: u64,
    /// What the reporter did: `none`, `quarantine`, `reject` (or `pass`).
    pub disposition: String,
    /// DMARC's DKIM result (`pass`, `fail`).
    pub dkim: String,
    /// DMARC's SPF result.
    pub spf: String,
    /// The RFC 5322 From domain.
    pub header_from: String,
    /// The envelope sender's domain, when reported.
    pub envelope_from: String,
    /// The underlying results, e.g. `dkim=example.com:s1:pass spf=example.com:pass`.
    pub auth: String,
}

/// An aggregate report received for a hosted domain, without its rows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcReport {
    /// The report's id in this store (0 before it is stored).
    pub id: i64,
    /// The hosted domain it was sent to.
    pub domain_id: DomainId,
    /// The reporting organisation.
    pub org: String,
    /// Its contact address.
    pub email: String,
    /// Its id for the report.
    pub report_id: String,
    /// The period reported, Unix seconds.
    pub begin: i64,
    pub end: i64,
    /// The policy domain the report is about.
    pub policy_domain: String,
    /// The policy the reporter saw: `p=… sp=… adkim=… aspf=…`.
    pub policy: String,
    /// When it arrived, Unix seconds.
    pub received_at: i64,
    /// Messages reported (the sum of the rows' counts).
    pub messages: u64,
    /// Rows kept.
    pub rows: u64,
}
