//! Failure limits, such as failed logins per client IP: after `max_failures` failures of one
//! key within `window` seconds, the key is blocked for `block` seconds. The arithmetic is
//! pure (the caller passes the time in) and table-tested here; the store keeps one
//! [`Record`] per (scope, key) and runs the statements below, so a restarted node and every
//! other node go on counting the same failures. Both backends use them (`?N` parameters;
//! PostgreSQL's `$N` through [`super::nodes::numbered`]).
//!
//! Invariants: a blocked key stays blocked until its block ends, whatever it does meanwhile
//! (failures during a block neither count nor extend it); a success clears a key's failures
//! but not its block; a record holds fewer than `max_failures` failure times, all within the
//! window; a record past [`Record::expires_at`] has nothing left to remember and may go; the
//! records of one scope stay within the cap the caller gives (records with nothing to
//! remember go first, then the oldest unblocked ones, blocked ones last).

use crate::error::Result;
use crate::rules::json::{from_json, to_json};

/// The rule: how many failures within how long block for how long (seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub max_failures: u32,
    pub window: i64,
    pub block: i64,
}

/// What the store remembers of one key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Unix seconds of the failures still within the window, oldest first.
    pub failures: Vec<i64>,
    /// Unix seconds when the block ends; 0 when the key was never blocked.
    pub blocked_until: i64,
}

impl Record {
    /// A record as stored: the failure times as JSON text, and the block's end.
    pub fn from_stored(failures: &str, blocked_until: i64) -> Result<Self> {
        Ok(Self {
            failures: from_json(failures, "failure times")?,
            blocked_until,
        })
    }

    /// The failure times as stored (JSON text).
    pub fn failures_text(&self) -> Result<String> {
        to_json(&self.failures)
    }

    /// Seconds left of the block at `now`; `None` when the key is not blocked.
    pub fn blocked_for(&self, now: i64) -> Option<i64> {
        blocked_for(self.blocked_until, now)
    }

    /// Count a failure at `now`; true when it starts a block. A failure while blocked changes
    /// nothing; failures older than the window are forgotten; the last one allowed clears
    /// the count and starts the block.
    pub fn fail(&mut self, rule: &Rule, now: i64) -> bool {
        if self.blocked_for(now).is_some() {
            return false;
        }
        self.failures.retain(|t| now - t < rule.window);
        self.failures.push(now);
        if self.failures.len() >= rule.max_failures.max(1) as usize {
            self.failures.clear();
            self.blocked_until = now + rule.block;
            return true;
        }
        false
    }

    /// When nothing of this record matters any more: its block has ended and its last
    /// failure has left the window.
    pub fn expires_at(&self, rule: &Rule) -> i64 {
        let last = self.failures.iter().max().map_or(0, |t| t + rule.window);
        last.max(self.blocked_until)
    }

    /// Whether a success at `now` forgets the record (it does unless the key is blocked;
    /// [`SUCCESS`] is this rule in SQL).
    pub fn forgotten_on_success(&self, now: i64) -> bool {
        self.blocked_for(now).is_none()
    }
}

/// Seconds left at `now` of a block ending at `blocked_until`; `None` when none is in force.
pub fn blocked_for(blocked_until: i64, now: i64) -> Option<i64> {
    (now < blocked_until).then(|| blocked_until - now)
}

/// How many records of a scope holding `count` (the new one included) must go to stay
/// within `max`.
pub fn over_cap(count: i64, max: usize) -> i64 {
    (count - i64::try_from(max.max(1)).unwrap_or(i64::MAX)).max(0)
}

/// A block in force: its scope and key, and when it ends (Unix seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitBlock {
    pub scope: String,
    pub key: String,
    pub blocked_until: i64,
}

/// ?1 now: the blocks in force, of every scope.
pub const BLOCKS: &str = "SELECT scope, key, blocked_until FROM failure_limits \
     WHERE blocked_until > ?1 ORDER BY scope, key";
/// ?1 scope, ?2 key: the failure times.
pub const FAILURES: &str = "SELECT failures FROM failure_limits WHERE scope = ?1 AND key = ?2";
/// ?1 scope, ?2 key: forget the record (lifting its block).
pub const REMOVE: &str = "DELETE FROM failure_limits WHERE scope = ?1 AND key = ?2";

/// ?1 now: records with nothing left to remember, of every scope.
pub const PRUNE: &str = "DELETE FROM failure_limits WHERE expires_at <= ?1";
/// A record for ?1 scope, ?2 key, expiring at ?3, unless there is one; one row changed means
/// a new key.
pub const CREATE: &str = "INSERT INTO failure_limits (scope, key, failures, blocked_until, \
     expires_at) VALUES (?1, ?2, '[]', 0, ?3) ON CONFLICT (scope, key) DO NOTHING";
/// The record of ?1 scope, ?2 key (PostgreSQL adds `FOR UPDATE`: one writer per key at a
/// time, across nodes).
pub const GET: &str =
    "SELECT failures, blocked_until FROM failure_limits WHERE scope = ?1 AND key = ?2";
