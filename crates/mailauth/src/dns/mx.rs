//! The pure half of mail routing (RFC 5321 §5.1): reading an MX answer (null MX, RFC 7505),
//! ordering hosts by preference with equal preferences shuffled, dropping ourselves and every
//! less preferred host, and turning per-host address lookups into a [`Destination`].
//!
//! Invariants: no lookup happens here; the order of hosts in a [`Destination`] is the order
//! they must be tried in; a host whose address lookup failed is never in it.

use std::net::IpAddr;

use rand::Rng;
use rand::seq::SliceRandom;
use tracing::info;

use super::{Destination, DnsError, Host, MxAnswer, MxHost};

/// At most this many MX hosts are resolved and tried; more only cost lookups.
pub const MAX_MX_HOSTS: usize = 10;

/// A host name as routing compares it: ASCII, lower case, no trailing dot; the root is `""`.
pub(crate) fn normalize_host(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Reads the MX records of a domain (hosts already normalized; `""` is the root `.`).
///
/// RFC 7505 §3: a single MX naming the root is a null MX: the domain takes no mail. Root
/// entries mixed with real ones are dropped (they name no host). Hosts come back sorted by
/// preference, then name, without duplicates.
pub(crate) fn read_mx(mut records: Vec<MxHost>) -> MxAnswer {
    if records.is_empty() {
        return MxAnswer::NoRecords;
    }
    records.retain(|r| !r.host.is_empty());
    if records.is_empty() {
        return MxAnswer::NullMx;
    }
    records.sort_by(|a, b| (a.preference, &a.host).cmp(&(b.preference, &b.host)));
    records.dedup_by(|a, b| a.host == b.host);
    MxAnswer::Hosts(records)
}

/// RFC 5321 §5.1: hosts of equal preference are tried in random order ("the sender-SMTP
/// MUST randomize them to spread the load"). `hosts` must be sorted by preference.
pub(crate) fn shuffle_equal<R: Rng>(hosts: &mut [MxHost], rng: &mut R) {
    let mut start = 0;
    while start < hosts.len() {
        let pref = hosts[start].preference;
        let end = hosts[start..]
            .iter()
            .position(|h| h.preference != pref)
            .map_or(hosts.len(), |n| start + n);
        hosts[start..end].shuffle(rng);
        start = end;
    }
}

/// An MX host and the outcome of looking up its addresses.
pub(crate) type Resolved = (MxHost, Result<Vec<IpAddr>, DnsError>);

/// RFC 5321 §5.1: "if the SMTP client finds its own name in the list, it MUST discard all MX
/// records with the same or higher preference value". Returns the hosts left and whether any
/// were dropped for that reason.
pub(crate) fn prune_own(hosts: Vec<Resolved>, own_ips: &[IpAddr]) -> (Vec<Resolved>, bool) {
    let ours = hosts
        .iter()
        .filter(|(_, addrs)| {
            addrs
                .as_ref()
                .is_ok_and(|a| a.iter().any(|ip| own_ips.contains(ip)))
        })
        .map(|(mx, _)| mx.preference)
        .min();
    match ours {
        Some(limit) => {
            let kept = hosts
                .into_iter()
                .filter(|(mx, _)| mx.preference < limit)
                .collect();
            (kept, true)
        }
        None => (hosts, false),
    }
}

/// Builds the destination of `domain` from its resolved MX hosts, in order.
///
/// Hosts whose lookup failed are skipped; if none is left, the error of the last failure is
/// returned, or NotFound when only our own hosts were listed (the mail would loop).
pub(crate) fn assemble(
    domain: &str,
    hosts: Vec<Resolved>,
    own_ips: &[IpAddr],
) -> Result<Destination, DnsError> {
    let (hosts, looped) = prune_own(hosts, own_ips);
    let mut out = Vec::with_capacity(hosts.len());
    let mut last_err = None;
    for (mx, addrs) in hosts {
        match addrs {
            Ok(addrs) if !addrs.is_empty() => out.push(Host {
                name: mx.host,
                addrs,
            }),
            Ok(_) => {
                last_err = Some(DnsError::NotFound(format!("{}: no addresses", mx.host)));
            }
            Err(e) => {
                info!(target: "delivery", domain, host = %mx.host, error = %e, "MX host skipped");
                last_err = Some(e);
            }
        }
    }
    if !out.is_empty() {
        return Ok(Destination::Hosts(out));
    }
    Err(match last_err {
        Some(e) => e,
        None if looped => DnsError::NotFound(format!(
            "mail for {domain} loops back to myself (we are its best MX)"
        )),
        None => DnsError::NotFound(format!("{domain}: no mail hosts")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::collections::HashSet;

    fn mx(preference: u16, host: &str) -> MxHost {
        MxHost {
            preference,
            host: host.to_owned(),
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test IP")
    }

    fn names(d: &Destination) -> Vec<&str> {
        match d {
            Destination::Hosts(h) => h.iter().map(|h| h.name.as_str()).collect(),
            Destination::NullMx => vec!["<null>"],
        }
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize_host("MX1.Example.COM."), "mx1.example.com");
        assert_eq!(normalize_host("."), "");
    }

    #[test]
    fn null_mx_and_empty_answers() {
        assert_eq!(read_mx(vec![]), MxAnswer::NoRecords);
        assert_eq!(read_mx(vec![mx(0, "")]), MxAnswer::NullMx);
        // A root entry beside real hosts names nothing and is dropped.
        assert_eq!(
            read_mx(vec![mx(0, ""), mx(10, "mx.a.test")]),
            MxAnswer::Hosts(vec![mx(10, "mx.a.test")])
        );
    }

    #[test]
    fn sorts_by_preference_and_dedups() {
        let got = read_mx(vec![
            mx(20, "b.test"),
            mx(10, "c.test"),
            mx(5, "a.test"),
            mx(10, "c.test"),
        ]);
        assert_eq!(
            got,
            MxAnswer::Hosts(vec![mx(5, "a.test"), mx(10, "c.test"), mx(20, "b.test")])
        );
    }

    #[test]
    fn shuffles_only_within_equal_preferences() {
        let base = vec![
            mx(5, "first.test"),
            mx(10, "x.test"),
            mx(10, "y.test"),
            mx(10, "z.test"),
            mx(20, "last.test"),
        ];
        let mut orders = HashSet::new();
        for seed in 0..200 {
            let mut hosts = base.clone();
            shuffle_equal(&mut hosts, &mut StdRng::seed_from_u64(seed));
            assert_eq!(hosts[0].host, "first.test");
            assert_eq!(hosts[4].host, "last.test");
            let middle: Vec<_> = hosts[1..4].iter().map(|h| h.host.clone()).collect();
            let set: HashSet<_> = middle.iter().cloned().collect();
            assert_eq!(set.len(), 3);
            orders.insert(middle);
        }
        // All 3! orders of the equal-preference hosts show up.
        assert_eq!(orders.len(), 6);
    }

    #[test]
    fn drops_own_host_and_less_preferred() {
        let own = [ip("192.0.2.99")];
        let hosts = vec![
            (mx(10, "primary.test"), Ok(vec![ip("192.0.2.1")])),
            (mx(20, "backup.test"), Ok(vec![ip("192.0.2.99")])),
            (mx(20, "other-backup.test"), Ok(vec![ip("192.0.2.3")])),
            (mx(30, "tertiary.test"), Ok(vec![ip("192.0.2.4")])),
        ];
        let d = assemble("a.test", hosts, &own).expect("primary remains");
        assert_eq!(names(&d), ["primary.test"]);
    }

    #[test]
    fn best_mx_is_us_means_loop() {
        let own = [ip("2001:db8::25")];
        let hosts = vec![
            (
                mx(10, "us.test"),
                Ok(vec![ip("192.0.2.1"), ip("2001:db8::25")]),
            ),
            (mx(20, "backup.test"), Ok(vec![ip("192.0.2.3")])),
        ];
        let err = assemble("a.test", hosts, &own).expect_err("loop");
        assert!(err.is_not_found());
        assert!(err.to_string().contains("loops back"), "{err}");
    }

    #[test]
    fn failed_hosts_are_skipped() {
        let hosts = vec![
            (
                mx(10, "broken.test"),
                Err(DnsError::Temporary("A broken.test: timed out".into())),
            ),
            (mx(20, "good.test"), Ok(vec![ip("192.0.2.2")])),
        ];
        let d = assemble("a.test", hosts, &[]).expect("good host");
        assert_eq!(names(&d), ["good.test"]);
        match d {
            Destination::Hosts(h) => assert_eq!(h[0].addrs, [ip("192.0.2.2")]),
            Destination::NullMx => panic!("not null MX"),
        }
    }

    #[test]
    fn all_failed_gives_last_error_kind() {
        let hosts = vec![
            (mx(10, "gone.test"), Err(DnsError::NotFound("gone".into()))),
            (mx(20, "slow.test"), Err(DnsError::Temporary("slow".into()))),
        ];
        assert_eq!(
            assemble("a.test", hosts, &[]),
            Err(DnsError::Temporary("slow".into()))
        );
        let hosts = vec![
            (mx(10, "slow.test"), Err(DnsError::Temporary("slow".into()))),
            (mx(20, "gone.test"), Err(DnsError::NotFound("gone".into()))),
        ];
        assert_eq!(
            assemble("a.test", hosts, &[]),
            Err(DnsError::NotFound("gone".into()))
        );
    }
}
