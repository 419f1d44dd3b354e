//! A memory budget shared by the sessions of one service: what message bodies being
//! received hold in memory all together (SMTP DATA and BDAT before the message is stored).
//! Each transfer holds a [`Lease`] that grows with its buffer; when the budget is spent,
//! the transfer is refused with a temporary error instead of the process growing without
//! bound (a thousand senders stopping just before the end of 30 MB messages).
//!
//! Invariants: the budget's count is the sum of the live leases (a lease gives its bytes
//! back when dropped); a lease never grows past the limit in force when it asks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes held by every lease of one service.
#[derive(Debug, Default)]
pub struct MemoryBudget {
    used: AtomicU64,
}

impl MemoryBudget {
    /// Bytes held now.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// An empty lease.
    pub fn lease(self: &Arc<Self>) -> Lease {
        Lease {
            budget: self.clone(),
            held: 0,
        }
    }
}

/// One transfer's share of a [`MemoryBudget`].
#[derive(Debug)]
pub struct Lease {
    budget: Arc<MemoryBudget>,
    held: u64,
}

impl Lease {
    /// Grow the lease to `bytes` if the budget, with every other lease, stays within
    /// `limit` (0 = no limit); false, and unchanged, if it would not.
    pub fn grow_to(&mut self, bytes: u64, limit: u64) -> bool {
        if bytes <= self.held {
            return true;
        }
        let more = bytes - self.held;
        let taken = self
            .budget
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                let after = used.checked_add(more)?;
                (limit == 0 || after <= limit).then_some(after)
            });
        if taken.is_ok() {
            self.held = bytes;
        }
        taken.is_ok()
    }

    /// Bytes this lease holds.
    pub fn held(&self) -> u64 {
        self.held
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.held, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_share_the_limit_and_give_back_on_drop() {
        let b = Arc::new(MemoryBudget::default());
        let mut one = b.lease();
        let mut two = b.lease();
        assert!(one.grow_to(600, 1000));
        assert!(!two.grow_to(500, 1000), "600 + 500 is over 1000");
        assert_eq!(two.held(), 0);
        assert!(two.grow_to(400, 1000));
        assert!(one.grow_to(100, 1000), "shrinking asks for nothing");
        assert_eq!(b.used(), 1000);
        drop(one);
        assert_eq!(b.used(), 400);
        assert!(two.grow_to(5000, 0), "0 is no limit");
        drop(two);
        assert_eq!(b.used(), 0);
    }
}
