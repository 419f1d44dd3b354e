//! What a certificate file says about itself, for people: the names it is valid for, who
//! issued it, its serial number and validity. Read from the first certificate of a PEM file
//! (the leaf of a chain): what the keeper compares with the wanted names and dates, and
//! what it logs and `heron acme status` shows.

use std::path::Path;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use x509_cert::der::Decode;
use x509_cert::der::oid::AssociatedOid;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use crate::AcmeError;

/// The leaf certificate of a PEM file, described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertDescription {
    /// Subject distinguished name (RFC 4514 form).
    pub subject: String,
    /// Issuer distinguished name (RFC 4514 form).
    pub issuer: String,
    /// DNS names and IP addresses of the subject alternative name extension.
    pub names: Vec<String>,
    /// Serial number, lower-case hex.
    pub serial: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
}

/// Describe the first certificate of the PEM file `path`.
pub fn describe_file(path: &Path) -> Result<CertDescription, AcmeError> {
    let der = CertificateDer::from_pem_file(path).map_err(|e| {
        AcmeError::Stored(format!("cannot read certificate {}: {e}", path.display()))
    })?;
    describe(der.as_ref())
        .map_err(|e| AcmeError::Stored(format!("cannot parse certificate {}: {e}", path.display())))
}

/// Describe a DER certificate.
pub fn describe(der: &[u8]) -> Result<CertDescription, x509_cert::der::Error> {
    let cert = x509_cert::Certificate::from_der(der)?;
    let tbs = &cert.tbs_certificate;
    let mut names = Vec::new();
    for ext in tbs.extensions.iter().flatten() {
        if ext.extn_id != <SubjectAltName as AssociatedOid>::OID {
            continue;
        }
        let san = SubjectAltName::from_der(ext.extn_value.as_bytes())?;
        for name in san.0 {
            match name {
                GeneralName::DnsName(d) => names.push(d.to_string()),
                GeneralName::IpAddress(ip) => names.extend(ip_text(ip.as_bytes())),
                _ => {}
            }
        }
    }
    let unix = |t: x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    Ok(CertDescription {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        names,
        serial: tbs
            .serial_number
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        not_before: unix(tbs.validity.not_before),
        not_after: unix(tbs.validity.not_after),
    })
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv4Addr::from(b).to_string()),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_issuer_and_validity_are_read() {
        let mut params =
            rcgen::CertificateParams::new(vec!["mx.example.test".to_owned()]).expect("params");
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress("192.0.2.9".parse().expect("ip")));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mx.example.test");
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        let d = describe(cert.der()).expect("described");
        assert_eq!(d.names, vec!["mx.example.test", "192.0.2.9"]);
        assert!(d.issuer.contains("CN=mx.example.test"), "{}", d.issuer);
        assert_eq!(d.issuer, d.subject);
        assert!(d.not_after > d.not_before);
        assert!(!d.serial.is_empty());
    }
}
