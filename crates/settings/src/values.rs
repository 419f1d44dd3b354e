//! Structured values carried by list settings: listener entries (BIND-1/2), IP rules
//! (SEC-1) and per-IP host names (BIND-3). Parsing is pure; [`check`] validates a whole
//! setting value by key so nothing malformed is ever stored.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;

use crate::kinds::split_list;

/// Protocols a listener can serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Smtp,
    Submission,
    Pop3,
    Imap,
    Ldap,
    Xmpp,
}

impl Protocol {
    /// Every protocol.
    pub const ALL: [Protocol; 6] = [
        Protocol::Smtp,
        Protocol::Submission,
        Protocol::Pop3,
        Protocol::Imap,
        Protocol::Ldap,
        Protocol::Xmpp,
    ];
    /// Lower-case name used in settings and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Smtp => "smtp",
            Protocol::Submission => "submission",
            Protocol::Pop3 => "pop3",
            Protocol::Imap => "imap",
            Protocol::Ldap => "ldap",
            Protocol::Xmpp => "xmpp",
        }
    }
    /// Inverse of [`Protocol::as_str`]; also accepts `pop`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.to_ascii_lowercase();
        Protocol::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .or((s == "pop").then_some(Protocol::Pop3))
    }
    /// Whether this version has a service for the protocol, so a listener may name it. LDAP
    /// and XMPP are named (IP-list rules may already mention them) but not served yet.
    pub fn is_served(self) -> bool {
        !matches!(self, Protocol::Ldap | Protocol::Xmpp)
    }
    /// IP-list rules name protocols by service, so submission counts as smtp.
    pub fn service(self) -> Protocol {
        match self {
            Protocol::Submission => Protocol::Smtp,
            p => p,
        }
    }
}

/// How a listener does TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encryption {
    /// Plain text, no STARTTLS offered.
    None,
    /// Plain text with STARTTLS/STLS offered.
    StartTls,
    /// TLS from the first byte ("SSL" ports).
    Implicit,
}

/// One listener entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListenerSpec {
    pub protocol: Protocol,
    pub encryption: Encryption,
    pub addr: SocketAddr,
    /// PEM certificate chain and key for this listener; `None` uses the default.
    pub cert: Option<(String, String)>,
    /// BIND-2: a short name for the listener (`name=WORD`), for people.
    pub name: Option<String>,
    /// BIND-2: what the listener is for (`description="TEXT"`, no commas or quotes).
    pub description: Option<String>,
    /// PROTO-8: most connections this listener (this port) holds at once (`max=N`), besides
    /// its protocol's total; `None` or 0: only the protocol's.
    pub max: Option<u64>,
}

/// The words of a listener entry: spaces separate them, except inside `"..."`, whose
/// quotes are dropped (`description="Inbound mail"` is one word).
fn listener_words(entry: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in entry.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if quoted {
        return Err(format!("{entry:?}: a quote is not closed"));
    }
    if started {
        words.push(word);
    }
    Ok(words)
}

/// A `name=` or `description=` value: printable, without quotes or list separators.
fn label_ok(v: &str) -> bool {
    !v.trim().is_empty()
        && v.len() <= 200
        && !v.contains(|c: char| c.is_control() || c == '"' || c == ',')
}

impl ListenerSpec {
    /// The entry in the canonical `bind.listeners` form.
    pub fn canonical(&self) -> String {
        let enc = match self.encryption {
            Encryption::None => "none",
            Encryption::StartTls => "starttls",
            Encryption::Implicit => "tls",
        };
        let mut out = format!("{} {enc} {}", self.protocol.as_str(), self.addr);
        if let Some((c, k)) = &self.cert {
            out.push_str(&format!(" cert={c} key={k}"));
        }
        if let Some(n) = &self.name {
            out.push_str(&format!(" name={n}"));
        }
        if let Some(d) = &self.description {
            out.push_str(&format!(" description=\"{d}\""));
        }
        if let Some(m) = self.max {
            out.push_str(&format!(" max={m}"));
        }
        out
    }
}

