//! Login sessions, in memory: a random 256-bit id (the cookie) maps to who logged in, their
//! CSRF token and when the session was last used. A server restart logs everyone out.
//!
//! Invariants: a session unused for longer than its idle limit (30 minutes, or 30 days with
//! "remember me") is gone: `get` never returns it and removes it; ids and CSRF tokens come
//! from the OS random generator; at most [`MAX_SESSIONS`] are kept.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;

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

/// A session in which the system administrator acts as another account (DOM-13).
#[derive(Clone, Debug, PartialEq, Eq)]
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
    last_used: Instant,
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

/// Every session of this process.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Start a session; returns its id and the session.
    pub fn create(&self, account: Account, remember: bool, now: Instant) -> (String, Session) {
        self.insert(account, if remember { REMEMBERED } else { IDLE }, None, now)
    }

    /// Start a session in which `by` acts as `account`, with the ordinary idle limit.
    pub fn impersonate(
        &self,
        account: Account,
        by: Impersonation,
        now: Instant,
    ) -> (String, Session) {
        self.insert(account, IDLE, Some(by), now)
    }

    fn insert(
        &self,
        account: Account,
        idle: Duration,
        impersonation: Option<Impersonation>,
        now: Instant,
    ) -> (String, Session) {
        let id = random_hex(32);
        let s = Session {
            account,
            csrf_token: random_hex(32),
            idle,
            impersonation,
            last_used: now,
        };
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= MAX_SESSIONS {
                m.retain(|_, s| now.duration_since(s.last_used) < s.idle);
            }
            if m.len() >= MAX_SESSIONS
                && let Some(oldest) = m
                    .iter()
                    .min_by_key(|(_, s)| s.last_used)
                    .map(|(k, _)| k.clone())
            {
                m.remove(&oldest);
            }
            m.insert(id.clone(), s.clone());
        }
        (id, s)
    }

    /// The live session with this id, marked used at `now`.
    pub fn get(&self, id: &str, now: Instant) -> Option<Session> {
        let mut m = self.map.lock().ok()?;
        let s = m.get_mut(id)?;
        if now.duration_since(s.last_used) >= s.idle {
            m.remove(id);
            return None;
        }
        s.last_used = now;
        Some(s.clone())
    }

    /// End a session.
    pub fn remove(&self, id: &str) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(id);
        }
    }

    /// End every session of an account except `keep` (after a password change elsewhere
    /// or an account deletion).
    pub fn remove_account(&self, account: &Account, keep: Option<&str>) {
        if let Ok(mut m) = self.map.lock() {
            m.retain(|id, s| s.account != *account || Some(id.as_str()) == keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_256_bit_hex() {
        let s = Sessions::default();
        let now = Instant::now();
        let (a, sa) = s.create(Account::Admin, false, now);
        let (b, _) = s.create(Account::Admin, false, now);
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_ne!(a, sa.csrf_token);
    }

    #[test]
    fn idle_expiry_and_remember() {
        let s = Sessions::default();
        let t0 = Instant::now();
        let (short, _) = s.create(Account::Admin, false, t0);
        let (long, _) = s.create(Account::User("a@b.test".into()), true, t0);
        // Use keeps a session alive.
        assert!(s.get(&short, t0 + IDLE - Duration::from_secs(1)).is_some());
        assert!(
            s.get(&short, t0 + 2 * IDLE - Duration::from_secs(2))
                .is_some()
        );
        assert!(s.get(&short, t0 + 3 * IDLE).is_none());
        assert!(s.get(&short, t0).is_none(), "an expired session is gone");
        assert!(
            s.get(&long, t0 + Duration::from_secs(7 * 24 * 3600))
                .is_some()
        );
        s.remove(&long);
        assert!(s.get(&long, t0).is_none());
    }

    #[test]
    fn remove_account_keeps_the_current_session() {
        let s = Sessions::default();
        let t0 = Instant::now();
        let u = Account::User("a@b.test".into());
        let (a, _) = s.create(u.clone(), false, t0);
        let (b, _) = s.create(u.clone(), false, t0);
        let (c, _) = s.create(Account::Admin, false, t0);
        s.remove_account(&u, Some(&a));
        assert!(s.get(&a, t0).is_some());
        assert!(s.get(&b, t0).is_none());
        assert!(s.get(&c, t0).is_some());
    }
}
