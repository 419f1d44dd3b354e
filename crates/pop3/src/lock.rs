//! Exclusive maildrop locks (RFC 1939 §8: "the POP3 server then acquires an exclusive-access
//! lock on the maildrop"). In-process: each server node holds the locks of its own sessions.
//!
//! Invariant: a user id is in the set exactly while one [`LockGuard`] for it lives.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use heron_store::UserId;

/// The set of locked maildrops.
#[derive(Clone, Debug, Default)]
pub struct MailboxLocks {
    held: Arc<Mutex<HashSet<UserId>>>,
}

/// Holds one maildrop lock; dropping it releases the lock.
#[derive(Debug)]
pub struct LockGuard {
    held: Arc<Mutex<HashSet<UserId>>>,
    user: UserId,
}

impl MailboxLocks {
    /// Lock a user's maildrop, or `None` if another session holds it.
    pub fn try_lock(&self, user: UserId) -> Option<LockGuard> {
        let mut held = self.held.lock().ok()?;
        held.insert(user).then(|| LockGuard {
            held: self.held.clone(),
            user,
        })
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Ok(mut h) = self.held.lock() {
            h.remove(&self.user);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_until_dropped() {
        let l = MailboxLocks::default();
        let g = l.try_lock(1).unwrap();
        assert!(l.try_lock(1).is_none());
        assert!(l.try_lock(2).is_some());
        drop(g);
        assert!(l.try_lock(1).is_some());
    }
}
