//! Every DNS record a hosted domain should publish, from the settings in force: MX and the
//! host's addresses, SPF, DKIM (from the domain's key), DMARC, MTA-STS (`_mta-sts` TXT and
//! the `mta-sts` host), TLS-RPT (`_smtp._tls`), the `autoconfig`/`autodiscover` host names,
//! RFC 6186 SRV records for the client listeners, and TLSA (DANE, RFC 7672) for the SMTP port.
//!
//! Invariants: names are absolute (trailing dot); a TXT value is given unquoted (the zone
//! form splits it into strings of at most 255 bytes); SRV records exist for every RFC 6186
//! service, a service without a listener getting the "not offered" target `.` (§3.4).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use heron_settings::values::{Encryption, Protocol, canonical, parse_listeners};
use heron_settings::{Settings, defs};
use heron_store::{DkimRecord, Domain};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::SetupError;
use crate::endpoints::{self, Security, Service};

/// How a published record is compared with the wanted one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// The same value (case-insensitively, ignoring a final dot and spacing).
    Exact,
    /// Any TXT record of the same kind (its first `tag=value`) will do: the value's details
    /// (a policy id) are the publisher's choice.
    Kind,
}

/// One record to publish.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Absolute owner name, with the final dot.
    pub name: String,
    /// MX, TXT, CNAME, A, AAAA, SRV or TLSA.
    #[serde(rename = "type")]
    pub rtype: String,
    /// The value in zone-file form (TXT unquoted).
    pub value: String,
    /// What the record is for.
    pub purpose: String,
    /// How the check compares it.
    #[serde(skip)]
    pub matching: Match,
}

impl Record {
    fn new(name: String, rtype: &str, value: String, purpose: &str) -> Self {
        Record {
            name,
            rtype: rtype.into(),
            value,
            purpose: purpose.into(),
            matching: Match::Exact,
        }
    }

    /// The record as a zone-file line.
    pub fn zone_line(&self) -> String {
        let value = if self.rtype == "TXT" {
            txt_strings(&self.value)
        } else {
            self.value.clone()
        };
        format!("{} IN {} {}", self.name, self.rtype, value)
    }
}

/// A TXT value as quoted strings of at most 255 bytes.
fn txt_strings(v: &str) -> String {
    let bytes = v.as_bytes();
    bytes
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c).replace('"', "\\\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the records are computed from beyond the settings.
pub struct Inputs<'a> {
    pub domain: &'a Domain,
    /// The domain's DKIM key, if it has one.
    pub dkim: Option<&'a DkimRecord>,
    /// The data directory (where the self-signed certificate lives).
    pub data_dir: &'a Path,
}

