//! Statistics (OPS-3): counts of mail in and out, spam and virus verdicts, bounces and logins,
//! per server, per domain and per user, in hourly and daily buckets.
//!
//! How it works: the protocol crates count events into the process's [`Recorder`]
//! ([`recorder`]), an in-memory map keyed by (scope, key, hour start); nothing is written per
//! message. A periodic task ([`flush`], every `stats.flush_interval` seconds, and once more at
//! a clean shutdown) takes the map and writes it as one batch through
//! [`crate::StatsStore::stats_add`]: each pending hour becomes an upsert of its hour row and
//! of its day row that ADDS to the counts already stored, so several nodes sharing one
//! PostgreSQL database add up. [`prune`] removes hourly rows older than
//! [`HOURLY_KEEP_DAYS`] days and daily rows older than `stats.retention_months` months
//! (a month counted as 31 days).
//!
//! Scopes and keys: [`Scope::Server`] (key 0) is the whole installation, every node
//! together; [`Scope::Domain`] is keyed by the domain id and [`Scope::User`] by the user id
//! (ids survive renames and `heron store copy`; the rows of a deleted domain or user stay
//! until they age out and are no longer reachable by name).
//!
//! What is counted, and where:
//! - `messages_in`/`bytes_in`: each copy delivered into a local mailbox (a message for three
//!   local users counts three) by SMTP, as a generated report, by POP retrieval or as an
//!   admin message or notice (not IMAP APPEND or an import), at the recipient's domain and
//!   user;
//! - `messages_out`/`bytes_out`: each remote recipient the queue delivered to, at the sender's
//!   domain and user when the sender is hosted here;
//! - `spam`/`virus`: the filter's verdict on a message, once at the server and once at each
//!   local recipient (incoming) or at the authenticated sender (outgoing);
//! - `bounces`: failure reports (DSNs) generated, at the hosted sender they go to;
//! - `logins_*`: successful logins per protocol, at the user.
//!
//! Invariants: buckets are UTC; an event is counted in the hour it happened, even when it is
//! flushed in a later one; a failed flush puts its counts back, so a store outage delays
//! counts but does not lose them (a process killed without a clean shutdown loses at most one
//! flush interval); the rows of a batch are written in key order, so two nodes flushing at
//! once never wait on each other in a cycle.

mod recorder;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::traits::Store;

pub use recorder::{Recorder, recorder};

/// Seconds in an hourly bucket.
pub const HOUR: i64 = 3600;
/// Seconds in a daily bucket.
pub const DAY: i64 = 86_400;
/// Hourly rows are kept this many days; daily rows for the retention setting.
pub const HOURLY_KEEP_DAYS: i64 = 31;
/// Days in a month, for the retention setting.
pub const DAYS_PER_MONTH: i64 = 31;

/// Whose counts a row holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The whole installation (key 0).
    Server,
    /// One domain (key: its id).
    Domain,
    /// One user (key: their id).
    User,
}

impl Scope {
    /// The name stored in the `scope` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Server => "server",
            Scope::Domain => "domain",
            Scope::User => "user",
        }
    }

    /// The scope of a stored name.
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "server" => Some(Scope::Server),
            "domain" => Some(Scope::Domain),
            "user" => Some(Scope::User),
            _ => None,
        }
    }
}

/// The length of a bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Span {
    Hour,
    Day,
}

impl Span {
    /// Its length in seconds (the stored `span`).
    pub fn seconds(self) -> i64 {
        match self {
            Span::Hour => HOUR,
            Span::Day => DAY,
        }
    }

    /// The start of the bucket holding Unix time `t`.
    pub fn start_of(self, t: i64) -> i64 {
        t.div_euclid(self.seconds()) * self.seconds()
    }

    /// The span of a stored length.
    pub fn from_seconds(s: i64) -> Option<Span> {
        match s {
            HOUR => Some(Span::Hour),
            DAY => Some(Span::Day),
            _ => None,
        }
    }
}

/// The counters of one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub messages_in: u64,
    pub bytes_in: u64,
    pub messages_out: u64,
    pub bytes_out: u64,
    pub spam: u64,
    pub virus: u64,
    pub bounces: u64,
    pub logins_imap: u64,
    pub logins_pop3: u64,
    pub logins_smtp: u64,
    pub logins_web: u64,
}

/// The counter columns, in [`Counts::values`] order.
pub const COLUMNS: [&str; 11] = [
    "messages_in",
    "bytes_in",
    "messages_out",
    "bytes_out",
    "spam",
    "virus",
    "bounces",
    "logins_imap",
    "logins_pop3",
    "logins_smtp",
    "logins_web",
];

