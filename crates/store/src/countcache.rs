//! STATUS counts kept between reads, by either store. Counting a folder reads every one of
//! its messages; clients ask STATUS of the same folders over and over while nothing changed.
//!
//! Invariant: an entry is used only when the folder's stamp read now — its HIGHESTMODSEQ
//! (raised by every change to its messages: adding, flagging, expunging), its `\Recent` mark
//! and UIDNEXT — is the one read in the same snapshot as the counts. At most
//! [`MAX_FOLDERS`] entries; the map is emptied when full. Counts kept at an older stamp are
//! brought forward only by the count changes the folder's change log holds for every modseq
//! in between ([`crate::changelog::ChangeLog::counts_delta`]); the counts that depend on
//! more than those changes (`\Recent`, the highest UID and modseq) are read again with the
//! stamp.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::changelog::{ChangeLog, CountDelta};
use crate::model::{FolderCounts, FolderId};

/// Folders kept at most.
const MAX_FOLDERS: usize = 10_000;

/// What changes whenever a folder's counts may: (HIGHESTMODSEQ, `\Recent` mark, UIDNEXT).
pub type Stamp = (i64, i64, i64);

/// Counts by folder, with the stamp they were counted at.
#[derive(Default)]
pub struct CountCache {
    kept: Mutex<HashMap<FolderId, (Stamp, FolderCounts)>>,
}

impl CountCache {
    /// The counts of `folder` if counted at `now`.
    pub fn get(&self, folder: FolderId, now: Stamp) -> Option<FolderCounts> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.get(&folder)
            .filter(|(at, _)| *at == now)
            .map(|(_, n)| *n)
    }

    /// The counts of `folder` kept, whatever their stamp.
    pub fn last(&self, folder: FolderId) -> Option<(Stamp, FolderCounts)> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.get(&folder).copied()
    }

    /// The counts of `folder` kept at an older stamp, with the count changes `log` holds
    /// from there to HIGHESTMODSEQ `now`, when it holds them all: the caller applies them and
    /// reads again what they do not carry (see the module doc).
    pub fn with_log(
        &self,
        log: &ChangeLog,
        folder: FolderId,
        now: i64,
    ) -> Option<(FolderCounts, CountDelta)> {
        let (at, was) = self.last(folder)?;
        let delta = log.counts_delta(folder, at.0 as u64, now as u64)?;
        Some((was, delta))
    }

    /// Keep counts read at `at`.
    pub fn keep(&self, folder: FolderId, at: Stamp, n: FolderCounts) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= MAX_FOLDERS && !kept.contains_key(&folder) {
            kept.clear();
        }
        kept.insert(folder, (at, n));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_serve_only_their_stamp() {
        let c = CountCache::default();
        let n = FolderCounts {
            messages: 3,
            ..Default::default()
        };
        c.keep(7, (5, 0, 4), n);
        assert_eq!(c.get(7, (5, 0, 4)), Some(n));
        assert_eq!(c.get(7, (6, 0, 4)), None, "a change raised HIGHESTMODSEQ");
        assert_eq!(c.get(7, (5, 3, 4)), None, "\\Recent was claimed");
        assert_eq!(c.get(8, (5, 0, 4)), None);
    }
}
