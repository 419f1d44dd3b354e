//! How many distinct keywords a mailbox may hold ([`MAX_KEYWORDS`]): every session with the
//! mailbox selected lists them all in FLAGS and PERMANENTFLAGS each time one is added
//! (RFC 9051 §7.3.5), so their number is bounded like every amount a client controls.
//!
//! Invariants: STORE checks against the keywords its session knows; APPEND, COPY and MOVE
//! check the target's keywords as stored, and only when the new messages bring a keyword
//! this service has not yet seen in that mailbox ([`Known`]: bringing only keywords the
//! mailbox holds adds none, so a client that APPENDs with the same few keywords costs no
//! read of the whole mailbox); the check comes before the write. Two sessions adding
//! keywords at once may each pass, so the bound can be passed by what one command adds per
//! concurrent session, as can a keyword removed from every message since it was seen.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use heron_proto_imap::response::code;
use heron_store::{FolderId, Store};

use crate::done::Done;
use crate::error::Result;

/// Distinct keywords a mailbox may hold.
pub const MAX_KEYWORDS: usize = 256;

/// The keywords among `flags` (flags not starting with a backslash).
pub fn keywords_of<'f>(flags: impl IntoIterator<Item = &'f str>) -> BTreeSet<&'f str> {
    flags.into_iter().filter(|f| !f.starts_with('\\')).collect()
}

/// Folders whose keywords [`Known`] keeps at most; past it the whole map is dropped.
const KNOWN_FOLDERS: usize = 4096;

/// Per folder of one store, keywords this service saw stored there (or let a command add),
/// at most [`MAX_KEYWORDS`] each.
#[derive(Default)]
pub struct Known {
    folders: Mutex<HashMap<FolderId, BTreeSet<String>>>,
}

impl Known {
    /// Whether every keyword of `adding` is known to be in `folder` already.
    fn has_all(&self, folder: FolderId, adding: &BTreeSet<&str>) -> bool {
        let known = self.folders.lock().unwrap_or_else(|p| p.into_inner());
        known
            .get(&folder)
            .is_some_and(|k| adding.iter().all(|a| k.contains(*a)))
    }

    fn keep(&self, folder: FolderId, all: BTreeSet<&str>) {
        let mut known = self.folders.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= KNOWN_FOLDERS {
            known.clear();
        }
        known.insert(folder, all.into_iter().map(str::to_owned).collect());
    }
}

/// `NO [LIMIT]` when `adding` would take mailbox `folder` past [`MAX_KEYWORDS`].
pub async fn room_for(
    store: &dyn Store,
    known: &Known,
    folder: FolderId,
    adding: &BTreeSet<&str>,
) -> Result<Option<Done>> {
    if adding.is_empty() || known.has_all(folder, adding) {
        return Ok(None);
    }
    let stored = store.list_flags(folder).await?;
    let mut all: BTreeSet<&str> = keywords_of(stored.lists.iter().flatten().map(String::as_str));
    all.extend(adding.iter().copied());
    if all.len() > MAX_KEYWORDS {
        return Ok(Some(too_many()));
    }
    known.keep(folder, all);
    Ok(None)
}

/// The answer to a command that would pass the bound (RFC 5530 §3).
pub fn too_many() -> Done {
    Done::no("too many keywords in this mailbox").with(code("LIMIT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keywords_are_per_folder() {
        let k = Known::default();
        k.keep(1, BTreeSet::from(["$Junk", "work"]));
        assert!(k.has_all(1, &BTreeSet::from(["work"])));
        assert!(
            !k.has_all(1, &BTreeSet::from(["work", "new"])),
            "a keyword not seen"
        );
        assert!(!k.has_all(2, &BTreeSet::from(["work"])), "another folder");
    }

    #[test]
    fn only_keywords_count() {
        let k = keywords_of(["\\Seen", "$Junk", "\\Deleted", "work"]);
        assert_eq!(k.into_iter().collect::<Vec<_>>(), ["$Junk", "work"]);
    }
}
