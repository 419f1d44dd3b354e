//! The messages of a selected mailbox as one session's view holds them, compactly: per
//! message the UID, the flags (an id into the view's [`FlagSets`]) and the modseq (32 bits
//! from a base), 12 bytes in all. What never changes for a UID (size, internal date, the
//! bytes) is not here: commands read it from the store for the messages they touch.
//!
//! Invariants: entries are in strictly increasing UID order (only higher UIDs are
//! appended); every modseq reads back exactly: stored as its offset from `base` when that
//! fits in 32 bits, kept by UID in `spilled` otherwise (which takes some four billion
//! changes to one folder); the flag table only grows between compactions, which drop the
//! lists no message uses once it has doubled.

use std::collections::{BTreeSet, HashMap};

use heron_store::{FolderFlags, MessageMeta};

use heron_message::flagsets::{FlagSets, Flags, FlagsId};

/// A modseq offset meaning "see `spilled`".
const SPILLED: u32 = u32::MAX;
/// The flag table is compacted (unused lists dropped) once it holds at least this many.
const COMPACT_MIN: usize = 64;

/// One message of the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    uid: u32,
    flags: FlagsId,
    /// Offset from [`View::base`], or [`SPILLED`].
    modseq: u32,
}

/// A message of the view, as commands read it.
#[derive(Clone, Copy, Debug)]
pub struct Msg<'a> {
    pub uid: u32,
    pub modseq: u64,
    /// Its flags as last told to the client (or set by this session), in the store's order.
    pub flags: Flags<'a>,
}

impl Msg<'_> {
    /// Whether the message has a flag (stored spelling, exact match).
    pub fn has(&self, flag: &str) -> bool {
        self.flags.has(flag)
    }
}

/// The message list of a view, in UID order.
#[derive(Debug)]
pub struct View {
    msgs: Vec<Entry>,
    flags: FlagSets,
    /// The table size at which unused flag lists are dropped.
    compact_at: usize,
    /// What modseq offsets count from.
    base: u64,
    /// Modseqs too far above `base` for an offset, by UID.
    spilled: HashMap<u32, u64>,
}

impl View {
    /// The view of a store listing ([`heron_store::MailStore::list_flags`]).
    pub fn new(listing: &FolderFlags) -> Self {
        let mut flags = FlagSets::default();
        let ids: Vec<FlagsId> = listing.lists.iter().map(|l| flags.intern(l)).collect();
        let base = listing.messages.iter().map(|m| m.modseq).min().unwrap_or(0);
        let mut view = Self {
            msgs: Vec::with_capacity(listing.messages.len()),
            compact_at: COMPACT_MIN.max(2 * flags.len()),
            flags,
            base,
            spilled: HashMap::new(),
        };
        for m in &listing.messages {
            let modseq = view.encode(m.uid, m.modseq);
            let flags = ids.get(m.flags as usize).copied();
            view.msgs.push(Entry {
                uid: m.uid,
                flags: flags.unwrap_or(FlagsId::EMPTY),
                modseq,
            });
        }
        view
    }

    /// The number of messages.
    pub fn len(&self) -> usize {
        self.msgs.len()
    }

