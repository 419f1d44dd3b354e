//! What an attempt's results do to a spool entry (SPOOL-2, DOM-6): per-recipient states, the
//! next attempt from the retry schedule, the bounce after the last interval or after repeated
//! "domain does not exist" answers, and the priority of later attempts. Pure: table-tested
//! without a network.
//!
//! Invariants: a recipient leaves `pending` only as `delivered` or `failed`; every recipient
//! that becomes `failed` is listed in [`Applied::failed`] (so the sender can be told) exactly
//! once; the entry is kept only while a recipient is pending.

use std::time::Duration;

use heron_store::{SPOOL_DELIVERED, SPOOL_FAILED, SpoolAttempt, SpoolEntry, SpoolRecipient};

/// The result of one attempt for one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RcptOutcome {
    /// Accepted by the next hop.
    Delivered {
        reply: String,
        remote: Option<String>,
    },
    /// Try again later.
    Temporary {
        reply: String,
        remote: Option<String>,
    },
    /// Refused for good.
    Permanent {
        reply: String,
        remote: Option<String>,
    },
    /// The recipient's domain does not exist (NXDOMAIN or no address at all).
    NoSuchDomain { reason: String },
}

/// The retry rules in force.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Intervals after the 1st, 2nd, ... failed attempt; when exhausted the message bounces.
    pub retries: Vec<Duration>,
    /// "Domain does not exist" answers before the recipient bounces.
    pub dns_attempts: u32,
    /// Priority of the second attempt and of the third and later ones (DOM-6).
    pub second_priority: u8,
    pub third_priority: u8,
}

/// An attempt applied to an entry.
#[derive(Clone, Debug)]
pub struct Applied {
    /// What to write back.
    pub attempt: SpoolAttempt,
    /// Indexes of recipients that failed in this attempt.
    pub failed: Vec<usize>,
    /// Indexes of recipients delivered in this attempt.
    pub delivered: Vec<usize>,
    /// Indexes of recipients still pending that asked to hear of delays and were not told yet.
    pub delayed: Vec<usize>,
}

/// Apply `results` (recipient index, outcome) of an attempt made at `now` to `entry`.
pub fn apply(
    entry: &SpoolEntry,
    results: &[(usize, RcptOutcome)],
    now: i64,
    policy: &Policy,
) -> Applied {
    let mut rcpts = entry.recipients.clone();
    let (mut failed, mut delivered) = (Vec::new(), Vec::new());
    for (i, outcome) in results {
        let Some(r) = rcpts.get_mut(*i).filter(|r| r.is_pending()) else {
            continue;
        };
        record(r, outcome, policy, *i, &mut failed, &mut delivered);
    }
    let attempts = entry.attempts.saturating_add(1);
    let pending: Vec<usize> = (0..rcpts.len())
        .filter(|i| rcpts[*i].is_pending())
        .collect();
    let retry_in = policy.retries.get(attempts as usize - 1).copied();
    let mut delayed = Vec::new();
    match retry_in {
        None => {
            // SPOOL-2: the schedule is exhausted; what is still pending bounces.
            for i in pending {
                let r = &mut rcpts[i];
                r.status = SPOOL_FAILED.into();
                let last = r.last_reply.take().unwrap_or_else(|| "no answer".into());
                r.last_reply = Some(format!("retry period expired; last reply: {last}"));
                failed.push(i);
            }
        }
        Some(_) => {
            for i in pending {
                let r = &mut rcpts[i];
                if !r.delay_notified && wants(r, "DELAY") {
                    r.delay_notified = true;
                    delayed.push(i);
                }
            }
        }
    }
    let priority = match attempts {
        0 => entry.priority,
        1 => policy.second_priority,
        _ => policy.third_priority,
    };
    let next = retry_in.map_or(now, |d| now.saturating_add(d.as_secs() as i64));
    Applied {
        attempt: SpoolAttempt {
            recipients: rcpts,
            attempts,
            next_attempt_at: next,
            priority: priority.clamp(1, 10),
            last_attempt_at: now,
        },
        failed,
        delivered,
        delayed,
    }
}

fn record(
    r: &mut SpoolRecipient,
    outcome: &RcptOutcome,
    policy: &Policy,
    i: usize,
    failed: &mut Vec<usize>,
    delivered: &mut Vec<usize>,
) {
    match outcome {
        RcptOutcome::Delivered { reply, remote } => {
            r.status = SPOOL_DELIVERED.into();
            r.last_reply = Some(reply.clone());
            r.remote = remote.clone();
            delivered.push(i);
        }
        RcptOutcome::Temporary { reply, remote } => {
            r.last_reply = Some(reply.clone());
            r.remote = remote.clone();
        }
        RcptOutcome::Permanent { reply, remote } => {
            r.status = SPOOL_FAILED.into();
            r.last_reply = Some(reply.clone());
            r.remote = remote.clone();
            failed.push(i);
        }
        RcptOutcome::NoSuchDomain { reason } => {
            r.dns_failures = r.dns_failures.saturating_add(1);
            r.last_reply = Some(reason.clone());
            r.remote = None;
            if r.dns_failures >= policy.dns_attempts.max(1) {
                r.status = SPOOL_FAILED.into();
                failed.push(i);
            }
        }
    }
}

