//! Connection floods (SEC-2 DoS rule): more than `security.dos_connections` connections of
//! one protocol from one IP within `security.dos_window` seconds block that IP on that
//! protocol for `security.dos_block` seconds, refused at accept before any task is spawned.
//!
//! The counts live in memory on each node: a flood is met where it lands, and a store write
//! per connection would be the very load it defends against. The blocks they place are
//! shared: `heron serve` records each new block in the store and every few seconds brings
//! each node's guard in line with the store's blocks ([`FloodGuard::impose`],
//! [`FloodGuard::lift`]), so every node refuses the IP, the Blocks page lists it and
//! lifting it there frees it everywhere. The counts are bounded: at most [`MAX_TRACKED`]
//! (protocol, IP) entries; when full, entries with nothing left to remember go first, and if
//! none can go a new IP is not tracked (it is let through) rather than an existing block
//! forgotten.
//!
//! Invariants: counting is per fixed window starting at an IP's first connection in it;
//! connections refused during a block neither count nor extend it; a rule of 0 connections
//! tracks nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use heron_settings::values::Protocol;

/// Most (protocol, IP) entries kept.
pub const MAX_TRACKED: usize = 65_536;

/// The rule: more than `max` connections within `window` block for `block`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloodRule {
    pub max: u64,
    pub window: Duration,
    pub block: Duration,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    window_start: Instant,
    count: u64,
    blocked_until: Option<Instant>,
}

impl Entry {
    fn done(&self, rule: &FloodRule, now: Instant) -> bool {
        self.blocked_until.is_none_or(|t| t <= now)
            && now.duration_since(self.window_start) >= rule.window
    }
}

/// What happened to a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// This connection started a block.
    BlockStarted,
    /// Refused: the IP is blocked.
    Blocked,
}

/// The per-node counts.
#[derive(Debug, Default)]
pub struct FloodGuard {
    entries: HashMap<(Protocol, IpAddr), Entry>,
}

impl FloodGuard {
    /// Count a connection of `protocol` from `ip` at `now` under `rule`.
    pub fn connect(
        &mut self,
        protocol: Protocol,
        ip: IpAddr,
        rule: &FloodRule,
        now: Instant,
    ) -> Verdict {
        if rule.max == 0 {
            return Verdict::Allowed;
        }
        let key = (protocol, ip);
        if !self.entries.contains_key(&key) && self.entries.len() >= MAX_TRACKED {
            self.entries.retain(|_, e| !e.done(rule, now));
            if self.entries.len() >= MAX_TRACKED {
                return Verdict::Allowed;
            }
        }
        let e = self.entries.entry(key).or_insert(Entry {
            window_start: now,
            count: 0,
            blocked_until: None,
        });
        if e.blocked_until.is_some_and(|t| now < t) {
            return Verdict::Blocked;
        }
        if e.blocked_until.is_some() || now.duration_since(e.window_start) >= rule.window {
            *e = Entry {
                window_start: now,
                count: 0,
                blocked_until: None,
            };
        }
        e.count += 1;
        if e.count > rule.max {
            e.blocked_until = Some(now + rule.block);
            return Verdict::BlockStarted;
        }
        Verdict::Allowed
    }

    /// Block `ip` on `protocol` until `until` (a block another node placed), unless a longer
    /// one is in force here.
    pub fn impose(&mut self, protocol: Protocol, ip: IpAddr, until: Instant) {
        if !self.entries.contains_key(&(protocol, ip)) && self.entries.len() >= MAX_TRACKED {
            return;
        }
        let e = self.entries.entry((protocol, ip)).or_insert(Entry {
            window_start: until,
            count: 0,
            blocked_until: None,
        });
        if e.blocked_until.is_none_or(|t| t < until) {
            e.blocked_until = Some(until);
        }
    }

    /// The blocks in force at `now`.
    pub fn blocks(&self, now: Instant) -> Vec<(Protocol, IpAddr, Instant)> {
        self.entries
            .iter()
            .filter_map(|((p, ip), e)| e.blocked_until.filter(|t| *t > now).map(|t| (*p, *ip, t)))
            .collect()
    }

    /// Lift the block of `ip` on `protocol` (lifted by an administrator), forgetting its count.
    pub fn lift(&mut self, protocol: Protocol, ip: IpAddr) {
        self.entries.remove(&(protocol, ip));
    }

    /// Entries kept (for tests and the bound).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const RULE: FloodRule = FloodRule {
        max: 3,
        window: Duration::from_secs(10),
        block: Duration::from_secs(60),
    };

    #[test]
    fn blocks_after_the_threshold_and_ends_on_time() {
        let mut g = FloodGuard::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        for s in 0..3 {
            assert_eq!(
                g.connect(Protocol::Smtp, ip, &RULE, at(s)),
                Verdict::Allowed
            );
        }
        // Another protocol counts apart.
        assert_eq!(
            g.connect(Protocol::Imap, ip, &RULE, at(3)),
            Verdict::Allowed
        );
        assert_eq!(
            g.connect(Protocol::Smtp, ip, &RULE, at(3)),
            Verdict::BlockStarted
        );
        assert_eq!(
            g.connect(Protocol::Smtp, ip, &RULE, at(62)),
            Verdict::Blocked
        );
        assert_eq!(
            g.connect(Protocol::Smtp, ip, &RULE, at(63)),
            Verdict::Allowed
        );
        // A new window forgets the old count.
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        for s in [0, 5, 9, 10, 11, 12] {
            assert_eq!(
                g.connect(Protocol::Pop3, other, &RULE, at(s)),
                Verdict::Allowed
            );
        }
        let off = FloodRule { max: 0, ..RULE };
        assert_eq!(
            g.connect(Protocol::Pop3, other, &off, at(12)),
            Verdict::Allowed
        );
    }

    #[test]
    fn blocks_from_elsewhere_are_imposed_and_lifted() {
        let mut g = FloodGuard::default();
        let ip: IpAddr = "10.0.0.9".parse().unwrap();
        let t0 = Instant::now();
        g.impose(Protocol::Imap, ip, t0 + Duration::from_secs(30));
        assert_eq!(g.connect(Protocol::Imap, ip, &RULE, t0), Verdict::Blocked);
        assert_eq!(g.connect(Protocol::Smtp, ip, &RULE, t0), Verdict::Allowed);
        // A shorter block from elsewhere does not cut a longer one short.
        g.impose(Protocol::Imap, ip, t0 + Duration::from_secs(5));
        assert_eq!(
            g.blocks(t0),
            vec![(Protocol::Imap, ip, t0 + Duration::from_secs(30))]
        );
        g.lift(Protocol::Imap, ip);
        assert!(g.blocks(t0).is_empty());
        assert_eq!(g.connect(Protocol::Imap, ip, &RULE, t0), Verdict::Allowed);
    }

    #[test]
    fn bounded() {
        let mut g = FloodGuard::default();
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 10) {
            let ip = IpAddr::from(i.to_be_bytes());
            g.connect(Protocol::Smtp, ip, &RULE, t0);
        }
        assert_eq!(g.len(), MAX_TRACKED);
        // Later, the old entries have nothing to remember and make room.
        let later = t0 + Duration::from_secs(11);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        g.connect(Protocol::Smtp, ip, &RULE, later);
        assert_eq!(g.len(), 1);
    }
}