/// ?1 scope.
pub const COUNT: &str = "SELECT count(*) FROM failure_limits WHERE scope = ?1";
/// Make room in ?1 scope for key ?2 at ?3: the ?4 records to go, unblocked ones first, those
/// expiring soonest first.
pub const EVICT: &str = "DELETE FROM failure_limits WHERE scope = ?1 AND key IN \
     (SELECT key FROM failure_limits WHERE scope = ?1 AND key <> ?2 \
     ORDER BY blocked_until > ?3, expires_at, key LIMIT ?4)";
/// ?1 scope, ?2 key: ?3 failure times, ?4 block end, ?5 expiry.
pub const UPDATE: &str = "UPDATE failure_limits SET failures = ?3, blocked_until = ?4, \
     expires_at = ?5 WHERE scope = ?1 AND key = ?2";
/// ?1 scope, ?2 key: the block's end.
pub const BLOCKED_UNTIL: &str =
    "SELECT blocked_until FROM failure_limits WHERE scope = ?1 AND key = ?2";
/// ?1 scope, ?2 key, ?3 now: a success forgets the record unless the key is blocked
/// ([`Record::forgotten_on_success`]).
pub const SUCCESS: &str =
    "DELETE FROM failure_limits WHERE scope = ?1 AND key = ?2 AND blocked_until <= ?3";

#[cfg(test)]
mod tests {
    use super::*;

    /// Admin logins: 5 failures within 5 minutes block for 15 minutes.
    const LOGIN: Rule = Rule {
        max_failures: 5,
        window: 300,
        block: 900,
    };

    #[derive(Clone, Copy, Debug)]
    enum Op {
        Fail(i64),
        /// A success at this time.
        Success(i64),
        /// Expect the key at this time: `None` allowed, `Some(s)` blocked for `s` more seconds.
        Check(i64, Option<i64>),
    }
    use Op::*;

    /// Run `ops` on one key as the store does: a success forgets an unblocked record.
    fn run(ops: &[Op]) {
        let mut r = Record::default();
        for (i, op) in ops.iter().enumerate() {
            match *op {
                Fail(t) => {
                    r.fail(&LOGIN, t);
                    assert!(r.failures.len() < 5, "step {i}: {ops:?}");
                }
                Success(t) => {
                    if r.forgotten_on_success(t) {
                        r = Record::default();
                    }
                }
                Check(t, want) => assert_eq!(r.blocked_for(t), want, "step {i}: {ops:?}"),
            }
        }
    }

    #[test]
    fn table() {
        let five = [Fail(0), Fail(1), Fail(2), Fail(3), Fail(4)];
        let then = |more: &[Op]| [&five[..], more].concat();
        let cases: Vec<Vec<Op>> = vec![
            // Four failures do not block.
            vec![Fail(0), Fail(1), Fail(2), Fail(3), Check(4, None)],
            // The fifth within five minutes blocks for fifteen.
            then(&[Check(5, Some(899))]),
            then(&[Check(903, Some(1))]),
            // The block ends on time and starts from a clean slate.
            then(&[Check(904, None), Fail(905), Check(906, None)]),
            // Failures older than the window do not count.
            vec![
                Fail(0),
                Fail(1),
                Fail(2),
                Fail(3),
                Fail(300),
                Check(301, None),
            ],
            vec![
                Fail(0),
                Fail(100),
                Fail(200),
                Fail(299),
                Fail(299),
                Check(300, Some(899)),
            ],
            // A success clears the count ...
            vec![
                Fail(0),
                Fail(1),
                Fail(2),
                Fail(3),
                Success(4),
                Fail(5),
                Check(6, None),
            ],
            // ... but not a block.
            then(&[Success(6), Check(6, Some(898))]),
            // Failures during a block neither count nor extend it.
            then(&[Fail(500), Check(904, None), Fail(905), Check(906, None)]),
        ];
        for ops in &cases {
            run(ops);
        }
    }

    #[test]
    fn fifth_failure_reports_the_block() {
        let mut r = Record::default();
        let started: Vec<bool> = (0..5).map(|t| r.fail(&LOGIN, t)).collect();
        assert_eq!(started, [false, false, false, false, true]);
        assert!(!r.fail(&LOGIN, 6), "a failure while blocked starts nothing");
    }

    #[test]
    fn expiry_covers_the_window_and_the_block() {
        let mut r = Record::default();
        assert_eq!(r.expires_at(&LOGIN), 0);
        r.fail(&LOGIN, 10);
        r.fail(&LOGIN, 20);
        assert_eq!(r.expires_at(&LOGIN), 320);
        for t in 21..24 {
            r.fail(&LOGIN, t);
        }
        assert_eq!((r.blocked_until, r.expires_at(&LOGIN)), (923, 923));
    }

    #[test]
    fn stored_form_round_trips() {
        let r = Record {
            failures: vec![5, 7],
            blocked_until: 0,
        };
        let text = r.failures_text().unwrap_or_default();
        assert_eq!(text, "[5,7]");
        assert_eq!(Record::from_stored(&text, 0).ok(), Some(r));
        assert!(Record::from_stored("[5,", 0).is_err());
    }

    #[test]
    fn room_under_the_cap() {
        assert_eq!(
            (
                over_cap(3, 3),
                over_cap(4, 3),
                over_cap(10, 3),
                over_cap(1, 0)
            ),
            (0, 1, 7, 0)
        );
    }
}