impl Counts {
    /// The counters as stored, in [`COLUMNS`] order.
    pub fn values(&self) -> [i64; 11] {
        [
            self.messages_in,
            self.bytes_in,
            self.messages_out,
            self.bytes_out,
            self.spam,
            self.virus,
            self.bounces,
            self.logins_imap,
            self.logins_pop3,
            self.logins_smtp,
            self.logins_web,
        ]
        .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
    }

    /// Counters read back, in [`COLUMNS`] order (negative values read as 0).
    pub fn from_values(v: [i64; 11]) -> Counts {
        let v = v.map(|x| x.max(0) as u64);
        Counts {
            messages_in: v[0],
            bytes_in: v[1],
            messages_out: v[2],
            bytes_out: v[3],
            spam: v[4],
            virus: v[5],
            bounces: v[6],
            logins_imap: v[7],
            logins_pop3: v[8],
            logins_smtp: v[9],
            logins_web: v[10],
        }
    }

    /// Add `other` to these counts (saturating).
    pub fn add(&mut self, other: &Counts) {
        let (a, b) = (self.values(), other.values());
        let mut sum = [0i64; 11];
        for (i, s) in sum.iter_mut().enumerate() {
            *s = a[i].saturating_add(b[i]);
        }
        *self = Counts::from_values(sum);
    }

    /// All logins, whatever the protocol.
    pub fn logins(&self) -> u64 {
        self.logins_imap + self.logins_pop3 + self.logins_smtp + self.logins_web
    }

    /// Count `e` once.
    pub fn count(&mut self, e: Event) {
        match e {
            Event::Delivered(bytes) => {
                self.messages_in += 1;
                self.bytes_in += bytes;
            }
            Event::Sent(bytes) => {
                self.messages_out += 1;
                self.bytes_out += bytes;
            }
            Event::Spam => self.spam += 1,
            Event::Virus => self.virus += 1,
            Event::Bounce => self.bounces += 1,
            Event::Login(Login::Imap) => self.logins_imap += 1,
            Event::Login(Login::Pop3) => self.logins_pop3 += 1,
            Event::Login(Login::Smtp) => self.logins_smtp += 1,
            Event::Login(Login::Web) => self.logins_web += 1,
        }
    }
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A copy of this many bytes went into a local mailbox.
    Delivered(u64),
    /// A message of this many bytes was delivered to a remote recipient.
    Sent(u64),
    /// The filter judged a message spam.
    Spam,
    /// The filter found a virus in a message.
    Virus,
    /// A failure report (DSN) was generated.
    Bounce,
    /// A successful login.
    Login(Login),
}

/// Where a login happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Login {
    Imap,
    Pop3,
    /// SMTP AUTH (submission).
    Smtp,
    /// The admin web UI and API.
    Web,
}

/// One bucket's counts of one scope and key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatRow {
    pub scope: Scope,
    /// 0 for the server, else the domain's or user's id.
    pub key: i64,
    pub span: Span,
    /// The bucket's start (Unix seconds, UTC, a multiple of the span).
    pub start: i64,
    pub counts: Counts,
}

/// Sort rows by their primary key (scope, key, span, start).
pub fn sort(rows: &mut [StatRow]) {
    rows.sort_by_key(|r| (r.scope, r.key, r.span, r.start));
}

/// Hourly rows and the daily rows they add up to, in key order.
pub fn with_days(hours: Vec<StatRow>) -> Vec<StatRow> {
    let mut days: HashMap<(Scope, i64, i64), Counts> = HashMap::new();
    for h in &hours {
        days.entry((h.scope, h.key, Span::Day.start_of(h.start)))
            .or_default()
            .add(&h.counts);
    }
    let mut all = hours;
    all.extend(
        days.into_iter()
            .map(|((scope, key, start), counts)| StatRow {
                scope,
                key,
                span: Span::Day,
                start,
                counts,
            }),
    );
    sort(&mut all);
    all
}

/// Write `rec`'s pending counts to the store as one batch; how many hourly rows went. On
/// failure the counts go back into the recorder for the next flush.
pub async fn flush(store: &dyn Store, rec: &Recorder) -> Result<usize> {
    let hours = rec.take();
    if hours.is_empty() {
        return Ok(0);
    }
    let n = hours.len();
    let all = with_days(hours.clone());
    match store.stats_add(&all).await {
        Ok(()) => Ok(n),
        Err(e) => {
            rec.put_back(hours);
            Err(e)
        }
    }
}

