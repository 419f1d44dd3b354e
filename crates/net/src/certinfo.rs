//! What a certificate says, for people: its names (subject alternative names, else the
//! subject), issuer and validity, read from the first certificate of a PEM chain.
//!
//! Invariant: only reads; a certificate that cannot be parsed is an error, never a guess.

use std::net::IpAddr;
use std::path::Path;
use std::time::SystemTime;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use crate::NetError;

/// The facts of one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// The subject alternative names (DNS names, then addresses), or the subject's common
    /// name when it has none.
    pub names: Vec<String>,
    /// The subject, as an RFC 4514 string.
    pub subject: String,
    /// The issuer, as an RFC 4514 string.
    pub issuer: String,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
    /// Issuer and subject are the same name (a self-signed certificate, or a root).
    pub self_issued: bool,
    /// Certificates in the chain, the first included.
    pub chain_len: usize,
}

/// The facts of the first certificate of the PEM file `cert`.
pub fn describe(cert: &Path) -> Result<CertInfo, NetError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| NetError::Tls(format!("cannot read certificate {}: {e}", cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| NetError::Tls(format!("bad certificate {}: {e}", cert.display())))?;
    describe_chain(&chain)
}

/// The facts of the first certificate of `chain`.
pub fn describe_chain(chain: &[CertificateDer<'_>]) -> Result<CertInfo, NetError> {
    let first = chain
        .first()
        .ok_or_else(|| NetError::Tls("no certificate".into()))?;
    let parsed = x509_cert::Certificate::from_der(first.as_ref())
        .map_err(|e| NetError::Tls(format!("cannot parse the certificate: {e}")))?;
    let tbs = &parsed.tbs_certificate;
    let mut names = Vec::new();
    if let Ok(Some((_, SubjectAltName(sans)))) = tbs.get::<SubjectAltName>() {
        for n in &sans {
            if let GeneralName::DnsName(d) = n {
                names.push(d.to_string());
            }
        }
        for n in &sans {
            if let GeneralName::IpAddress(ip) = n {
                names.extend(ip_text(ip.as_bytes()));
            }
        }
    }
    let subject = tbs.subject.to_string();
    if names.is_empty() {
        names.extend(common_name(&subject));
    }
    Ok(CertInfo {
        names,
        issuer: tbs.issuer.to_string(),
        self_issued: tbs.issuer == tbs.subject,
        subject,
        not_before: SystemTime::UNIX_EPOCH + tbs.validity.not_before.to_unix_duration(),
        not_after: SystemTime::UNIX_EPOCH + tbs.validity.not_after.to_unix_duration(),
        chain_len: chain.len(),
    })
}

/// An address of a SAN entry (4 or 16 bytes).
fn ip_text(b: &[u8]) -> Option<String> {
    let ip = match b.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(b).ok()?),
        16 => IpAddr::from(<[u8; 16]>::try_from(b).ok()?),
        _ => return None,
    };
    Some(ip.to_string())
}

/// The `CN=` value of an RFC 4514 subject string.
fn common_name(subject: &str) -> Option<String> {
    subject
        .split(',')
        .find_map(|part| part.trim().strip_prefix("CN="))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_issuer_and_validity_of_a_self_signed_certificate() {
        let mut params =
            rcgen::CertificateParams::new(vec!["mx.example.test".to_owned()]).expect("params");
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress("192.0.2.1".parse().expect("ip")));
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, "mx.example.test");
        params.distinguished_name = dn;
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        let info = describe_chain(&[cert.der().clone()]).expect("info");
        assert_eq!(info.names, ["mx.example.test", "192.0.2.1"]);
        assert!(info.self_issued);
        assert_eq!(info.issuer, "CN=mx.example.test");
        assert!(info.not_after > info.not_before);
        assert_eq!(common_name("O=x,CN=a.test"), Some("a.test".into()));
    }
}
