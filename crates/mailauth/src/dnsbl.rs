//! DNS blocklists (RFC 5782): an IP is listed in a zone when the zone has an A record for
//! its reversed address (`2.0.0.192.zone` for 192.0.2.2; IPv6 by reversed nibbles), and a
//! domain is listed in a domain list (URIBL) when `domain.zone` has one.
//!
//! Invariant: only answers in 127.0.0.0/8 count as listed (RFC 5782 §2.1); anything else, such
//! as a resolver that answers every name with an advertising page's address, is ignored.
//! "No such name" means not listed; a failed lookup is an error the caller reports as
//! unanswered, never as a listing.

use std::net::{IpAddr, Ipv4Addr};

use crate::dns::{Dns, DnsError};

/// The name to look up for `ip` in `zone`.
pub fn ip_query(ip: IpAddr, zone: &str) -> String {
    let zone = zone.trim().trim_matches('.');
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.{zone}")
        }
        IpAddr::V6(v6) => {
            let mut name = String::with_capacity(64 + zone.len());
            for byte in v6.octets().iter().rev() {
                name.push_str(&format!("{:x}.{:x}.", byte & 0xf, byte >> 4));
            }
            name.push_str(zone);
            name
        }
    }
}

/// The name to look up for `domain` in the domain list `zone`.
pub fn domain_query(domain: &str, zone: &str) -> String {
    format!(
        "{}.{}",
        domain.trim().trim_matches('.').to_ascii_lowercase(),
        zone.trim().trim_matches('.')
    )
}

/// The list's answer for `name`: the 127.0.0.0/8 address it returned (its return code), or
/// `None` when the name is not listed.
pub async fn lookup(dns: &Dns, name: &str) -> Result<Option<Ipv4Addr>, DnsError> {
    match dns.ips(name).await {
        Ok(ips) => Ok(ips.into_iter().find_map(|ip| match ip {
            IpAddr::V4(v4) if v4.octets()[0] == 127 => Some(v4),
            _ => None,
        })),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn query_names_follow_rfc_5782() {
        assert_eq!(
            ip_query("192.0.2.99".parse().unwrap(), "bl.example."),
            "99.2.0.192.bl.example"
        );
        // RFC 5782 §2.4's example.
        assert_eq!(
            ip_query(
                "2001:db8:1:2:3:4:567:89ab".parse().unwrap(),
                "ugly.example.com"
            ),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com"
        );
        assert_eq!(
            domain_query("Spam.Example.", "uribl.test"),
            "spam.example.uribl.test"
        );
    }
}
