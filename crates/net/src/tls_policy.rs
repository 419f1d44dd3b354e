//! What every TLS listener offers (SEC-8): the protocol versions, cipher suites and their
//! order, the same for the mail listeners and the admin listener.
//!
//! Invariants:
//! - TLS 1.2 and 1.3 only; SSL and TLS 1.0/1.1 are never offered.
//! - TLS 1.2 suites are ECDHE key exchange with an AEAD cipher, nothing else (no static RSA,
//!   no CBC, no SHA-1 MAC), so every session has forward secrecy.
//! - The server's order of suites decides, not the client's (`ignore_client_order`): AES-256-GCM,
//!   then ChaCha20-Poly1305, then AES-128-GCM.
//! - rustls never renegotiates, and it answers the RFC 5746 renegotiation_info extension, so
//!   scanners see secure renegotiation and no client-initiated one.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::crypto::ring::{cipher_suite, default_provider};
use rustls::{ServerConfig, SupportedCipherSuite};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The suites offered, in the server's order of preference.
pub const SUITES: &[SupportedCipherSuite] = &[
    cipher_suite::TLS13_AES_256_GCM_SHA384,
    cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
    cipher_suite::TLS13_AES_128_GCM_SHA256,
    cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
];

/// The protocol versions offered.
pub const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The crypto provider of every listener: *ring* limited to [`SUITES`].
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: SUITES.to_vec(),
        ..default_provider()
    })
}

/// A server configuration presenting `certs` with `key` under this policy.
pub fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerConfig, rustls::Error> {
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    cfg.ignore_client_order = true;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::CipherSuite;

    #[test]
    fn tls12_suites_are_ecdhe_with_aead_only() {
        for s in SUITES {
            if let SupportedCipherSuite::Tls12(t) = s {
                let name = format!("{:?}", t.common.suite);
                assert!(name.starts_with("TLS_ECDHE_"), "{name}");
                assert!(
                    name.contains("_GCM_") || name.contains("CHACHA20_POLY1305"),
                    "{name}"
                );
            }
        }
        assert_eq!(SUITES[0].suite(), CipherSuite::TLS13_AES_256_GCM_SHA384);
    }

    #[test]
    fn the_server_order_decides() {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
        let key = PrivateKeyDer::try_from(made.key_pair.serialize_der()).expect("key");
        let cfg = server_config(vec![made.cert.der().clone()], key).expect("config");
        assert!(cfg.ignore_client_order);
    }
}
