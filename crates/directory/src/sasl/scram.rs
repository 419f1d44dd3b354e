//! SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding.
//!
//! Flow: client-first → `Lookup(user)` → supply → server-first challenge →
//! client-final → `Done(Success { server_final: Some(b"v=...") })`.
//!
//! Invariants and decisions:
//! - Only gs2 flags `n` and `y` are accepted; `p=` (channel binding) fails,
//!   since this server does not offer SCRAM-SHA-256-PLUS. The client-final
//!   `c=` attribute must be the base64 of the exact gs2 header the client sent
//!   (`biws` for `n,,`, `eSws` for `y,,`).
//! - A present authzid must equal the user name (no proxy authorisation).
//! - User names are decoded (`=2C` → `,`, `=3D` → `=`) and then accepted as
//!   UTF-8 as is, without SASLprep: ASCII names are unchanged by SASLprep, and
//!   names with control characters are refused as malformed.
//! - An unknown user is not revealed: [`Mech::supply`] with `None` continues
//!   with a fake secret whose salt is derived from the user name and the
//!   server's [`UnknownUserKey`] (kept in the store, so the salt is stable across
//!   attempts and restarts, as a real account's is), and the exchange fails
//!   only at the proof check, exactly like a wrong password.
//! - Proof and key comparisons are constant-time.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Mech, Next, Outcome, SaslError, Step, UnknownUserKey};
use crate::password::{SALT_LEN, SCRAM_ITERATIONS, StoredCredentials, hmac_sha256};

/// Random bytes in the server's nonce part (base64-encoded on the wire).
const SERVER_NONCE_BYTES: usize = 18;

/// The parts of the client-first message needed later.
pub(crate) struct FirstMessage {
    /// gs2-header as sent, e.g. `n,,`; its base64 must come back in `c=`.
    gs2_header: String,
    /// client-first-message-bare, part of AuthMessage.
    bare: String,
    /// Decoded user name.
    username: String,
    /// c-nonce.
    client_nonce: String,
}

/// SCRAM exchange state.
pub(crate) enum Scram {
    /// Waiting for client-first-message.
    ClientFirst { server_nonce: String },
    /// Sent `Lookup`; waiting for the credentials.
    Lookup {
        first: FirstMessage,
        server_nonce: String,
    },
    /// Sent server-first-message; waiting for client-final-message.
    ClientFinal {
        first: FirstMessage,
        /// Combined nonce (client part + server part).
        nonce: String,
        server_first: String,
        secret: Secret,
    },
}

/// The stored keys used for the proof check; `known` is false for the fake
/// secret of a missing user, which must never verify.
pub(crate) struct Secret {
    stored_key: [u8; 32],
    server_key: [u8; 32],
    known: bool,
}

