//! DANE for SMTP (RFC 7672): TLSA records of an MX host, looked up only when the domain's MX
//! answer is DNSSEC-authenticated, and a certificate verifier that checks the server's chain
//! against them. A failed MX or TLSA lookup (SERVFAIL, as a validating resolver answers a
//! bogus RRset, or no answer) is never taken for "insecure": the mail waits (§2.1.1).
//!
//! DNSSEC trust: Heron does not validate signatures itself; it sends its own queries with the
//! AD bit set (RFC 6840 §5.7) to the first `dns.servers` entry (127.0.0.1:53 when none is
//! configured) and trusts the AD bit of the answer. That server must therefore be a trusted,
//! validating resolver on the same host (or reached over a trusted link), as with Postfix's
//! `smtp_dns_support_level = dnssec`; that is why `smtp_out.dane` is off by default.
//!
//! Invariants: only DANE-TA(2) and DANE-EE(3) records with selector 0/1 and matching type
//! 0/1/2 are usable (§3.1); with usable records the server must present a matching chain or
//! the session is refused (never plain text); DANE-EE ignores names and dates (§3.1.1);
//! DANE-TA chains are verified up to the matching certificate, names included (§3.1.2).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{
    CryptoProvider, WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature,
};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256, Sha512};
use tokio::net::UdpSocket;

/// One TLSA record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlsa {
    /// Certificate usage: 2 DANE-TA, 3 DANE-EE (0 and 1 are not usable for SMTP).
    pub usage: u8,
    /// 0: the whole certificate, 1: its SubjectPublicKeyInfo.
    pub selector: u8,
    /// 0: exact, 1: SHA-256, 2: SHA-512.
    pub matching: u8,
    /// The association data.
    pub data: Vec<u8>,
}

impl Tlsa {
    /// Whether SMTP may use the record (RFC 7672 §3.1).
    pub fn usable(&self) -> bool {
        matches!(self.usage, 2 | 3) && self.selector <= 1 && self.matching <= 2
    }

    /// The record in presentation form (for logs and TLS-RPT policy strings).
    pub fn text(&self) -> String {
        let hex: String = self.data.iter().map(|b| format!("{b:02x}")).collect();
        format!("{} {} {} {hex}", self.usage, self.selector, self.matching)
    }

    /// Whether `cert` matches the record's selector, matching type and data.
    pub fn matches(&self, cert: &CertificateDer<'_>) -> bool {
        let selected: Vec<u8> = match self.selector {
            0 => cert.as_ref().to_vec(),
            _ => match webpki::EndEntityCert::try_from(cert) {
                Ok(c) => c.subject_public_key_info().as_ref().to_vec(),
                Err(_) => return false,
            },
        };
        match self.matching {
            0 => selected == self.data,
            1 => Sha256::digest(&selected).as_slice() == self.data.as_slice(),
            2 => Sha512::digest(&selected).as_slice() == self.data.as_slice(),
            _ => false,
        }
    }
}

/// What the TLSA lookup of one MX host found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DaneLookup {
    /// No authenticated TLSA records: DANE does not apply.
    None,
    /// Authenticated records, some usable: authenticate the server with them.
    Usable(Vec<Tlsa>),
    /// Authenticated records, none usable: TLS is still required, unauthenticated (§2.2).
    Unusable,
    /// The lookup failed (SERVFAIL, timeout): defer (§2.2.1).
    Failed(String),
}

/// An answer: whether it was authenticated (AD), its code, and its records' data.
struct Answer {
    authentic: bool,
    code: ResponseCode,
    data: Vec<RData>,
}

