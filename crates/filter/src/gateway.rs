//! Bypass gateways (FILTER-5): when mail reaches this server through a relay of the
//! organisation's own (a filtering gateway, a backup MX), the IP-based checks must judge the
//! server that handed the message to that relay, not the relay.
//!
//! The originating IP is read from the Received fields the gateways added: the topmost field
//! is the last gateway's, and its `from` clause names the IP it took the message from
//! (`from host.example ([192.0.2.1])`). While that IP is itself a gateway, the next field down
//! is read. Invariant: only fields added by listed gateways are trusted, so a sender cannot
//! choose the IP it is judged by with a forged Received field further down.

use std::net::IpAddr;

use ipnet::IpNet;

/// Received fields read at most, so a message of a thousand forged fields costs little.
const MAX_HOPS: usize = 10;

/// The IP the IP-based checks judge for mail from `peer`: `peer` itself unless it is one of
/// `gateways` (IPs or networks), else the originating IP its Received fields name.
pub fn judged_ip(peer: IpAddr, message: &[u8], gateways: &[String]) -> IpAddr {
    let nets: Vec<IpNet> = gateways.iter().filter_map(|g| parse_net(g)).collect();
    let is_gateway = |ip: &IpAddr| nets.iter().any(|n| n.contains(ip));
    if !is_gateway(&peer) {
        return peer;
    }
    let mut ip = peer;
    for field in heron_message::fields(message)
        .filter(|f| f.is("Received"))
        .take(MAX_HOPS)
    {
        let Some(from) = from_ip(&field.unfolded()) else {
            break;
        };
        ip = from;
        if !is_gateway(&ip) {
            break;
        }
    }
    ip
}

/// Whether `ip` is one of `entries` (IPs or networks; unreadable entries match nothing).
pub fn in_networks(ip: IpAddr, entries: &[String]) -> bool {
    entries
        .iter()
        .filter_map(|e| parse_net(e))
        .any(|n| n.contains(&ip))
}

/// An IP or a network in CIDR notation.
fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// The first bracketed IP of a Received field's `from` clause (before ` by `).
fn from_ip(received: &str) -> Option<IpAddr> {
    let lower = received.to_ascii_lowercase();
    let from = lower.strip_prefix("from ")?;
    let clause = from.split(" by ").next().unwrap_or(from);
    clause.split('[').skip(1).find_map(|rest| {
        let inside = rest.split(']').next()?;
        let inside = inside.strip_prefix("ipv6:").unwrap_or(inside);
        inside.parse().ok()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const GW: &str = "10.0.0.0/8";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn mail_not_from_a_gateway_is_judged_by_its_peer() {
        let m = b"Received: from x ([192.0.2.9]) by gw\r\n\r\nbody";
        assert_eq!(
            judged_ip(ip("198.51.100.1"), m, &[GW.into()]),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn mail_from_a_gateway_is_judged_by_the_ip_below_the_gateways() {
        let m = b"Received: from gw2 (gw2 [10.1.1.1]) by gw1;\r\n d\r\n\
                  Received: from mx.example.net (mx.example.net [IPv6:2001:db8::5])\r\n by gw2; d\r\n\
                  Received: from forged ([203.0.113.66]) by mx.example.net\r\n\r\nbody";
        assert_eq!(
            judged_ip(ip("10.0.0.1"), m, &[GW.into()]),
            ip("2001:db8::5")
        );
    }

    #[test]
    fn networks_match_ips_and_ranges() {
        let nets = vec![
            "127.0.0.1".to_owned(),
            "10.0.0.0/8".to_owned(),
            "junk".to_owned(),
        ];
        assert!(in_networks(ip("127.0.0.1"), &nets));
        assert!(!in_networks(ip("127.0.0.2"), &nets));
        assert!(in_networks(ip("10.9.8.7"), &nets));
        assert!(!in_networks(ip("::1"), &nets));
    }

    #[test]
    fn a_gateway_field_without_an_ip_leaves_the_last_known_one() {
        let m = b"Received: by gw locally\r\n\r\n";
        assert_eq!(
            judged_ip(ip("10.0.0.1"), m, &["10.0.0.1".into()]),
            ip("10.0.0.1")
        );
    }
}
