//! Exclusive maildrop locks (RFC 1939 §8: "the POP3 server then acquires an exclusive-access
//! lock on the maildrop"), across every node sharing the store: a session first takes the
//! lock among this node's sessions (in memory), then the node takes the store's hold
//! `pop3:<user id>`, which no other running node can take while this one has it (a node that
//! dies loses its holds once it counts as gone, see `heron_store::NodeStore`).
//!
//! Invariants: a user id is in the in-memory set exactly while one [`LockGuard`] for it
//! lives; the store hold is taken only by the session holding the in-memory lock and given
//! back when its guard goes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use heron_store::{Store, StoreError, UserId};

/// The locked maildrops.
#[derive(Clone)]
pub struct MailboxLocks {
    held: Arc<Mutex<HashSet<UserId>>>,
    store: Arc<dyn Store>,
}

/// Holds one maildrop lock; dropping it releases the lock.
pub struct LockGuard {
    held: Arc<Mutex<HashSet<UserId>>>,
    store: Arc<dyn Store>,
    user: UserId,
    /// Whether the store hold is still to be given back when the guard goes.
    holds_store: bool,
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("user", &self.user)
            .finish()
    }
}

/// The name of a maildrop's hold in the store.
fn hold_name(user: UserId) -> String {
    format!("pop3:{user}")
}

impl MailboxLocks {
    /// Locks kept in this node and in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            held: Arc::default(),
            store,
        }
    }

    /// Lock a user's maildrop, or `None` if another session (of this node or another) holds
    /// it.
    pub async fn try_lock(&self, user: UserId) -> Result<Option<LockGuard>, StoreError> {
        let inserted = self.held.lock().is_ok_and(|mut h| h.insert(user));
        if !inserted {
            return Ok(None);
        }
        // From here the guard owns the in-memory lock: dropping it on any path frees it.
        let mut guard = LockGuard {
            held: self.held.clone(),
            store: self.store.clone(),
            user,
            holds_store: false,
        };
        let now = chrono::Utc::now().timestamp();
        if self.store.hold_take(&hold_name(user), now).await? {
            guard.holds_store = true;
            Ok(Some(guard))
        } else {
            Ok(None)
        }
    }
}

impl LockGuard {
    /// Give the maildrop back now, waiting until the store hold is released, so a client
    /// that reconnects right after QUIT's reply finds it free (RFC 1939 §6: the lock goes
    /// before the reply). Dropping a guard instead releases the hold in the background.
    pub async fn release(mut self) {
        if std::mem::take(&mut self.holds_store) {
            let name = hold_name(self.user);
            if let Err(e) = self.store.hold_release(&name).await {
                tracing::warn!(target: "pop3", "cannot give back the hold {name}: {e}");
            }
        }
    }
}

impl Drop for LockGuard {
    /// The in-memory lock goes only after the store hold: were it freed first, a new session
    /// of this node could take the hold again (a node may retake its own) and then lose it
    /// to this late release.
    fn drop(&mut self) {
        let (held, user) = (self.held.clone(), self.user);
        let free = move || {
            if let Ok(mut h) = held.lock() {
                h.remove(&user);
            }
        };
        let runtime = tokio::runtime::Handle::try_current();
        match runtime {
            Ok(rt) if self.holds_store => {
                let (store, name) = (self.store.clone(), hold_name(user));
                rt.spawn(async move {
                    if let Err(e) = store.hold_release(&name).await {
                        tracing::warn!(target: "pop3", "cannot give back the hold {name}: {e}");
                    }
                    free();
                });
            }
            _ => free(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn exclusive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(heron_store::SqliteStore::open(dir.path()).unwrap());
        let l = MailboxLocks::new(store.clone());
        let g = l.try_lock(1).await.unwrap().unwrap();
        assert!(l.try_lock(1).await.unwrap().is_none());
        assert!(l.try_lock(2).await.unwrap().is_some());
        g.release().await;
        let again = l.try_lock(1).await.unwrap();
        assert!(again.is_some(), "free at once after release");
    }

    #[tokio::test]
    async fn a_dropped_guard_frees_the_memory_lock_after_the_store_hold() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(heron_store::SqliteStore::open(dir.path()).unwrap());
        let l = MailboxLocks::new(store.clone());
        drop(l.try_lock(1).await.unwrap().unwrap());
        assert!(l.held.lock().unwrap().contains(&1), "kept until the hold is given back");
        let mut freed = false;
        for _ in 0..200 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            if !l.held.lock().unwrap().contains(&1) {
                freed = true;
                break;
            }
        }
        assert!(freed, "the background release frees the maildrop");
        assert!(l.try_lock(1).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn another_nodes_hold_keeps_the_maildrop() {
        let dir = tempfile::tempdir().unwrap();
        let other: Arc<dyn Store> = Arc::new(heron_store::SqliteStore::open(dir.path()).unwrap());
        let now = chrono::Utc::now().timestamp();
        other.node_heartbeat("other", "1", now, now).await.unwrap();
        assert!(other.hold_take("pop3:1", now).await.unwrap());
        let mine: Arc<dyn Store> = Arc::new(heron_store::SqliteStore::open(dir.path()).unwrap());
        let l = MailboxLocks::new(mine);
        assert!(l.try_lock(1).await.unwrap().is_none());
        assert!(l.try_lock(2).await.unwrap().is_some());
        other.hold_release("pop3:1").await.unwrap();
        assert!(l.try_lock(1).await.unwrap().is_some());
    }
}