/// Asks `server` for `name`/`rtype` with RD and AD set.
async fn ask(server: SocketAddr, name: &str, rtype: RecordType) -> Result<Answer, String> {
    let name = Name::from_ascii(name).map_err(|e| format!("bad name {name}: {e}"))?;
    let mut msg = Message::new(rand::random(), MessageType::Query, OpCode::Query);
    msg.metadata.recursion_desired = true;
    msg.metadata.authentic_data = true;
    msg.add_query(Query::query(name, rtype));
    let bytes = msg.to_vec().map_err(|e| e.to_string())?;
    let local: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let work = async {
        let sock = UdpSocket::bind(local).await.map_err(|e| e.to_string())?;
        sock.connect(server).await.map_err(|e| e.to_string())?;
        sock.send(&bytes).await.map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 4096];
        loop {
            let n = sock.recv(&mut buf).await.map_err(|e| e.to_string())?;
            let Ok(reply) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            if reply.metadata.id != msg.metadata.id {
                continue;
            }
            if reply.metadata.truncation {
                return Err("truncated DNS answer".to_owned());
            }
            return Ok(Answer {
                authentic: reply.metadata.authentic_data,
                code: reply.metadata.response_code,
                data: reply.answers.iter().map(|r| r.data.clone()).collect(),
            });
        }
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .map_err(|_| format!("DNS server {server} did not answer"))?
}

/// What the DNSSEC status of a domain's MX answer is (RFC 7672 §2.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MxSecurity {
    /// Authenticated (AD): DANE applies to the domain's MX hosts.
    Secure,
    /// Answered without authentication (no trust anchor covers the name): no DANE.
    Insecure,
    /// No usable answer: SERVFAIL (what a validating resolver gives for a bogus answer),
    /// another error code, or no answer at all. The mail must wait, not go without DANE.
    Failed(String),
}

/// The DNSSEC status of `domain`'s MX answer (RFC 7672 §2.2.1).
pub async fn mx_security(server: SocketAddr, domain: &str) -> MxSecurity {
    match ask(server, &format!("{domain}."), RecordType::MX).await {
        Ok(a) => match a.code {
            ResponseCode::NoError if a.authentic => MxSecurity::Secure,
            ResponseCode::NoError | ResponseCode::NXDomain => MxSecurity::Insecure,
            other => MxSecurity::Failed(format!("MX lookup of {domain}: {other}")),
        },
        Err(e) => MxSecurity::Failed(format!("MX lookup of {domain}: {e}")),
    }
}

/// The TLSA records of `host` for TCP port `port` (RFC 7672 §2.2).
pub async fn lookup(server: SocketAddr, host: &str, port: u16) -> DaneLookup {
    let name = format!("_{port}._tcp.{}.", host.trim_end_matches('.'));
    let a = match ask(server, &name, RecordType::TLSA).await {
        Ok(a) => a,
        Err(e) => return DaneLookup::Failed(e),
    };
    match a.code {
        ResponseCode::NoError | ResponseCode::NXDomain => {}
        other => return DaneLookup::Failed(format!("TLSA lookup of {name}: {other}")),
    }
    if !a.authentic {
        return DaneLookup::None;
    }
    let records: Vec<Tlsa> = a
        .data
        .iter()
        .filter_map(|d| match d {
            RData::TLSA(t) => Some(Tlsa {
                usage: t.cert_usage.into(),
                selector: t.selector.into(),
                matching: t.matching.into(),
                data: t.cert_data.clone(),
            }),
            _ => None,
        })
        .collect();
    if records.is_empty() {
        return DaneLookup::None;
    }
    let usable: Vec<Tlsa> = records.into_iter().filter(Tlsa::usable).collect();
    if usable.is_empty() {
        DaneLookup::Unusable
    } else {
        DaneLookup::Usable(usable)
    }
}

