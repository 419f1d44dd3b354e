//! The recent changes of busy folders, kept in memory by the process that committed them, so
//! an IMAP session catching up after each command ([`crate::MailStore::changes_since`]) is
//! answered without reading every changed row again: with many sessions on one mailbox each
//! row changed by one is otherwise read back by all the others.
//!
//! A folder's log covers the modseqs `(from, to]`: it holds every change committed in that
//! span, in commit order, each stamped with the modseq it raised the folder to. A change
//! is recorded only after its transaction committed, together with the folder's
//! HIGHESTMODSEQ before and after it.
//!
//! Invariants: a log is extended only by a change whose `before` is the log's `to`, so the
//! span never has a hole; a change committed elsewhere (another process, a write path that
//! does not record) leaves a hole, and the next recorded change starts the log again from its
//! own `before`. A question is answered only when the span covers it entirely (the asked
//! modseq at or past `from`, the folder's current HIGHESTMODSEQ, read by the asker from the
//! database, at or below `to`); otherwise the caller reads the database. Memory is bounded:
//! at most [`MAX_ENTRIES`] changes per folder (the oldest dropped, `from` moving up past
//! them) and [`MAX_FOLDERS`] folders (the one written longest ago dropped).
//!
//! A log may also be known **current** (used where other processes write to the same
//! database): it then holds every change committed to its folder so far, so a catch-up needs
//! no database read at all. A log becomes current when the caller read the folder's
//! HIGHESTMODSEQ from the database and found it equal to the log's `to`
//! ([`ChangeLog::confirm`]), and stops being current when a change it does not hold is
//! heard of ([`ChangeLog::stale`]: another process's event, a local write that did not
//! record, a lost listener) or when a hole starts it again. A confirmation races with the
//! news of a change committed after the read: it takes effect only if nothing was declared
//! stale since the caller took its [`ChangeLog::ticket`], before reading.
//!
//! Each change also carries what it did to the folder's STATUS counts ([`CountDelta`]), so
//! counts taken at one HIGHESTMODSEQ are brought to a later one covered by the log without
//! reading every message again.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::events::Event;
use crate::model::{FolderChanges, FolderCounts, FolderId, MessageMeta};

/// Changes kept per folder, at most.
pub const MAX_ENTRIES: usize = 4096;

/// Folders with a log, at most.
pub const MAX_FOLDERS: usize = 64;

/// One message's change.
#[derive(Clone, Debug)]
pub enum Change {
    /// Added, or its flags changed: the message as it is now.
    Meta(Arc<MessageMeta>),
    /// Expunged.
    Gone(u32),
}

impl Change {
    /// The message it is about.
    fn uid(&self) -> u32 {
        match self {
            Change::Meta(meta) => meta.uid,
            Change::Gone(uid) => *uid,
        }
    }
}

/// One committed change of a folder, which raised its HIGHESTMODSEQ from `before` to
/// `after`; every message change in it carries `after`.
#[derive(Clone, Debug)]
pub struct Step {
    pub folder: FolderId,
    pub before: u64,
    pub after: u64,
    pub changes: Vec<Change>,
    /// What the step did to the folder's counts.
    pub counts: CountDelta,
}

impl Step {
    /// A change that raised the folder's HIGHESTMODSEQ by one, to `modseq`.
    pub fn at(folder: FolderId, modseq: u64, changes: Vec<Change>, counts: CountDelta) -> Self {
        Self {
            folder,
            before: modseq - 1,
            after: modseq,
            changes,
            counts,
        }
    }

    /// One new message, stored with the flags `stored_flags` (joined form): a step of its
    /// own, at its modseq.
    pub fn added(meta: MessageMeta, stored_flags: &str) -> Self {
        let counts = CountDelta::of(stored_flags, meta.size, 1);
        Self::at(
            meta.folder_id,
            meta.modseq,
            vec![Change::Meta(Arc::new(meta))],
            counts,
        )
    }
}

/// A change of a folder's STATUS counts ([`crate::FolderCounts`]: messages, unseen, deleted
/// and their bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CountDelta {
    pub messages: i64,
    pub unseen: i64,
    pub deleted: i64,
    pub bytes: i64,
    pub deleted_bytes: i64,
}

impl CountDelta {
    /// What one message with `flags` (joined form, as stored) and `size` counts for; `sign`
    /// is 1 for a message added and -1 for one taken away.
    pub fn of(flags: &str, size: u64, sign: i64) -> Self {
        let has = |flag: &str| flags.split(' ').any(|f| f == flag);
        let deleted = i64::from(has("\\Deleted"));
        Self {
            messages: sign,
            unseen: sign * i64::from(!has("\\Seen")),
            deleted: sign * deleted,
            bytes: sign * size as i64,
            deleted_bytes: sign * deleted * size as i64,
        }
    }

