//! The MTA-STS policy this server publishes for its hosted domains (RFC 8461 §3.2), served
//! at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` by the admin listener.
//!
//! Invariant: the text always parses back with [`super::mta_sts::parse_policy`]: the mode is
//! one of the three, `max_age` a number within the RFC's limit, and the MX list is never
//! empty (the server's host name when `mta_sts.mx` is empty).

use heron_settings::{Settings, defs};

use super::mta_sts::{MAX_AGE_LIMIT, Mode, Policy};
use crate::identity::hostname;

/// The policy published for every hosted domain, from the `mta_sts.*` settings.
pub fn policy(settings: &Settings) -> Policy {
    let mode = match settings.get(defs::MTA_STS_MODE).trim() {
        "enforce" => Mode::Enforce,
        "none" => Mode::None,
        _ => Mode::Testing,
    };
    let mut mx: Vec<String> = settings
        .get(defs::MTA_STS_MX)
        .iter()
        .map(|m| m.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|m| !m.is_empty())
        .collect();
    if mx.is_empty() {
        mx.push(hostname(settings));
    }
    Policy {
        mode,
        mx,
        max_age: settings
            .get(defs::MTA_STS_MAX_AGE)
            .as_secs()
            .min(MAX_AGE_LIMIT),
    }
}

/// The policy file's text (CRLF lines).
pub fn text(settings: &Settings) -> String {
    let mut s = policy(settings).lines().join("\r\n");
    s.push_str("\r\n");
    s
}

/// The hosted domain a request for the policy is about: the `Host` header's name without
/// port, less its `mta-sts.` label.
pub fn domain_of_host(host: &str) -> Option<String> {
    let name = match host.rsplit_once(':') {
        Some((n, port)) if port.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => host,
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.strip_prefix("mta-sts.")
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            domain_of_host("MTA-STS.Example.com:8443"),
            Some("example.com".into())
        );
        assert_eq!(domain_of_host("mta-sts.a.test."), Some("a.test".into()));
        assert_eq!(domain_of_host("a.test"), None);
        assert_eq!(domain_of_host("mta-sts."), None);
    }
}
