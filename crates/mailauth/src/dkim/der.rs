//! The few DER structures DKIM keys need that the signing library does not write:
//! an RSA private key wrapped as PKCS#8 (RFC 5208 §5) and an RSA public key wrapped as
//! SubjectPublicKeyInfo (RFC 5280 §4.1), plus PEM armour (RFC 7468).
//!
//! Invariant: lengths use the DER definite form (short form below 128, else the minimal
//! long form), so the output parses with any DER reader.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// AlgorithmIdentifier for rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters
/// (RFC 8017 Appendix C).
const RSA_ALGORITHM: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;

/// A DER TLV: tag, definite length, content.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// PKCS#8 PrivateKeyInfo holding a PKCS#1 RSAPrivateKey (RFC 5208 §5: version 0).
pub(super) fn rsa_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    let mut content = tlv(INTEGER, &[0]);
    content.extend_from_slice(RSA_ALGORITHM);
    content.extend_from_slice(&tlv(OCTET_STRING, pkcs1));
    tlv(SEQUENCE, &content)
}

/// SubjectPublicKeyInfo holding a PKCS#1 RSAPublicKey: the form DKIM records carry in
/// practice (RFC 6376 §3.6.1 as corrected by erratum 3017).
pub(super) fn rsa_spki(pkcs1: &[u8]) -> Vec<u8> {
    let mut bits = Vec::with_capacity(pkcs1.len() + 1);
    bits.push(0); // no unused bits in the last octet
    bits.extend_from_slice(pkcs1);
    let mut content = RSA_ALGORITHM.to_vec();
    content.extend_from_slice(&tlv(BIT_STRING, &bits));
    tlv(SEQUENCE, &content)
}

/// PEM text (RFC 7468 §2): the label lines around base64 in lines of 64 characters.
pub(super) fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_use_short_and_long_forms() {
        assert_eq!(tlv(0x04, &[7; 3]), [0x04, 3, 7, 7, 7]);
        assert_eq!(&tlv(0x04, &[0; 0x80])[..3], &[0x04, 0x81, 0x80]);
        assert_eq!(&tlv(0x04, &[0; 0x1234])[..4], &[0x04, 0x82, 0x12, 0x34]);
    }

    #[test]
    fn pem_lines_are_64_characters() {
        let text = pem("PRIVATE KEY", &[0xab; 100]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PRIVATE KEY-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END PRIVATE KEY-----"));
    }
}