    /// The sum of two changes.
    pub fn plus(self, o: Self) -> Self {
        Self {
            messages: self.messages + o.messages,
            unseen: self.unseen + o.unseen,
            deleted: self.deleted + o.deleted,
            bytes: self.bytes + o.bytes,
            deleted_bytes: self.deleted_bytes + o.deleted_bytes,
        }
    }

    /// A message's flags going from `old` to `new` (joined forms).
    pub fn reflagged(old: &str, new: &str, size: u64) -> Self {
        let d = Self::of(new, size, 1).plus(Self::of(old, size, -1));
        Self {
            messages: 0,
            bytes: 0,
            ..d
        }
    }

    /// `counts` after this change (`None` if a count would go below zero: they did not
    /// belong together).
    pub fn apply(self, c: FolderCounts) -> Option<FolderCounts> {
        let add32 = |v: u32, d: i64| u32::try_from(i64::from(v) + d).ok();
        let add64 = |v: u64, d: i64| u64::try_from(v as i64 + d).ok();
        Some(FolderCounts {
            messages: add32(c.messages, self.messages)?,
            unseen: add32(c.unseen, self.unseen)?,
            deleted: add32(c.deleted, self.deleted)?,
            bytes: add64(c.bytes, self.bytes)?,
            deleted_bytes: add64(c.deleted_bytes, self.deleted_bytes)?,
            ..c
        })
    }
}

#[derive(Default)]
struct FolderLog {
    from: u64,
    to: u64,
    entries: VecDeque<(u64, Change)>,
    /// Each step's count change, by the modseq it raised the folder to.
    deltas: VecDeque<(u64, CountDelta)>,
    /// When it was last extended (a count of recorded steps), to drop the idlest folder.
    touched: u64,
    /// Every change committed to the folder so far is here (see the module doc).
    current: bool,
}

impl FolderLog {
    /// Whether every change after modseq `from` up to `to` is here.
    fn covers(&self, from: u64, to: u64) -> bool {
        self.from <= from && from <= to && to <= self.to
    }
}

/// The logs of one store's folders.
#[derive(Default)]
pub struct ChangeLog {
    inner: Mutex<Logs>,
}

#[derive(Default)]
struct Logs {
    folders: HashMap<FolderId, FolderLog>,
    steps: u64,
    /// Counts the calls of [`ChangeLog::stale`] and [`ChangeLog::stale_all`]: a
    /// confirmation holds only if none came since its ticket.
    stales: u64,
}

impl ChangeLog {
    /// Record committed steps, in commit order.
    pub fn record(&self, steps: Vec<Step>) {
        if steps.is_empty() {
            return;
        }
        let mut logs = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for step in steps {
            logs.steps += 1;
            let now = logs.steps;
            let fresh = !logs.folders.contains_key(&step.folder);
            if fresh && logs.folders.len() >= MAX_FOLDERS {
                let idlest = logs
                    .folders
                    .iter()
                    .min_by_key(|(_, l)| l.touched)
                    .map(|(id, _)| *id);
                if let Some(id) = idlest {
                    logs.folders.remove(&id);
                }
            }
            let log = logs.folders.entry(step.folder).or_default();
            if fresh || log.to != step.before {
                // New, or a hole: start again from here.
                log.entries.clear();
                log.deltas.clear();
                log.from = step.before;
                log.current = false;
            }
            log.to = step.after;
            log.touched = now;
            log.entries
                .extend(step.changes.into_iter().map(|c| (step.after, c)));
            log.deltas.push_back((step.after, step.counts));
            while log.entries.len() > MAX_ENTRIES {
                let Some((modseq, _)) = log.entries.pop_front() else {
                    break;
                };
                log.from = modseq;
                // A modseq's changes leave together, so the span stays whole.
                while log.entries.front().is_some_and(|(m, _)| *m == modseq) {
                    log.entries.pop_front();
                }
            }
            let from = log.from;
            while log.deltas.front().is_some_and(|(m, _)| *m <= from) {
                log.deltas.pop_front();
            }
        }
    }

