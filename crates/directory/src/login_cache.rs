//! Passwords recently verified at login, so a client that logs in again soon (IMAP clients
//! reconnecting, POP3 pollers) skips the argon2 check, which costs about 100 ms and 19 MiB.
//!
//! An entry, per user id, holds two HMAC-SHA-256 tags under a key drawn from the operating
//! system when the directory is made (never stored, different in every process): one over
//! the user's stored credential line, one over that line and the password. Kept in memory
//! only, for `security.login_cache_seconds`.
//!
//! Invariants:
//! - No password is kept, nor anything that can be checked against one without the
//!   process's key: only keyed tags.
//! - Only a successful argon2 check fills an entry ([`LoginCache::remember`]). A wrong
//!   password gives another tag, so it misses and takes the normal path (argon2, failure
//!   reply); a hit needs the very password that was verified.
//! - An entry answers only for the exact credential line it was verified against. The caller
//!   reads that line from the store at every login, so a password change made anywhere (this
//!   process, the CLI, another node on the same PostgreSQL) makes the entry miss at the next
//!   login, with no change event to wait for; the stale entry is dropped when seen.
//! - The cache only stands in for argon2: whether the user and its domain may log in is
//!   checked by the caller on every login, before the cache is asked.
//! - An entry older than the TTL is never used; at most [`MAX_ENTRIES`] are kept. When full,
//!   expired entries are swept, and if more than three quarters remain all are dropped (they
//!   refill one login each), so a sweep frees at least a quarter and inserts stay cheap.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use heron_store::UserId;

/// Entries kept at most (about 100 bytes each with the map's overhead: some 10 MiB).
pub(crate) const MAX_ENTRIES: usize = 100_000;

/// Domain separation between the two tags of an entry.
const CREDENTIALS_TAG: &[u8] = b"heron login cache: credentials";
const PASSWORD_TAG: &[u8] = b"heron login cache: credentials and password";

type Tag = [u8; 32];

/// What is kept for one user.
struct Entry {
    /// Tag of the credential line verified against: tells a changed password from a wrong one.
    credentials: Tag,
    /// Tag of that line with the password that passed argon2.
    password: Tag,
    /// When argon2 accepted it; the entry is used until `verified + ttl`.
    verified: Instant,
}

/// The verified-logins cache of one process (see the module docs).
pub(crate) struct LoginCache {
    /// Random HMAC key; `None` if the system's random source failed, and then nothing is kept.
    key: Option<[u8; 32]>,
    entries: Mutex<HashMap<UserId, Entry>>,
}

impl Default for LoginCache {
    fn default() -> Self {
        let mut key = [0u8; 32];
        let key = match rand::rngs::OsRng.try_fill_bytes(&mut key) {
            Ok(()) => Some(key),
            Err(e) => {
                tracing::warn!("login cache off: no random key ({e})");
                None
            }
        };
        Self {
            key,
            entries: Mutex::default(),
        }
    }
}

impl LoginCache {
    /// Whether `password` passed argon2 for user `id` with stored credentials `line` less than
    /// `ttl` before `now`. A kept entry for other credentials (the password was changed) is
    /// dropped; one for another password is left alone.
    pub(crate) fn verified(
        &self,
        id: UserId,
        line: &str,
        password: &str,
        ttl: Duration,
        now: Instant,
    ) -> bool {
        let Some(key) = &self.key else {
            return false;
        };
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let Some(e) = map.get(&id) else {
            return false;
        };
        let expired = now.saturating_duration_since(e.verified) >= ttl;
        let stale = !bool::from(e.credentials.ct_eq(&credentials_tag(key, id, line)));
        if expired || stale {
            map.remove(&id);
            return false;
        }
        e.password
            .ct_eq(&password_tag(key, id, line, password))
            .into()
    }

    /// Note that `password` just passed argon2 for user `id` with stored credentials `line`.
    pub(crate) fn remember(
        &self,
        id: UserId,
        line: &str,
        password: &str,
        ttl: Duration,
        now: Instant,
    ) {
        let Some(key) = &self.key else {
            return;
        };
        let entry = Entry {
            credentials: credentials_tag(key, id, line),
            password: password_tag(key, id, line, password),
            verified: now,
        };
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES && !map.contains_key(&id) {
            map.retain(|_, e| now.saturating_duration_since(e.verified) < ttl);
            if map.len() > MAX_ENTRIES / 4 * 3 {
                map.clear();
            }
        }
        map.insert(id, entry);
    }