    /// The message at position `i`.
    pub fn get(&self, i: usize) -> Option<Msg<'_>> {
        self.msgs.get(i).map(|e| self.msg(e))
    }

    /// The messages in order.
    pub fn iter(&self) -> impl Iterator<Item = Msg<'_>> + '_ {
        self.msgs.iter().map(|e| self.msg(e))
    }

    fn msg(&self, e: &Entry) -> Msg<'_> {
        Msg {
            uid: e.uid,
            modseq: self.modseq(e),
            flags: self.flags.get(e.flags),
        }
    }

    /// The UIDs of the messages at `positions` that have `flag` (stored spelling), in the
    /// order given; each distinct flag list is searched once, not once per message.
    pub fn uids_having(&self, positions: impl Iterator<Item = usize>, flag: &str) -> Vec<u32> {
        let mut known: Vec<Option<bool>> = vec![None; self.flags.len()];
        let mut out = Vec::new();
        for e in positions.filter_map(|i| self.msgs.get(i)) {
            let has = match known.get_mut(e.flags.index()) {
                Some(Some(has)) => *has,
                Some(slot) => *slot.insert(self.flags.get(e.flags).has(flag)),
                None => self.flags.get(e.flags).has(flag),
            };
            if has {
                out.push(e.uid);
            }
        }
        out
    }

    /// The UID at position `i` (0 when there is none).
    pub fn uid(&self, i: usize) -> u32 {
        self.msgs.get(i).map_or(0, |e| e.uid)
    }

    /// The UIDs, ascending.
    pub fn uids(&self) -> Vec<u32> {
        self.msgs.iter().map(|m| m.uid).collect()
    }

    /// The position of a UID.
    pub fn index_of(&self, uid: u32) -> Option<usize> {
        self.msgs.binary_search_by_key(&uid, |m| m.uid).ok()
    }

    /// How many messages have a UID in `a < uid <= b`.
    pub fn count_between(&self, a: u32, b: u32) -> usize {
        let lo = self.msgs.partition_point(|m| m.uid <= a);
        let hi = self.msgs.partition_point(|m| m.uid <= b);
        hi.saturating_sub(lo)
    }

    /// The highest UID (0 when empty).
    pub fn max_uid(&self) -> u32 {
        self.msgs.last().map_or(0, |m| m.uid)
    }

    /// The highest modseq of a message (0 when empty).
    pub fn max_modseq(&self) -> u64 {
        self.msgs.iter().map(|e| self.modseq(e)).max().unwrap_or(0)
    }

    fn encode(&mut self, uid: u32, modseq: u64) -> u32 {
        let offset = modseq
            .checked_sub(self.base)
            .and_then(|d| u32::try_from(d).ok())
            .filter(|&d| d != SPILLED);
        match offset {
            Some(d) => {
                if !self.spilled.is_empty() {
                    self.spilled.remove(&uid);
                }
                d
            }
            None => {
                self.spilled.insert(uid, modseq);
                SPILLED
            }
        }
    }

    fn modseq(&self, e: &Entry) -> u64 {
        match e.modseq {
            SPILLED => self.spilled.get(&e.uid).copied().unwrap_or(self.base),
            d => self.base + u64::from(d),
        }
    }

    /// Give the message at position `i` new flags and modseq; returns whether its flags
    /// changed.
    pub fn set(&mut self, i: usize, flags: &[String], modseq: u64) -> bool {
        let Some(uid) = self.msgs.get(i).map(|e| e.uid) else {
            return false;
        };
        let flags = self.flags.intern(flags);
        let modseq = self.encode(uid, modseq);
        let Some(e) = self.msgs.get_mut(i) else {
            return false;
        };
        let changed = e.flags != flags;
        (e.flags, e.modseq) = (flags, modseq);
        changed
    }

    /// Add messages with UIDs above the view's at the end, growing by little more than they
    /// need: an idle view should not carry half its size in spare room.
    pub fn append(&mut self, new: Vec<MessageMeta>) {
        let spare = self.msgs.capacity() - self.msgs.len();
        if spare < new.len() {
            let grow = new.len().max(self.msgs.len() / 16);
            self.msgs.reserve_exact(grow - spare);
        }
        for m in new {
            let flags = self.flags.intern(&m.flags);
            let modseq = self.encode(m.uid, m.modseq);
            self.msgs.push(Entry {
                uid: m.uid,
                flags,
                modseq,
            });
        }
    }

    /// Drop the messages whose UID `gone` selects; returns their (sequence number, UID),
    /// highest number first.
    pub fn remove_where(&mut self, gone: impl Fn(u32) -> bool) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = self
            .msgs
            .iter()
            .enumerate()
            .filter(|(_, m)| gone(m.uid))
            .map(|(i, m)| (i as u32 + 1, m.uid))
            .collect();
        out.reverse();
        if !out.is_empty() {
            self.msgs.retain(|m| !gone(m.uid));
            if !self.spilled.is_empty() {
                self.spilled.retain(|uid, _| !gone(*uid));
            }
        }
        out
    }

    /// The keywords (flags that are not system flags) some message has. Compacts the flag
    /// table when due.
    pub fn keywords(&mut self) -> BTreeSet<String> {
        let used = self.lists_in_use();
        let mut kw = BTreeSet::new();
        for f in self.flags.marked(&used).flat_map(Flags::iter) {
            if !f.starts_with('\\') && !kw.contains(f) {
                kw.insert(f.to_owned());
            }
        }
        self.compact(&used);
        kw
    }

    /// Drop unused flag lists if the table has grown to `compact_at`.
    pub fn compact_if_due(&mut self) {
        if self.flags.len() >= self.compact_at {
            let used = self.lists_in_use();
            self.compact(&used);
        }
    }

    /// Which flag lists some message refers to, indexed by id.
    fn lists_in_use(&self) -> Vec<bool> {
        let mut used = vec![false; self.flags.len()];
        for m in &self.msgs {
            if let Some(u) = used.get_mut(m.flags.index()) {
                *u = true;
            }
        }
        used
    }

    fn compact(&mut self, used: &[bool]) {
        if self.flags.len() < self.compact_at {
            return;
        }
        let map = self.flags.retain(used);
        for m in &mut self.msgs {
            m.flags = map.get(m.flags.index()).copied().unwrap_or(FlagsId::EMPTY);
        }
        self.compact_at = COMPACT_MIN.max(2 * self.flags.len());
    }

    /// How many flag lists the table holds.
    #[cfg(test)]
    pub fn flag_lists(&self) -> usize {
        self.flags.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use heron_store::MessageFlags;

    fn listing(msgs: &[(u32, u32, u64)], lists: &[&[&str]]) -> FolderFlags {
        FolderFlags {
            messages: msgs
                .iter()
                .map(|&(uid, flags, modseq)| MessageFlags { uid, flags, modseq })
                .collect(),
            lists: lists
                .iter()
                .map(|l| l.iter().map(|s| s.to_string()).collect())
                .collect(),
        }
    }

    #[test]
    fn twelve_bytes_a_message() {
        assert_eq!(std::mem::size_of::<Entry>(), 12);
        let msgs: Vec<(u32, u32, u64)> = (1..=1000).map(|u| (u, u % 3, 7)).collect();
        let v = View::new(&listing(&msgs, &[&[], &["\\Seen"], &["$Work", "\\Seen"]]));
        assert_eq!(v.msgs.capacity(), 1000);
        assert_eq!(v.flag_lists(), 3);
        assert_eq!(v.get(1).unwrap().flags.to_vec(), ["$Work", "\\Seen"]);
        assert!(v.get(0).unwrap().has("\\Seen") && !v.get(2).unwrap().has("\\Seen"));
        assert!(v.get(1000).is_none());
    }

    #[test]
    fn modseqs_read_back_exactly() {
        let far = 10 + u64::from(u32::MAX);
        let mut v = View::new(&listing(&[(1, 0, 10), (2, 0, 11), (3, 0, far)], &[&[]]));
        let got: Vec<u64> = v.iter().map(|m| m.modseq).collect();
        assert_eq!(got, [10, 11, far]);
        assert_eq!(v.spilled.len(), 1);
        assert_eq!(v.max_modseq(), far);
        assert!(!v.set(2, &[], 12), "flags unchanged");
        assert!(v.spilled.is_empty(), "back in range");
        v.set(0, &["\\Seen".into()], far + 5);
        assert_eq!(v.get(0).unwrap().modseq, far + 5);
        assert_eq!(v.remove_where(|u| u == 1), [(1, 1)]);
        assert!(v.spilled.is_empty());
    }

    #[test]
    fn appends_leave_little_spare_room() {
        let msgs: Vec<(u32, u32, u64)> = (1..=320).map(|u| (u, 0, 1)).collect();
        let mut v = View::new(&listing(&msgs, &[&[]]));
        let meta = |uid| MessageMeta {
            folder_id: 1,
            uid,
            modseq: 2,
            flags: vec!["$New".into()],
            internal_date: 0,
            size: 1,
            blob: String::new(),
        };
        v.append(vec![meta(400)]);
        assert_eq!(v.msgs.capacity(), 340, "one sixteenth more");
        assert_eq!(v.get(320).unwrap().flags.to_vec(), ["$New"]);
        assert_eq!(v.keywords(), BTreeSet::from(["$New".to_string()]));
    }
}
