//! The ACME challenge answers this process gives while a certificate is being obtained:
//! HTTP-01 (RFC 8555 §8.3), a key authorization served by the admin listener at
//! `/.well-known/acme-challenge/{token}`, and TLS-ALPN-01 (RFC 8737), a certificate for the
//! name being validated presented by the implicit-TLS listeners to a client that offers only
//! the `acme-tls/1` protocol.
//!
//! The answers are process-wide (one table each): the ACME client writes them, the admin
//! listener and the TLS listeners read them. Invariants: while no TLS-ALPN-01 answer is
//! pending, implicit-TLS handshakes run exactly as without ACME; a connection that offers
//! `acme-tls/1` gets the challenge certificate and nothing else (it is closed after the
//! handshake, no session is started on it); answers are removed once their order is done.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use rustls::ServerConfig;
use rustls::server::ResolvesServerCert;
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::{LazyConfigAcceptor, TlsAcceptor};

use crate::NetError;
use crate::stream::SessionStream;

/// The ALPN protocol of TLS-ALPN-01 validation connections (RFC 8737 §6.2).
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

#[derive(Default)]
struct Answers {
    /// HTTP-01: token → key authorization.
    http: HashMap<String, String>,
    /// TLS-ALPN-01: lower-case name → configuration presenting its challenge certificate.
    tls: HashMap<String, Arc<ServerConfig>>,
}

fn answers() -> &'static Mutex<Answers> {
    static ANSWERS: OnceLock<Mutex<Answers>> = OnceLock::new();
    ANSWERS.get_or_init(Mutex::default)
}

/// Serve `key_authorization` for the HTTP-01 `token` until [`remove_http`].
pub fn set_http(token: &str, key_authorization: &str) {
    if let Ok(mut a) = answers().lock() {
        a.http
            .insert(token.to_owned(), key_authorization.to_owned());
    }
}

/// Stop serving the HTTP-01 `token`.
pub fn remove_http(token: &str) {
    if let Ok(mut a) = answers().lock() {
        a.http.remove(token);
    }
}

/// The key authorization for an HTTP-01 `token`, while it is pending.
pub fn http(token: &str) -> Option<String> {
    answers().lock().ok()?.http.get(token).cloned()
}

/// Present a TLS-ALPN-01 certificate for `name` until [`remove_tls_alpn`]: self-signed, its
/// only alternative name `name`, with the critical acmeIdentifier extension holding
/// `digest`, the SHA-256 of the key authorization (RFC 8737 §3).
pub fn set_tls_alpn(name: &str, digest: &[u8]) -> Result<(), NetError> {
    use rcgen::{CertificateParams, CustomExtension, KeyPair};
    let fail = |e: rcgen::Error| NetError::Tls(format!("cannot make a challenge certificate: {e}"));
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let mut params = CertificateParams::new(vec![name.clone()]).map_err(fail)?;
    params
        .custom_extensions
        .push(CustomExtension::new_acme_identifier(digest));
    let key = KeyPair::generate().map_err(fail)?;
    let cert = params.self_signed(&key).map_err(fail)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing = rustls::crypto::ring::sign::any_supported_type(&key_der)
        .map_err(|e| NetError::Tls(format!("cannot use a challenge key: {e}")))?;
    // Not `with_single_cert`: it parses the certificate and refuses the critical
    // acmeIdentifier extension it does not know.
    let certified = CertifiedKey::new(vec![CertificateDer::from(cert.der().to_vec())], signing);
    let mut cfg = ServerConfig::builder()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(ChallengeCert(Arc::new(certified))));
    cfg.alpn_protocols = vec![ACME_TLS_ALPN.to_vec()];
    if let Ok(mut a) = answers().lock() {
        a.tls.insert(name, Arc::new(cfg));
    }
    Ok(())
}

/// Presents one challenge certificate, whatever the ClientHello asks.
#[derive(Debug)]
struct ChallengeCert(Arc<CertifiedKey>);