    /// Taken before reading a folder's HIGHESTMODSEQ for [`Self::confirm`].
    pub fn ticket(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).stales
    }

    /// The database said `folder`'s HIGHESTMODSEQ is `highest`, read after `ticket` was
    /// taken: the log is current if it reaches exactly there and nothing was declared stale
    /// since the ticket.
    pub fn confirm(&self, folder: FolderId, highest: u64, ticket: u64) {
        let mut logs = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if logs.stales != ticket {
            return;
        }
        if let Some(log) = logs.folders.get_mut(&folder)
            && log.to == highest
        {
            log.current = true;
        }
    }

    /// A change of `folder` this log may not hold was committed: it is not current.
    pub fn stale(&self, folder: FolderId) {
        let mut logs = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        logs.stales += 1;
        if let Some(log) = logs.folders.get_mut(&folder) {
            log.current = false;
        }
    }

    /// Changes may have been missed anywhere: no log is current.
    pub fn stale_all(&self) {
        let mut logs = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        logs.stales += 1;
        for log in logs.folders.values_mut() {
            log.current = false;
        }
    }

    /// An event about to be published: a folder changed by a write that recorded no step
    /// for it here (`recorded` lists the folders whose steps the same commit recorded; none
    /// for another process's event) is stale; folders created, renamed or deleted, accounts
    /// changed or events lost make every log stale.
    pub fn heard(&self, e: &Event, recorded: &[FolderId]) {
        match e {
            Event::Mailbox { folder_id, .. } if !recorded.contains(folder_id) => {
                self.stale(*folder_id);
            }
            Event::Folders { .. } | Event::Directory | Event::Resync => self.stale_all(),
            _ => {}
        }
    }

    /// The changes of `folder` after `modseq`, from the log alone, when it is current and
    /// covers them (else the caller reads the database).
    pub fn current(&self, folder: FolderId, modseq: u64) -> Option<FolderChanges> {
        let to = {
            let logs = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            let log = logs.folders.get(&folder).filter(|l| l.current)?;
            log.to
        };
        match modseq.cmp(&to) {
            // Nothing newer: the asker saw `to` already.
            std::cmp::Ordering::Equal => Some(FolderChanges {
                highestmodseq: to,
                changed: Vec::new(),
                vanished: Vec::new(),
            }),
            std::cmp::Ordering::Greater => None,
            std::cmp::Ordering::Less => self.since(folder, modseq, to),
        }
    }

    /// How far the log of `folder` reaches from `modseq`: its `to`, when it holds every change
    /// after `modseq` up to there (so a HIGHESTMODSEQ read at or below it is answered by
    /// [`Self::since`]).
    pub fn reach(&self, folder: FolderId, modseq: u64) -> Option<u64> {
        let logs = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let log = logs.folders.get(&folder)?;
        log.covers(modseq, modseq).then_some(log.to)
    }

    /// The changes of `folder` after `modseq` up to `highest` (its HIGHESTMODSEQ as the caller
    /// read it from the database), if the log covers that span.
    pub fn since(&self, folder: FolderId, modseq: u64, highest: u64) -> Option<FolderChanges> {
        let logs = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let log = logs
            .folders
            .get(&folder)
            .filter(|l| l.covers(modseq, highest))?;
        let start = log.entries.partition_point(|(m, _)| *m <= modseq);
        // The span's changes, the latest of each message last once sorted (a stable sort
        // keeps commit order among one message's changes).
        let mut span: Vec<&Change> = log
            .entries
            .range(start..)
            .take_while(|(m, _)| *m <= highest)
            .map(|(_, c)| c)
            .collect();
        span.sort_by_key(|c| c.uid());
        let mut changed = Vec::new();
        let mut vanished = Vec::new();
        for (k, c) in span.iter().enumerate() {
            let latest = span.get(k + 1).is_none_or(|next| next.uid() != c.uid());
            match c {
                Change::Meta(meta) if latest => changed.push(meta.clone()),
                Change::Meta(_) => {}
                Change::Gone(uid) => vanished.push(*uid),
            }
        }
        drop(logs);
        vanished.dedup();
        Some(FolderChanges {
            highestmodseq: highest,
            changed,
            vanished,
        })
    }

    /// The counts change of `folder` from HIGHESTMODSEQ `at` to `now`, if the log covers it.
    pub fn counts_delta(&self, folder: FolderId, at: u64, now: u64) -> Option<CountDelta> {
        let logs = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let log = logs.folders.get(&folder).filter(|l| l.covers(at, now))?;
        let start = log.deltas.partition_point(|(m, _)| *m <= at);
        Some(
            log.deltas
                .range(start..)
                .take_while(|(m, _)| *m <= now)
                .fold(CountDelta::default(), |sum, (_, d)| sum.plus(*d)),
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "changelog_tests.rs"]
mod tests;
