//! Authentication of arriving mail in one pass: SPF (RFC 7208) for the MAIL FROM identity (the
//! HELO identity for the null sender), every DKIM signature (RFC 6376), the ARC chain
//! (RFC 8617), DMARC (RFC 7489) from those, and reverse DNS of the connecting IP (RFC 8601
//! `iprev`: a PTR name that resolves back to the IP), all through the server's resolver, with
//! mail-auth doing the protocol work.
//!
//! The result is given in this crate's own terms ([`Outcome`], [`AuthReport`]) so callers need
//! not know mail-auth, plus the `Authentication-Results` header (RFC 8601) reporting it.
//! With a sealer (the key of a hosted domain passing the message on), the results are also
//! sealed with ARC (RFC 8617): the new set's instance follows the message's chain, and a chain
//! that already failed is not sealed (§5.1.1).
//!
//! Invariants: a message that cannot be parsed still gets its SPF and reverse-DNS results
//! (they do not read it); its DKIM, ARC and DMARC results are `none` and it is not sealed. At
//! most [`MAX_DKIM_SIGNATURES`] signatures are verified, whatever the sender puts in.

use std::net::IpAddr;

use mail_auth::common::headers::HeaderWriter;
use mail_auth::dmarc::Policy;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{
    AuthenticatedMessage, AuthenticationResults, DkimResult, DmarcResult, IprevResult,
    MessageAuthenticator, SpfResult,
};

use crate::dkim::Signer;
use crate::dns::Dns;

/// DKIM signatures verified per message; further ones are left out (each costs a DNS lookup
/// and a hash of the message, and the sender chooses how many there are).
pub const MAX_DKIM_SIGNATURES: usize = 10;

/// Who handed a message over, as the checks need it.
#[derive(Clone, Copy, Debug)]
pub struct Inbound<'a> {
    /// The IP the message is judged by.
    pub ip: IpAddr,
    /// The EHLO/HELO name.
    pub helo: &'a str,
    /// The MAIL FROM address, empty for the null sender.
    pub sender: &'a str,
    /// This server's host name (the authserv-id of the results).
    pub hostname: &'a str,
}

/// One check's result, in the words of RFC 8601 §2.7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    TempError,
    PermError,
}

impl Outcome {
    /// The result's name in Authentication-Results.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::SoftFail => "softfail",
            Outcome::Neutral => "neutral",
            Outcome::None => "none",
            Outcome::TempError => "temperror",
            Outcome::PermError => "permerror",
        }
    }
}

/// The From domain's DMARC policy (RFC 7489 §6.3), as it applies to this message's domain
/// (`sp=` for a subdomain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmarcPolicy {
    None,
    Quarantine,
    Reject,
}

/// Everything the authentication checks found.
#[derive(Clone, Debug)]
pub struct AuthReport {
    /// SPF of the MAIL FROM identity (of HELO for the null sender).
    pub spf: Outcome,
    /// One entry per DKIM signature: its `d=` domain and result.
    pub dkim: Vec<(String, Outcome)>,
    /// The ARC chain's validation (`none` when the message has none).
    pub arc: Outcome,
    /// DMARC for the From domain.
    pub dmarc: Outcome,
    /// The From domain's policy.
    pub dmarc_policy: DmarcPolicy,
    /// The From domain DMARC judged (empty when there is none).
    pub dmarc_domain: String,
    /// Reverse DNS of the IP.
    pub iprev: Outcome,
    /// The `Authentication-Results` header line, with CRLF.
    pub header: String,
    /// The ARC set (three header lines, with CRLFs) sealing these results, when a sealer was
    /// given and the chain may be sealed (not already failed, RFC 8617 §5.1.1).
    pub arc_seal: Option<String>,
    /// What the message adds to the From domain's DMARC aggregate report, when its record
    /// asks for reports (`rua=`).
    pub dmarc_facts: Option<crate::report::Facts>,
}

