//! Values of the spool and routing settings (SPOOL-2, ROUTE-1..3, SEC-5), parsed from their
//! list entries. Pure functions: the `check` of each key and the typed read share them, so a
//! stored value always parses.

use std::net::IpAddr;
use std::time::Duration;

use crate::kinds::split_list;

/// `spool.retry_schedule`: intervals, bare numbers in minutes, or with a suffix `s`, `m`, `h`.
pub fn parse_retry_schedule(v: &str) -> Result<Vec<Duration>, String> {
    split_list(v).iter().map(|e| parse_interval(e)).collect()
}

fn parse_interval(e: &str) -> Result<Duration, String> {
    let (num, unit) = match e.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&e[..i], e[i..].trim()),
        None => (e, "m"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{e:?} is not an interval (minutes, or a number with s, m or h)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("{e:?}: unit must be s, m or h")),
    };
    if secs == 0 {
        return Err(format!("{e:?}: an interval must be longer than zero"));
    }
    Ok(Duration::from_secs(secs))
}

/// A server to relay to: a host name or IP, and a port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// `host`, `host:port`, `IP`, `IP:port`, `[IPv6]:port`; port 25 when omitted.
pub fn parse_host_port(e: &str) -> Result<HostPort, String> {
    let e = e.trim();
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Ok(HostPort {
            host: ip.to_string(),
            port: 25,
        });
    }
    let (host, port) = if let Some(rest) = e.strip_prefix('[') {
        let (h, p) = rest.split_once(']').ok_or(format!("{e:?}: missing ']'"))?;
        (h, p.strip_prefix(':'))
    } else {
        match e.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (e, None),
        }
    };
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or(format!("{e:?}: bad port"))?,
        None => 25,
    };
    let ok = !host.is_empty()
        && (host.parse::<IpAddr>().is_ok()
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    if !ok {
        return Err(format!("{e:?}: bad host name"));
    }
    Ok(HostPort {
        host: host.to_ascii_lowercase(),
        port,
    })
}

fn parse_domain(e: &str) -> Result<String, String> {
    let d = e.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if ok {
        Ok(d)
    } else {
        Err(format!("{e:?} is not a domain name"))
    }
}

/// A list of domain names (`security.forwarding_blacklist`), lower-case.
pub fn parse_domains(v: &str) -> Result<Vec<String>, String> {
    split_list(v).iter().map(|e| parse_domain(e)).collect()
}

/// A list of IP addresses (`route.backup_primaries`).
pub fn parse_ips(v: &str) -> Result<Vec<IpAddr>, String> {
    split_list(v)
        .iter()
        .map(|e| e.parse().map_err(|_| format!("{e:?} is not an IP address")))
        .collect()
}

/// ROUTE-1: mail for `domain` is relayed to `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forward {
    pub domain: String,
    pub to: HostPort,
}

/// `route.forwarding` entries `domain=host[:port]`.
pub fn parse_forwarding(v: &str) -> Result<Vec<Forward>, String> {
    split_list(v)
        .iter()
        .map(|e| {
            let (d, to) = e
                .split_once('=')
                .ok_or(format!("{e:?}: expected domain=host[:port]"))?;
            Ok(Forward {
                domain: parse_domain(d)?,
                to: parse_host_port(to)?,
            })
        })
        .collect()
}

/// ROUTE-3: an outgoing gateway for mail whose priority is within `min..=max`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gateway {
    pub to: HostPort,
    pub min: u8,
    pub max: u8,
    /// AUTH credentials, if the gateway wants them.
    pub auth: Option<(String, String)>,
}

/// `route.gateways` entries `host[:port] MIN-MAX [user password]`.
pub fn parse_gateways(v: &str) -> Result<Vec<Gateway>, String> {
    split_list(v).iter().map(|e| parse_gateway(e)).collect()
}

fn parse_gateway(e: &str) -> Result<Gateway, String> {
    let words: Vec<&str> = e.split_whitespace().collect();
    let (to, range, auth) = match words.as_slice() {
        [to, range] => (to, range, None),
        [to, range, user, pass] => (to, range, Some((user.to_string(), pass.to_string()))),
        _ => {
            return Err(format!(
                "{e:?}: expected host[:port] MIN-MAX [user password]"
            ));
        }
    };
    let (min, max) = range
        .split_once('-')
        .and_then(|(a, b)| Some((a.parse::<u8>().ok()?, b.parse::<u8>().ok()?)))
        .filter(|(a, b)| (1..=10).contains(a) && (1..=10).contains(b) && a <= b)
        .ok_or(format!("{e:?}: priority range must be MIN-MAX within 1-10"))?;
    Ok(Gateway {
        to: parse_host_port(to)?,
        min,
        max,
        auth,
    })
}

/// A DOM-6 priority: 1..=10.
pub fn check_priority(v: &str) -> Result<(), String> {
    match v.trim().parse::<u8>() {
        Ok(1..=10) => Ok(()),
        _ => Err(format!("{v:?}: a priority is 1 to 10")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn retry_schedule() {
        let s = parse_retry_schedule("15, 30s, 2h, 1m").unwrap();
        let secs: Vec<u64> = s.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [900, 30, 7200, 60]);
        assert!(parse_retry_schedule("0").is_err());
        assert!(parse_retry_schedule("5d").is_err());
        assert!(parse_retry_schedule("x").is_err());
        assert!(parse_retry_schedule("").unwrap().is_empty());
    }

    #[test]
    fn host_ports() {
        let hp = |s| parse_host_port(s).unwrap();
        assert_eq!(
            hp("mx.b.test"),
            HostPort {
                host: "mx.b.test".into(),
                port: 25
            }
        );
        assert_eq!(hp("10.0.0.1:2525").port, 2525);
        assert_eq!(
            hp("[::1]:26"),
            HostPort {
                host: "::1".into(),
                port: 26
            }
        );
        assert_eq!(hp("::1").port, 25);
        assert_eq!(hp("[::1]:26").to_string(), "[::1]:26");
        for bad in ["", "a b", "h:0", "h:99999", "[::1", "h:x"] {
            assert!(parse_host_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarding_and_gateways() {
        let f = parse_forwarding("F.test=127.0.0.4:2525, g.test = relay.g.test").unwrap();
        assert_eq!(f[0].domain, "f.test");
        assert_eq!(f[0].to.to_string(), "127.0.0.4:2525");
        assert_eq!(f[1].to.port, 25);
        assert!(parse_forwarding("nodomain").is_err());
        let g = parse_gateways("gw.test:587 1-3 user pass, 10.0.0.9 4-4").unwrap();
        assert_eq!((g[0].min, g[0].max), (1, 3));
        assert_eq!(g[0].auth, Some(("user".into(), "pass".into())));
        assert_eq!(g[1].auth, None);
        for bad in ["gw 0-3", "gw 3-1", "gw 1-11", "gw", "gw 1-2 user"] {
            assert!(parse_gateways(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_domains("A.test., b.test").unwrap(),
            ["a.test", "b.test"]
        );
        assert!(parse_ips("127.0.0.2, x").is_err());
        assert!(check_priority("10").is_ok() && check_priority("0").is_err());
    }
}
