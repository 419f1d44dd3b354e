//! Who this server is when it sends: the EHLO name and source address of outbound
//! connections (PROTO-6, BIND-3, BIND-4), and which SMTP endpoints are its own (so a backup
//! MX never delivers to itself).

use std::net::{IpAddr, SocketAddr};

use heron_settings::values::{Protocol, canonical, parse_hostnames, parse_listeners};
use heron_settings::{Settings, defs};

/// Source address and name for one delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbound {
    /// Name given in EHLO/HELO.
    pub helo: String,
    /// Local address to send from, if one is set.
    pub local_ip: Option<IpAddr>,
}

/// The server's own host name: `server.hostname`, else the system's.
pub fn hostname(settings: &Settings) -> String {
    Some(settings.get(defs::SERVER_HOSTNAME))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(heron_net::system_hostname)
}

/// Source address and EHLO name for mail of a domain bound to `domain_ip` (BIND-4), else
/// the `smtp_out.ip` setting; the name is that IP's host name (BIND-3) or the server's.
pub fn outbound(settings: &Settings, domain_ip: Option<&str>) -> Outbound {
    let configured = settings.get(defs::SMTP_OUT_IP);
    let local_ip = domain_ip
        .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
        .or_else(|| configured.trim().parse().ok())
        .map(canonical);
    let names = parse_hostnames(&settings.get(defs::BIND_HOSTNAMES).join(",")).unwrap_or_default();
    let helo = local_ip
        .and_then(|ip| names.iter().find(|(i, _)| *i == ip).map(|(_, n)| n.clone()))
        .unwrap_or_else(|| hostname(settings));
    Outbound { helo, local_ip }
}

/// [`outbound`] for mail of `domain`: bound to `domain_ip` (BIND-4), it says EHLO with that
/// IP's `bind.hostnames` name, else with the domain's host name (`mail.DOMAIN`, as the IP's
/// listeners greet).
pub fn domain_outbound(settings: &Settings, domain: &str, domain_ip: Option<&str>) -> Outbound {
    let mut out = outbound(settings, domain_ip);
    let bound = domain_ip
        .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
        .map(canonical);
    if let Some(ip) = bound {
        let names =
            parse_hostnames(&settings.get(defs::BIND_HOSTNAMES).join(",")).unwrap_or_default();
        if !names.iter().any(|(i, _)| *i == ip) {
            out.helo = heron_settings::values::bound_domain_hostname(domain);
        }
    }
    out
}

/// IPs at which this server itself answers SMTP on the port outbound delivery connects to:
/// an MX host at one of them is this server.
pub fn own_smtp_ips(settings: &Settings) -> Vec<IpAddr> {
    let port = settings.get(defs::SMTP_OUT_PORT);
    let listeners =
        parse_listeners(&settings.get(defs::BIND_LISTENERS).join(",")).unwrap_or_default();
    let mut ips = Vec::new();
    for l in listeners {
        if l.protocol != Protocol::Smtp || u64::from(l.addr.port()) != port {
            continue;
        }
        if l.addr.ip().is_unspecified() {
            ips.extend(heron_net::host_addresses());
        } else {
            ips.push(canonical(l.addr.ip()));
        }
    }
    ips.sort();
    ips.dedup();
    ips
}

/// The address to connect to for `ip` on the outbound SMTP port.
pub fn smtp_addr(settings: &Settings, ip: IpAddr) -> SocketAddr {
    let port = u16::try_from(settings.get(defs::SMTP_OUT_PORT)).unwrap_or(25);
    SocketAddr::new(ip, port)
}
