//! Server secrets the directory needs, made once and kept in the store for good.
//!
//! Invariant: a secret is generated at most once per data directory (the store keeps the first
//! one stored, also when processes race) and is read from the store at most once per
//! [`Directory`] (then cached), so it never changes while the data lives.

use heron_store::StoreError;
use rand::RngCore;

use crate::sasl::UnknownUserKey;
use crate::{Directory, DirectoryError};

/// Store name of the key behind SCRAM's salts for unknown users.
pub const UNKNOWN_USER_KEY: &str = "sasl.unknown_user_key";

impl Directory {
    /// The key SCRAM derives the salts of unknown users from: generated on first use and
    /// stored, so the salt an unknown user sees survives restarts like a real user's.
    pub async fn unknown_user_key(&self) -> Result<UnknownUserKey, DirectoryError> {
        let key = self
            .unknown_user_key
            .get_or_try_init(|| async {
                let mut fresh = [0u8; UnknownUserKey::LEN];
                rand::thread_rng().fill_bytes(&mut fresh);
                let stored = self
                    .store
                    .secret_or_insert(UNKNOWN_USER_KEY, &fresh)
                    .await?;
                let bytes: [u8; UnknownUserKey::LEN] =
                    stored.try_into().map_err(|v: Vec<u8>| {
                        StoreError::Corrupt(format!("{UNKNOWN_USER_KEY} has {} bytes", v.len()))
                    })?;
                Ok::<_, DirectoryError>(UnknownUserKey::new(bytes))
            })
            .await?;
        Ok(key.clone())
    }
}