    /// Forget user `id` (its account changed in this process; other changes are caught by
    /// the credential line, see the module docs).
    pub(crate) fn forget(&self, id: UserId) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

fn credentials_tag(key: &[u8; 32], id: UserId, line: &str) -> Tag {
    mac(key, &[CREDENTIALS_TAG, &id.to_be_bytes(), line.as_bytes()])
}

fn password_tag(key: &[u8; 32], id: UserId, line: &str, password: &str) -> Tag {
    mac(
        key,
        &[
            PASSWORD_TAG,
            &id.to_be_bytes(),
            line.as_bytes(),
            password.as_bytes(),
        ],
    )
}

/// HMAC-SHA-256 over `parts`, each preceded by its length so no two lists give one input.
fn mac(key: &[u8; 32], parts: &[&[u8]]) -> Tag {
    // RFC 2104 §2: a key shorter than the block (64 bytes) is padded with zeros; padding it
    // here allows the infallible fixed-size constructor.
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let mut m = <Hmac<Sha256> as KeyInit>::new(&block.into());
    for p in parts {
        m.update(&(p.len() as u64).to_be_bytes());
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(300);
    const LINE: &str = "heron-cred-v1;argon2=$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";

    #[test]
    fn hit_after_remember_for_the_same_password_only() {
        let c = LoginCache::default();
        let t = Instant::now();
        assert!(!c.verified(1, LINE, "secret1", TTL, t), "empty cache");
        c.remember(1, LINE, "secret1", TTL, t);
        assert!(c.verified(1, LINE, "secret1", TTL, t + Duration::from_secs(10)));
        assert!(!c.verified(1, LINE, "secret2", TTL, t), "another password");
        assert!(!c.verified(1, LINE, "secret1 ", TTL, t), "another password");
        assert!(!c.verified(2, LINE, "secret1", TTL, t), "another user");
        assert!(
            c.verified(1, LINE, "secret1", TTL, t),
            "a wrong attempt does not drop the entry"
        );
    }

    #[test]
    fn expires_after_the_ttl() {
        let c = LoginCache::default();
        let t = Instant::now();
        c.remember(1, LINE, "secret1", TTL, t);
        assert!(c.verified(1, LINE, "secret1", TTL, t + TTL - Duration::from_secs(1)));
        assert!(!c.verified(1, LINE, "secret1", TTL, t + TTL));
        assert_eq!(c.len(), 0, "the expired entry is dropped");
        c.remember(1, LINE, "secret1", TTL, t);
        assert!(
            !c.verified(1, LINE, "secret1", Duration::ZERO, t),
            "a TTL of 0 keeps nothing usable"
        );
    }

    #[test]
    fn a_changed_credential_line_misses_and_drops_the_entry() {
        let c = LoginCache::default();
        let t = Instant::now();
        c.remember(1, LINE, "secret1", TTL, t);
        let changed = format!("{LINE}x");
        assert!(
            !c.verified(1, &changed, "secret1", TTL, t),
            "password changed"
        );
        assert_eq!(c.len(), 0);
        assert!(
            !c.verified(1, LINE, "secret1", TTL, t),
            "gone, even for the old line"
        );
    }

    #[test]
    fn forget_drops_the_user() {
        let c = LoginCache::default();
        let t = Instant::now();
        c.remember(1, LINE, "secret1", TTL, t);
        c.remember(2, LINE, "secret1", TTL, t);
        c.forget(1);
        assert!(!c.verified(1, LINE, "secret1", TTL, t));
        assert!(c.verified(2, LINE, "secret1", TTL, t));
    }

    #[test]
    fn two_processes_keep_different_tags() {
        let (a, b) = (LoginCache::default(), LoginCache::default());
        assert_ne!(a.key, b.key);
        let (ka, kb) = (a.key.unwrap(), b.key.unwrap());
        assert_ne!(
            password_tag(&ka, 1, LINE, "secret1"),
            password_tag(&kb, 1, LINE, "secret1")
        );
        assert_ne!(
            mac(&ka, &[b"ab", b"c"]),
            mac(&ka, &[b"a", b"bc"]),
            "parts are delimited"
        );
    }

    #[test]
    fn stays_bounded() {
        let c = LoginCache::default();
        let t = Instant::now();
        for id in 0..MAX_ENTRIES as i64 {
            c.remember(id, LINE, "pw", TTL, t);
        }
        assert_eq!(c.len(), MAX_ENTRIES);
        // Full of live entries: all are dropped to make room.
        c.remember(-1, LINE, "pw", TTL, t);
        assert_eq!(c.len(), 1);
        assert!(c.verified(-1, LINE, "pw", TTL, t));
        // Full of mostly expired entries: only those go.
        for id in 0..MAX_ENTRIES as i64 - 1 {
            c.remember(id, LINE, "pw", TTL, t);
        }
        let later = t + TTL;
        c.remember(-2, LINE, "pw", TTL, later);
        assert_eq!(c.len(), 1);
        assert!(c.verified(-2, LINE, "pw", TTL, later));
    }
}
