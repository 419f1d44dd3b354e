//! The `acme.*` settings as one value, and the names a certificate must cover.
//!
//! Invariant: the names are lower-case, without a trailing dot, distinct, never an IP
//! address or `localhost` (no public authority issues for those), and in a stable order
//! (the host name first), so two reads of unchanged settings compare equal; at most
//! [`MAX_NAMES`] of them.

use heron_settings::{Settings, defs, values};

/// Which challenge proves control of the names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Challenge {
    Http01,
    TlsAlpn01,
}

impl Challenge {
    /// The challenge's name in RFC 8555 / RFC 8737.
    pub fn as_str(self) -> &'static str {
        match self {
            Challenge::Http01 => "http-01",
            Challenge::TlsAlpn01 => "tls-alpn-01",
        }
    }
}

/// What the ACME client works from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcmeConfig {
    /// Directory URL; empty = ACME off.
    pub directory: String,
    pub contact: String,
    /// The certificate's names.
    pub names: Vec<String>,
    pub challenge: Challenge,
    pub renew_days: u64,
    /// Root certificate PEM file trusted for the directory; empty = the system's roots.
    pub ca_file: String,
}

impl AcmeConfig {
    /// Read the settings; `hosted` are the enabled hosted domains' names, to which the
    /// `acme.domain_labels` are put in front.
    pub fn read(settings: &Settings, hosted: &[String]) -> Self {
        let hostname = Some(settings.get(defs::SERVER_HOSTNAME))
            .filter(|h| !h.is_empty())
            .unwrap_or_else(heron_net::system_hostname);
        let mut raw = vec![hostname];
        raw.extend(
            values::parse_hostnames(&settings.raw(defs::BIND_HOSTNAMES.name).unwrap_or_default())
                .unwrap_or_default()
                .into_iter()
                .map(|(_, name)| name),
        );
        raw.extend(list(
            &settings.raw(defs::ACME_NAMES.name).unwrap_or_default(),
        ));
        raw.extend(hosted_names(&domain_labels(settings), hosted));
        Self {
            directory: settings.get(defs::ACME_DIRECTORY).trim().to_owned(),
            contact: settings.get(defs::ACME_CONTACT).trim().to_owned(),
            names: names(raw),
            challenge: match settings.get(defs::ACME_CHALLENGE).as_str() {
                "tls-alpn-01" => Challenge::TlsAlpn01,
                _ => Challenge::Http01,
            },
            renew_days: settings.get(defs::ACME_RENEW_DAYS),
            ca_file: settings.get(defs::ACME_CA_FILE).trim().to_owned(),
        }
    }

    /// Whether ACME is on.
    pub fn enabled(&self) -> bool {
        !self.directory.is_empty()
    }
}

/// Whether ACME is on (`acme.directory` set), without reading the rest.
pub fn enabled(settings: &Settings) -> bool {
    !settings.get(defs::ACME_DIRECTORY).trim().is_empty()
}

/// The `acme.domain_labels`: empty when hosted domains are not certified.
pub fn domain_labels(settings: &Settings) -> Vec<String> {
    list(
        &settings
            .raw(defs::ACME_DOMAIN_LABELS.name)
            .unwrap_or_default(),
    )
}

/// Every label in front of every hosted domain, domain by domain (`mail.a.test`,
/// `mta-sts.a.test`, `mail.b.test`, ...).
pub fn hosted_names(labels: &[String], hosted: &[String]) -> Vec<String> {
    hosted
        .iter()
        .flat_map(|d| labels.iter().map(move |l| format!("{l}.{d}")))
        .collect()
}

/// Most names one certificate carries (the limit of the public authorities); names past it
/// are left out, the node's own names first in line.
pub const MAX_NAMES: usize = 100;

/// The entries of a comma- or newline-separated list.
fn list(raw: &str) -> Vec<String> {
    raw.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The names a certificate can be issued for, normalised, in first-seen order.
pub fn names(raw: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in raw {
        let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
        if n.is_empty()
            || n == "localhost"
            || n.parse::<std::net::IpAddr>().is_ok()
            || !n.contains('.')
            || !n
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            || out.contains(&n)
        {
            continue;
        }
        if out.len() == MAX_NAMES {
            break;
        }
        out.push(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_distinct() {
        let raw = [
            "MX.Example.Test.",
            "mx.example.test",
            "localhost",
            "10.0.0.1",
            "box",
            "",
            "mail.other.test",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(names(raw), vec!["mx.example.test", "mail.other.test"]);
    }

    #[test]
    fn hosted_domains_get_every_label_and_the_list_stops_at_the_limit() {
        let labels = ["mail", "mta-sts"].map(String::from);
        let hosted = ["a.test", "b.test"].map(String::from);
        assert_eq!(
            hosted_names(&labels, &hosted),
            vec![
                "mail.a.test",
                "mta-sts.a.test",
                "mail.b.test",
                "mta-sts.b.test"
            ]
        );
        let many: Vec<String> = (0..300).map(|i| format!("d{i}.test")).collect();
        let mut raw = vec!["mx.example.test".to_owned(), "bad name.test".to_owned()];
        raw.extend(hosted_names(&labels, &many));
        let out = names(raw);
        assert_eq!(out.len(), MAX_NAMES);
        assert_eq!(out[0], "mx.example.test");
        assert_eq!(out[1], "mail.d0.test");
    }

    #[test]
    fn lists_split_on_commas_and_lines() {
        assert_eq!(
            list("a.test, b.test\n c.test,,"),
            vec!["a.test", "b.test", "c.test"]
        );
    }
}
