//! The servers a mail client of a domain connects to: IMAP, POP3 and submission listeners of
//! `bind.listeners`, with their ports and TLS modes, and the host name to reach them by.
//!
//! Invariants: only listeners a client of the domain can reach are listed (for a domain bound
//! to an IP, BIND-4, listeners on that IP or on every address); within a service, implicit
//! TLS comes before STARTTLS before plain text (RFC 8314 §3); no (service, mode, port) twice.

use std::net::IpAddr;

use heron_settings::values::{
    Encryption, Protocol, bound_domain_hostname, canonical, parse_hostnames, parse_listeners,
};
use heron_settings::{Settings, defs};
use heron_store::Domain;

/// A client-facing service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    Imap,
    Pop3,
    Submission,
}

/// How a client secures the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Security {
    /// TLS from the first byte ("SSL").
    Tls,
    /// Plain text upgraded with STARTTLS/STLS.
    StartTls,
    /// Plain text only.
    None,
}

impl Security {
    fn of(e: Encryption) -> Self {
        match e {
            Encryption::Implicit => Security::Tls,
            Encryption::StartTls => Security::StartTls,
            Encryption::None => Security::None,
        }
    }
}

/// One server a client may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub service: Service,
    pub security: Security,
    pub port: u16,
}

/// What a client of one domain needs: the host name and the servers, best first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSetup {
    /// The domain (lower case).
    pub domain: String,
    /// The host name the servers are reached by.
    pub hostname: String,
    pub endpoints: Vec<Endpoint>,
}

impl ClientSetup {
    /// The servers of one service, best first.
    pub fn of(&self, service: Service) -> impl Iterator<Item = &Endpoint> {
        self.endpoints.iter().filter(move |e| e.service == service)
    }
}

/// The server's host name: `server.hostname`, else the system's.
pub fn server_hostname(settings: &Settings) -> String {
    Some(settings.get(defs::SERVER_HOSTNAME))
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(heron_net::system_hostname)
}

/// The IP a domain is bound to (BIND-4), if it is a valid one.
pub fn bound_ip(domain: &Domain) -> Option<IpAddr> {
    domain
        .bind_ip
        .as_deref()
        .and_then(|ip| ip.trim().parse().ok())
        .map(canonical)
}

/// The host name clients of `domain` use: for a domain bound to an IP, that IP's BIND-3
/// name or else `mail.DOMAIN`; otherwise the server's host name.
pub fn domain_hostname(settings: &Settings, domain: &Domain) -> String {
    match bound_ip(domain) {
        Some(ip) => {
            let names =
                parse_hostnames(&settings.raw(defs::BIND_HOSTNAMES.name).unwrap_or_default())
                    .unwrap_or_default();
            names
                .into_iter()
                .find(|(i, _)| *i == ip)
                .map(|(_, n)| n)
                .unwrap_or_else(|| bound_domain_hostname(&domain.name))
        }
        None => server_hostname(settings),
    }
}

/// The client setup of a hosted domain from the listeners in force.
pub fn for_domain(settings: &Settings, domain: &Domain) -> ClientSetup {
    let raw = settings.raw(defs::BIND_LISTENERS.name).unwrap_or_default();
    let listeners = parse_listeners(&raw).unwrap_or_default();
    let only = bound_ip(domain);
    let mut endpoints: Vec<Endpoint> = Vec::new();
    for l in listeners {
        let service = match l.protocol {
            Protocol::Imap => Service::Imap,
            Protocol::Pop3 => Service::Pop3,
            Protocol::Submission => Service::Submission,
            _ => continue,
        };
        let ip = canonical(l.addr.ip());
        if let Some(want) = only
            && !ip.is_unspecified()
            && ip != want
        {
            continue;
        }
        let e = Endpoint {
            service,
            security: Security::of(l.encryption),
            port: l.addr.port(),
        };
        if !endpoints.contains(&e) {
            endpoints.push(e);
        }
    }
    endpoints.sort_by_key(|e| (e.service, e.security));
    ClientSetup {
        domain: domain.name.clone(),
        hostname: domain_hostname(settings, domain),
        endpoints,
    }
}

#[cfg(test)]
pub(crate) fn sample() -> ClientSetup {
    ClientSetup {
        domain: "example.test".into(),
        hostname: "mail.example.test".into(),
        endpoints: vec![
            Endpoint {
                service: Service::Imap,
                security: Security::Tls,
                port: 993,
            },
            Endpoint {
                service: Service::Imap,
                security: Security::StartTls,
                port: 143,
            },
            Endpoint {
                service: Service::Pop3,
                security: Security::Tls,
                port: 995,
            },
            Endpoint {
                service: Service::Submission,
                security: Security::Tls,
                port: 465,
            },
            Endpoint {
                service: Service::Submission,
                security: Security::StartTls,
                port: 587,
            },
        ],
    }
}