/// Whether the recipient's RFC 3461 NOTIFY asks for `what` (SUCCESS, FAILURE, DELAY).
/// Without NOTIFY only failures are reported (RFC 3461 §4.1).
pub fn wants(r: &SpoolRecipient, what: &str) -> bool {
    match &r.notify {
        None => what == "FAILURE",
        Some(n) => n.split(',').any(|w| w.trim().eq_ignore_ascii_case(what)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use heron_store::SPOOL_PENDING;

    fn entry(n: usize, attempts: u32) -> SpoolEntry {
        SpoolEntry {
            id: 1,
            sender: "s@a.test".into(),
            recipients: (0..n)
                .map(|i| SpoolRecipient::pending(format!("r{i}@b.test")))
                .collect(),
            blob: "b".into(),
            size: 10,
            priority: 7,
            ret: None,
            envid: None,
            attempts,
            created_at: 0,
            next_attempt_at: 0,
            leased_until: 1,
            last_attempt_at: None,
            requiretls: false,
        }
    }

    fn policy() -> Policy {
        Policy {
            retries: vec![Duration::from_secs(60), Duration::from_secs(120)],
            dns_attempts: 2,
            second_priority: 4,
            third_priority: 3,
        }
    }

    fn temp() -> RcptOutcome {
        RcptOutcome::Temporary {
            reply: "451 4.3.0 busy".into(),
            remote: Some("mx.b.test".into()),
        }
    }

    #[test]
    fn mixed_results() {
        let e = entry(3, 0);
        let results = [
            (
                0,
                RcptOutcome::Delivered {
                    reply: "250 ok".into(),
                    remote: None,
                },
            ),
            (1, temp()),
            (
                2,
                RcptOutcome::Permanent {
                    reply: "550 5.1.1 no".into(),
                    remote: None,
                },
            ),
        ];
        let a = apply(&e, &results, 1000, &policy());
        let st: Vec<&str> = a
            .attempt
            .recipients
            .iter()
            .map(|r| r.status.as_str())
            .collect();
        assert_eq!(st, [SPOOL_DELIVERED, SPOOL_PENDING, SPOOL_FAILED]);
        assert_eq!((a.failed, a.delivered), (vec![2], vec![0]));
        assert_eq!(a.attempt.next_attempt_at, 1060);
        assert_eq!((a.attempt.attempts, a.attempt.priority), (1, 4));
        assert_eq!(
            a.attempt.recipients[1].last_reply.as_deref(),
            Some("451 4.3.0 busy")
        );
    }

    #[test]
    fn schedule_exhausted_bounces() {
        let e = entry(1, 2);
        let a = apply(&e, &[(0, temp())], 5000, &policy());
        assert_eq!(a.failed, [0]);
        assert_eq!(a.attempt.recipients[0].status, SPOOL_FAILED);
        assert!(
            a.attempt.recipients[0]
                .last_reply
                .as_deref()
                .unwrap()
                .contains("451 4.3.0")
        );
        assert_eq!(a.attempt.priority, 3);
        let ok = apply(&entry(1, 1), &[(0, temp())], 5000, &policy());
        assert!(ok.failed.is_empty());
        assert_eq!(ok.attempt.next_attempt_at, 5120);
    }

    #[test]
    fn dns_errors_bounce_after_the_limit() {
        let nx = RcptOutcome::NoSuchDomain {
            reason: "NXDOMAIN".into(),
        };
        let first = apply(&entry(1, 0), &[(0, nx.clone())], 0, &policy());
        assert!(first.failed.is_empty());
        let mut e = entry(1, 1);
        e.recipients = first.attempt.recipients;
        let second = apply(&e, &[(0, nx)], 0, &policy());
        assert_eq!(second.failed, [0]);
    }

    #[test]
    fn delay_notice_once_and_only_when_asked() {
        let mut e = entry(2, 0);
        e.recipients[0].notify = Some("SUCCESS,DELAY".into());
        let a = apply(&e, &[(0, temp()), (1, temp())], 0, &policy());
        assert_eq!(a.delayed, [0]);
        e.recipients = a.attempt.recipients;
        e.attempts = 1;
        let b = apply(&e, &[(0, temp()), (1, temp())], 0, &policy());
        assert!(b.delayed.is_empty());
    }

    #[test]
    fn notify_words() {
        let mut r = SpoolRecipient::pending("a@b");
        assert!(wants(&r, "FAILURE") && !wants(&r, "SUCCESS"));
        r.notify = Some("NEVER".into());
        assert!(!wants(&r, "FAILURE"));
        r.notify = Some("success, failure".into());
        assert!(wants(&r, "SUCCESS") && wants(&r, "FAILURE"));
    }

    #[test]
    fn results_for_done_recipients_are_ignored() {
        let mut e = entry(1, 0);
        e.recipients[0].status = SPOOL_DELIVERED.into();
        let a = apply(&e, &[(0, temp())], 0, &policy());
        assert!(a.failed.is_empty() && a.delayed.is_empty());
        assert_eq!(a.attempt.recipients[0].status, SPOOL_DELIVERED);
    }
}
