//! The records of SMTP TLS reporting (RFC 8460): the outcomes of outbound TLS sessions per
//! policy domain and day, to be reported once a day to the domains that ask (`rua=` of their
//! `_smtp._tls` TXT record).
//!
//! Invariant: a row is identified by its day and [`TlsRptResult::key`], a hash of every
//! field but the count and the detail, so the same outcome with the same MX host on the same
//! day always adds to one row.

use serde::{Deserialize, Serialize};

/// The `result` of a successful session.
pub const SUCCESS: &str = "success";

/// Outbound TLS sessions of one day with the same outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsRptResult {
    /// The day (days since the Unix epoch, UTC; see [`crate::dmarc::day_of`]).
    pub day: i64,
    /// The policy domain (the recipient domain).
    pub domain: String,
    /// The policy type (RFC 8460 §4.3): `sts`, `tlsa` or `no-policy-found`.
    pub policy_type: String,
    /// The policy as reported (`policy-string`), its lines joined by newlines.
    pub policy: String,
    /// The MX host name the session was with; empty for policy-level failures.
    pub mx_host: String,
    /// [`SUCCESS`], or the failure's result type (`certificate-expired`,
    /// `validation-failure`, `sts-policy-invalid`, `starttls-not-supported`, …).
    pub result: String,
    /// The address of the MX host; empty when unknown.
    pub receiving_ip: String,
    /// Words on the first failure of this kind (`additional-information`).
    pub detail: String,
    /// Sessions counted.
    pub count: u64,
}

impl TlsRptResult {
    /// The row's identity within its day: FNV-1a (64 bit) over every field that tells rows
    /// apart (not the count, not the detail).
    pub fn key(&self) -> i64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let fields = [
            self.domain.as_str(),
            &self.policy_type,
            &self.policy,
            &self.mx_host,
            &self.result,
            &self.receiving_ip,
        ];
        for f in fields {
            for b in f.bytes().chain([0u8]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h as i64
    }

    /// Whether the row counts successful sessions.
    pub fn is_success(&self) -> bool {
        self.result == SUCCESS
    }
}
