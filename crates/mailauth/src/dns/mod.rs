//! DNS for mail: MX, address and TXT lookups through one resolver built from the
//! configured DNS servers ([`SharedDns`] follows the configuration), and [`Dns::destination`], the RFC 5321 §5.1 list of hosts to try
//! for a mail domain.
//!
//! Invariants: names are looked up as fully qualified (no search domains, RFC 5321 §5.1);
//! a lookup error is either [`DnsError::NotFound`] (the name or its records do not exist) or
//! [`DnsError::Temporary`]; the pure routing rules live in `mx` and never do lookups.

mod config;
mod error;
mod mx;
mod shared;

use std::net::IpAddr;

use hickory_resolver::TokioResolver;
use hickory_resolver::net::NetError;
use hickory_resolver::proto::rr::{Name, RData};

pub use config::{ATTEMPTS, TIMEOUT};
pub use error::DnsError;
pub use mx::MAX_MX_HOSTS;
pub use shared::{DnsConfig, SharedDns};

use error::{Failure, classify};

/// The resolver used for mail routing. Cheap to clone (the cache is shared).
#[derive(Clone, Debug)]
pub struct Dns {
    resolver: TokioResolver,
}

/// One MX record: its preference (lower is tried first) and the host it names, in lower
/// case without the trailing dot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MxHost {
    /// RFC 5321 §5.1 preference; lower values are more preferred.
    pub preference: u16,
    /// The exchange host name.
    pub host: String,
}

/// The MX records of a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MxAnswer {
    /// The hosts, sorted by preference (then name).
    Hosts(Vec<MxHost>),
    /// RFC 7505 null MX: the domain accepts no mail.
    NullMx,
    /// The domain exists but has no MX records.
    NoRecords,
}

/// A host to deliver to, with its addresses (IPv4 first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// The host name (or the address itself for an address literal).
    pub name: String,
    /// Its addresses, never empty.
    pub addrs: Vec<IpAddr>,
}

/// Where mail for a domain goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// The hosts to try, in order; never empty.
    Hosts(Vec<Host>),
    /// RFC 7505: the domain declares it takes no mail; bounce without trying.
    NullMx,
}

impl Dns {
    /// A resolver querying `servers` (entries `IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6
    /// address), or the system's resolv.conf when `servers` is empty. `cache = false` turns
    /// the answer cache off (every lookup asks the server).
    pub fn new(servers: &[String], cache: bool) -> Result<Dns, DnsError> {
        Ok(Dns {
            resolver: config::build(servers, cache)?,
        })
    }

    /// The underlying resolver, for other lookups (PTR, RBL, DKIM keys).
    pub fn resolver(&self) -> &TokioResolver {
        &self.resolver
    }

