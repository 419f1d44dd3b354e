//! The selected mailbox as this session sees it (RFC 9051 §2.3.1): message sequence numbers
//! are positions in the view, and the view changes only when the session tells the client
//! (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS).
//!
//! The view keeps per message only what the client was told and what decides what to tell
//! it next: UID, flags and modseq, 12 bytes a message ([`crate::view`]). Size, internal
//! date and the bytes never change for a UID; commands read them from the store.
//!
//! [`Selected::apply_delta`] compares the view with what the store says changed and says
//! what to announce. Invariants: UIDs in the view strictly increase; new messages are only
//! ever appended; a message expunged elsewhere stays in the view (a "ghost") until an
//! EXPUNGE may be sent (RFC 9051 §7.5.1: not while answering FETCH, STORE or SEARCH), so
//! sequence numbers never shift under the client's feet; flag changes made by this session
//! are applied to the view when made, so they are not announced twice.

use std::collections::{BTreeSet, HashSet};

use heron_proto_imap::seqset::{OutOfRange, resolve_seq, resolve_uid};
use heron_proto_imap::wire::SYSTEM_FLAGS;
use heron_store::{Folder, FolderChanges, FolderFlags, MessageMeta};
use imap_codec::imap_types::sequence::SequenceSet;

use crate::view::{Msg, View};

/// The selected mailbox.
#[derive(Debug)]
pub struct Selected {
    pub folder: Folder,
    /// EXAMINE, or SELECT of a mailbox this session may not change.
    pub read_only: bool,
    /// The RFC 4314 rights the user held on the folder when it was selected (every right
    /// on the user's own folders; [`crate::access`]).
    pub rights: String,
    /// The name the user selected it by (another user's folder has a name in the other
    /// users' namespace).
    pub shown: String,
    /// The messages, in UID order; sequence number n is position n-1.
    view: View,
    /// UIDs in the view that the store no longer has (expunged elsewhere, not yet announced).
    pub ghosts: HashSet<u32>,
    /// Keywords announced in the last FLAGS response.
    pub keywords: BTreeSet<String>,
    /// Set by store events: the view may be out of date.
    pub dirty: bool,
    /// The folder HIGHESTMODSEQ up to which the view reflects the store; refreshes ask the
    /// store only for what changed after it.
    pub synced: u64,
    /// The UIDs of the last `SEARCH RETURN (SAVE)` (RFC 5182), ascending; those no longer in
    /// the view do not count.
    pub saved: Vec<u32>,
    /// The UIDs `\Recent` in this session (RFC 3501 §2.3.2), as ranges `(a, b]` it claimed
    /// from the store ([`heron_store::MailStore::claim_recent`]), newest last; empty in an
    /// IMAP4rev2 session, which has no `\Recent`. At most [`MAX_RECENT_RANGES`] are kept.
    pub recent: Vec<(u32, u32)>,
}

/// Claimed `\Recent` ranges a session keeps; older ones are forgotten (their messages stop
/// being recent here), so a session that lives through many deliveries stays small.
pub const MAX_RECENT_RANGES: usize = 64;

/// What changed since the view was last brought up to date, in the order to announce it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Removed messages: (sequence number at the time of its EXPUNGE response, UID), in the
    /// order the EXPUNGE responses must be sent.
    pub expunged: Vec<(u32, u32)>,
    /// The new message count, when messages were added.
    pub exists: Option<u32>,
    /// Messages whose flags changed: their sequence numbers after the expunges.
    pub flags: Vec<u32>,
    /// The new `\Recent` count, sent after EXISTS to an IMAP4rev1 session.
    pub recent: Option<u32>,
    /// The new keyword list, when a new keyword appeared (a FLAGS response is due).
    pub keywords: Option<Vec<String>>,
}

