//! DOM-2: listeners for the domains' alternate SMTP ports, added to the configured ones.
//!
//! Invariants: an alternate listener is shaped like the first configured SMTP listener that
//! is not implicit TLS (same encryption and certificate); it never takes an address a
//! configured listener (or an earlier alternate one) holds; without an SMTP listener there are
//! none.

use std::net::{IpAddr, SocketAddr};

use heron_settings::values::{Encryption, ListenerSpec, Protocol};

/// A domain's alternate SMTP port, on its bound IP (BIND-4) or, unbound, on every address an
/// SMTP listener of `bind.listeners` uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlternatePort {
    pub domain: String,
    pub ip: Option<IpAddr>,
    pub port: u16,
}

/// The listeners for `ports` beside `configured`.
pub fn listeners(configured: &[ListenerSpec], ports: &[AlternatePort]) -> Vec<ListenerSpec> {
    let smtp: Vec<&ListenerSpec> = configured
        .iter()
        .filter(|l| l.protocol == Protocol::Smtp && l.encryption != Encryption::Implicit)
        .collect();
    let Some(model) = smtp.first() else {
        return Vec::new();
    };
    let mut out: Vec<ListenerSpec> = Vec::new();
    for alt in ports {
        let ips: Vec<IpAddr> = match alt.ip {
            Some(ip) => vec![ip],
            None => smtp.iter().map(|l| l.addr.ip()).collect(),
        };
        for ip in ips {
            let addr = SocketAddr::new(ip, alt.port);
            let taken = |l: &ListenerSpec| {
                l.addr.port() == addr.port()
                    && (l.addr.ip() == ip || l.addr.ip().is_unspecified() || ip.is_unspecified())
            };
            if configured.iter().any(taken) || out.iter().any(taken) {
                continue;
            }
            out.push(ListenerSpec {
                addr,
                name: Some(format!("{}-alternate", alt.domain)),
                description: Some(format!("alternate SMTP port of {}", alt.domain)),
                ..(*model).clone()
            });
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use heron_settings::values::parse_listeners;

    fn alt(domain: &str, ip: Option<&str>, port: u16) -> AlternatePort {
        AlternatePort {
            domain: domain.into(),
            ip: ip.map(|i| i.parse().unwrap()),
            port,
        }
    }

    #[test]
    fn shaped_like_the_smtp_listener_and_never_twice() {
        let conf = parse_listeners(
            "smtp starttls 127.0.0.1:25, smtp starttls 10.0.0.1:25, imap tls 0.0.0.0:993",
        )
        .unwrap();
        let got = listeners(
            &conf,
            &[
                alt("a.test", None, 2525),
                alt("b.test", Some("10.0.0.1"), 2525),
                alt("c.test", Some("192.0.2.1"), 993),
                alt("d.test", Some("192.0.2.1"), 2626),
            ],
        );
        let addrs: Vec<String> = got.iter().map(|l| l.addr.to_string()).collect();
        assert_eq!(addrs, ["127.0.0.1:2525", "10.0.0.1:2525", "192.0.2.1:2626"]);
        assert!(
            got.iter()
                .all(|l| l.protocol == Protocol::Smtp && l.encryption == Encryption::StartTls)
        );
        assert_eq!(got[2].name.as_deref(), Some("d.test-alternate"));
        let no_smtp = parse_listeners("imap tls 0.0.0.0:993").unwrap();
        assert!(listeners(&no_smtp, &[alt("a.test", None, 2525)]).is_empty());
    }
}
