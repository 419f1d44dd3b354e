//! The authentication checks' weights (FILTER-2): SPF with one weight per result, a DKIM
//! signature that fails, DMARC not met, an ARC chain that fails, and reverse DNS (no PTR
//! name, or one that does not resolve back). The lookups themselves are
//! `heron_mailauth::inbound`'s; this module turns their results into hits, the
//! Authentication-Results line and, when `filter.dmarc_enforce` is on, the DMARC disposition.
//!
//! Invariant: temporary DNS failures in these checks weigh only as the administrator set for
//! `temperror` (default 0); nothing here refuses mail by itself except an enforced DMARC
//! `p=reject`, and that only for a DMARC `fail` (not for `temperror`).

use heron_mailauth::inbound::{self, AuthReport, DmarcPolicy, Inbound, Outcome};
use heron_settings::{Settings, defs};

use crate::pipeline::Ctx;
use crate::verdict::{DmarcDisposition, Verdict};

/// Authenticate the message and weigh the results.
pub async fn check(ctx: &Ctx<'_>) -> Verdict {
    let Some(dns) = ctx.dns.as_ref() else {
        let mut v = Verdict::default();
        v.unanswered("authentication", "no resolver");
        return v;
    };
    let from = Inbound {
        ip: ctx.ip,
        helo: ctx.env.helo,
        sender: ctx.env.sender,
        hostname: ctx.env.hostname,
    };
    let report = inbound::authenticate(dns, &from, ctx.message, ctx.env.seal.as_deref()).await;
    let mut v = weigh(&report, ctx.settings);
    v.arc_seal = report.arc_seal;
    v.dmarc_facts = report.dmarc_facts;
    v
}

/// The verdict of an authentication report under `settings`.
pub fn weigh(r: &AuthReport, settings: &Settings) -> Verdict {
    let mut v = Verdict {
        authentication_results: Some(r.header.clone()),
        spf_pass: r.spf == Outcome::Pass,
        ..Default::default()
    };
    let spf_weight = settings.get(match r.spf {
        Outcome::Pass => defs::FILTER_SPF_PASS,
        Outcome::Fail => defs::FILTER_SPF_FAIL,
        Outcome::SoftFail => defs::FILTER_SPF_SOFTFAIL,
        Outcome::Neutral => defs::FILTER_SPF_NEUTRAL,
        Outcome::PermError => defs::FILTER_SPF_PERMERROR,
        Outcome::TempError => defs::FILTER_SPF_TEMPERROR,
        Outcome::None => defs::FILTER_SPF_NONE,
    });
    v.add(
        format!("spf-{}", r.spf.name()),
        spf_weight,
        format!("SPF {}", r.spf.name()),
    );
    if let Some((domain, outcome)) = r
        .dkim
        .iter()
        .find(|(_, o)| matches!(o, Outcome::Fail | Outcome::PermError | Outcome::Neutral))
        && !r.dkim.iter().any(|(_, o)| *o == Outcome::Pass)
    {
        v.add(
            "dkim-fail",
            settings.get(defs::FILTER_DKIM_FAIL),
            format!("DKIM signature of {domain}: {}", outcome.name()),
        );
    }
    if r.dmarc == Outcome::Fail {
        v.add(
            "dmarc-fail",
            settings.get(defs::FILTER_DMARC_FAIL),
            format!("DMARC not met for {}", r.dmarc_domain),
        );
        if settings.get(defs::FILTER_DMARC_ENFORCE) {
            v.dmarc = match r.dmarc_policy {
                DmarcPolicy::Reject => DmarcDisposition::Reject,
                DmarcPolicy::Quarantine => DmarcDisposition::Quarantine,
                DmarcPolicy::None => DmarcDisposition::None,
            };
        }
    }
    if matches!(r.arc, Outcome::Fail | Outcome::PermError) {
        v.add(
            "arc-fail",
            settings.get(defs::FILTER_ARC_FAIL),
            "ARC chain does not verify",
        );
    }
    if matches!(r.iprev, Outcome::Fail | Outcome::PermError) {
        v.add(
            "reverse-dns",
            settings.get(defs::FILTER_REVERSE_DNS),
            format!("reverse DNS {}", r.iprev.name()),
        );
    }
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn report(spf: Outcome, dmarc: Outcome, policy: DmarcPolicy, iprev: Outcome) -> AuthReport {
        AuthReport {
            spf,
            dkim: vec![],
            arc: Outcome::None,
            dmarc,
            dmarc_policy: policy,
            dmarc_domain: "example.com".into(),
            iprev,
            header: "Authentication-Results: mx; spf=fail\r\n".into(),
            arc_seal: None,
            dmarc_facts: None,
        }
    }

    #[tokio::test]
    async fn spf_results_weigh_as_set_and_dmarc_is_enforced_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let store: std::sync::Arc<dyn heron_store::Store> =
            std::sync::Arc::new(heron_store::SqliteStore::open(dir.path()).unwrap());
        let s = Settings::load(store).await.unwrap();
        let r = report(
            Outcome::Fail,
            Outcome::Fail,
            DmarcPolicy::Reject,
            Outcome::Fail,
        );
        let v = weigh(&r, &s);
        assert_eq!(v.weight(), 10 + 10 + 3);
        assert_eq!(v.dmarc, DmarcDisposition::None);
        s.set("filter.dmarc_enforce", "true").await.unwrap();
        assert_eq!(weigh(&r, &s).dmarc, DmarcDisposition::Reject);
        s.set("filter.spf_pass", "-4").await.unwrap();
        let pass = report(
            Outcome::Pass,
            Outcome::Pass,
            DmarcPolicy::Reject,
            Outcome::Pass,
        );
        let v = weigh(&pass, &s);
        assert_eq!(v.weight(), -4);
        assert_eq!(v.dmarc, DmarcDisposition::None);
    }
}