impl Changes {
    /// Whether there is nothing to announce.
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

impl Selected {
    /// A view of a mailbox from the store's listing of its flags
    /// ([`heron_store::MailStore::list_flags`]).
    pub fn new(folder: Folder, read_only: bool, listing: FolderFlags) -> Self {
        let mut view = View::new(&listing);
        drop(listing);
        Self {
            synced: folder.highestmodseq,
            rights: heron_proto_imap::acl::ALL_RIGHTS.to_owned(),
            shown: folder.name.clone(),
            folder,
            read_only,
            keywords: view.keywords(),
            view,
            ghosts: HashSet::new(),
            dirty: false,
            saved: Vec::new(),
            recent: Vec::new(),
        }
    }

    /// Add a claimed `\Recent` range `(a, b]` (nothing when it is empty).
    pub fn add_recent(&mut self, (a, b): (u32, u32)) {
        if b <= a {
            return;
        }
        match self.recent.last_mut() {
            Some(last) if last.1 == a => last.1 = b,
            _ => self.recent.push((a, b)),
        }
        if self.recent.len() > MAX_RECENT_RANGES {
            self.recent.remove(0);
        }
    }

    /// Whether a message is `\Recent` in this session.
    pub fn is_recent(&self, uid: u32) -> bool {
        self.recent.iter().any(|&(a, b)| uid > a && uid <= b)
    }

    /// How many messages of the view are `\Recent` in this session.
    pub fn recent_count(&self) -> u32 {
        // The ranges never overlap (each claim starts past the last), so their counts add up.
        let n: usize = self
            .recent
            .iter()
            .map(|&(a, b)| self.view.count_between(a, b))
            .sum();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// A view of `msgs` (the store's full metadata, in UID order).
    #[cfg(test)]
    pub fn of_metas(folder: Folder, read_only: bool, msgs: Vec<MessageMeta>) -> Self {
        let mut listing = FolderFlags::default();
        for m in msgs {
            listing.messages.push(heron_store::MessageFlags {
                uid: m.uid,
                flags: listing.lists.len() as u32,
                modseq: m.modseq,
            });
            listing.lists.push(m.flags);
        }
        Self::new(folder, read_only, listing)
    }

    /// The number of messages in the view (the highest sequence number).
    pub fn len(&self) -> usize {
        self.view.len()
    }

    /// The message at view position `i` (sequence number `i + 1`).
    pub fn get(&self, i: usize) -> Option<Msg<'_>> {
        self.view.get(i)
    }

    /// The UIDs of the messages at view positions `positions` that have `flag`.
    pub fn uids_having(&self, positions: impl Iterator<Item = usize>, flag: &str) -> Vec<u32> {
        self.view.uids_having(positions, flag)
    }

    /// The messages of the view, in sequence order.
    pub fn iter(&self) -> impl Iterator<Item = Msg<'_>> + '_ {
        self.view.iter()
    }

    /// The UID at view position `i` (0 when there is none).
    pub fn uid(&self, i: usize) -> u32 {
        self.view.uid(i)
    }

    /// The view positions a sequence set designates: UIDs for UID commands, message
    /// numbers otherwise (a number beyond the view is an error, RFC 9051 §9).
    pub fn resolve(&self, set: &SequenceSet, uid: bool) -> Result<Vec<usize>, OutOfRange> {
        if uid {
            Ok(resolve_uid(set, &self.uids()))
        } else {
            resolve_seq(set, self.view.len())
        }
    }

    /// The UIDs a set names that still exist (expunged elsewhere ones, "ghosts", left out),
    /// what COPY, MOVE and STORE act on.
    pub fn live_uids(&self, set: &SequenceSet, uid: bool) -> Result<Vec<u32>, OutOfRange> {
        Ok(self.live(&self.resolve(set, uid)?))
    }

    /// The UIDs at these view positions that still exist.
    pub fn live(&self, indexes: &[usize]) -> Vec<u32> {
        indexes
            .iter()
            .map(|&i| self.uid(i))
            .filter(|u| !self.ghosts.contains(u))
            .collect()
    }

