//! TLS for listeners (BIND-2, SEC-8): PEM certificate files, and a self-signed certificate
//! made on first start so STARTTLS works out of the box. It names the server: subject CN the
//! host name, alternative names every host name and address of this machine known at start
//! (and `localhost`), so a client that checks names only has to trust it.
//!
//! Acceptors are cached per (certificate, key) pair and rebuilt when settings change, so a
//! replaced certificate takes effect for new connections without a restart.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::NetError;

/// Where the self-signed certificate lives inside the data directory.
pub fn self_signed_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("tls");
    (dir.join("self-signed.crt"), dir.join("self-signed.key"))
}

/// The subject a certificate made by rcgen's defaults carries (older Heron versions): such a
/// self-signed certificate is made again with this machine's names.
const RCGEN_DEFAULT_SUBJECT: &[u8] = b"rcgen self signed cert";

/// Make the self-signed certificate unless a current one exists. Its subject CN is
/// `hostname`; its subject alternative names are `hostname`, `names` (host names from the
/// settings), this machine's host name, `localhost`, and every address of this machine.
pub fn ensure_self_signed(
    data_dir: &Path,
    hostname: &str,
    names: &[String],
) -> Result<(PathBuf, PathBuf), NetError> {
    let (cert, key) = self_signed_paths(data_dir);
    if cert.exists() && key.exists() && !made_by_rcgen_defaults(&cert) {
        return Ok((cert, key));
    }
    let mut dns = vec![hostname.to_owned()];
    dns.extend(names.iter().cloned());
    dns.push(crate::system_hostname());
    dns.push("localhost".to_owned());
    let made = self_signed(hostname, &dns, &crate::host_addresses())?;
    let dir = cert.parent().unwrap_or(data_dir);
    fs::create_dir_all(dir)
        .map_err(|e| NetError::Tls(format!("cannot create {}: {e}", dir.display())))?;
    write_private(&key, made.1.as_bytes())?;
    fs::write(&cert, made.0)
        .map_err(|e| NetError::Tls(format!("cannot write {}: {e}", cert.display())))?;
    tracing::info!(target: "events", "made a self-signed certificate for {hostname} in {}", cert.display());
    Ok((cert, key))
}

/// Whether `cert` is a certificate with rcgen's default subject (made by an older version).
fn made_by_rcgen_defaults(cert: &Path) -> bool {
    CertificateDer::from_pem_file(cert).is_ok_and(|der| {
        der.windows(RCGEN_DEFAULT_SUBJECT.len())
            .any(|w| w == RCGEN_DEFAULT_SUBJECT)
    })
}

/// A self-signed certificate (PEM) and its key (PEM): subject CN `common_name`, alternative
/// names the valid, distinct `dns` names (any case) and the distinct `ips`.
fn self_signed(
    common_name: &str,
    dns: &[String],
    ips: &[std::net::IpAddr],
) -> Result<(String, String), NetError> {
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};
    let fail =
        |e: rcgen::Error| NetError::Tls(format!("cannot make a self-signed certificate: {e}"));
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, common_name);
    params.distinguished_name = subject;
    let mut seen = std::collections::HashSet::new();
    for name in dns {
        let lower = name.trim_end_matches('.').to_ascii_lowercase();
        if lower.is_empty()
            || lower.parse::<std::net::IpAddr>().is_ok()
            || !seen.insert(lower.clone())
        {
            continue;
        }
        if let Ok(n) = lower.try_into() {
            params.subject_alt_names.push(SanType::DnsName(n));
        }
    }
    let mut seen_ips = std::collections::HashSet::new();
    for ip in ips.iter().filter(|ip| seen_ips.insert(**ip)) {
        params.subject_alt_names.push(SanType::IpAddress(*ip));
    }
    let key = KeyPair::generate().map_err(fail)?;
    let cert = params.self_signed(&key).map_err(fail)?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), NetError> {
    use std::io::Write;
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| NetError::Tls(format!("cannot write {}: {e}", path.display())))
}

