//! Spool rules: when a delivery attempt ends an entry, and what an administrator's change
//! (force, reset, priority) does to it.
//!
//! Invariants: an entry stays while any recipient is pending and goes with its attempt once
//! none is; a reset makes failed recipients pending again and clears the attempt count and
//! each recipient's DNS failures and delay notice, and never touches delivered recipients.

use crate::model::{SPOOL_FAILED, SPOOL_PENDING, SpoolChange, SpoolEntry, SpoolRecipient};

/// Whether an attempt leaving `recipients` so finishes its entry (none is pending).
pub fn finished(recipients: &[SpoolRecipient]) -> bool {
    !recipients.iter().any(SpoolRecipient::is_pending)
}

/// Apply an administrator's change to an entry.
pub fn apply_change(e: &mut SpoolEntry, c: &SpoolChange) {
    if let Some(p) = c.priority {
        e.priority = p;
    }
    if let Some(t) = c.next_attempt_at {
        e.next_attempt_at = t;
    }
    if c.reset {
        e.attempts = 0;
        for r in &mut e.recipients {
            if r.status == SPOOL_FAILED {
                r.status = SPOOL_PENDING.into();
            }
            r.dns_failures = 0;
            r.delay_notified = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SPOOL_DELIVERED;

    fn rcpt(status: &str) -> SpoolRecipient {
        SpoolRecipient {
            address: format!("{status}@remote.test"),
            status: status.into(),
            dns_failures: 2,
            delay_notified: true,
            ..SpoolRecipient::default()
        }
    }

    fn entry() -> SpoolEntry {
        SpoolEntry {
            id: 1,
            sender: String::new(),
            recipients: vec![rcpt(SPOOL_FAILED), rcpt(SPOOL_DELIVERED)],
            blob: "0".repeat(32),
            size: 1,
            priority: 5,
            ret: None,
            envid: None,
            attempts: 4,
            created_at: 0,
            next_attempt_at: 100,
            leased_until: 0,
            last_attempt_at: Some(50),
            requiretls: false,
        }
    }

    #[test]
    fn an_entry_is_finished_when_nobody_is_pending() {
        assert!(finished(&[rcpt(SPOOL_FAILED), rcpt(SPOOL_DELIVERED)]));
        assert!(!finished(&[rcpt(SPOOL_DELIVERED), rcpt(SPOOL_PENDING)]));
        assert!(finished(&[]));
    }

    #[test]
    fn reset_retries_failed_recipients_only() {
        let mut e = entry();
        apply_change(&mut e, &SpoolChange::reset(200));
        assert_eq!((e.attempts, e.next_attempt_at, e.priority), (0, 200, 5));
        assert_eq!(e.recipients[0].status, SPOOL_PENDING);
        assert_eq!(e.recipients[1].status, SPOOL_DELIVERED);
        assert!(
            e.recipients
                .iter()
                .all(|r| r.dns_failures == 0 && !r.delay_notified)
        );
    }

    #[test]
    fn force_and_priority_change_only_their_field() {
        let mut e = entry();
        apply_change(&mut e, &SpoolChange::force(300));
        assert_eq!((e.attempts, e.next_attempt_at), (4, 300));
        assert_eq!(e.recipients[0].status, SPOOL_FAILED);
        apply_change(&mut e, &SpoolChange::priority(9));
        assert_eq!((e.priority, e.next_attempt_at), (9, 300));
    }
}