/// Run every authentication check of `message` handed over by `from`; with `sealer` (the
/// key of a domain that passes the message on), also seal the results with ARC.
pub async fn authenticate(
    dns: &Dns,
    from: &Inbound<'_>,
    message: &[u8],
    sealer: Option<&Signer>,
) -> AuthReport {
    let auth = MessageAuthenticator(dns.resolver().clone());
    let helo = if from.helo.is_empty() {
        from.hostname
    } else {
        from.helo
    };
    let spf = if from.sender.is_empty() {
        auth.verify_spf(SpfParameters::verify_ehlo(from.ip, helo, from.hostname))
            .await
    } else {
        auth.verify_spf(SpfParameters::verify_mail_from(
            from.ip,
            helo,
            from.hostname,
            from.sender,
        ))
        .await
    };
    let iprev = auth.verify_iprev(from.ip).await;
    let results = AuthenticationResults::new(from.hostname);
    let mut report = AuthReport {
        spf: spf_outcome(spf.result()),
        dkim: Vec::new(),
        arc: Outcome::None,
        dmarc: Outcome::None,
        dmarc_policy: DmarcPolicy::None,
        dmarc_domain: String::new(),
        iprev: iprev_outcome(&iprev.result),
        header: String::new(),
        arc_seal: None,
        dmarc_facts: None,
    };
    let trimmed = without_extra_signatures(message);
    let message = trimmed.as_deref().unwrap_or(message);
    // A seal must cover the message as it leaves, not the trimmed copy.
    let sealer = sealer.filter(|_| trimmed.is_none());
    let Some(parsed) = AuthenticatedMessage::parse(message) else {
        report.header = spf_results(results, &spf, from, helo)
            .with_iprev_result(&iprev, from.ip)
            .to_header();
        return report;
    };
    let dkim = auth.verify_dkim(&parsed).await;
    let arc = auth.verify_arc(&parsed).await;
    let mail_from_domain = from.sender.rsplit_once('@').map_or(helo, |(_, d)| d);
    let dmarc = auth
        .verify_dmarc(DmarcParameters {
            message: &parsed,
            dkim_output: &dkim,
            dkim2_output: None,
            rfc5321_mail_from_domain: mail_from_domain,
            spf_output: &spf,
        })
        .await;
    let header_from = parsed.from().rsplit_once('@').map_or("", |(_, d)| d);
    report.dkim = dkim
        .iter()
        .map(|o| {
            let d = o.signature().map(|s| s.d.clone()).unwrap_or_default();
            (d, dkim_outcome(o.result()))
        })
        .collect();
    report.arc = dkim_outcome(arc.result());
    report.dmarc = dmarc_outcome(&dmarc);
    report.dmarc_policy = match dmarc.policy() {
        Policy::Reject => DmarcPolicy::Reject,
        Policy::Quarantine => DmarcPolicy::Quarantine,
        Policy::None | Policy::Unspecified => DmarcPolicy::None,
    };
    report.dmarc_domain = dmarc.domain().to_owned();
    report.dmarc_facts = crate::report::facts(
        from.ip,
        &dmarc,
        &dkim,
        report.spf,
        header_from,
        mail_from_domain,
    );
    let mut results = results.with_dkim_results(&dkim, header_from);
    results = spf_results(results, &spf, from, helo);
    if arc.result() != &DkimResult::None {
        results = results.with_arc_result(&arc, from.ip);
    }
    if !dmarc.domain().is_empty() {
        results = results.with_dmarc_result(&dmarc);
    }
    results = results.with_iprev_result(&iprev, from.ip);
    if let Some(s) = sealer.filter(|_| arc.can_be_sealed()) {
        match s.arc_seal(message, &parsed, &results, &arc) {
            Ok(set) => report.arc_seal = Some(set),
            Err(e) => tracing::warn!(target: "smtp", "ARC sealing as {} failed: {e}", s.domain()),
        }
    }
    report.header = results.to_header();
    report
}

/// `message` without the DKIM-Signature fields after the first [`MAX_DKIM_SIGNATURES`], or
/// `None` when it has no more than that.
fn without_extra_signatures(message: &[u8]) -> Option<Vec<u8>> {
    let extra: Vec<std::ops::Range<usize>> = heron_message::fields(message)
        .filter(|f| f.is("DKIM-Signature"))
        .skip(MAX_DKIM_SIGNATURES)
        .map(|f| f.range)
        .collect();
    if extra.is_empty() {
        return None;
    }
    tracing::info!(target: "smtp", "{} DKIM signatures beyond the first {MAX_DKIM_SIGNATURES} not verified", extra.len());
    let mut out = Vec::with_capacity(message.len());
    let mut at = 0;
    for r in extra {
        out.extend_from_slice(&message[at..r.start]);
        at = r.end;
    }
    out.extend_from_slice(&message[at..]);
    Some(out)
}