    /// The UIDs of the view, ascending.
    pub fn uids(&self) -> Vec<u32> {
        self.view.uids()
    }

    /// The position of a UID in the view.
    pub fn index_of(&self, uid: u32) -> Option<usize> {
        self.view.index_of(uid)
    }

    /// The highest UID in the view (0 when empty).
    pub fn max_uid(&self) -> u32 {
        self.view.max_uid()
    }

    /// UIDNEXT as announced: above every UID in the view.
    pub fn uidnext(&self) -> u32 {
        self.folder.uidnext.max(self.max_uid().saturating_add(1))
    }

    /// The highest modseq known for the mailbox.
    pub fn highest_modseq(&self) -> u64 {
        self.view.max_modseq().max(self.folder.highestmodseq)
    }

    /// Bring the view up to date with what changed in the store since `synced`. Removed
    /// messages leave the view only if `allow_expunge`; otherwise they become ghosts.
    pub fn apply_delta(&mut self, ch: FolderChanges, allow_expunge: bool) -> Changes {
        let max_before = self.max_uid();
        for uid in &ch.vanished {
            if self.index_of(*uid).is_some() {
                self.ghosts.insert(*uid);
            }
        }
        let (mut new, mut changed_uids) = (Vec::new(), Vec::new());
        for c in ch.changed {
            if c.uid > max_before {
                new.push(std::sync::Arc::unwrap_or_clone(c));
            } else if let Some(i) = self.index_of(c.uid)
                && self.view.set(i, &c.flags, c.modseq)
            {
                changed_uids.push(c.uid);
            }
        }
        self.synced = self.synced.max(ch.highestmodseq);
        self.finish(new, changed_uids, allow_expunge)
    }

    /// Bring the view up to date with `current` (the store's whole list, in UID order).
    #[cfg(test)]
    pub fn apply(&mut self, current: Vec<MessageMeta>, allow_expunge: bool) -> Changes {
        let max_before = self.max_uid();
        let mut changed_uids = Vec::new();
        for uid in self.uids() {
            match current.binary_search_by_key(&uid, |c| c.uid) {
                Ok(k) => {
                    let c = &current[k];
                    if let Some(i) = self.index_of(uid)
                        && self.view.set(i, &c.flags, c.modseq)
                    {
                        changed_uids.push(uid);
                    }
                }
                Err(_) => {
                    self.ghosts.insert(uid);
                }
            }
        }
        let new = current.into_iter().filter(|c| c.uid > max_before).collect();
        self.finish(new, changed_uids, allow_expunge)
    }

    /// Announce-ready changes: expunge ghosts when allowed, add new messages, locate flag
    /// changes by their (post-expunge) sequence numbers, and note new keywords.
    fn finish(
        &mut self,
        new: Vec<MessageMeta>,
        changed_uids: Vec<u32>,
        allow_expunge: bool,
    ) -> Changes {
        let mut changes = Changes::default();
        if allow_expunge && !self.ghosts.is_empty() {
            // RFC 9051 §7.5.1: each EXPUNGE renumbers the messages after it; announcing from
            // the highest number down keeps every number valid when it is sent.
            let ghosts = &self.ghosts;
            changes.expunged = self.view.remove_where(|uid| ghosts.contains(&uid));
            self.ghosts.clear();
        }
        // Keywords stay announced once announced: only the flags of new and changed
        // messages can bring one the client has not heard of.
        let mut fresh: BTreeSet<String> = BTreeSet::new();
        let mut note = |f: &str| {
            if !f.starts_with('\\') && !self.keywords.contains(f) {
                fresh.insert(f.to_owned());
            }
        };
        for m in &new {
            m.flags.iter().for_each(|f| note(f));
        }
        for &uid in &changed_uids {
            if let Some(m) = self.index_of(uid).and_then(|i| self.view.get(i)) {
                m.flags.iter().for_each(&mut note);
            }
        }
        if !new.is_empty() {
            self.view.append(new);
            changes.exists = Some(self.view.len() as u32);
        }
        for uid in changed_uids {
            if let Some(i) = self.index_of(uid) {
                changes.flags.push(i as u32 + 1);
            }
        }
        self.view.compact_if_due();
        if !fresh.is_empty() {
            self.keywords.extend(fresh);
            changes.keywords = Some(self.keywords.iter().cloned().collect());
        }
        changes
    }