impl FromStr for ListenerSpec {
    type Err = String;
    fn from_str(entry: &str) -> Result<Self, String> {
        let all = listener_words(entry)?;
        let mut words = all.iter().map(String::as_str);
        let (Some(p), Some(e), Some(a)) = (words.next(), words.next(), words.next()) else {
            return Err(format!(
                "{entry:?}: expected PROTOCOL ENCRYPTION ADDRESS:PORT"
            ));
        };
        let protocol =
            Protocol::parse(p).ok_or_else(|| format!("{entry:?}: unknown protocol {p:?}"))?;
        if !protocol.is_served() {
            return Err(format!(
                "{entry:?}: {} is not served by this version of Heron; listeners are smtp, submission, pop3 or imap",
                protocol.as_str()
            ));
        }
        let encryption = match e.to_ascii_lowercase().as_str() {
            "none" | "plain" => Encryption::None,
            "starttls" => Encryption::StartTls,
            "tls" | "ssl" | "implicit" => Encryption::Implicit,
            _ => {
                return Err(format!(
                    "{entry:?}: encryption must be none, starttls or tls"
                ));
            }
        };
        let addr: SocketAddr = a.parse().map_err(|_| {
            format!("{entry:?}: {a:?} is not ADDRESS:PORT (use [::1]:PORT for IPv6)")
        })?;
        let (mut cert, mut key, mut name, mut description, mut max) =
            (None, None, None, None, None);
        for w in words {
            match w.split_once('=') {
                Some(("cert", v)) => cert = Some(v.to_owned()),
                Some(("key", v)) => key = Some(v.to_owned()),
                Some(("max", v)) => {
                    max = Some(
                        v.parse::<u64>()
                            .map_err(|_| format!("{entry:?}: max= is a number of connections"))?,
                    )
                }
                Some(("name", v)) if label_ok(v) && !v.contains(char::is_whitespace) => {
                    name = Some(v.to_owned())
                }
                Some(("description", v)) if label_ok(v) => description = Some(v.trim().to_owned()),
                Some(("name" | "description", _)) => {
                    return Err(format!(
                        "{entry:?}: {w:?}: a name is one word, a description text in quotes, neither with commas or quotes"
                    ));
                }
                _ => return Err(format!("{entry:?}: unexpected {w:?}")),
            }
        }
        let cert = match (cert, key) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => return Err(format!("{entry:?}: cert= and key= go together")),
        };
        Ok(ListenerSpec {
            protocol,
            encryption,
            addr,
            cert,
            name,
            description,
            max: max.filter(|m| *m > 0),
        })
    }
}

/// Parse every listener entry of a `bind.listeners` value.
pub fn parse_listeners(v: &str) -> Result<Vec<ListenerSpec>, String> {
    split_list(v).iter().map(|e| e.parse()).collect()
}

/// Apply `--port-offset` and `--listen-address` to the default listener list.
pub fn shift_listeners(
    default: &str,
    offset: u16,
    address: Option<IpAddr>,
) -> Result<String, String> {
    let mut out = Vec::new();
    for mut l in parse_listeners(default)? {
        let port = l
            .addr
            .port()
            .checked_add(offset)
            .ok_or_else(|| format!("port {} + offset {offset} is past 65535", l.addr.port()))?;
        l.addr.set_port(port);
        if let Some(ip) = address {
            l.addr.set_ip(ip);
        }
        let enc = match l.encryption {
            Encryption::None => "none",
            Encryption::StartTls => "starttls",
            Encryption::Implicit => "tls",
        };
        out.push(format!("{} {enc} {}", l.protocol.as_str(), l.addr));
    }
    Ok(out.join(", "))
}

/// An address range of an IP list entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpRange {
    Net(IpNet),
    Span(IpAddr, IpAddr),
}

impl IpRange {
    /// Whether `ip` is inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match self {
            IpRange::Net(n) => n.contains(&ip),
            IpRange::Span(a, b) => match (a, b, ip) {
                (IpAddr::V4(a), IpAddr::V4(b), IpAddr::V4(x)) => *a <= x && x <= *b,
                (IpAddr::V6(a), IpAddr::V6(b), IpAddr::V6(x)) => *a <= x && x <= *b,
                _ => false,
            },
        }
    }
}

/// IPv4-mapped IPv6 addresses compare as IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// One black- or whitelist entry (SEC-1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpRule {
    pub range: IpRange,
    /// Services the rule applies to; empty = all.
    pub protocols: Vec<Protocol>,
}

impl IpRule {
    /// Whether the rule covers `ip` connecting to `protocol`.
    pub fn matches(&self, ip: IpAddr, protocol: Protocol) -> bool {
        (self.protocols.is_empty() || self.protocols.contains(&protocol.service()))
            && self.range.contains(ip)
    }
}

