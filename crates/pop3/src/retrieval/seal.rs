//! Sealing of POP-retrieval passwords at rest: XChaCha20-Poly1305 under the server's
//! POP-retrieval key, a random 32-byte secret made once and kept in the store
//! ([`heron_store::SecretStore`], name [`KEY_NAME`]), separate from every other secret.
//!
//! Invariants: a sealed password is `nonce (24 bytes) || ciphertext+tag`; a fresh random
//! nonce is drawn for each sealing; the owner's user id is bound as associated data, so a sealed
//! password copied onto another user's account does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use heron_store::Store;
use rand::RngCore;

use super::RetrievalError;

/// Store name of the POP-retrieval key.
pub const KEY_NAME: &str = "pop_retrieval.key";
const NONCE_LEN: usize = 24;

/// The server's POP-retrieval key.
#[derive(Clone)]
pub struct SealKey(XChaCha20Poly1305);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(..)")
    }
}

impl SealKey {
    /// The key kept in the store, made on first use.
    pub async fn load(store: &dyn Store) -> Result<Self, RetrievalError> {
        let mut fresh = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut fresh);
        let stored = store.secret_or_insert(KEY_NAME, &fresh).await?;
        Self::from_bytes(&stored)
    }

    /// A key of 32 bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Self, RetrievalError> {
        XChaCha20Poly1305::new_from_slice(b)
            .map(Self)
            .map_err(|_| RetrievalError::Seal("the stored key has the wrong length"))
    }

    /// Seal `password` for the account whose owner is `user` (bound as associated data).
    pub fn seal(&self, user: i64, password: &str) -> Result<Vec<u8>, RetrievalError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let aad = user.to_be_bytes();
        let sealed = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: password.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| RetrievalError::Seal("cannot seal"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The password sealed by [`Self::seal`] for `user`.
    pub fn open(&self, user: i64, sealed: &[u8]) -> Result<String, RetrievalError> {
        if sealed.len() < NONCE_LEN {
            return Err(RetrievalError::Seal("no password is set"));
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let aad = user.to_be_bytes();
        let clear = self
            .0
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| RetrievalError::Seal("cannot be opened with this server's key"))?;
        String::from_utf8(clear).map_err(|_| RetrievalError::Seal("not UTF-8"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let k = SealKey::from_bytes(&[7u8; 32]).unwrap();
        let s = k.seal(5, "hunter2").unwrap();
        assert!(!s.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(k.open(5, &s).unwrap(), "hunter2");
        // Another user, another key, or a changed byte: no password.
        assert!(k.open(6, &s).is_err());
        assert!(
            SealKey::from_bytes(&[8u8; 32])
                .unwrap()
                .open(5, &s)
                .is_err()
        );
        let mut bad = s.clone();
        bad[30] ^= 1;
        assert!(k.open(5, &bad).is_err());
        assert!(k.seal(5, "x").unwrap() != k.seal(5, "x").unwrap());
    }
}
