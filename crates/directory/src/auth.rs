//! Login checks shared by every protocol: password verification (argon2, on a blocking
//! thread, skipped for a password recently verified against the same stored credentials:
//! `login_cache.rs`), the disabled flags of user and domain (DOM-1), and credential lookup
//! for SASL.
//!
//! Invariant: every failure looks the same to the client ([`AuthError::Failed`]); the reason
//! is only for the log.

use std::time::Instant;

use heron_settings::defs;
use heron_store::{Domain, User};

use crate::address::Address;
use crate::password::StoredCredentials;
use crate::sasl::{Exchange, Outcome, Step, UnknownUserKey};
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

    /// Answer an exchange's [`Step::Lookup`] with `candidate` (from
    /// [`sasl_lookup`](Self::sasl_lookup), possibly filtered) and return the exchange with its
    /// next step. PLAIN and LOGIN skip argon2 for a password that passed it for the user's
    /// current credentials within `security.login_cache_seconds`, and remember one that
    /// passes now; everything else runs [`Exchange::supply`] on the hashing threads. `None`
    /// if those threads cannot be used.
    pub async fn sasl_supply(
        &self,
        mut exchange: Exchange,
        candidate: Option<&(User, Domain, StoredCredentials)>,
        unknown: UnknownUserKey,
    ) -> Option<(Exchange, Step)> {
        let ttl = self.settings.get(defs::LOGIN_CACHE_SECONDS);
        let user = candidate.map(|(u, _, _)| u);
        if let (Some(u), Some(pw)) = (user, exchange.pending_password())
            && self
                .logins
                .verified(u.id, &u.credentials, pw, ttl, Instant::now())
        {
            let step = exchange.accept_verified();
            return Some((exchange, step));
        }
        let to_remember = match (user, exchange.pending_password()) {
            (Some(u), Some(pw)) if !ttl.is_zero() => {
                Some((u.id, u.credentials.clone(), pw.to_owned()))
            }
            _ => None,
        };
        let creds = candidate.map(|(_, _, c)| c.clone());
        let (exchange, step) = crate::hashing::run(move || {
            let step = exchange.supply(creds.as_ref(), &unknown);
            (exchange, step)
        })
        .await?;
        if let (Step::Done(Outcome::Success { .. }), Some((id, line, pw))) = (&step, to_remember) {
            self.logins.remember(id, &line, &pw, ttl, Instant::now());
        }
        Some((exchange, step))
    }

    /// Check a user name and password (USER/PASS, LOGIN, PLAIN without SASL state).
    ///
    /// The account's state (user and domain enabled) and its stored credentials are read on
    /// every call; only the argon2 check is skipped when this password passed it for these
    /// credentials within `security.login_cache_seconds` (`login_cache.rs`).
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<User, AuthError> {
        let Some((user, _, creds)) = self.login_candidate(username).await? else {
            // Spend the same time as a real check so timing does not reveal valid names.
            let pw = password.to_owned();
            let _ = crate::hashing::run(move || dummy_verify(&pw)).await;
            return Err(AuthError::Failed("unknown or disabled account"));
        };
        let ttl = self.settings.get(defs::LOGIN_CACHE_SECONDS);
        let (id, line) = (user.id, user.credentials.as_str());
        if self
            .logins
            .verified(id, line, password, ttl, Instant::now())
        {
            return Ok(user);
        }
        let pw = password.to_owned();
        let ok = crate::hashing::run(move || creds.verify_plain(&pw))
            .await
            .unwrap_or(false);
        if !ok {
            return Err(AuthError::Failed("wrong password"));
        }
        if !ttl.is_zero() {
            self.logins
                .remember(id, line, password, ttl, Instant::now());
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
pub(crate) fn dummy_verify(password: &str) -> bool {
    use std::sync::OnceLock;
    static DUMMY: OnceLock<Option<StoredCredentials>> = OnceLock::new();
    DUMMY
        .get_or_init(|| StoredCredentials::derive("not a real password").ok())
        .as_ref()
        .is_some_and(|c| c.verify_plain(password))
}