impl ResolvesServerCert for ChallengeCert {
    fn resolve(&self, _hello: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Stop presenting the TLS-ALPN-01 certificate for `name`.
pub fn remove_tls_alpn(name: &str) {
    if let Ok(mut a) = answers().lock() {
        a.tls
            .remove(&name.trim_end_matches('.').to_ascii_lowercase());
    }
}

/// The TLS-ALPN-01 configuration for `name`, or whether any is pending (`name` `None`).
fn tls_alpn(name: Option<&str>) -> Option<Option<Arc<ServerConfig>>> {
    let a = answers().lock().ok()?;
    if a.tls.is_empty() {
        return None;
    }
    Some(name.and_then(|n| a.tls.get(&n.to_ascii_lowercase()).cloned()))
}

/// The TLS handshake of an implicit-TLS connection. While a TLS-ALPN-01 answer is pending,
/// the ClientHello is read first: a validation connection (offering `acme-tls/1`) gets its
/// challenge certificate and is closed (`None`); any other goes on with `acceptor`.
pub async fn accept_implicit(
    tcp: TcpStream,
    acceptor: &TlsAcceptor,
) -> io::Result<Option<SessionStream>> {
    if tls_alpn(None).is_none() {
        return SessionStream::Plain(tcp).upgrade(acceptor).await.map(Some);
    }
    let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await?;
    let hello = start.client_hello();
    let validation = hello
        .alpn()
        .is_some_and(|mut offered| offered.any(|p| p == ACME_TLS_ALPN));
    if !validation {
        let stream = start.into_stream(acceptor.config().clone()).await?;
        return Ok(Some(SessionStream::Tls(Box::new(stream))));
    }
    let name = hello.server_name().map(str::to_owned);
    let Some(cfg) = tls_alpn(name.as_deref()).flatten() else {
        return Err(io::Error::other(format!(
            "an ACME validation connection asked for {}, which has no challenge pending",
            name.as_deref().unwrap_or("no name")
        )));
    };
    let mut stream = start.into_stream(cfg).await?;
    let _ = stream.shutdown().await;
    tracing::info!(target: "events", "answered a TLS-ALPN-01 challenge for {}", name.unwrap_or_default());
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::{DigitallySignedStruct, SignatureScheme};
    use rustls_pki_types::{ServerName, UnixTime};

    /// Accepts any certificate: the test looks at what was presented.
    #[derive(Debug)]
    struct AnyCert;

    impl ServerCertVerifier for AnyCert {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            _: &[u8],
            _: &CertificateDer<'_>,
            _: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            Ok(HandshakeSignatureValid::assertion())
        }
        fn verify_tls13_signature(
            &self,
            _: &[u8],
            _: &CertificateDer<'_>,
            _: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            Ok(HandshakeSignatureValid::assertion())
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            rustls::crypto::ring::default_provider()
                .signature_verification_algorithms
                .supported_schemes()
        }
    }

    /// Connect to `addr` as `name`, offering `alpn`: the presented certificate and the
    /// negotiated protocol.
    async fn hello(
        addr: std::net::SocketAddr,
        name: &str,
        alpn: &[&[u8]],
    ) -> (Vec<u8>, Option<Vec<u8>>) {
        let mut cfg = rustls::ClientConfig::builder()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCert))
            .with_no_client_auth();
        cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let tcp = TcpStream::connect(addr).await.unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
            .connect(ServerName::try_from(name.to_owned()).unwrap(), tcp)
            .await
            .unwrap();
        let (_, conn) = tls.get_ref();
        let cert = conn.peer_certificates().unwrap()[0].to_vec();
        (cert, conn.alpn_protocol().map(<[u8]>::to_vec))
    }

    #[tokio::test]
    async fn implicit_tls_answers_validation_and_serves_everyone_else() {
        let normal = rcgen::generate_simple_self_signed(vec!["mx.alpn.test".to_owned()]).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(normal.key_pair.serialize_der()));
        let acceptor = TlsAcceptor::from(Arc::new(
            ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(vec![normal.cert.der().clone()], key)
                .unwrap(),
        ));
        set_tls_alpn("mx.alpn.test", &[9; 32]).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut sessions = 0;
            for _ in 0..2 {
                let (tcp, _) = listener.accept().await.unwrap();
                if accept_implicit(tcp, &acceptor).await.unwrap().is_some() {
                    sessions += 1;
                }
            }
            sessions
        });
        let (cert, alpn) = hello(addr, "mx.alpn.test", &[ACME_TLS_ALPN]).await;
        assert_eq!(alpn.as_deref(), Some(ACME_TLS_ALPN));
        // The acmeIdentifier extension (1.3.6.1.5.5.7.1.31) with the digest.
        let oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1f];
        assert!(cert.windows(oid.len()).any(|w| w == oid));
        assert!(cert.windows(32).any(|w| w == [9; 32]));
        let (cert, alpn) = hello(addr, "mx.alpn.test", &[b"imap"]).await;
        assert_eq!(alpn, None);
        assert_eq!(cert, normal.cert.der().to_vec());
        assert_eq!(
            server.await.unwrap(),
            1,
            "only the ordinary client gets a session"
        );
        remove_tls_alpn("mx.alpn.test");
    }

    #[test]
    fn http_answers_come_and_go() {
        set_http("tok-1", "tok-1.thumb");
        assert_eq!(http("tok-1").as_deref(), Some("tok-1.thumb"));
        remove_http("tok-1");
        assert_eq!(http("tok-1"), None);
    }

    #[test]
    fn a_tls_alpn_answer_is_found_by_name_in_any_case() {
        set_tls_alpn("Mx.Challenge.Test.", &[7; 32]).expect("made");
        let found = tls_alpn(Some("mx.challenge.test"))
            .flatten()
            .expect("found");
        assert_eq!(found.alpn_protocols, vec![ACME_TLS_ALPN.to_vec()]);
        assert!(tls_alpn(Some("MX.CHALLENGE.TEST")).flatten().is_some());
        remove_tls_alpn("mx.challenge.test");
        assert!(tls_alpn(Some("mx.challenge.test")).flatten().is_none());
    }
}
