//! TLS client configurations for POP retrieval: one verifying the server's certificate
//! against the Web PKI roots plus the certificates of `pop_retrieval.tls_ca_file` (the
//! default; [`heron_net::webpki_client`]), one accepting any certificate for accounts whose `verify_tls` is off (a private
//! server with a self-signed certificate). Handshake signatures are checked either way.
//!
//! Invariants: one process-wide configuration of each kind per CA file name (ring provider,
//! safe default protocol versions), so sessions resume; a CA file that cannot be read is an
//! error, never a silent fall back to no verification.

use std::sync::{Arc, Mutex, OnceLock};

use heron_net::any_cert::AnyCertificate;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::{self, ClientConfig};

use super::RetrievalError;

/// Verifying configurations built so far, by CA file name.
static VERIFYING: Mutex<Vec<(String, Arc<ClientConfig>)>> = Mutex::new(Vec::new());
static TRUSTING: OnceLock<Arc<ClientConfig>> = OnceLock::new();

/// The client configuration: verifying certificates (trusting `ca_file` too) or not.
pub fn config(verify: bool, ca_file: &str) -> Result<Arc<ClientConfig>, RetrievalError> {
    let ca_file = ca_file.trim();
    if !verify {
        if let Some(c) = TRUSTING.get() {
            return Ok(c.clone());
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = builder(&provider)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate::new(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth();
        return Ok(TRUSTING.get_or_init(|| Arc::new(config)).clone());
    }
    if let Ok(built) = VERIFYING.lock()
        && let Some((_, c)) = built.iter().find(|(f, _)| f == ca_file)
    {
        return Ok(c.clone());
    }
    let config = verifying(ca_file)?;
    if let Ok(mut built) = VERIFYING.lock() {
        built.push((ca_file.to_owned(), config.clone()));
    }
    Ok(config)
}

fn builder(
    provider: &Arc<CryptoProvider>,
) -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, RetrievalError> {
    ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| RetrievalError::Tls(format!("cannot configure TLS: {e}")))
}

fn verifying(ca_file: &str) -> Result<Arc<ClientConfig>, RetrievalError> {
    heron_net::webpki_client::verifying_config(ca_file).map_err(RetrievalError::Tls)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn configurations_are_shared_and_a_missing_ca_file_fails() {
        let a = config(true, "").unwrap();
        assert!(Arc::ptr_eq(&a, &config(true, " ").unwrap()));
        assert!(Arc::ptr_eq(
            &config(false, "").unwrap(),
            &config(false, "/nonexistent").unwrap()
        ));
        assert!(matches!(
            config(true, "/nonexistent/ca.pem"),
            Err(RetrievalError::Tls(_))
        ));
    }
}
