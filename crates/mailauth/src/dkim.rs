//! DKIM keys and signing of outbound mail (RFC 6376; Ed25519 per RFC 8463): generating a
//! domain's key pair, the TXT record to publish, and the `DKIM-Signature` header.
//!
//! Keys are stored as PEM text: generated keys are PKCS#8 (`BEGIN PRIVATE KEY`) for both
//! algorithms; PKCS#1 RSA keys (`BEGIN RSA PRIVATE KEY`) are read too.
//!
//! Invariants: a [`Signer`] holds a parsed key, so parsing happens once per key, not once per
//! message; signatures are relaxed/relaxed with SHA-256 and always cover From
//! (RFC 6376 §5.4); private key material never appears in `Debug` output or errors.

mod der;
#[cfg(test)]
mod tests;
pub mod verify;

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mail_auth::common::crypto::{self, Ed25519Key, RsaKey, Sha256, SigningKey};
use mail_auth::common::headers::{HeaderWriter, Writable};
use mail_auth::dkim::generate::DkimKeyPair;
use mail_auth::dkim::{Canonicalization, DkimSigner};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;

/// RSA modulus size of generated keys (RFC 8301 §3.2: at least 1024, 2048 recommended).
pub const RSA_BITS: usize = 2048;

/// Header fields signed when present (RFC 6376 §5.4.1), From first.
pub const SIGNED_HEADERS: &[&str] = &[
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];

/// What can go wrong with DKIM keys and signing.
#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    /// An algorithm name other than `rsa` or `ed25519`.
    #[error("unknown DKIM algorithm {0:?} (expected rsa or ed25519)")]
    UnknownAlgorithm(String),
    /// Key generation failed.
    #[error("cannot generate a DKIM key: {0}")]
    Generate(String),
    /// The private key text is not a PEM key of the expected algorithm.
    #[error("invalid DKIM private key: {0}")]
    InvalidKey(String),
    /// The message has no From header field, which every signature must cover.
    #[error("the message has no From header field to sign")]
    NoFrom,
    /// The signing library refused the message.
    #[error("cannot sign the message: {0}")]
    Sign(String),
}

/// A DKIM signing algorithm (RFC 6376 §3.3, RFC 8463), always with SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `rsa-sha256`.
    Rsa,
    /// `ed25519-sha256`.
    Ed25519,
}

impl Algorithm {
    /// The name used in settings and in the record's `k=` tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Rsa => "rsa",
            Algorithm::Ed25519 => "ed25519",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = DkimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rsa" => Ok(Algorithm::Rsa),
            "ed25519" => Ok(Algorithm::Ed25519),
            _ => Err(DkimError::UnknownAlgorithm(s.to_string())),
        }
    }
}

/// A domain's DKIM key: where its public half is published and the private half as PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct DkimKey {
    /// The signing domain (`d=`).
    pub domain: String,
    /// The selector (`s=`).
    pub selector: String,
    /// The key's algorithm.
    pub algorithm: Algorithm,
    /// The private key, PEM (PKCS#8, or PKCS#1 for RSA).
    pub private_key: String,
}