/// Begin with a fresh server nonce.
pub(crate) fn start(initial: Option<&[u8]>) -> Next<Scram> {
    let mut bytes = [0u8; SERVER_NONCE_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    start_with_nonce(B64.encode(bytes), initial)
}

/// Begin with the given server nonce part (printable, no `,`).
pub(crate) fn start_with_nonce(server_nonce: String, initial: Option<&[u8]>) -> Next<Scram> {
    let state = Scram::ClientFirst { server_nonce };
    match initial {
        Some(data) => state.respond(data),
        // RFC 5802 §5: the client sends first; prompt with an empty challenge.
        None => Next::Wait(state, Step::Challenge(Vec::new())),
    }
}

impl Mech for Scram {
    fn respond(self, data: &[u8]) -> Next<Self> {
        match self {
            Scram::ClientFirst { server_nonce } => match parse_client_first(data) {
                Ok(first) => {
                    let step = Step::Lookup(first.username.clone());
                    Next::Wait(
                        Scram::Lookup {
                            first,
                            server_nonce,
                        },
                        step,
                    )
                }
                Err(e) => Next::fail(e),
            },
            Scram::ClientFinal {
                first,
                nonce,
                server_first,
                secret,
            } => match verify_client_final(&first, &nonce, &server_first, &secret, data) {
                Ok(server_final) => Next::Finish(Outcome::Success {
                    authcid: first.username,
                    server_final: Some(server_final.into_bytes()),
                }),
                Err(e) => Next::fail(e),
            },
            Scram::Lookup { .. } => Next::fail(SaslError::UnexpectedInput),
        }
    }

    fn supply(self, creds: Option<&StoredCredentials>, unknown: &UnknownUserKey) -> Next<Self> {
        let Scram::Lookup {
            first,
            server_nonce,
        } = self
        else {
            return Next::fail(SaslError::UnexpectedInput);
        };
        let (salt, iterations, secret) = match creds {
            Some(c) => {
                let s = &c.scram_sha256;
                let secret = Secret {
                    stored_key: s.stored_key,
                    server_key: s.server_key,
                    known: true,
                };
                (s.salt.clone(), s.iterations, secret)
            }
            None => fake_secret(&first.username, unknown),
        };
        // RFC 5802 §7: server-first-message = [reserved-mext ","] nonce "," salt ","
        //                                     iteration-count ["," extensions]
        // RFC 5802 §5.1: nonce = client nonce followed by the server's part.
        let nonce = format!("{}{}", first.client_nonce, server_nonce);
        let server_first = format!("r={nonce},s={},i={iterations}", B64.encode(&salt));
        let step = Step::Challenge(server_first.clone().into_bytes());
        Next::Wait(
            Scram::ClientFinal {
                first,
                nonce,
                server_first,
                secret,
            },
            step,
        )
    }
}

/// Salt, iteration count and never-matching keys for a user that does not
/// exist. The salt depends only on the user name and the server's stored key,
/// so repeated attempts, also after a restart, see the same salt, as they
/// would for a real account.
fn fake_secret(username: &str, key: &UnknownUserKey) -> (Vec<u8>, u32, Secret) {
    let mut input = b"heron scram fake salt\0".to_vec();
    input.extend_from_slice(username.as_bytes());
    let salt = hmac_sha256(key.bytes(), &input)[..SALT_LEN].to_vec();
    let secret = Secret {
        stored_key: rand::thread_rng().r#gen(),
        server_key: rand::thread_rng().r#gen(),
        known: false,
    };
    (salt, SCRAM_ITERATIONS, secret)
}

/// Parse `gs2-header client-first-message-bare` (RFC 5802 §7).
fn parse_client_first(data: &[u8]) -> Result<FirstMessage, SaslError> {
    let text = std::str::from_utf8(data).map_err(|_| SaslError::Malformed("not UTF-8"))?;
    // RFC 5802 §7: gs2-header = gs2-cbind-flag "," [ authzid ] ","
    let (flag, rest) = text
        .split_once(',')
        .ok_or(SaslError::Malformed("missing gs2 header"))?;
    match flag {
        "n" | "y" => {}
        f if f.starts_with("p=") => {
            return Err(SaslError::Malformed("channel binding is not supported"));
        }
        _ => return Err(SaslError::Malformed("bad gs2 channel-binding flag")),
    }
    let (authzid, bare) = rest
        .split_once(',')
        .ok_or(SaslError::Malformed("missing gs2 header"))?;
    let gs2_len = flag.len() + authzid.len() + 2;
    let authzid = match authzid {
        "" => None,
        a => Some(decode_saslname(
            a.strip_prefix("a=")
                .ok_or(SaslError::Malformed("bad authzid"))?,
        )?),
    };
    // RFC 5802 §7: client-first-message-bare = [reserved-mext ","] username ","
    //                                          nonce ["," extensions]
    let mut attrs = bare.split(',');
    let first_attr = attrs.next().unwrap_or_default();
    if first_attr.starts_with("m=") {
        // RFC 5802 §5.1: a server MUST fail on an unknown mandatory extension.
        return Err(SaslError::Malformed("mandatory extension not supported"));
    }
    let username = decode_saslname(
        first_attr
            .strip_prefix("n=")
            .ok_or(SaslError::Malformed("missing user name"))?,
    )?;
    let client_nonce = attrs
        .next()
        .and_then(|a| a.strip_prefix("r="))
        .ok_or(SaslError::Malformed("missing client nonce"))?;
    // RFC 5802 §7: c-nonce = printable = %x21-2B / %x2D-7E (comma excluded by the split).
    if client_nonce.is_empty() || !client_nonce.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(SaslError::Malformed("bad client nonce"));
    }
    if authzid.as_ref().is_some_and(|a| *a != username) {
        return Err(SaslError::AuthzNotAllowed);
    }
    Ok(FirstMessage {
        gs2_header: text[..gs2_len].to_owned(),
        bare: bare.to_owned(),
        client_nonce: client_nonce.to_owned(),
        username,
    })
}