    /// Remove messages this session expunged or moved; returns their (sequence number, UID)
    /// in the order to announce them.
    pub fn remove(&mut self, uids: &[u32]) -> Vec<(u32, u32)> {
        let set: HashSet<u32> = uids.iter().copied().collect();
        let out = self.view.remove_where(|uid| set.contains(&uid));
        for (_, uid) in &out {
            self.ghosts.remove(uid);
        }
        out
    }

    /// Record new flags of a message changed by this session. Returns whether they hold a
    /// keyword not announced yet: the caller then announces FLAGS before any FETCH shows it.
    pub fn set_flags(&mut self, uid: u32, modseq: u64, flags: &[String]) -> bool {
        if let Some(i) = self.index_of(uid) {
            self.view.set(i, flags, modseq);
            self.view.compact_if_due();
        }
        let mut new = false;
        for f in flags.iter().filter(|f| !f.starts_with('\\')) {
            if !self.keywords.contains(f) {
                self.keywords.insert(f.clone());
                new = true;
            }
        }
        new
    }

    /// The FLAGS list: system flags and the keywords in use.
    pub fn flag_list(&self) -> Vec<String> {
        SYSTEM_FLAGS
            .iter()
            .map(|f| (*f).to_owned())
            .chain(self.keywords.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn meta(uid: u32, flags: &[&str], modseq: u64) -> MessageMeta {
        MessageMeta {
            folder_id: 1,
            uid,
            modseq,
            flags: flags.iter().map(|s| s.to_string()).collect(),
            internal_date: 0,
            size: 10,
            blob: format!("b{uid}"),
        }
    }

    /// The view as the store's list (what an unchanged store would return).
    fn metas(s: &Selected) -> Vec<MessageMeta> {
        s.iter()
            .map(|m| {
                let flags: Vec<&str> = m.flags.iter().collect();
                meta(m.uid, &flags, m.modseq)
            })
            .collect()
    }

    fn folder() -> Folder {
        Folder {
            id: 1,
            user_id: 1,
            name: "INBOX".into(),
            special_use: None,
            uidvalidity: 7,
            uidnext: 5,
            highestmodseq: 4,
            recent_uid: 0,
        }
    }

    #[test]
    fn new_messages_and_flag_changes() {
        let mut s = Selected::of_metas(folder(), false, vec![meta(1, &[], 1), meta(2, &[], 2)]);
        let c = s.apply(
            vec![
                meta(1, &["\\Seen"], 5),
                meta(2, &[], 2),
                meta(3, &["$Work"], 6),
            ],
            true,
        );
        assert_eq!(c.exists, Some(3));
        assert_eq!(c.flags, vec![1]);
        assert_eq!(c.keywords, Some(vec!["$Work".into()]));
        assert!(c.expunged.is_empty());
        let same = metas(&s);
        assert!(s.apply(same, true).is_empty());
        assert_eq!(s.uidnext(), 5);
        assert_eq!(s.highest_modseq(), 6);
    }

    #[test]
    fn expunges_wait_until_allowed() {
        let mut s = Selected::of_metas(
            folder(),
            false,
            vec![
                meta(1, &[], 1),
                meta(2, &[], 2),
                meta(3, &[], 3),
                meta(4, &[], 3),
            ],
        );
        // Messages 2 and 4 expunged elsewhere, one new message arrived, during a FETCH.
        let current = vec![meta(1, &[], 1), meta(3, &["\\Seen"], 9), meta(7, &[], 9)];
        let c = s.apply(current.clone(), false);
        assert!(c.expunged.is_empty());
        assert_eq!(c.exists, Some(5), "ghosts still count");
        assert_eq!(c.flags, vec![3]);
        assert_eq!(s.len(), 5);
        assert_eq!(s.ghosts.len(), 2);
        // At the next NOOP the expunges go out, highest number first.
        let c = s.apply(current, true);
        assert_eq!(c.expunged, vec![(4, 4), (2, 2)]);
        assert_eq!(c.exists, None);
        assert_eq!(s.uids(), vec![1, 3, 7]);
        assert!(s.ghosts.is_empty());
    }

    #[test]
    fn own_removals() {
        let mut s = Selected::of_metas(
            folder(),
            false,
            vec![meta(1, &[], 1), meta(5, &[], 1), meta(9, &[], 1)],
        );
        assert_eq!(s.remove(&[9, 1, 42]), vec![(3, 9), (1, 1)]);
        assert_eq!(s.uids(), vec![5]);
        s.set_flags(5, 8, &["\\Deleted".into()]);
        assert_eq!(s.get(0).unwrap().modseq, 8);
        assert!(s.get(0).unwrap().has("\\Deleted"));
    }

    #[test]
    fn delta_refresh_matches_the_rules() {
        let msgs = (1..=4).map(|u| meta(u, &[], u as u64)).collect();
        let mut v = Selected::of_metas(folder(), false, msgs);
        assert_eq!(v.synced, 4);
        let delta = FolderChanges {
            highestmodseq: 9,
            changed: vec![meta(3, &["\\Seen"], 8).into(), meta(5, &["$New"], 9).into()],
            vanished: vec![2, 99],
        };
        let c = v.apply_delta(delta, false);
        assert!(c.expunged.is_empty(), "not allowed yet");
        assert_eq!(c.exists, Some(5));
        assert_eq!(c.flags, [3]);
        assert_eq!(c.keywords, Some(vec!["$New".to_string()]));
        assert_eq!(v.synced, 9);
        assert!(v.ghosts.contains(&2) && !v.ghosts.contains(&99));
        let c = v.apply_delta(
            FolderChanges {
                highestmodseq: 9,
                ..FolderChanges::default()
            },
            true,
        );
        assert_eq!(c.expunged, [(2, 2)]);
        assert_eq!(v.uids(), [1, 3, 4, 5]);
    }

    #[test]
    fn flag_order_and_spelling_are_kept() {
        let mut s = Selected::of_metas(
            folder(),
            false,
            vec![
                meta(1, &["$Work", "\\Seen"], 1),
                meta(2, &["\\Seen", "$Work"], 1),
            ],
        );
        assert_eq!(s.get(0).unwrap().flags.to_vec(), ["$Work", "\\Seen"]);
        assert_eq!(s.get(1).unwrap().flags.to_vec(), ["\\Seen", "$Work"]);
        // The same flags in another order are a change the client hears about.
        let c = s.apply(
            vec![
                meta(1, &["\\Seen", "$Work"], 2),
                meta(2, &["\\Seen", "$Work"], 1),
            ],
            true,
        );
        assert_eq!(c.flags, [1]);
        assert_eq!(c.keywords, None, "no new keyword");
    }

    #[test]
    fn unused_flag_lists_are_dropped() {
        let mut s = Selected::of_metas(folder(), false, vec![meta(1, &[], 1), meta(2, &["$A"], 1)]);
        for n in 0..200u64 {
            s.set_flags(1, n + 2, &[format!("$K{n}")]);
        }
        assert!(s.view.flag_lists() <= 128, "{}", s.view.flag_lists());
        assert_eq!(s.get(0).unwrap().flags.to_vec(), ["$K199"]);
        assert_eq!(s.get(1).unwrap().flags.to_vec(), ["$A"]);
        // Each was announced as this session set it: nothing new to announce after.
        assert_eq!(s.keywords.len(), 201);
        let c = s.apply(metas(&s), true);
        assert_eq!(c.keywords, None);
    }
}
