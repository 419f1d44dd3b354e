//! Holding a message body in memory while it arrives, within the SMTP door's share of
//! memory (`smtp_in.body_memory_mb`, a [`MemoryBudget`] shared by its sessions).
//!
//! Invariant: a body whose buffer would take the door past its budget stops being stored
//! at once (the reader only counts the rest); its transaction is then answered 452 4.3.1,
//! a temporary failure the sender retries later.

use std::sync::Arc;

use heron_net::budget::{Lease, MemoryBudget};
use heron_proto_smtp::reply::{self, Reply};
use heron_settings::{Settings, defs};

/// One body's hold on the door's memory.
#[derive(Debug)]
pub struct BodyHold {
    lease: Lease,
    /// The budget said no: the body is being read to its end and dropped.
    refused: bool,
}

impl BodyHold {
    /// An empty hold on `budget`.
    pub fn new(budget: &Arc<MemoryBudget>) -> Self {
        Self {
            lease: budget.lease(),
            refused: false,
        }
    }

    /// Cover a buffer of `capacity` bytes; false (and from then on) when the budget in
    /// `settings` cannot, and the caller must give the body up.
    pub fn cover(&mut self, capacity: usize, settings: &Settings) -> bool {
        if self.refused {
            return false;
        }
        let limit = settings
            .get(defs::SMTP_BODY_MEMORY_MB)
            .saturating_mul(1024 * 1024);
        if !self.lease.grow_to(capacity as u64, limit) {
            tracing::warn!(target: "smtp", "message bodies in memory reached smtp_in.body_memory_mb: message refused for now");
            self.refused = true;
        }
        !self.refused
    }

    /// The reply for a body that was given up, if it was.
    pub fn refusal(&self) -> Option<Reply> {
        self.refused.then(|| {
            reply::INSUFFICIENT_STORAGE
                .with_text("Server busy receiving other mail, try again later")
        })
    }
}
