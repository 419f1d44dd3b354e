//! The in-memory side of the statistics: [`Recorder`] adds events to per (scope, key, hour)
//! counts under one lock, and hands them out as hourly rows for [`super::flush`].
//!
//! Memory: one entry per (scope, key, hour) counted since the last flush, so about the
//! number of users and domains active in one flush interval.
//!
//! Invariants: recording takes the lock once per event and never waits on I/O; taking
//! the counts empties the map in one step, so every event is in exactly one batch (or put
//! back after a failed write).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::{Counts, Event, Scope, Span, StatRow, sort};

/// Counts not yet written, by (scope, key, hour start).
type Pending = HashMap<(Scope, i64, i64), Counts>;

/// The in-memory counts of this process, written out by [`flush`].
#[derive(Debug, Default)]
pub struct Recorder {
    pending: Mutex<Pending>,
}

/// The process's recorder, made on first use.
pub fn recorder() -> &'static Recorder {
    static RECORDER: OnceLock<Recorder> = OnceLock::new();
    RECORDER.get_or_init(Recorder::default)
}

fn now() -> i64 {
    crate::rules::now()
}

impl Recorder {
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves whole counts behind: carry on with them.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Count `e` at Unix time `at` for one scope and key.
    pub fn add_at(&self, at: i64, scope: Scope, key: i64, e: Event) {
        self.add_all(at, &[(scope, key)], e);
    }

    /// Count `e` at Unix time `at` once for each (scope, key), under one lock.
    fn add_all(&self, at: i64, to: &[(Scope, i64)], e: Event) {
        let hour = Span::Hour.start_of(at);
        let mut pending = self.pending();
        for &(scope, key) in to {
            pending.entry((scope, key, hour)).or_default().count(e);
        }
    }

    /// Count `e` now for the server only.
    pub fn server(&self, e: Event) {
        self.add_all(now(), &[(Scope::Server, 0)], e);
    }

    /// Count `e` now for a user and their domain, not the server.
    pub fn mailbox(&self, domain: i64, user: i64, e: Event) {
        self.add_all(now(), &[(Scope::Domain, domain), (Scope::User, user)], e);
    }

    /// Count `e` now for the server, a domain and (when known) one of its users.
    pub fn account(&self, domain: i64, user: Option<i64>, e: Event) {
        let to = [(Scope::Server, 0), (Scope::Domain, domain)];
        match user {
            Some(u) => self.add_all(now(), &[to[0], to[1], (Scope::User, u)], e),
            None => self.add_all(now(), &to, e),
        }
    }

    /// Take every pending count as hourly rows, in key order; the recorder is left empty.
    pub fn take(&self) -> Vec<StatRow> {
        let taken = std::mem::take(&mut *self.pending());
        let mut rows: Vec<StatRow> = taken
            .into_iter()
            .map(|((scope, key, start), counts)| StatRow {
                scope,
                key,
                span: Span::Hour,
                start,
                counts,
            })
            .collect();
        sort(&mut rows);
        rows
    }

    /// Give back hourly rows that could not be written, adding them to what came meanwhile.
    pub fn put_back(&self, rows: Vec<StatRow>) {
        let mut pending = self.pending();
        for r in rows.into_iter().filter(|r| r.span == Span::Hour) {
            pending
                .entry((r.scope, r.key, r.start))
                .or_default()
                .add(&r.counts);
        }
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.pending().is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::stats::{DAY, HOUR, Login};

    #[test]
    fn recorder_aggregates_per_scope_key_and_hour() {
        let r = Recorder::default();
        let t = 10 * DAY + 5;
        r.add_at(t, Scope::Domain, 7, Event::Delivered(100));
        r.add_at(t + 10, Scope::Domain, 7, Event::Delivered(50));
        r.add_at(t + HOUR, Scope::Domain, 7, Event::Delivered(1));
        r.add_at(t, Scope::User, 9, Event::Login(Login::Imap));
        r.add_at(t, Scope::User, 9, Event::Login(Login::Pop3));
        let rows = r.take();
        assert!(r.is_empty());
        assert_eq!(rows.len(), 3);
        let d = &rows[0];
        assert_eq!((d.scope, d.key, d.start), (Scope::Domain, 7, 10 * DAY));
        assert_eq!((d.counts.messages_in, d.counts.bytes_in), (2, 150));
        assert_eq!(rows[1].start, 10 * DAY + HOUR);
        assert_eq!(rows[2].counts.logins(), 2);
        assert_eq!(rows[2].counts.logins_imap, 1);
    }

    #[test]
    fn account_counts_server_domain_and_user() {
        let r = Recorder::default();
        r.account(3, Some(8), Event::Bounce);
        r.account(3, None, Event::Bounce);
        r.mailbox(3, 8, Event::Spam);
        r.server(Event::Virus);
        let rows = r.take();
        let of = |scope, key| {
            rows.iter()
                .find(|x| x.scope == scope && x.key == key)
                .unwrap()
        };
        assert_eq!(rows.len(), 3);
        assert_eq!(of(Scope::Server, 0).counts.bounces, 2);
        assert_eq!(of(Scope::Server, 0).counts.spam, 0);
        assert_eq!(of(Scope::Server, 0).counts.virus, 1);
        assert_eq!(of(Scope::Domain, 3).counts.bounces, 2);
        assert_eq!(of(Scope::Domain, 3).counts.spam, 1);
        assert_eq!(of(Scope::User, 8).counts.bounces, 1);
        assert_eq!(of(Scope::User, 8).counts.spam, 1);
    }

    #[test]
    fn put_back_adds_to_new_counts() {
        let r = Recorder::default();
        r.add_at(0, Scope::Server, 0, Event::Sent(10));
        let rows = r.take();
        r.add_at(0, Scope::Server, 0, Event::Sent(5));
        r.put_back(rows);
        let rows = r.take();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].counts.messages_out, 2);
        assert_eq!(rows[0].counts.bytes_out, 15);
    }
}