/// Build a rustls server configuration from PEM files.
pub fn load_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, NetError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| NetError::Tls(format!("cannot read certificate {}: {e}", cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| NetError::Tls(format!("bad certificate {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(NetError::Tls(format!(
            "{} holds no certificate",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| NetError::Tls(format!("cannot read private key {}: {e}", key.display())))?;
    let cfg = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| NetError::Tls(format!("certificate and key do not match: {e}")))?;
    Ok(Arc::new(cfg))
}

/// Acceptors by certificate pair, with a default pair.
pub struct TlsProvider {
    default: Mutex<(PathBuf, PathBuf)>,
    cache: Mutex<HashMap<(PathBuf, PathBuf), TlsAcceptor>>,
}

impl TlsProvider {
    /// A provider whose default certificate is `default`.
    pub fn new(default: (PathBuf, PathBuf)) -> Self {
        Self {
            default: Mutex::new(default),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Change the default pair and forget cached acceptors (files may have changed).
    pub fn reset(&self, default: (PathBuf, PathBuf)) {
        if let Ok(mut d) = self.default.lock() {
            *d = default;
        }
        if let Ok(mut c) = self.cache.lock() {
            c.clear();
        }
    }

    /// The acceptor for a listener's own pair, or the default.
    pub fn acceptor(&self, pair: Option<&(String, String)>) -> Result<TlsAcceptor, NetError> {
        let key = match pair {
            Some((c, k)) => (PathBuf::from(c), PathBuf::from(k)),
            None => self
                .default
                .lock()
                .map(|d| d.clone())
                .map_err(|_| NetError::Tls("lock poisoned".into()))?,
        };
        if let Some(a) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(a);
        }
        let acceptor = TlsAcceptor::from(load_config(&key.0, &key.1)?);
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, acceptor.clone());
        }
        Ok(acceptor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der_of(pem: &str) -> Vec<u8> {
        CertificateDer::from_pem_slice(pem.as_bytes())
            .expect("pem")
            .to_vec()
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn names_the_host_and_its_addresses_once_each() {
        let names = [
            "mx.example.test",
            "MX.example.test.",
            "other.test",
            "",
            "10.0.0.1",
        ]
        .map(String::from);
        let ips = [
            "192.0.2.7".parse().expect("ip"),
            "192.0.2.7".parse().expect("ip"),
        ];
        let (pem, key) = self_signed("mx.example.test", &names, &ips).expect("made");
        assert!(key.contains("PRIVATE KEY"));
        let der = der_of(&pem);
        assert!(contains(&der, b"mx.example.test"));
        assert!(contains(&der, b"other.test"));
        assert!(!contains(&der, RCGEN_DEFAULT_SUBJECT));
        // Issuer CN, subject CN (self-signed: the same) and one DNS name; the upper-case and
        // dotted spellings are not added again.
        assert_eq!(
            der.windows(15).filter(|w| *w == b"mx.example.test").count(),
            3
        );
        assert_eq!(der.windows(4).filter(|w| *w == [192, 0, 2, 7]).count(), 1);
    }

    #[test]
    fn a_certificate_of_older_versions_is_made_again() {
        let t = tempfile::tempdir().expect("tempdir");
        let (cert, key) = self_signed_paths(t.path());
        fs::create_dir_all(cert.parent().expect("dir")).expect("mkdir");
        let old = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("old");
        fs::write(&cert, old.cert.pem()).expect("write");
        fs::write(&key, old.key_pair.serialize_pem()).expect("write");
        assert!(made_by_rcgen_defaults(&cert));
        ensure_self_signed(t.path(), "mx.example.test", &[]).expect("made again");
        assert!(!made_by_rcgen_defaults(&cert));
        let now = fs::read(&cert).expect("read");
        ensure_self_signed(t.path(), "other.example.test", &[]).expect("kept");
        assert_eq!(fs::read(&cert).expect("read"), now);
    }
}
