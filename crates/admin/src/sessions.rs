//! Login sessions, kept in the store so that every node knows them and a restart keeps them:
//! a random 256-bit id (the cookie) maps to who logged in, their CSRF token and when the
//! session was last used; the store holds only the id's SHA-256.
//!
//! Invariants: a session unused for longer than its idle limit (30 minutes, or 30 days with
//! "remember me"; checked to within `heron_store::SESSION_TOUCH_SECS`) is gone: `get` never
//! returns it and it is removed; ids and CSRF tokens come from the OS random generator; at
//! most [`MAX_SESSIONS`] are kept, the least recently used going first.

use std::sync::Arc;
use std::time::Duration;

use heron_store::{AdminSession, Store, StoreError};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Idle limit of an ordinary session.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// Idle limit of a "remember me" session.
pub const REMEMBERED: Duration = Duration::from_secs(30 * 24 * 3600);
/// Sessions kept at most; the least recently used goes first.
pub const MAX_SESSIONS: usize = 10_000;

/// Who a session belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Account {
    /// The system administrator.
    Admin,
    /// A user, by canonical address (lower-case local part and domain name).
    User(String),
}

impl Account {
    /// How the store names the account (`admin`, `user:a@b.test`).
    fn key(&self) -> String {
        match self {
            Self::Admin => "admin".into(),
            Self::User(a) => format!("user:{a}"),
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        match key {
            "admin" => Some(Self::Admin),
            k => k.strip_prefix("user:").map(|a| Self::User(a.into())),
        }
    }
}

/// A session in which the system administrator acts as another account (DOM-13).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impersonation {
    /// Who is really acting, for the log (`admin`).
    pub by: String,
    /// The administrator's own session, resumed when the impersonation ends.
    pub return_to: String,
}

/// One logged-in session.
#[derive(Clone, Debug)]
pub struct Session {
    pub account: Account,
    pub csrf_token: String,
    pub idle: Duration,
    /// Set when the system administrator is acting as `account`.
    pub impersonation: Option<Impersonation>,
}

/// `n` random bytes from the OS generator, as lower-case hex.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex(&b)
}

/// Lower-case hex of bytes.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The sessions, in the store.
pub struct Sessions {
    store: Arc<dyn Store>,
}

/// Unix seconds now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The store's key for a session id.
fn id_hash(id: &str) -> String {
    hex(&Sha256::digest(id.as_bytes()))
}

impl Sessions {
    /// Sessions kept in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Start a session at `now`; returns its id and the session.
    pub async fn create(
        &self,
        account: Account,
        remember: bool,
        now: i64,
    ) -> Result<(String, Session), StoreError> {
        let idle = if remember { REMEMBERED } else { IDLE };
        self.insert(account, idle, None, now).await
    }

    /// Start a session in which `by` acts as `account`, with the ordinary idle limit.
    pub async fn impersonate(
        &self,
        account: Account,
        by: Impersonation,
        now: i64,
    ) -> Result<(String, Session), StoreError> {
        self.insert(account, IDLE, Some(by), now).await
    }

    async fn insert(
        &self,
        account: Account,
        idle: Duration,
        impersonation: Option<Impersonation>,
        now: i64,
    ) -> Result<(String, Session), StoreError> {
        let id = random_hex(32);
        let s = Session {
            account,
            csrf_token: random_hex(32),
            idle,
            impersonation,
        };
        let stored = AdminSession {
            id_hash: id_hash(&id),
            account: s.account.key(),
            csrf_token: s.csrf_token.clone(),
            idle_secs: i64::try_from(idle.as_secs()).unwrap_or(i64::MAX),
            impersonation: s
                .impersonation
                .as_ref()
                .and_then(|i| serde_json::to_string(i).ok()),
            last_used: now,
        };
        self.store
            .session_insert(&stored, MAX_SESSIONS, now)
            .await?;
        Ok((id, s))
    }

    /// The live session with this id, marked used at `now`.
    pub async fn get(&self, id: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let Some(s) = self.store.session_use(&id_hash(id), now).await? else {
            return Ok(None);
        };
        let Some(account) = Account::from_key(&s.account) else {
            return Ok(None);
        };
        Ok(Some(Session {
            account,
            csrf_token: s.csrf_token,
            idle: Duration::from_secs(u64::try_from(s.idle_secs).unwrap_or(0)),
            impersonation: s
                .impersonation
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
        }))
    }

    /// End a session.
    pub async fn remove(&self, id: &str) -> Result<(), StoreError> {
        self.store.session_delete(&id_hash(id)).await
    }

    /// End every session of an account except `keep` (after a password change elsewhere
    /// or an account deletion).
    pub async fn remove_account(
        &self,
        account: &Account,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        let keep = keep.map(id_hash);
        self.store
            .session_delete_account(&account.key(), keep.as_deref())
            .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sessions() -> (tempfile::TempDir, Sessions) {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(heron_store::SqliteStore::open(dir.path()).unwrap());
        (dir, Sessions::new(store))
    }

    #[tokio::test]
    async fn ids_are_random_256_bit_hex() {
        let (_d, s) = sessions();
        let (a, sa) = s.create(Account::Admin, false, 100).await.unwrap();
        let (b, _) = s.create(Account::Admin, false, 100).await.unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_ne!(a, sa.csrf_token);
    }

    #[tokio::test]
    async fn idle_expiry_and_remember() {
        let (_d, s) = sessions();
        let idle = IDLE.as_secs() as i64;
        let (short, _) = s.create(Account::Admin, false, 0).await.unwrap();
        let (long, _) = s
            .create(Account::User("a@b.test".into()), true, 0)
            .await
            .unwrap();
        // Use keeps a session alive.
        assert!(s.get(&short, idle - 1).await.unwrap().is_some());
        assert!(s.get(&short, 2 * idle - 2).await.unwrap().is_some());
        assert!(s.get(&short, 3 * idle).await.unwrap().is_none());
        assert!(
            s.get(&short, 0).await.unwrap().is_none(),
            "an expired session is gone"
        );
        let week = 7 * 24 * 3600;
        let got = s.get(&long, week).await.unwrap().unwrap();
        assert_eq!(got.account, Account::User("a@b.test".into()));
        s.remove(&long).await.unwrap();
        assert!(s.get(&long, week).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn remove_account_keeps_the_current_session() {
        let (_d, s) = sessions();
        let u = Account::User("a@b.test".into());
        let (a, _) = s.create(u.clone(), false, 0).await.unwrap();
        let (b, _) = s.create(u.clone(), false, 0).await.unwrap();
        let (c, _) = s.create(Account::Admin, false, 0).await.unwrap();
        s.remove_account(&u, Some(&a)).await.unwrap();
        assert!(s.get(&a, 1).await.unwrap().is_some());
        assert!(s.get(&b, 1).await.unwrap().is_none());
        assert!(s.get(&c, 1).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn impersonation_survives_the_store() {
        let (_d, s) = sessions();
        let by = Impersonation {
            by: "admin".into(),
            return_to: "own".into(),
        };
        let (id, _) = s
            .impersonate(Account::User("a@b.test".into()), by.clone(), 0)
            .await
            .unwrap();
        let got = s.get(&id, 1).await.unwrap().unwrap();
        assert_eq!(got.impersonation, Some(by));
    }
}
