//! The in-memory side of the statistics: [`Recorder`] adds events to per (scope, key, hour)
//! counts under one lock, and hands them out as hourly rows for [`super::flush`].
//!
//! Invariants: recording takes the lock for one map update and never waits on I/O; taking
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
        let hour = Span::Hour.start_of(at);
        self.pending()
            .entry((scope, key, hour))
            .or_default()
            .count(e);
    }

    /// Count `e` now for the server only.
    pub fn server(&self, e: Event) {
        self.add_at(now(), Scope::Server, 0, e);
    }

    /// Count `e` now for a user and their domain, not the server.
    pub fn mailbox(&self, domain: i64, user: i64, e: Event) {
        let t = now();
        self.add_at(t, Scope::Domain, domain, e);
        self.add_at(t, Scope::User, user, e);
    }

    /// Count `e` now for the server, a domain and (when known) one of its users.
    pub fn account(&self, domain: i64, user: Option<i64>, e: Event) {
        let t = now();
        self.add_at(t, Scope::Server, 0, e);
        self.add_at(t, Scope::Domain, domain, e);
        if let Some(u) = user {
            self.add_at(t, Scope::User, u, e);
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
