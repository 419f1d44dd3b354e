//! Where a recipient's mail goes (ROUTE-1..3, SEC-5): through an outgoing gateway when the
//! message's priority falls in a gateway's range, to the configured server of a forwarded
//! domain (`heron_settings::forwarding`, which SMTP-in asks too), else to the domain's MX
//! hosts.
//!
//! Invariant: a domain on the forwarding blacklist is never forwarded, whatever
//! `route.forwarding` says.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use heron_settings::forwarding::forwarding_target;
use heron_settings::routes::{Gateway, HostPort, parse_gateways};
use heron_settings::{Settings, defs};

use heron_mailauth::dns::{Dns, DnsError};

/// The next hop for a group of recipients.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// An outgoing gateway (ROUTE-3), with its AUTH credentials if any.
    Gateway {
        to: HostPort,
        auth: Option<(String, String)>,
    },
    /// The server a forwarded domain's mail goes to (ROUTE-1).
    Forward(HostPort),
    /// The domain's MX hosts.
    Mx(String),
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Route::Gateway { to, .. } => write!(f, "gateway {to}"),
            Route::Forward(to) => write!(f, "forwarding server {to}"),
            Route::Mx(d) => write!(f, "MX of {d}"),
        }
    }
}

/// Domain part of an address, lower-case.
pub fn domain_of(address: &str) -> String {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('.').to_ascii_lowercase())
        .unwrap_or_default()
}

/// Gateways whose range holds `priority`, in configuration order.
fn gateways_for(all: Vec<Gateway>, priority: u8) -> Vec<Gateway> {
    all.into_iter()
        .filter(|g| (g.min..=g.max).contains(&priority))
        .collect()
}

/// The route of one recipient domain for a message of `priority`. `turn` picks among the
/// gateways of a range in turn (round-robin).
pub fn route(settings: &Settings, priority: u8, domain: &str, turn: &AtomicUsize) -> Route {
    let gws = gateways_for(
        parse_gateways(&settings.get(defs::ROUTE_GATEWAYS).join(",")).unwrap_or_default(),
        priority,
    );
    if !gws.is_empty() {
        let g = &gws[turn.fetch_add(1, Ordering::Relaxed) % gws.len()];
        return Route::Gateway {
            to: g.to.clone(),
            auth: g.auth.clone(),
        };
    }
    match forwarding_target(settings, domain) {
        Some(to) => Route::Forward(to),
        None => Route::Mx(domain.to_ascii_lowercase()),
    }
}

/// IPs of a next hop given by name or address.
pub async fn hop_ips(dns: &Dns, host: &str) -> Result<Vec<IpAddr>, DnsError> {
    match host.parse::<IpAddr>() {
        Ok(ip) => Ok(vec![ip]),
        Err(_) => dns.ips(host).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_ranges() {
        let all = parse_gateways("g1:25 1-1, g2:25 1-3, g3:25 5-10").unwrap_or_default();
        let hosts = |p| {
            gateways_for(all.clone(), p)
                .into_iter()
                .map(|g| g.to.host)
                .collect::<Vec<_>>()
        };
        assert_eq!(hosts(1), ["g1", "g2"]);
        assert_eq!(hosts(3), ["g2"]);
        assert!(hosts(4).is_empty());
        assert_eq!(hosts(10), ["g3"]);
    }

    #[test]
    fn domains() {
        assert_eq!(domain_of("a@B.Test."), "b.test");
        assert_eq!(domain_of("nodomain"), "");
    }
}