    /// The MX records of `domain`. NXDOMAIN is [`DnsError::NotFound`]; a domain without MX
    /// records is `Ok(MxAnswer::NoRecords)`.
    pub async fn mx(&self, domain: &str) -> Result<MxAnswer, DnsError> {
        let name = fqdn(domain)?;
        match self.resolver.mx_lookup(name).await {
            Ok(lookup) => {
                let records = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::MX(mx) => Some(MxHost {
                            preference: mx.preference,
                            host: mx::normalize_host(&mx.exchange.to_ascii()),
                        }),
                        _ => None,
                    })
                    .collect();
                Ok(mx::read_mx(records))
            }
            Err(e) => match classify(&e) {
                Failure::NoData => Ok(MxAnswer::NoRecords),
                f => Err(f.into_error(&format!("MX {domain}"))),
            },
        }
    }

    /// The A and AAAA addresses of `host`, IPv4 first. An IP address (bare or in brackets)
    /// is returned as is. NotFound when neither record type exists.
    pub async fn ips(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        if let Some(ip) = address_literal(host) {
            return Ok(vec![ip]);
        }
        let name = fqdn(host)?;
        let (v4, v6) = futures::join!(
            self.resolver.ipv4_lookup(name.clone()),
            self.resolver.ipv6_lookup(name)
        );
        combine_ips(addrs_of(v4), addrs_of(v6)).map_err(|f| f.into_error(&format!("A/AAAA {host}")))
    }

    /// The TXT records of `name`, each one's strings concatenated (RFC 7208 §3.3).
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        let what = format!("TXT {name}");
        let lookup = self
            .resolver
            .txt_lookup(fqdn(name)?)
            .await
            .map_err(|e| classify(&e).into_error(&what))?;
        let texts: Vec<String> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(txt) => {
                    Some(String::from_utf8_lossy(&txt.txt_data.concat()).into_owned())
                }
                _ => None,
            })
            .collect();
        if texts.is_empty() {
            return Err(Failure::NoData.into_error(&what));
        }
        Ok(texts)
    }

    /// RFC 5321 §5.1: the hosts to try for mail to `domain`, in order.
    ///
    /// MX hosts by preference (equal preferences shuffled, at most [`MAX_MX_HOSTS`]), each
    /// with its addresses; without MX records the domain itself (implicit MX); a null MX
    /// (RFC 7505) gives [`Destination::NullMx`]. A host with an address in `own_ips` is us:
    /// it and every host of equal or higher preference are dropped. Hosts whose lookup fails
    /// are skipped; when none is left the last failure's kind is returned.
    pub async fn destination(
        &self,
        domain: &str,
        own_ips: &[IpAddr],
    ) -> Result<Destination, DnsError> {
        let domain = mx::normalize_host(domain.trim());
        if let Some(ip) = address_literal(&domain) {
            // RFC 5321 §4.1.3: an address literal names the host directly.
            let host = MxHost {
                preference: 0,
                host: ip.to_string(),
            };
            return mx::assemble(&domain, vec![(host, Ok(vec![ip]))], own_ips);
        }
        let hosts = match self.mx(&domain).await? {
            MxAnswer::NullMx => return Ok(Destination::NullMx),
            MxAnswer::NoRecords => {
                // RFC 5321 §5.1: no MX records: the domain is its own mail host.
                let implicit = MxHost {
                    preference: 0,
                    host: domain.clone(),
                };
                let addrs = self.ips(&domain).await.map_err(|e| match e {
                    DnsError::NotFound(_) => {
                        DnsError::NotFound(format!("{domain}: no MX and no A/AAAA records"))
                    }
                    other => other,
                });
                return mx::assemble(&domain, vec![(implicit, addrs)], own_ips);
            }
            MxAnswer::Hosts(mut hosts) => {
                mx::shuffle_equal(&mut hosts, &mut rand::thread_rng());
                hosts.truncate(MAX_MX_HOSTS);
                hosts
            }
        };
        let resolved = self.resolve_all(hosts).await;
        mx::assemble(&domain, resolved, own_ips)
    }

    /// Looks up the addresses of every host concurrently, keeping the hosts' order.
    async fn resolve_all(&self, hosts: Vec<MxHost>) -> Vec<mx::Resolved> {
        let lookups = hosts.iter().map(|host| self.ips(&host.host));
        let results = futures::future::join_all(lookups).await;
        hosts.into_iter().zip(results).collect()
    }
}

/// `name` as an absolute DNS name (IDNA applied), or NotFound if it cannot be one.
fn fqdn(name: &str) -> Result<Name, DnsError> {
    let trimmed = name.trim().trim_end_matches('.');
    if trimmed.is_empty() {
        return Err(DnsError::NotFound("empty domain name".to_owned()));
    }
    let mut parsed = Name::from_utf8(trimmed)
        .map_err(|e| DnsError::NotFound(format!("{trimmed}: not a valid domain name: {e}")))?;
    parsed.set_fqdn(true);
    Ok(parsed)
}

/// An IP address written as a host: `192.0.2.1`, `[192.0.2.1]`, `[IPv6:2001:db8::1]`
/// (RFC 5321 §4.1.3) or a bare IPv6 address.
fn address_literal(host: &str) -> Option<IpAddr> {
    let inner = host
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(host);
    let inner = match inner.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("ipv6:") => &inner[5..],
        _ => inner,
    };
    inner.parse().ok()
}

/// The addresses of one A or AAAA lookup.
fn addrs_of(
    res: Result<hickory_resolver::lookup::Lookup, NetError>,
) -> Result<Vec<IpAddr>, Failure> {
    let lookup = res.map_err(|e| classify(&e))?;
    Ok(lookup
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect())
}

