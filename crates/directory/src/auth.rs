//! Login checks shared by every protocol: password verification (argon2, on a blocking
//! thread), the disabled flags of user and domain (DOM-1), and credential lookup for SASL.
//!
//! Invariant: every failure looks the same to the client ([`AuthError::Failed`]); the reason
//! is only for the log.

use heron_store::{Domain, User};

use crate::address::Address;
use crate::password::StoredCredentials;
use crate::sasl::UnknownUserKey;
use crate::{Directory, DirectoryError};

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong user or password, or a disabled account (the reason is in the text, for logs).
    #[error("authentication failed: {0}")]
    Failed(&'static str),
    /// The directory itself failed; the client should retry later.
    #[error(transparent)]
    Internal(#[from] DirectoryError),
}

impl Directory {
    /// The user an authentication identity names, with its domain and credentials, if it may
    /// log in. Accepts `user@domain` (also through a domain alias).
    pub async fn login_candidate(
        &self,
        username: &str,
    ) -> Result<Option<(User, Domain, StoredCredentials)>, AuthError> {
        let Ok(a) = Address::parse(username) else {
            return Ok(None);
        };
        let Some(d) = self.find_domain(&a.domain).await? else {
            return Ok(None);
        };
        let Some(u) = self
            .store
            .get_user(d.id, &a.local)
            .await
            .map_err(DirectoryError::from)?
        else {
            return Ok(None);
        };
        if d.disabled || u.disabled {
            return Ok(None);
        }
        match StoredCredentials::from_storage(&u.credentials) {
            Ok(c) => Ok(Some((u, d, c))),
            Err(e) => {
                tracing::error!("stored credentials of {username} unreadable: {e}");
                Ok(None)
            }
        }
    }

    /// What a SASL exchange's [`Step::Lookup`](crate::sasl::Step::Lookup) needs: the
    /// [`login_candidate`](Self::login_candidate) and the server's key for unknown users, the
    /// two arguments of [`Exchange::supply`](crate::sasl::Exchange::supply).
    pub async fn sasl_lookup(
        &self,
        username: &str,
    ) -> Result<(Option<(User, Domain, StoredCredentials)>, UnknownUserKey), AuthError> {
        let candidate = self.login_candidate(username).await?;
        Ok((candidate, self.unknown_user_key().await?))
    }

    /// Check a user name and password (USER/PASS, LOGIN, PLAIN without SASL state).
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<User, AuthError> {
        let Some((user, _, creds)) = self.login_candidate(username).await? else {
            // Spend the same time as a real check so timing does not reveal valid names.
            let pw = password.to_owned();
            let _ = crate::hashing::run(move || dummy_verify(&pw)).await;
            return Err(AuthError::Failed("unknown or disabled account"));
        };
        let pw = password.to_owned();
        let ok = crate::hashing::run(move || creds.verify_plain(&pw))
            .await
            .unwrap_or(false);
        if !ok {
            return Err(AuthError::Failed("wrong password"));
        }
        Ok(user)
    }

    /// Record a successful login time.
    pub async fn record_login(&self, user: &User) {
        let now = chrono_now();
        if let Err(e) = self.store.touch_login(user.id, now).await {
            tracing::warn!("recording login of user #{} failed: {e}", user.id);
        }
    }
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A verification against a fixed hash, so failed lookups cost as much as real ones.
fn dummy_verify(password: &str) -> bool {
    use std::sync::OnceLock;
    static DUMMY: OnceLock<Option<StoredCredentials>> = OnceLock::new();
    DUMMY
        .get_or_init(|| StoredCredentials::derive("not a real password").ok())
        .as_ref()
        .is_some_and(|c| c.verify_plain(password))
}
