//! TLS client configurations for POP retrieval: one verifying the server's certificate
//! against the Web PKI roots (the default), one accepting any certificate for accounts whose
//! `verify_tls` is off (a private server with a self-signed certificate). Handshake
//! signatures are checked either way.
//!
//! Invariant: one process-wide configuration of each kind (ring provider, safe default
//! protocol versions).

use std::sync::{Arc, OnceLock};

use heron_net::any_cert::AnyCertificate;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use super::RetrievalError;

static VERIFYING: OnceLock<Arc<ClientConfig>> = OnceLock::new();
static TRUSTING: OnceLock<Arc<ClientConfig>> = OnceLock::new();

/// The client configuration: verifying certificates or not.
pub fn config(verify: bool) -> Result<&'static Arc<ClientConfig>, RetrievalError> {
    let cell = if verify { &VERIFYING } else { &TRUSTING };
    if let Some(c) = cell.get() {
        return Ok(c);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone() as Arc<CryptoProvider>)
        .with_safe_default_protocol_versions()
        .map_err(|e| RetrievalError::Tls(format!("cannot configure TLS: {e}")))?;
    let config = if verify {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate::new(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth()
    };
    Ok(cell.get_or_init(|| Arc::new(config)))
}