/// Joins the A and AAAA outcomes: any address wins; otherwise a temporary failure of either
/// lookup is temporary, and only two negative answers are NotFound.
fn combine_ips(
    v4: Result<Vec<IpAddr>, Failure>,
    v6: Result<Vec<IpAddr>, Failure>,
) -> Result<Vec<IpAddr>, Failure> {
    let mut addrs = Vec::new();
    let mut failure = Failure::NoData;
    for res in [v4, v6] {
        match res {
            Ok(found) => {
                for ip in found {
                    if !addrs.contains(&ip) {
                        addrs.push(ip);
                    }
                }
            }
            Err(f @ Failure::Temporary(_)) => failure = f,
            Err(Failure::NxDomain) if failure == Failure::NoData => failure = Failure::NxDomain,
            Err(_) => {}
        }
    }
    if addrs.is_empty() {
        Err(failure)
    } else {
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test IP")
    }

    #[test]
    fn address_literals() {
        assert_eq!(address_literal("192.0.2.1"), Some(ip("192.0.2.1")));
        assert_eq!(address_literal("[192.0.2.1]"), Some(ip("192.0.2.1")));
        assert_eq!(
            address_literal("[IPv6:2001:db8::1]"),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(
            address_literal("[ipv6:2001:db8::1]"),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(address_literal("2001:db8::1"), Some(ip("2001:db8::1")));
        assert_eq!(address_literal("mx.example.com"), None);
        assert_eq!(address_literal("[mx.example.com]"), None);
    }

    #[test]
    fn names_are_absolute() {
        let n = fqdn("Example.COM.").expect("valid");
        assert!(n.is_fqdn());
        assert_eq!(n.to_ascii().to_ascii_lowercase(), "example.com.");
        assert_eq!(
            fqdn("bücher.example").expect("idna").to_ascii(),
            "xn--bcher-kva.example."
        );
        assert!(fqdn("").expect_err("empty").is_not_found());
        assert!(fqdn("...").expect_err("dots").is_not_found());
    }

    #[test]
    fn combining_a_and_aaaa() {
        let v4 = || Ok(vec![ip("192.0.2.1")]);
        let v6 = || Ok(vec![ip("2001:db8::1")]);
        let temp = || Err(Failure::Temporary("timed out".into()));
        assert_eq!(
            combine_ips(v4(), v6()),
            Ok(vec![ip("192.0.2.1"), ip("2001:db8::1")])
        );
        assert_eq!(
            combine_ips(Err(Failure::NoData), v6()),
            Ok(vec![ip("2001:db8::1")])
        );
        assert_eq!(combine_ips(v4(), temp()), Ok(vec![ip("192.0.2.1")]));
        assert_eq!(
            combine_ips(Err(Failure::NoData), Err(Failure::NoData)),
            Err(Failure::NoData)
        );
        assert_eq!(
            combine_ips(Err(Failure::NxDomain), Err(Failure::NxDomain)),
            Err(Failure::NxDomain)
        );
        // One negative answer and one failure to get an answer: try again later.
        assert!(matches!(
            combine_ips(Err(Failure::NxDomain), temp()),
            Err(Failure::Temporary(_))
        ));
        assert!(matches!(
            combine_ips(temp(), Err(Failure::NoData)),
            Err(Failure::Temporary(_))
        ));
    }

    /// The scheduler routes on spawned tasks: the lookups' futures must be Send.
    fn assert_send<T: Send>(_: &T) {}

    #[tokio::test]
    async fn literals_need_no_lookup() {
        // Port 9 on loopback: any real query would fail, so these prove no lookup happens.
        let dns = Dns::new(&["127.0.0.1:9".to_owned()], false).expect("resolver");
        assert_eq!(dns.ips("[192.0.2.7]").await, Ok(vec![ip("192.0.2.7")]));
        let routing = dns.destination("[192.0.2.7]", &[]);
        assert_send(&routing);
        let d = routing.await.expect("literal");
        assert_eq!(
            d,
            Destination::Hosts(vec![Host {
                name: "192.0.2.7".into(),
                addrs: vec![ip("192.0.2.7")]
            }])
        );
        let looped = dns.destination("[192.0.2.7]", &[ip("192.0.2.7")]).await;
        assert!(looped.expect_err("loop").is_not_found());
    }
}
