//! What never changes about a stored message (its internal date, size and blob), kept by
//! folder and UID for one service's store, so FETCH of sizes, dates, envelopes or bodies over
//! a mailbox many clients read does not read the same rows again at every command.
//!
//! Invariants: a folder id is never reused by a store, nor a UID within a folder, and a
//! message's date, size and bytes never change, so an entry is never wrong for the message
//! it names; its flags and modseq are not kept (FETCH takes them from the session's view)
//! and read as empty. An expunged message's entry may outlive it: it can only serve a session
//! that still shows the message, whose bytes are then read from the store as before (gone
//! once the store released them). At most [`ENTRIES`] are kept.

use heron_store::{FolderId, MessageMeta};
use quick_cache::sync::Cache;

/// Messages kept, at most.
pub const ENTRIES: usize = 100_000;

/// The kept facts of messages, by (folder, UID).
pub struct MetaCache {
    kept: Cache<(FolderId, u32), MessageMeta>,
}

impl Default for MetaCache {
    fn default() -> Self {
        Self {
            kept: Cache::new(ENTRIES),
        }
    }
}

impl MetaCache {
    /// The kept entries of `uids` of `folder`, and the UIDs not kept (both in the order given).
    pub fn split(&self, folder: FolderId, uids: &[u32]) -> (Vec<MessageMeta>, Vec<u32>) {
        let mut found = Vec::with_capacity(uids.len());
        let mut missing = Vec::new();
        for &uid in uids {
            match self.kept.get(&(folder, uid)) {
                Some(m) => found.push(m),
                None => missing.push(uid),
            }
        }
        (found, missing)
    }

    /// Keep what never changes of messages read from the store.
    pub fn keep<'a>(&self, read: impl IntoIterator<Item = &'a MessageMeta>) {
        for m in read {
            let fixed = MessageMeta {
                flags: Vec::new(),
                modseq: 0,
                ..m.clone()
            };
            self.kept.insert((m.folder_id, m.uid), fixed);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn meta(folder: FolderId, uid: u32) -> MessageMeta {
        MessageMeta {
            folder_id: folder,
            uid,
            modseq: 9,
            flags: vec!["\\Seen".into()],
            internal_date: 1_700_000_000,
            size: 123,
            blob: format!("blob{uid}"),
        }
    }

    #[test]
    fn keeps_the_fixed_facts_only() {
        let c = MetaCache::default();
        c.keep(&[meta(1, 5), meta(1, 7)]);
        let (found, missing) = c.split(1, &[5, 6, 7]);
        assert_eq!(missing, [6]);
        assert_eq!(found.iter().map(|m| m.uid).collect::<Vec<_>>(), [5, 7]);
        assert_eq!(
            (found[0].size, found[0].internal_date),
            (123, 1_700_000_000)
        );
        assert_eq!(found[0].blob, "blob5");
        assert!(
            found[0].flags.is_empty() && found[0].modseq == 0,
            "flags are the view's"
        );
        assert_eq!(c.split(2, &[5]).1, [5], "another folder");
    }
}
