//! How many distinct keywords a mailbox may hold ([`MAX_KEYWORDS`]): every session with the
//! mailbox selected lists them all in FLAGS and PERMANENTFLAGS each time one is added
//! (RFC 9051 §7.3.5), so their number is bounded like every amount a client controls.
//!
//! Invariants: STORE checks against the keywords its session knows; APPEND, COPY and MOVE
//! check the target's keywords as stored, and only when the new messages bring a keyword
//! this process has not yet seen in that mailbox ([`KNOWN`]: bringing only keywords the
//! mailbox holds adds none, so a client that APPENDs with the same few keywords costs no
//! read of the whole mailbox); the check comes before the write. Two sessions adding
//! keywords at once may each pass, so the bound can be passed by what one command adds per
//! concurrent session, as can a keyword removed from every message since it was seen.

use std::collections::{BTreeSet, HashMap};
use std::sync::{LazyLock, Mutex};

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

/// Folders whose keywords [`KNOWN`] keeps at most; past it the whole map is dropped.
const KNOWN_FOLDERS: usize = 4096;

/// Per folder, keywords this process saw stored there (or let a command add), at most
/// [`MAX_KEYWORDS`] each.
static KNOWN: LazyLock<Mutex<HashMap<FolderId, BTreeSet<String>>>> =
    LazyLock::new(Default::default);

/// `NO [LIMIT]` when `adding` would take mailbox `folder` past [`MAX_KEYWORDS`].
pub async fn room_for(
    store: &dyn Store,
    folder: FolderId,
    adding: &BTreeSet<&str>,
) -> Result<Option<Done>> {
    if adding.is_empty() || all_known(folder, adding) {
        return Ok(None);
    }
    let stored = store.list_flags(folder).await?;
    let mut all: BTreeSet<&str> = keywords_of(stored.lists.iter().flatten().map(String::as_str));
    all.extend(adding.iter().copied());
    if all.len() > MAX_KEYWORDS {
        return Ok(Some(too_many()));
    }
    let mut known = KNOWN.lock().unwrap_or_else(|p| p.into_inner());
    if known.len() >= KNOWN_FOLDERS {
        known.clear();
    }
    known.insert(folder, all.into_iter().map(str::to_owned).collect());
    Ok(None)
}

/// Whether every keyword of `adding` is known to be in `folder` already.
fn all_known(folder: FolderId, adding: &BTreeSet<&str>) -> bool {
    let known = KNOWN.lock().unwrap_or_else(|p| p.into_inner());
    known
        .get(&folder)
        .is_some_and(|k| adding.iter().all(|a| k.contains(*a)))
}

/// The answer to a command that would pass the bound (RFC 5530 §3).
pub fn too_many() -> Done {
    Done::no("too many keywords in this mailbox").with(code("LIMIT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keywords_count() {
        let k = keywords_of(["\\Seen", "$Junk", "\\Deleted", "work"]);
        assert_eq!(k.into_iter().collect::<Vec<_>>(), ["$Junk", "work"]);
    }
}