fn abs(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

/// The addresses the host name should resolve to: the domain's bound IP (BIND-4), else the
/// SMTP listeners' own addresses, else this machine's addresses (loopback and link-local left
/// out when there are others).
fn host_ips(settings: &Settings, domain: &Domain) -> Vec<IpAddr> {
    if let Some(ip) = endpoints::bound_ip(domain) {
        return vec![ip];
    }
    let raw = settings.raw(defs::BIND_LISTENERS.name).unwrap_or_default();
    let mut ips: Vec<IpAddr> = Vec::new();
    let mut any = false;
    for l in parse_listeners(&raw).unwrap_or_default() {
        if l.protocol != Protocol::Smtp {
            continue;
        }
        let ip = canonical(l.addr.ip());
        if ip.is_unspecified() {
            any = true;
        } else if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    if any || ips.is_empty() {
        let all = heron_net::host_addresses();
        let public: Vec<IpAddr> = all
            .iter()
            .copied()
            .filter(|ip| !ip.is_loopback() && !is_link_local(*ip))
            .collect();
        for ip in if public.is_empty() { all } else { public } {
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
    }
    ips
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// The SMTP listener that receives mail from other servers: its port and certificate pair.
fn smtp_listener(settings: &Settings, domain: &Domain) -> Option<(u16, Option<(String, String)>)> {
    let raw = settings.raw(defs::BIND_LISTENERS.name).unwrap_or_default();
    let only = endpoints::bound_ip(domain);
    parse_listeners(&raw)
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.protocol == Protocol::Smtp && l.encryption != Encryption::Implicit)
        .find(|l| {
            let ip = canonical(l.addr.ip());
            only.is_none_or(|o| ip.is_unspecified() || ip == o)
        })
        .map(|l| (l.addr.port(), l.cert))
}

/// The certificate file SMTP presents: the listener's own, else `tls.cert`, else the
/// self-signed one of the data directory.
fn certificate_path(
    settings: &Settings,
    own: Option<(String, String)>,
    data_dir: &Path,
) -> PathBuf {
    if let Some((cert, _)) = own {
        return PathBuf::from(cert);
    }
    let configured = settings.get(defs::TLS_CERT);
    if !configured.trim().is_empty() {
        return PathBuf::from(configured.trim());
    }
    heron_net::tls::self_signed_paths(data_dir).0
}

/// RFC 6698 "3 1 1": the SHA-256 of the certificate's SubjectPublicKeyInfo, in hex.
pub fn tlsa_311(cert_pem: &Path) -> Result<String, SetupError> {
    use x509_cert::der::{Decode, Encode};
    let fail = |why: String| SetupError::Certificate {
        path: cert_pem.display().to_string(),
        why,
    };
    let der = CertificateDer::from_pem_file(cert_pem).map_err(|e| fail(e.to_string()))?;
    let cert = x509_cert::Certificate::from_der(der.as_ref()).map_err(|e| fail(e.to_string()))?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| fail(e.to_string()))?;
    Ok(Sha256::digest(&spki)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn srv_name(service: Service, security: Security) -> &'static str {
    match (service, security) {
        (Service::Imap, Security::Tls) => "_imaps._tcp",
        (Service::Imap, _) => "_imap._tcp",
        (Service::Pop3, Security::Tls) => "_pop3s._tcp",
        (Service::Pop3, _) => "_pop3._tcp",
        (Service::Submission, Security::Tls) => "_submissions._tcp",
        (Service::Submission, _) => "_submission._tcp",
    }
}

/// Every record the domain should publish, with the problems met on the way (a certificate
/// or DKIM key that cannot be read leaves its record out and says why).
pub fn expected(settings: &Settings, i: &Inputs<'_>) -> (Vec<Record>, Vec<String>) {
    let d = i.domain;
    let setup = endpoints::for_domain(settings, d);
    let host = setup.hostname.clone();
    let mut out = vec![Record::new(
        abs(&d.name),
        "MX",
        format!("10 {}", abs(&host)),
        "Mail for the domain goes to this server",
    )];
    for ip in host_ips(settings, d) {
        let t = if ip.is_ipv4() { "A" } else { "AAAA" };
        out.push(Record::new(
            abs(&host),
            t,
            ip.to_string(),
            "The server's address",
        ));
    }
    let mut problems = Vec::new();
    sender_policies(&d.name, &host, i.dkim, &mut out, &mut problems);
    client_records(&setup, &mut out);
    if let Some((port, own)) = smtp_listener(settings, d) {
        let path = certificate_path(settings, own, i.data_dir);
        match tlsa_311(&path) {
            Ok(hash) => out.push(Record::new(
                abs(&format!("_{port}._tcp.{host}")),
                "TLSA",
                format!("3 1 1 {hash}"),
                "DANE: the SMTP certificate's public key",
            )),
            Err(e) => problems.push(format!("no TLSA record: {e}")),
        }
    }
    (out, problems)
}

/// SPF, DKIM, DMARC, MTA-STS and TLS-RPT of `domain`, whose MX is `host`.
fn sender_policies(
    domain: &str,
    host: &str,
    dkim: Option<&DkimRecord>,
    out: &mut Vec<Record>,
    problems: &mut Vec<String>,
) {
    out.push(Record::new(
        abs(domain),
        "TXT",
        "v=spf1 mx -all".into(),
        "SPF: the MX hosts send the domain's mail",
    ));
    match dkim {
        Some(rec) => match dkim_record(rec) {
            Ok((name, value)) => out.push(Record::new(abs(&name), "TXT", value, "DKIM public key")),
            Err(why) => problems.push(format!("the DKIM key of {domain} cannot be used: {why}")),
        },
        None => problems.push(format!(
            "{domain} has no DKIM key, so its mail is not signed (heron dkim generate {domain})"
        )),
    }
    out.push(Record::new(
        abs(&format!("_dmarc.{domain}")),
        "TXT",
        format!("v=DMARC1; p=quarantine; rua=mailto:postmaster@{domain}"),
        "DMARC policy and aggregate reports",
    ));
    let mut sts = Record::new(
        abs(&format!("_mta-sts.{domain}")),
        "TXT",
        format!("v=STSv1; id={}", policy_id(host)),
        "MTA-STS: a policy is published (change the id when the policy changes)",
    );
    sts.matching = Match::Kind;
    out.push(sts);
    out.push(Record::new(
        abs(&format!("mta-sts.{domain}")),
        "CNAME",
        abs(host),
        "MTA-STS policy host (HTTPS)",
    ));
    out.push(Record::new(
        abs(&format!("_smtp._tls.{domain}")),
        "TXT",
        format!("v=TLSRPTv1; rua=mailto:postmaster@{domain}"),
        "TLS-RPT: where TLS failure reports go",
    ));
}

/// The public DKIM record of a stored key: (name, value).
fn dkim_record(rec: &DkimRecord) -> Result<(String, String), String> {
    let key = heron_mailauth::dkim::DkimKey::from_pem(&rec.domain, &rec.selector, &rec.private_key)
        .map_err(|e| e.to_string())?;
    let value = key.txt_value().map_err(|e| e.to_string())?;
    Ok((key.record_name(), value))
}

/// The autoconfig and autodiscover names and the RFC 6186 SRV records.
fn client_records(setup: &endpoints::ClientSetup, out: &mut Vec<Record>) {
    let (domain, host) = (&setup.domain, &setup.hostname);
    for (name, what) in [
        ("autoconfig", "Thunderbird autoconfiguration"),
        ("autodiscover", "Outlook autodiscover"),
    ] {
        out.push(Record::new(
            abs(&format!("{name}.{domain}")),
            "CNAME",
            abs(host),
            what,
        ));
    }
    for service in [Service::Imap, Service::Pop3, Service::Submission] {
        for security in [Security::Tls, Security::StartTls] {
            let name = srv_name(service, security);
            let value = match setup
                .of(service)
                .find(|e| srv_name(e.service, e.security) == name)
            {
                Some(e) => format!("0 1 {} {}", e.port, abs(host)),
                None => "0 0 0 .".into(),
            };
            out.push(Record::new(
                abs(&format!("{name}.{domain}")),
                "SRV",
                value,
                "RFC 6186 client service location",
            ));
        }
    }
}

/// An MTA-STS policy id that changes when the MX host does.
fn policy_id(host: &str) -> String {
    Sha256::digest(host.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_txt_is_split() {
        let v = "a".repeat(300);
        let s = super::txt_strings(&v);
        assert_eq!(s.matches('"').count(), 4);
    }
}