/// The SPF part of the results, for the identity that was checked.
fn spf_results<'x>(
    results: AuthenticationResults<'x>,
    spf: &mail_auth::SpfOutput,
    from: &Inbound<'_>,
    helo: &str,
) -> AuthenticationResults<'x> {
    if from.sender.is_empty() {
        results.with_spf_ehlo_result(spf, from.ip, helo)
    } else {
        results.with_spf_mailfrom_result(spf, from.ip, from.sender, helo)
    }
}

fn spf_outcome(r: SpfResult) -> Outcome {
    match r {
        SpfResult::Pass => Outcome::Pass,
        SpfResult::Fail => Outcome::Fail,
        SpfResult::SoftFail => Outcome::SoftFail,
        SpfResult::Neutral => Outcome::Neutral,
        SpfResult::TempError => Outcome::TempError,
        SpfResult::PermError => Outcome::PermError,
        SpfResult::None => Outcome::None,
    }
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

fn iprev_outcome(r: &IprevResult) -> Outcome {
    match r {
        IprevResult::Pass => Outcome::Pass,
        IprevResult::Fail(_) => Outcome::Fail,
        IprevResult::TempError(_) => Outcome::TempError,
        IprevResult::PermError(_) => Outcome::PermError,
        IprevResult::None => Outcome::None,
    }
}

/// DMARC passes when either identifier passes aligned (RFC 7489 §4.2); without a record
/// the result is `none`.
fn dmarc_outcome(d: &mail_auth::DmarcOutput) -> Outcome {
    let one = |r: &DmarcResult| match r {
        DmarcResult::Pass => Outcome::Pass,
        DmarcResult::Fail(_) => Outcome::Fail,
        DmarcResult::TempError(_) => Outcome::TempError,
        DmarcResult::PermError(_) => Outcome::PermError,
        DmarcResult::None => Outcome::None,
    };
    let (spf, dkim) = (one(d.spf_result()), one(d.dkim_result()));
    if spf == Outcome::Pass || dkim == Outcome::Pass {
        Outcome::Pass
    } else if spf == Outcome::Fail || dkim == Outcome::Fail {
        Outcome::Fail
    } else if spf == Outcome::TempError || dkim == Outcome::TempError {
        Outcome::TempError
    } else if spf == Outcome::PermError || dkim == Outcome::PermError {
        Outcome::PermError
    } else {
        Outcome::None
    }
}

/// Whether `sender` (a non-empty reverse-path) passes SPF for `ip` (RFC 7208), the SPF check
/// alone, for decisions taken before the message arrives (greylisting's sender bypass).
pub async fn spf_passes(dns: &Dns, ip: IpAddr, helo: &str, hostname: &str, sender: &str) -> bool {
    let auth = MessageAuthenticator(dns.resolver().clone());
    let helo = if helo.is_empty() { hostname } else { helo };
    let spf = auth
        .verify_spf(SpfParameters::verify_mail_from(ip, helo, hostname, sender))
        .await;
    spf.result() == SpfResult::Pass
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn signatures_beyond_the_limit_are_left_out() {
        let mut m = String::from("From: a@b.test\r\n");
        for i in 0..MAX_DKIM_SIGNATURES + 3 {
            m.push_str(&format!("DKIM-Signature: v=1; d=d{i}.test;\r\n b=x\r\n"));
        }
        m.push_str("Subject: s\r\n\r\nbody\r\n");
        let out = without_extra_signatures(m.as_bytes()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("DKIM-Signature").count(), MAX_DKIM_SIGNATURES);
        assert!(text.contains("d=d9.test") && !text.contains("d=d10.test"));
        assert!(text.ends_with("Subject: s\r\n\r\nbody\r\n"));
        assert!(without_extra_signatures(b"From: a@b\r\n\r\nx").is_none());
    }
}
