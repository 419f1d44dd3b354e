//! `heron dns DOMAIN`: every DNS record a hosted domain should publish (MX, SPF, DKIM, DMARC,
//! MTA-STS, TLS-RPT, autoconfig/autodiscover, RFC 6186 SRV, TLSA), as zone-file lines, each
//! looked up through the configured resolver (`dns.servers`) and marked present, missing or
//! different. Exits 0 whatever the DNS says; `--no-check` only prints the records.

use crate::out::outln;
use heron_setup::check::Status;

/// Print a domain's records and what the DNS says of them.
pub async fn run(at: &super::Location, domain: &str, no_check: bool) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    let d = o.dir.domain(domain).await?;
    let dkim = o.dir.store().get_dkim_key(&d.name).await?;
    let r = heron_setup::report::report(&o.settings, &d, dkim.as_ref(), &at.data, !no_check).await;
    outln!("; DNS records for {} (mail host {})", r.domain, r.host);
    for e in &r.records {
        let c = &e.checked;
        outln!("; {}", c.record.purpose);
        if r.checked {
            let mut note = c.status.as_str().to_owned();
            if c.status == Status::Different && !c.found.is_empty() {
                note.push_str(&format!(" (published: {})", c.found.join(" | ")));
            }
            if let Some(err) = &c.error {
                note.push_str(&format!(" ({err})"));
            }
            outln!("{}\t; {note}", e.zone);
        } else {
            outln!("{}", e.zone);
        }
    }
    for p in &r.problems {
        outln!("; note: {p}");
    }
    if r.checked {
        outln!(
            "; {} present, {} missing, {} different, {} not checked (lookup failed)",
            r.count(Status::Present),
            r.count(Status::Missing),
            r.count(Status::Different),
            r.count(Status::Error)
        );
    }
    Ok(())
}