/// The oldest bucket starts kept at Unix time `now`: (hourly, daily).
pub fn keep_from(now: i64, retention_months: u64) -> (i64, i64) {
    let months = i64::try_from(retention_months).unwrap_or(i64::MAX / DAY);
    let daily_days = months.saturating_mul(DAYS_PER_MONTH);
    (
        Span::Hour.start_of(now - HOURLY_KEEP_DAYS * DAY),
        Span::Day.start_of(now.saturating_sub(daily_days.saturating_mul(DAY))),
    )
}

/// Remove the rows older than what is kept at `now` ([`keep_from`]); how many went.
pub async fn prune(store: &dyn Store, now: i64, retention_months: u64) -> Result<u64> {
    let (hourly, daily) = keep_from(now, retention_months);
    Ok(store.stats_prune(Span::Hour, hourly).await? + store.stats_prune(Span::Day, daily).await?)
}

/// Per-bucket rows of one scope and key from `from` to `to`, with a zero row for every
/// bucket the store has none for, so a chart shows the gaps.
pub fn fill(
    rows: Vec<StatRow>,
    scope: Scope,
    key: i64,
    span: Span,
    from: i64,
    to: i64,
) -> Vec<StatRow> {
    let mut by_start: HashMap<i64, Counts> =
        rows.into_iter().map(|r| (r.start, r.counts)).collect();
    let mut out = Vec::new();
    let mut t = span.start_of(from);
    while t < to {
        out.push(StatRow {
            scope,
            key,
            span,
            start: t,
            counts: by_start.remove(&t).unwrap_or_default(),
        });
        t += span.seconds();
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_on_utc_boundaries() {
        assert_eq!(Span::Hour.start_of(7_199), 3_600);
        assert_eq!(Span::Hour.start_of(7_200), 7_200);
        assert_eq!(Span::Day.start_of(86_399), 0);
        assert_eq!(Span::Day.start_of(2 * DAY + 5), 2 * DAY);
        assert_eq!(Span::Hour.start_of(-1), -3_600);
        assert_eq!(Span::from_seconds(3600), Some(Span::Hour));
        assert_eq!(Span::from_seconds(60), None);
    }

    #[test]
    fn days_add_up_their_hours() {
        let r = Recorder::default();
        r.add_at(DAY, Scope::Server, 0, Event::Spam);
        r.add_at(DAY + 5 * HOUR, Scope::Server, 0, Event::Spam);
        r.add_at(2 * DAY + 1, Scope::Server, 0, Event::Virus);
        let all = with_days(r.take());
        let days: Vec<_> = all.iter().filter(|r| r.span == Span::Day).collect();
        assert_eq!(days.len(), 2);
        assert_eq!((days[0].start, days[0].counts.spam), (DAY, 2));
        assert_eq!((days[1].start, days[1].counts.virus), (2 * DAY, 1));
        assert_eq!(all.iter().filter(|r| r.span == Span::Hour).count(), 3);
    }

    #[test]
    fn counts_round_trip_and_saturate() {
        let c = Counts {
            messages_in: 1,
            bytes_in: 2,
            messages_out: 3,
            bytes_out: 4,
            spam: 5,
            virus: 6,
            bounces: 7,
            logins_imap: 8,
            logins_pop3: 9,
            logins_smtp: 10,
            logins_web: 11,
        };
        assert_eq!(Counts::from_values(c.values()), c);
        let mut big = Counts {
            bytes_in: u64::MAX,
            ..Counts::default()
        };
        big.add(&c);
        assert_eq!(big.bytes_in, i64::MAX as u64);
    }

    #[test]
    fn retention_cutoffs() {
        let now = 400 * DAY + 7 * HOUR + 12;
        let (h, d) = keep_from(now, 13);
        assert_eq!(h, 369 * DAY + 7 * HOUR);
        assert_eq!(d, (400 - 13 * 31) * DAY);
        let (_, never) = keep_from(now, u64::MAX);
        assert!(never < 0);
    }

    #[test]
    fn fill_makes_every_bucket() {
        let rows = vec![StatRow {
            scope: Scope::Server,
            key: 0,
            span: Span::Hour,
            start: 2 * HOUR,
            counts: Counts {
                spam: 3,
                ..Counts::default()
            },
        }];
        let all = fill(rows, Scope::Server, 0, Span::Hour, HOUR + 10, 4 * HOUR);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].start, HOUR);
        assert_eq!(all[1].counts.spam, 3);
        assert_eq!(all[2].counts.spam, 0);
    }
}
