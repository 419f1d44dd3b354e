//! CRAM-MD5 (RFC 2195): server challenge, client answers with
//! `user SP hex(HMAC-MD5(password, challenge))`.
//!
//! Invariants: the challenge is `<random.unixtime@hostname>` and never
//! repeats in practice (64 random bits); the digest must be exactly 32
//! lowercase hex digits; verification uses the stored HMAC-MD5 contexts and a
//! constant-time comparison. Users without stored contexts always fail with
//! [`SaslError::BadCredentials`], like unknown users.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;
use subtle::ConstantTimeEq;

use super::md5_state::hmac_md5_with_contexts;
use super::{Mech, Next, Outcome, SaslError, Step, UnknownUserKey};
use crate::password::{StoredCredentials, hex_decode};

/// CRAM-MD5 exchange state.
pub(crate) enum CramMd5 {
    /// Challenge sent.
    Response { challenge: Vec<u8> },
    /// Response parsed; waiting for the user's credentials.
    Lookup {
        user: String,
        challenge: Vec<u8>,
        digest: [u8; 16],
    },
}

/// Begin with a fresh challenge.
pub(crate) fn start(hostname: &str, initial: Option<&[u8]>) -> Next<CramMd5> {
    // RFC 2195 §2: "presumptively arbitrary string of random digits, a
    // timestamp, and the fully-qualified primary host name of the server",
    // formatted as an RFC 822 msg-id.
    let random: u64 = rand::thread_rng().r#gen();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    start_with_challenge(format!("<{random}.{now}@{hostname}>").into_bytes(), initial)
}

/// Begin with the given challenge.
pub(crate) fn start_with_challenge(challenge: Vec<u8>, initial: Option<&[u8]>) -> Next<CramMd5> {
    // RFC 2195 is server-first: a client cannot answer a challenge it has not
    // seen, so an initial response is a protocol error.
    if initial.is_some() {
        return Next::fail(SaslError::UnexpectedInput);
    }
    let step = Step::Challenge(challenge.clone());
    Next::Wait(CramMd5::Response { challenge }, step)
}

impl Mech for CramMd5 {
    fn respond(self, data: &[u8]) -> Next<Self> {
        match self {
            CramMd5::Response { challenge } => match parse(data) {
                Ok((user, digest)) => {
                    let step = Step::Lookup(user.clone());
                    Next::Wait(
                        CramMd5::Lookup {
                            user,
                            challenge,
                            digest,
                        },
                        step,
                    )
                }
                Err(e) => Next::fail(e),
            },
            CramMd5::Lookup { .. } => Next::fail(SaslError::UnexpectedInput),
        }
    }

    fn supply(self, creds: Option<&StoredCredentials>, _unknown: &UnknownUserKey) -> Next<Self> {
        let CramMd5::Lookup {
            user,
            challenge,
            digest,
        } = self
        else {
            return Next::fail(SaslError::UnexpectedInput);
        };
        let Some(contexts) = creds.and_then(|c| c.cram_md5.as_ref()) else {
            return Next::fail(SaslError::BadCredentials);
        };
        // RFC 2195 §2: digest = MD5((secret XOR opad), MD5((secret XOR ipad), challenge))
        match hmac_md5_with_contexts(contexts, &challenge) {
            Some(expected) if bool::from(expected.ct_eq(&digest)) => {
                Next::Finish(Outcome::Success {
                    authcid: user,
                    server_final: None,
                })
            }
            _ => Next::fail(SaslError::BadCredentials),
        }
    }
}

/// Split `user SP digest` at the last space and decode the digest.
fn parse(data: &[u8]) -> Result<(String, [u8; 16]), SaslError> {
    let text = std::str::from_utf8(data).map_err(|_| SaslError::Malformed("not UTF-8"))?;
    // RFC 2195 §2: "the user name, a space, and the digest"; split at the
    // last space so user names containing spaces still work.
    let (user, hex) = text
        .rsplit_once(' ')
        .ok_or(SaslError::Malformed("expected user SP digest"))?;
    if user.is_empty() {
        return Err(SaslError::Malformed("empty user name"));
    }
    // RFC 2195 §2: "represented as a sequence of 16 octets ... in
    // hexadecimal, [...] with lowercase letters".
    let bytes = hex_decode(hex).ok_or(SaslError::Malformed("digest is not lowercase hex"))?;
    let digest: [u8; 16] = bytes
        .try_into()
        .map_err(|_| SaslError::Malformed("digest is not 16 bytes"))?;
    Ok((user.to_owned(), digest))
}