impl fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DkimKey")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl DkimKey {
    /// A new key pair for `domain` and `selector` (RSA keys have [`RSA_BITS`] bits).
    pub fn generate(
        domain: &str,
        selector: &str,
        algorithm: Algorithm,
    ) -> Result<DkimKey, DkimError> {
        let gen_err = |e: mail_auth::Error| DkimError::Generate(e.to_string());
        let pkcs8 = match algorithm {
            Algorithm::Rsa => der::rsa_pkcs8(
                DkimKeyPair::generate_rsa(RSA_BITS)
                    .map_err(gen_err)?
                    .private_key(),
            ),
            Algorithm::Ed25519 => DkimKeyPair::generate_ed25519()
                .map_err(gen_err)?
                .private_key()
                .to_vec(),
        };
        Ok(DkimKey {
            domain: domain.to_string(),
            selector: selector.to_string(),
            algorithm,
            private_key: der::pem("PRIVATE KEY", &pkcs8),
        })
    }

    /// A key read from PEM text, its algorithm found from the key itself.
    pub fn from_pem(domain: &str, selector: &str, pem: &str) -> Result<DkimKey, DkimError> {
        let algorithm = match private_der(pem)? {
            PrivateKeyDer::Pkcs1(_) => Algorithm::Rsa,
            PrivateKeyDer::Pkcs8(der)
                if Ed25519Key::from_pkcs8_der(der.secret_pkcs8_der()).is_ok() =>
            {
                Algorithm::Ed25519
            }
            _ => Algorithm::Rsa,
        };
        let key = DkimKey {
            domain: domain.to_string(),
            selector: selector.to_string(),
            algorithm,
            private_key: pem.to_string(),
        };
        parse_key(&key)?;
        Ok(key)
    }

    /// The TXT record value to publish: `v=DKIM1; k=rsa; p=BASE64` (`k=ed25519` for
    /// Ed25519). An RSA value is longer than 255 bytes: publish it as several strings of
    /// one record, which DNS servers and DKIM verifiers join.
    pub fn txt_value(&self) -> Result<String, DkimError> {
        let (raw, public) = match parse_key(self)? {
            crypto::DkimKey::Rsa(key) => {
                let pkcs1 = key.public_key();
                let spki = der::rsa_spki(&pkcs1);
                (pkcs1, spki)
            }
            // RFC 8463 §4.2: the bare 32-byte public key.
            crypto::DkimKey::Ed25519(key) => (key.public_key(), key.public_key()),
        };
        // An empty p= would publish a revoked key (RFC 6376 §3.6.1); refuse instead.
        if raw.is_empty() {
            return Err(DkimError::InvalidKey(
                "cannot derive the public key".to_string(),
            ));
        }
        Ok(format!(
            "v=DKIM1; k={}; p={}",
            self.algorithm,
            STANDARD.encode(public)
        ))
    }

    /// The TXT record's value as the character-strings of a zone file: a DNS TXT string holds
    /// at most 255 bytes (RFC 1035 §3.3), so a longer value (an RSA key) is written as several
    /// strings that resolvers join again (RFC 6376 §3.6.2.2).
    pub fn txt_strings(&self) -> Result<Vec<String>, DkimError> {
        Ok(split_txt(&self.txt_value()?))
    }

    /// The record's name: `selector._domainkey.domain.` (RFC 6376 §3.6.2.1).
    pub fn record_name(&self) -> String {
        format!(
            "{}._domainkey.{}.",
            self.selector,
            self.domain.trim_end_matches('.')
        )
    }

    /// The `DKIM-Signature` header (with its trailing CRLF) to prepend to `message`. Parses the
    /// key each time: to sign many messages, build a [`Signer`] once.
    pub fn sign(&self, message: &[u8]) -> Result<String, DkimError> {
        self.signer()?.sign(message)
    }

    /// A signer holding this key parsed.
    pub fn signer(&self) -> Result<Signer, DkimError> {
        Signer::new(self)
    }
}

/// A parsed DKIM key ready to sign many messages; cheap to share between tasks
/// (`Send + Sync`, signing takes `&self`).
pub struct Signer {
    domain: String,
    selector: String,
    key: crypto::DkimKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Parse `key` once.
    pub fn new(key: &DkimKey) -> Result<Signer, DkimError> {
        Ok(Signer {
            domain: key.domain.trim_end_matches('.').to_string(),
            selector: key.selector.clone(),
            key: parse_key(key)?,
        })
    }

    /// The signing domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The selector.
    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// The `DKIM-Signature` header (with its trailing CRLF) to prepend to `message`:
    /// relaxed/relaxed, SHA-256, `t=` now, over those of [`SIGNED_HEADERS`] present.
    pub fn sign(&self, message: &[u8]) -> Result<String, DkimError> {
        let present = present_headers(message);
        // RFC 6376 §5.4: "The From header field MUST be signed".
        if !present.contains(&"From") {
            return Err(DkimError::NoFrom);
        }
        let signature = DkimSigner::from_key(KeyRef(&self.key))
            .domain(self.domain.as_str())
            .selector(self.selector.as_str())
            .headers(present)
            .header_canonicalization(Canonicalization::Relaxed)
            .body_canonicalization(Canonicalization::Relaxed)
            .sign(message)
            .map_err(|e| DkimError::Sign(e.to_string()))?;
        Ok(signature.to_header())
    }
}