impl FromStr for IpRule {
    type Err = String;
    fn from_str(entry: &str) -> Result<Self, String> {
        let mut words = entry.split_whitespace();
        let r = words.next().ok_or("empty entry")?;
        let range = if let Ok(n) = r.parse::<IpNet>() {
            IpRange::Net(n)
        } else if let Ok(ip) = r.parse::<IpAddr>() {
            IpRange::Net(IpNet::from(ip))
        } else if let Some((a, b)) = r.split_once('-') {
            let a: IpAddr = a
                .trim()
                .parse()
                .map_err(|_| format!("{r:?}: bad range start"))?;
            let b: IpAddr = b
                .trim()
                .parse()
                .map_err(|_| format!("{r:?}: bad range end"))?;
            if a.is_ipv4() != b.is_ipv4() || a > b {
                return Err(format!(
                    "{r:?}: range must go low to high within one IP family"
                ));
            }
            IpRange::Span(a, b)
        } else {
            return Err(format!("{r:?} is not an IP, CIDR or FIRST-LAST range"));
        };
        let protocols = match words.next() {
            None => Vec::new(),
            Some(ps) => ps
                .split('+')
                .map(|p| {
                    Protocol::parse(p)
                        .map(Protocol::service)
                        .ok_or(format!("unknown protocol {p:?}"))
                })
                .collect::<Result<_, _>>()?,
        };
        if let Some(extra) = words.next() {
            return Err(format!("unexpected {extra:?}"));
        }
        Ok(IpRule { range, protocols })
    }
}

/// Parse every entry of an IP list value.
pub fn parse_ip_rules(v: &str) -> Result<Vec<IpRule>, String> {
    split_list(v).iter().map(|e| e.parse()).collect()
}

/// Parse `bind.hostnames` entries `IP=hostname`.
pub fn parse_hostnames(v: &str) -> Result<Vec<(IpAddr, String)>, String> {
    split_list(v)
        .iter()
        .map(|e| {
            let (ip, name) = e
                .split_once('=')
                .ok_or(format!("{e:?}: expected IP=hostname"))?;
            let ip: IpAddr = ip.trim().parse().map_err(|_| format!("{e:?}: bad IP"))?;
            let name = name.trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                return Err(format!("{e:?}: bad host name"));
            }
            Ok((canonical(ip), name.to_owned()))
        })
        .collect()
}

/// BIND-4: the host name of a domain bound to an IP that has no `bind.hostnames` name of its
/// own, used in that IP's banners and by the domain's clients: `mail.DOMAIN`.
pub fn bound_domain_hostname(domain: &str) -> String {
    format!(
        "mail.{}",
        domain.trim().trim_end_matches('.').to_ascii_lowercase()
    )
}

