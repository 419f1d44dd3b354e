//! Building the resolver: the configured DNS servers (or the system's resolv.conf), short
//! timeouts so a dead server does not stall delivery, and the answer cache on or off.
//!
//! Invariant: every configured server is queried over UDP with TCP fallback on the same port;
//! a lookup gives up after [`ATTEMPTS`] tries of [`TIMEOUT`] each (10 s for a dead server).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::{Resolver, TokioResolver};

use super::DnsError;

/// How long one query to one server may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// How many times a query is tried before the lookup fails (hickory counts retries, so
/// the resolver is given one less).
pub const ATTEMPTS: usize = 2;
/// The DNS port used when a server entry names none (RFC 1035 §4.2).
const DNS_PORT: u16 = 53;

/// Parses one server entry: `IP`, `IP:PORT`, `[IPv6]:PORT`, `[IPv6]` or a bare IPv6 address.
pub(crate) fn parse_server(entry: &str) -> Result<SocketAddr, DnsError> {
    let entry = entry.trim();
    if let Ok(addr) = entry.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = entry
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(entry);
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, DNS_PORT))
        .map_err(|_| DnsError::Config(format!("not a DNS server address: {entry:?}")))
}

/// Builds the resolver for `servers` (empty: the system configuration).
pub(crate) fn build(servers: &[String], cache: bool) -> Result<TokioResolver, DnsError> {
    let mut builder = if servers.is_empty() {
        TokioResolver::builder_tokio().map_err(|e| {
            DnsError::Config(format!(
                "cannot read the system resolver configuration: {e}"
            ))
        })?
    } else {
        let mut name_servers = Vec::with_capacity(servers.len());
        for entry in servers {
            let addr = parse_server(entry)?;
            let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
            for conn in &mut ns.connections {
                conn.port = addr.port();
            }
            name_servers.push(ns);
        }
        Resolver::builder_with_config(
            ResolverConfig::from_name_servers(name_servers),
            TokioRuntimeProvider::default(),
        )
    };
    let opts = builder.options_mut();
    opts.timeout = TIMEOUT;
    opts.attempts = ATTEMPTS - 1;
    if !cache {
        opts.cache_size = 0;
        opts.positive_max_ttl = Some(Duration::ZERO);
        opts.negative_max_ttl = Some(Duration::ZERO);
    }
    builder
        .build()
        .map_err(|e| DnsError::Config(format!("cannot build the resolver: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_entries() {
        let ok = [
            ("192.0.2.1", "192.0.2.1:53"),
            (" 192.0.2.1:5353 ", "192.0.2.1:5353"),
            ("::1", "[::1]:53"),
            ("[::1]", "[::1]:53"),
            ("[2001:db8::1]:5300", "[2001:db8::1]:5300"),
        ];
        for (entry, want) in ok {
            let got = parse_server(entry).expect(entry);
            assert_eq!(got.to_string(), want, "{entry}");
        }
        for bad in ["", "dns.example", "192.0.2.1:dns", "[::1", "1.2.3.4:99999"] {
            assert!(
                matches!(parse_server(bad), Err(DnsError::Config(_))),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn builds_with_servers_and_without_cache() {
        let r = build(&["127.0.0.1:5353".to_owned(), "::1".to_owned()], false)
            .expect("resolver builds");
        assert_eq!(r.options().timeout, TIMEOUT);
        assert_eq!(r.options().attempts, ATTEMPTS - 1);
        assert_eq!(r.options().cache_size, 0);
        assert!(matches!(
            build(&["nonsense".to_owned()], true),
            Err(DnsError::Config(_))
        ));
    }
}
