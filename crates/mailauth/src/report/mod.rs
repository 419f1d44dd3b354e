//! DMARC aggregate reports (RFC 7489 §7.2): what one arriving message contributes to the
//! reports this server sends ([`Facts`], taken while authenticating it), the report itself as
//! XML and as a message ([`send`]), and the reports other servers send here ([`receive`]).
//!
//! Policies travel as short text (`p=reject sp=none np=reject adkim=r aspf=s t=n`) and the
//! report addresses as `address!bytes` entries, so callers can keep them without knowing
//! mail-auth; [`policy_text`] writes that text and [`send`] reads it back.
//!
//! Invariant: facts are taken only for a message whose From domain has a DMARC record with
//! at least one `rua=` address.

pub mod receive;
pub mod send;

use std::net::IpAddr;

use mail_auth::dmarc::{Alignment, Dmarc, Policy};
use mail_auth::{DkimOutput, DkimResult, DmarcOutput, DmarcResult};

use crate::inbound::Outcome;

/// What one message adds to the aggregate report of its From domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The IP the message was judged by (the originating one behind a bypass gateway).
    pub ip: IpAddr,
    /// The policy domain (the From domain the DMARC result is about).
    pub domain: String,
    /// The record's policy, as [`policy_text`] writes it.
    pub policy: String,
    /// The record's `rua=` addresses, `address` or `address!bytes`, space-separated.
    pub rua: String,
    /// The RFC 5322 From domain.
    pub header_from: String,
    /// The domain SPF checked (MAIL FROM, or HELO for the null sender).
    pub envelope_from: String,
    /// SPF's result.
    pub spf: Outcome,
    /// Each DKIM signature: `d=`, `s=` and its result.
    pub dkim: Vec<(String, String, Outcome)>,
    /// DMARC's DKIM result passed: a signature of an aligned domain verified.
    pub dkim_aligned: bool,
    /// DMARC's SPF result passed: SPF passed for an aligned domain.
    pub spf_aligned: bool,
}

impl Facts {
    /// The DKIM signatures as `domain selector result` entries separated by commas.
    pub fn dkim_text(&self) -> String {
        self.dkim
            .iter()
            .map(|(d, s, o)| format!("{} {} {}", word(d), word(s), o.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `s` as one word: what is not printable ASCII or is a space or comma becomes `_`, at most
/// 255 characters.
fn word(s: &str) -> String {
    s.chars()
        .take(255)
        .map(|c| match c {
            '!'..='~' if c != ',' => c,
            _ => '_',
        })
        .collect()
}

/// The facts of a message whose DMARC result is `dmarc`, when its record asks for aggregate
/// reports; `envelope_from` is the domain SPF checked.
pub(crate) fn facts(
    ip: IpAddr,
    dmarc: &DmarcOutput,
    dkim: &[DkimOutput],
    spf: Outcome,
    header_from: &str,
    envelope_from: &str,
) -> Option<Facts> {
    let record = dmarc.dmarc_record().filter(|r| !r.rua.is_empty())?;
    let rua = record
        .rua
        .iter()
        .map(|u| match u.max_size {
            0 => word(&u.uri),
            n => format!("{}!{n}", word(&u.uri)),
        })
        .collect::<Vec<_>>()
        .join(" ");
    Some(Facts {
        ip,
        domain: dmarc.domain().to_ascii_lowercase(),
        policy: policy_text(record),
        rua,
        header_from: header_from.to_ascii_lowercase(),
        envelope_from: envelope_from.to_ascii_lowercase(),
        spf,
        dkim: dkim
            .iter()
            .filter_map(|o| {
                let s = o.signature()?;
                Some((
                    s.d.to_ascii_lowercase(),
                    s.s.clone(),
                    dkim_outcome(o.result()),
                ))
            })
            .collect(),
        dkim_aligned: dmarc.dkim_result() == &DmarcResult::Pass,
        spf_aligned: dmarc.spf_result() == &DmarcResult::Pass,
    })
}

fn dkim_outcome(r: &DkimResult) -> Outcome {
    match r {
        DkimResult::Pass => Outcome::Pass,
        DkimResult::Neutral(_) => Outcome::Neutral,
        DkimResult::Fail(_) => Outcome::Fail,
        DkimResult::PermError(_) => Outcome::PermError,
        DkimResult::TempError(_) => Outcome::TempError,
        DkimResult::None => Outcome::None,
    }
}

/// A record's policy as short text: `p=… sp=… np=… adkim=r|s aspf=r|s t=y|n`.
pub fn policy_text(r: &Dmarc) -> String {
    let p = |p: Policy| match p {
        Policy::None | Policy::Unspecified => "none",
        Policy::Quarantine => "quarantine",
        Policy::Reject => "reject",
    };
    let a = |a: Alignment| match a {
        Alignment::Relaxed => "r",
        Alignment::Strict => "s",
    };
    format!(
        "p={} sp={} np={} adkim={} aspf={} t={}",
        p(r.p),
        p(r.sp),
        p(r.np),
        a(r.adkim),
        a(r.aspf),
        if r.t { "y" } else { "n" }
    )
}

/// The value of `tag` in a policy text, if present.
pub fn policy_tag<'a>(policy: &'a str, tag: &str) -> Option<&'a str> {
    policy
        .split_whitespace()
        .filter_map(|t| t.split_once('='))
        .find(|(k, _)| *k == tag)
        .map(|(_, v)| v)
}
/// The TLS report types (RFC 8460) and their message form, for the outbound TLS reporter.
pub use mail_auth::report::tlsrpt;
