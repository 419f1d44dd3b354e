//! The verifying TLS client configuration of outbound clients (MTA-STS policy fetches, MX
//! hosts under a policy, POP retrieval): the public web roots plus the certificates of an
//! optional PEM file naming a private or test certificate authority.
//!
//! Invariant: a CA file that cannot be read, or holds no certificate, is an error, never a
//! silent fall back to the public roots alone or to no verification.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// A client configuration verifying server certificates against the web roots and the
/// certificates of `ca_file` (empty: the web roots only); the error says what is wrong.
pub fn verifying_config(ca_file: &str) -> Result<Arc<ClientConfig>, String> {
    let ca_file = ca_file.trim();
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if !ca_file.is_empty() {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca_file)
            .map_err(|e| format!("cannot read the CA file {ca_file}: {e}"))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("cannot read the CA file {ca_file}: {e}"))?;
        if certs.is_empty() {
            return Err(format!("no certificate in the CA file {ca_file}"));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| format!("bad certificate in {ca_file}: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("cannot build the certificate verifier: {e}"))?;
    let config = ClientConfig::builder_with_provider(provider as Arc<CryptoProvider>)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot configure TLS: {e}"))?
        .with_webpki_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_is_an_error() {
        assert!(verifying_config("").is_ok());
        let e = verifying_config("/nonexistent/ca.pem").unwrap_err();
        assert!(e.contains("cannot read the CA file"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let e = verifying_config(empty.to_str().unwrap()).unwrap_err();
        assert!(e.contains("no certificate"), "{e}");
    }
}