impl Signer {
    /// The ARC set (RFC 8617 §4: ARC-Seal, ARC-Message-Signature and
    /// ARC-Authentication-Results, with CRLFs) this domain adds when it passes `message` on,
    /// recording `results` and the chain's validation `arc`; `raw` is the message's bytes.
    /// Relaxed/relaxed, SHA-256, over the [`SIGNED_HEADERS`] present and any DKIM-Signature.
    pub(crate) fn arc_seal(
        &self,
        raw: &[u8],
        message: &mail_auth::AuthenticatedMessage<'_>,
        results: &mail_auth::AuthenticationResults<'_>,
        arc: &mail_auth::ArcOutput<'_>,
    ) -> Result<String, DkimError> {
        let mut headers: Vec<&str> = present_headers(raw);
        if heron_message::fields(raw).any(|f| f.is("DKIM-Signature")) {
            headers.push("DKIM-Signature");
        }
        if !headers.contains(&"From") {
            return Err(DkimError::NoFrom);
        }
        let set = mail_auth::arc::ArcSealer::from_key(KeyRef(&self.key))
            .domain(self.domain.as_str())
            .selector(self.selector.as_str())
            .headers(headers)
            .header_canonicalization(Canonicalization::Relaxed)
            .body_canonicalization(Canonicalization::Relaxed)
            .seal(message, results, arc)
            .map_err(|e| DkimError::Sign(e.to_string()))?;
        Ok(set.to_header())
    }
}

/// Borrows a parsed key for one signature, so a [`Signer`] needs no clone of its key.
struct KeyRef<'a>(&'a crypto::DkimKey);

impl SigningKey for KeyRef<'_> {
    type Hasher = Sha256;

    fn sign(&self, input: impl Writable) -> mail_auth::Result<Vec<u8>> {
        self.0.sign(input)
    }

    fn algorithm(&self) -> crypto::Algorithm {
        self.0.algorithm()
    }
}

/// Those of [`SIGNED_HEADERS`] that occur in the message's header block, in that list's order.
fn present_headers(message: &[u8]) -> Vec<&'static str> {
    let mut found = vec![false; SIGNED_HEADERS.len()];
    for line in message.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break; // the blank line ends the header block
        }
        if line[0] == b' ' || line[0] == b'\t' {
            continue; // a folded continuation
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        if let Some(i) = SIGNED_HEADERS
            .iter()
            .position(|h| h.as_bytes().eq_ignore_ascii_case(name))
        {
            found[i] = true;
        }
    }
    SIGNED_HEADERS
        .iter()
        .zip(found)
        .filter_map(|(h, f)| f.then_some(*h))
        .collect()
}

/// The DER inside PEM text.
fn private_der(pem: &str) -> Result<PrivateKeyDer<'static>, DkimError> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|_| DkimError::InvalidKey("not a PEM private key".to_string()))
}

/// The signing key for a stored key, checked against its algorithm.
fn parse_key(key: &DkimKey) -> Result<crypto::DkimKey, DkimError> {
    let der = private_der(&key.private_key)?;
    let invalid =
        |e: mail_auth::Error| DkimError::InvalidKey(format!("not an {} key: {e}", key.algorithm));
    match (key.algorithm, der) {
        (Algorithm::Rsa, der) => Ok(crypto::DkimKey::Rsa(
            RsaKey::<Sha256>::from_key_der(der).map_err(invalid)?,
        )),
        (Algorithm::Ed25519, PrivateKeyDer::Pkcs8(der)) => Ok(crypto::DkimKey::Ed25519(
            Ed25519Key::from_pkcs8_der(der.secret_pkcs8_der()).map_err(invalid)?,
        )),
        (Algorithm::Ed25519, _) => Err(DkimError::InvalidKey(
            "an ed25519 key must be PKCS#8 (BEGIN PRIVATE KEY)".to_string(),
        )),
    }
}

/// `value` cut into pieces of at most 255 bytes (the value is ASCII: base64 and tags).
fn split_txt(value: &str) -> Vec<String> {
    value
        .as_bytes()
        .chunks(255)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}