/// Decode a saslname: `=2C` is `,` and `=3D` is `=`; any other `=` is an
/// error (RFC 5802 §5.1). The result must be non-empty and free of control
/// characters.
fn decode_saslname(raw: &str) -> Result<String, SaslError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(pos) = rest.find('=') {
        out.push_str(&rest[..pos]);
        let escape = rest.get(pos..pos + 3);
        match escape {
            Some("=2C") => out.push(','),
            Some("=3D") => out.push('='),
            _ => return Err(SaslError::Malformed("bad escape in user name")),
        }
        rest = &rest[pos + 3..];
    }
    out.push_str(rest);
    if out.is_empty() || out.chars().any(char::is_control) {
        return Err(SaslError::Malformed("bad user name"));
    }
    Ok(out)
}

/// Check client-final-message and return server-final-message.
fn verify_client_final(
    first: &FirstMessage,
    expected_nonce: &str,
    server_first: &str,
    secret: &Secret,
    data: &[u8],
) -> Result<String, SaslError> {
    let text = std::str::from_utf8(data).map_err(|_| SaslError::Malformed("not UTF-8"))?;
    // RFC 5802 §7: client-final-message = client-final-message-without-proof "," proof
    let (without_proof, proof) = text
        .rsplit_once(",p=")
        .ok_or(SaslError::Malformed("missing proof"))?;
    let mut attrs = without_proof.split(',');
    // RFC 5802 §7: channel-binding = "c=" base64; without channel binding it
    // is the base64 of the gs2 header alone.
    let cbind = attrs
        .next()
        .and_then(|a| a.strip_prefix("c="))
        .ok_or(SaslError::Malformed("missing channel binding"))?;
    let cbind = B64
        .decode(cbind)
        .map_err(|_| SaslError::Malformed("bad channel binding"))?;
    if cbind != first.gs2_header.as_bytes() {
        return Err(SaslError::Malformed(
            "channel binding does not match gs2 header",
        ));
    }
    // RFC 5802 §5.1: the nonce must be the combined nonce of server-first.
    let nonce = attrs
        .next()
        .and_then(|a| a.strip_prefix("r="))
        .ok_or(SaslError::Malformed("missing nonce"))?;
    if nonce != expected_nonce {
        return Err(SaslError::Malformed("nonce mismatch"));
    }
    let proof: [u8; 32] = B64
        .decode(proof)
        .ok()
        .and_then(|p| p.try_into().ok())
        .ok_or(SaslError::Malformed("bad proof"))?;
    // RFC 5802 §3: AuthMessage := client-first-message-bare + "," +
    //     server-first-message + "," + client-final-message-without-proof
    let auth_message = format!("{},{},{}", first.bare, server_first, without_proof);
    // RFC 5802 §3: ClientSignature := HMAC(StoredKey, AuthMessage);
    // ClientKey := ClientProof XOR ClientSignature; check H(ClientKey) = StoredKey.
    let signature = hmac_sha256(&secret.stored_key, auth_message.as_bytes());
    let client_key: [u8; 32] = std::array::from_fn(|i| proof[i] ^ signature[i]);
    let computed: [u8; 32] = Sha256::digest(client_key).into();
    if !(bool::from(computed.ct_eq(&secret.stored_key)) && secret.known) {
        return Err(SaslError::BadCredentials);
    }
    // RFC 5802 §3: ServerSignature := HMAC(ServerKey, AuthMessage)
    let server_signature = hmac_sha256(&secret.server_key, auth_message.as_bytes());
    Ok(format!("v={}", B64.encode(server_signature)))
}

/// The client side of RFC 5802 §3 (ClientProof), for tests that play the client.
#[cfg(test)]
pub(crate) fn client_proof(
    secret: &crate::password::ScramSecret,
    password: &str,
    auth_message: &str,
) -> [u8; 32] {
    let salted: [u8; 32] = pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(
        password.as_bytes(),
        &secret.salt,
        secret.iterations,
    );
    let client_key = hmac_sha256(&salted, b"Client Key");
    let stored_key: [u8; 32] = Sha256::digest(client_key).into();
    let signature = hmac_sha256(&stored_key, auth_message.as_bytes());
    std::array::from_fn(|i| client_key[i] ^ signature[i])
}