/// Parse `dns.servers` entries `IP` or `IP:PORT` (port 53 by default).
pub fn parse_dns_servers(v: &str) -> Result<Vec<SocketAddr>, String> {
    split_list(v)
        .iter()
        .map(|e| {
            e.parse::<SocketAddr>()
                .or_else(|_| e.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                .map_err(|_| format!("{e:?} is not IP or IP:PORT"))
        })
        .collect()
}

/// Key-specific validation beyond the value's kind.
pub fn check(key: &str, v: &str) -> Result<(), String> {
    match key {
        "bind.listeners" => parse_listeners(v).map(drop),
        "security.ip_blacklist"
        | "security.ip_whitelist"
        | "security.smtp_auth_bypass"
        | "submission.allowed_ips"
        | "submission.safe_ips"
        | "admin.metrics_ips" => parse_ip_rules(v).map(drop),
        "bind.hostnames" => parse_hostnames(v).map(drop),
        "autoclean.rules" => crate::autoclean::parse_rules(v).map(drop),
        "dns.servers" => parse_dns_servers(v).map(drop),
        "spool.retry_schedule" => crate::routes::parse_retry_schedule(v).map(drop),
        "route.forwarding" => crate::routes::parse_forwarding(v).map(drop),
        "route.gateways" => crate::routes::parse_gateways(v).map(drop),
        "route.backup_primaries" => crate::routes::parse_ips(v).map(drop),
        "security.forwarding_blacklist" => crate::routes::parse_domains(v).map(drop),
        "server.postmaster" if !v.trim().is_empty() => check_address(v.trim()),
        "security.spammer_notify" if !v.trim().is_empty() => check_address(v.trim()),
        "smtp_out.ip" if !v.trim().is_empty() => v
            .trim()
            .parse::<std::net::IpAddr>()
            .map(drop)
            .map_err(|_| format!("{v:?} is not an IP address")),
        "smtp_out.port" | "smtp_out.mta_sts_port" => match v.trim().parse::<u16>() {
            Ok(1..) => Ok(()),
            _ => Err(format!("{v:?} is not a port (1-65535)")),
        },
        // The domain records keep these limits as 32-bit counts.
        "domain_defaults.max_users"
        | "domain_defaults.max_aliases"
        | "domain_defaults.max_domain_aliases"
        | "domain_defaults.max_recipients"
        | "domain_defaults.max_pop_accounts" => match v.trim().parse::<u32>() {
            Ok(_) => Ok(()),
            Err(_) => Err(format!("{v:?} is too large (at most {})", u32::MAX)),
        },
        k if k.starts_with("priority.") && k != "priority.oversize_threshold" => {
            crate::routes::check_priority(v)
        }
        _ => Ok(()),
    }
}

/// A plain `local@domain` address: one `@`, both sides non-empty, no spaces or brackets.
/// (The directory applies its full address rules when it uses the value.)
fn check_address(v: &str) -> Result<(), String> {
    let ok = v
        .split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@'))
        && !v
            .contains(|c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("{v:?} is not an address (expected local@domain)"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn listeners_parse_and_shift() {
        let l: ListenerSpec = "pop3 tls 127.0.0.1:995".parse().unwrap();
        assert_eq!(
            (l.protocol, l.encryption, l.addr.port()),
            (Protocol::Pop3, Encryption::Implicit, 995)
        );
        assert!("pop3 tls".parse::<ListenerSpec>().is_err());
        assert!("pop9 tls 1.2.3.4:1".parse::<ListenerSpec>().is_err());
        assert!("pop3 tls 1.2.3.4:1 cert=a".parse::<ListenerSpec>().is_err());
        let named: ListenerSpec = r#"smtp starttls 0.0.0.0:25 name=mx description="Inbound mail""#
            .parse()
            .unwrap();
        assert_eq!(named.name.as_deref(), Some("mx"));
        assert_eq!(named.description.as_deref(), Some("Inbound mail"));
        assert_eq!(named.canonical().parse::<ListenerSpec>().unwrap(), named);
        assert!(r#"smtp none 1.2.3.4:25 description="open"#.parse::<ListenerSpec>().is_err());
        assert!(r#"smtp none 1.2.3.4:25 name="two words""#.parse::<ListenerSpec>().is_err());
        assert!(
            "smtp none 1.2.3.4:25 name="
                .parse::<ListenerSpec>()
                .is_err()
        );
        let shifted = shift_listeners(
            "pop3 none 0.0.0.0:110, imap tls 0.0.0.0:993",
            10000,
            Some("127.0.0.1".parse().unwrap()),
        )
        .unwrap();
        assert_eq!(
            shifted,
            "pop3 none 127.0.0.1:10110, imap tls 127.0.0.1:10993"
        );
        assert!(shift_listeners("pop3 none 0.0.0.0:65000", 1000, None).is_err());
    }

    #[test]
    fn ip_rules() {
        let r: IpRule = "10.0.0.0/8 pop3+imap".parse().unwrap();
        assert!(r.matches("10.1.2.3".parse().unwrap(), Protocol::Pop3));
        assert!(!r.matches("10.1.2.3".parse().unwrap(), Protocol::Smtp));
        assert!(r.matches("::ffff:10.1.2.3".parse().unwrap(), Protocol::Imap));
        let s: IpRule = "192.0.2.10-192.0.2.20".parse().unwrap();
        assert!(s.matches("192.0.2.15".parse().unwrap(), Protocol::Submission));
        assert!(!s.matches("192.0.2.21".parse().unwrap(), Protocol::Smtp));
        let smtp: IpRule = "127.0.0.2 smtp".parse().unwrap();
        assert!(smtp.matches("127.0.0.2".parse().unwrap(), Protocol::Submission));
        assert!("192.0.2.20-192.0.2.10".parse::<IpRule>().is_err());
        assert!("nonsense".parse::<IpRule>().is_err());
        assert!("1.2.3.4 gopher".parse::<IpRule>().is_err());
    }

    #[test]
    fn other_values() {
        assert_eq!(
            parse_dns_servers("127.0.0.1:5353, 10.0.0.1").unwrap()[1].port(),
            53
        );
        assert!(parse_hostnames("1.1.1.1=mail.a.test").is_ok());
        assert!(parse_hostnames("1.1.1.1=bad name").is_err());
        assert!(check("spool.retry_schedule", "15, x").is_err());
    }

    #[test]
    fn domain_default_counts_fit_the_domain_record() {
        assert!(check("domain_defaults.max_users", "4294967295").is_ok());
        assert!(check("domain_defaults.max_users", "4294967296").is_err());
        assert!(check("domain_defaults.max_recipients", "4294967296").is_err());
        // Sizes are 64-bit in the record.
        assert!(check("domain_defaults.disk_mb", "4294967296").is_ok());
    }

    #[test]
    fn postmaster_is_an_address_or_empty() {
        assert!(check("server.postmaster", "").is_ok());
        assert!(check("server.postmaster", "ops@example.test").is_ok());
        for bad in [
            "ops",
            "@example.test",
            "ops@",
            "a@b@c",
            "ops @example.test",
            "<ops@x.test>",
        ] {
            assert!(check("server.postmaster", bad).is_err(), "{bad}");
        }
    }
}
