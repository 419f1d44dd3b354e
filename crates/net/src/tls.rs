//! TLS for listeners (BIND-2, SEC-8): PEM certificate files, and a self-signed certificate
//! made on first start so STARTTLS works out of the box.
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

/// Make the self-signed certificate for `hostname` unless it exists.
pub fn ensure_self_signed(data_dir: &Path, hostname: &str) -> Result<(PathBuf, PathBuf), NetError> {
    let (cert, key) = self_signed_paths(data_dir);
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    let names = vec![hostname.to_owned(), "localhost".to_owned()];
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| NetError::Tls(format!("cannot make a self-signed certificate: {e}")))?;
    let dir = cert.parent().unwrap_or(data_dir);
    fs::create_dir_all(dir)
        .map_err(|e| NetError::Tls(format!("cannot create {}: {e}", dir.display())))?;
    write_private(&key, made.key_pair.serialize_pem().as_bytes())?;
    fs::write(&cert, made.cert.pem())
        .map_err(|e| NetError::Tls(format!("cannot write {}: {e}", cert.display())))?;
    Ok((cert, key))
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