/// Checks the server's chain against TLSA records.
#[derive(Debug)]
struct DaneVerifier {
    records: Vec<Tlsa>,
    provider: Arc<CryptoProvider>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for DaneVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // RFC 7672 §3.1.1: DANE-EE binds the key; names and dates do not matter.
        if self
            .records
            .iter()
            .any(|t| t.usage == 3 && t.matches(end_entity))
        {
            return Ok(ServerCertVerified::assertion());
        }
        // RFC 7672 §3.1.2: DANE-TA names a certificate of the chain as the trust anchor.
        for t in self.records.iter().filter(|t| t.usage == 2) {
            for ta in intermediates.iter().filter(|c| t.matches(c)) {
                let Ok(anchor) = webpki::anchor_from_trusted_cert(ta) else {
                    continue;
                };
                let mut roots = RootCertStore::empty();
                roots.roots.push(anchor.to_owned());
                let Ok(verifier) = WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    self.provider.clone(),
                )
                .build() else {
                    continue;
                };
                if verifier
                    .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                    .is_ok()
                {
                    return Ok(ServerCertVerified::assertion());
                }
            }
        }
        Err(rustls::Error::InvalidCertificate(
            CertificateError::ApplicationVerificationFailure,
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A client configuration that accepts only a chain matching `records`.
pub fn config(records: Vec<Tlsa>) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(DaneVerifier {
        records,
        provider: provider.clone(),
        algorithms: provider.signature_verification_algorithms,
    });
    let config = ClientConfig::builder_with_provider(provider as Arc<CryptoProvider>)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot configure TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn matching_types() {
        let made = rcgen::generate_simple_self_signed(vec!["mx.test".to_owned()]).unwrap();
        let cert = CertificateDer::from(made.cert.der().to_vec());
        let spki = made.key_pair.public_key_der();
        let rec = |selector, matching, data: Vec<u8>| Tlsa {
            usage: 3,
            selector,
            matching,
            data,
        };
        assert!(rec(0, 0, cert.to_vec()).matches(&cert));
        assert!(rec(0, 1, Sha256::digest(cert.as_ref()).to_vec()).matches(&cert));
        assert!(rec(1, 1, Sha256::digest(&spki).to_vec()).matches(&cert));
        assert!(rec(1, 2, Sha512::digest(&spki).to_vec()).matches(&cert));
        assert!(!rec(1, 1, vec![0; 32]).matches(&cert));
        assert!(rec(1, 1, vec![0; 32]).usable());
        assert!(
            !Tlsa {
                usage: 1,
                ..rec(1, 1, vec![])
            }
            .usable()
        );
        assert_eq!(rec(1, 1, vec![0xab]).text(), "3 1 1 ab");
    }

    /// A resolver on 127.0.0.1 answering every query with `code`, no records, and the AD bit
    /// if `ad`.
    async fn resolver(code: ResponseCode, ad: bool) -> SocketAddr {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = sock.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let query = Message::from_vec(&buf[..n]).unwrap();
                let mut reply =
                    Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
                reply.metadata.response_code = code;
                reply.metadata.authentic_data = ad;
                reply.add_queries(query.queries.clone());
                sock.send_to(&reply.to_vec().unwrap(), from).await.unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn mx_security_follows_the_ad_bit() {
        let secure = resolver(ResponseCode::NoError, true).await;
        assert_eq!(mx_security(secure, "c.test").await, MxSecurity::Secure);
        let insecure = resolver(ResponseCode::NoError, false).await;
        assert_eq!(mx_security(insecure, "c.test").await, MxSecurity::Insecure);
        assert_eq!(lookup(insecure, "mx.c.test", 25).await, DaneLookup::None);
    }

    /// RFC 7672 §2.1.1: a bogus answer (SERVFAIL from a validating resolver) or none at all
    /// is a failure, never "insecure".
    #[tokio::test]
    async fn bogus_or_missing_answers_fail() {
        for (code, ad) in [
            (ResponseCode::ServFail, false),
            (ResponseCode::Refused, true),
        ] {
            let server = resolver(code, ad).await;
            assert!(matches!(
                mx_security(server, "c.test").await,
                MxSecurity::Failed(why) if why.contains("MX lookup of c.test")
            ));
            assert!(matches!(
                lookup(server, "mx.c.test", 25).await,
                DaneLookup::Failed(_)
            ));
        }
        let gone = {
            let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            sock.local_addr().unwrap()
        };
        assert!(matches!(
            mx_security(gone, "c.test").await,
            MxSecurity::Failed(_)
        ));
    }
}
