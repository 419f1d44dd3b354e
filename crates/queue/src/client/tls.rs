//! TLS for outbound SMTP: opportunistic (RFC 7435), so any server certificate is accepted,
//! but the handshake signatures are still checked with the provider's algorithms (the peer
//! must hold the key of the certificate it shows, and the session keys are authentic).
//!
//! Invariant: one process-wide client configuration (ring provider, safe default protocol
//! versions), shared so TLS sessions can be resumed across connections.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use heron_net::any_cert::AnyCertificate;
use rustls::ClientConfig;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::ServerName;

use super::ClientError;

static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();

/// The client configuration used for STARTTLS.
pub(crate) fn client_config() -> Result<Arc<ClientConfig>, ClientError> {
    if let Some(config) = CONFIG.get() {
        return Ok(config.clone());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(AnyCertificate::new(
        provider.signature_verification_algorithms,
    ));
    let config = ClientConfig::builder_with_provider(provider as Arc<CryptoProvider>)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(format!("cannot configure TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(CONFIG.get_or_init(|| Arc::new(config)).clone())
}

/// The name sent in SNI: the server's host name, or its address when the name is not a
/// valid DNS name (an address literal, a gateway given by IP).
pub(crate) fn server_name(host: &str, addr: SocketAddr) -> ServerName<'static> {
    let host = host.trim_end_matches('.');
    ServerName::try_from(host.to_owned()).unwrap_or_else(|_| ServerName::from(addr.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_builds_once() {
        let a = client_config().expect("config");
        let b = client_config().expect("config");
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn sni_names() {
        let addr: SocketAddr = "192.0.2.1:25".parse().expect("addr");
        assert!(
            matches!(server_name("mx.example.com.", addr), ServerName::DnsName(n) if n.as_ref() == "mx.example.com")
        );
        assert!(matches!(
            server_name("not a name", addr),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("192.0.2.9", addr),
            ServerName::IpAddress(_)
        ));
    }
}
