//! A failure counter per key (a client IP for logins): after `max_failures` failures within
//! `window`, the key is blocked for `block`. Pure: the caller passes the time in, so the
//! rules are table-tested and the abuse detection to come can reuse the type.
//!
//! Invariants: a blocked key stays blocked until its block ends, whatever it does meanwhile;
//! a success clears the key's failures; memory stays bounded (`max_keys`: when full, the
//! entries with nothing left to remember are dropped, then the oldest).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// The rule: how many failures within how long block for how long (all in seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub max_failures: usize,
    pub window: u64,
    pub block: u64,
}

impl Rule {
    /// Logins of the admin API: 5 failures within 5 minutes block for 15 minutes.
    pub const LOGIN: Rule = Rule {
        max_failures: 5,
        window: 300,
        block: 900,
    };
}

#[derive(Debug, Default)]
struct Entry {
    /// Times of the failures within the window, oldest first.
    failures: VecDeque<u64>,
    blocked_until: Option<u64>,
}

/// Failures and blocks per key.
#[derive(Debug)]
pub struct FailureLimiter<K> {
    rule: Rule,
    max_keys: usize,
    entries: HashMap<K, Entry>,
}

impl<K: Hash + Eq + Clone> FailureLimiter<K> {
    /// A limiter applying `rule`, remembering at most `max_keys` keys.
    pub fn new(rule: Rule, max_keys: usize) -> Self {
        Self {
            rule,
            max_keys: max_keys.max(1),
            entries: HashMap::new(),
        }
    }

    /// `Err(seconds until the block ends)` while `key` is blocked at `now`.
    pub fn check(&mut self, key: &K, now: u64) -> Result<(), u64> {
        let Some(e) = self.entries.get_mut(key) else {
            return Ok(());
        };
        match e.blocked_until {
            Some(until) if now < until => Err(until - now),
            Some(_) => {
                self.entries.remove(key);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Count a failure at `now`; true when it starts a block.
    pub fn failure(&mut self, key: &K, now: u64) -> bool {
        if !self.entries.contains_key(key) && self.entries.len() >= self.max_keys {
            self.make_room(now);
        }
        let rule = self.rule;
        let e = self.entries.entry(key.clone()).or_default();
        if e.blocked_until.is_some_and(|u| now < u) {
            return false;
        }
        e.blocked_until = None;
        while e
            .failures
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= rule.window)
        {
            e.failures.pop_front();
        }
        e.failures.push_back(now);
        if e.failures.len() >= rule.max_failures {
            e.failures.clear();
            e.blocked_until = Some(now + rule.block);
            return true;
        }
        false
    }

    /// Forget the failures of `key` (a successful login).
    pub fn success(&mut self, key: &K) {
        if let Some(e) = self.entries.get(key)
            && e.blocked_until.is_none()
        {
            self.entries.remove(key);
        }
    }

    /// Drop entries whose failures and block have run out; if none, the one with the oldest
    /// last activity.
    fn make_room(&mut self, now: u64) {
        let rule = self.rule;
        self.entries.retain(|_, e| {
            let blocked = e.blocked_until.is_some_and(|u| now < u);
            let recent = e
                .failures
                .back()
                .is_some_and(|t| now.saturating_sub(*t) < rule.window);
            blocked || recent
        });
        if self.entries.len() >= self.max_keys {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.failures.back().copied().or(e.blocked_until))
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.entries.remove(&k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug)]
    enum Op {
        Fail(u64),
        Success,
        /// Expect `check` at this time: `None` allowed, `Some(s)` blocked for `s` more seconds.
        Check(u64, Option<u64>),
    }
    use Op::*;

    fn run(ops: &[Op]) {
        let mut l = FailureLimiter::new(Rule::LOGIN, 100);
        for (i, op) in ops.iter().enumerate() {
            match *op {
                Fail(t) => {
                    l.failure(&"ip", t);
                }
                Success => l.success(&"ip"),
                Check(t, want) => {
                    assert_eq!(l.check(&"ip", t).err(), want, "step {i}: {ops:?}");
                }
            }
        }
    }

    #[test]
    fn table() {
        let cases: &[&[Op]] = &[
            // Four failures do not block.
            &[Fail(0), Fail(1), Fail(2), Fail(3), Check(4, None)],
            // The fifth within five minutes blocks for fifteen.
            &[
                Fail(0),
                Fail(1),
                Fail(2),
                Fail(3),
                Fail(4),
                Check(5, Some(899)),
            ],
            &[
                Fail(0),
                Fail(1),
                Fail(2),
                Fail(3),
                Fail(4),
                Check(903, Some(1)),
            ],
            // The block ends on time and starts from a clean slate.
            &[
                Fail(0),
                Fail(1),
                Fail(2),
                Fail(3),
                Fail(4),
                Check(904, None),
                Fail(905),
                Check(906, None),
            ],
            // Failures older than the window do not count.
            &[
                Fail(0),
                Fail(1),
                Fail(2),
                Fail(3),
                Fail(300),
                Check(301, None),
            ],
            &[
                Fail(0),
                Fail(100),
                Fail(200),
                Fail(299),
                Fail(299),
                Check(300, Some(899)),
            ],
            // A success clears the count ...
            &[
                Fail(0),
                Fail(1),
                Fail(2),
                Fail(3),
                Success,
                Fail(5),
                Check(6, None),
            ],
            // ... but not a block.
            &[
                Fail(0),
                Fail(1),
                Fail(2),
                Fail(3),
                Fail(4),
                Success,
                Check(6, Some(898)),
            ],
            // Failures during a block do not extend it.
            &[
                Fail(0),
                Fail(1),
                Fail(2),
                Fail(3),
                Fail(4),
                Fail(500),
                Check(904, None),
            ],
        ];
        for ops in cases {
            run(ops);
        }
    }

    #[test]
    fn keys_are_separate() {
        let mut l = FailureLimiter::new(Rule::LOGIN, 100);
        for t in 0..5 {
            l.failure(&"a", t);
        }
        assert!(l.check(&"a", 5).is_err());
        assert!(l.check(&"b", 5).is_ok());
    }

    #[test]
    fn fifth_failure_reports_the_block() {
        let mut l = FailureLimiter::new(Rule::LOGIN, 100);
        let started: Vec<bool> = (0..5).map(|t| l.failure(&1, t)).collect();
        assert_eq!(started, [false, false, false, false, true]);
    }

    #[test]
    fn memory_is_bounded_and_blocks_survive_pruning() {
        let mut l = FailureLimiter::new(Rule::LOGIN, 3);
        for t in 0..5 {
            l.failure(&0u32, t);
        }
        for k in 1..50u32 {
            l.failure(&k, 1000 + u64::from(k) * 400);
            assert!(l.entries.len() <= 3);
        }
        let mut l = FailureLimiter::new(Rule::LOGIN, 3);
        for t in 0..5 {
            l.failure(&0u32, t);
        }
        l.failure(&1, 10);
        l.failure(&2, 400);
        l.failure(&3, 401);
        assert!(
            l.check(&0, 402).is_err(),
            "a blocked key outlives idle ones"
        );
    }
}
