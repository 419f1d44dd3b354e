//! How many distinct keywords a mailbox may hold ([`MAX_KEYWORDS`]): every session with the
//! mailbox selected lists them all in FLAGS and PERMANENTFLAGS each time one is added
//! (RFC 9051 §7.3.5), so their number is bounded like every amount a client controls.
//!
//! Invariants: STORE checks against the keywords its session knows; APPEND, COPY and MOVE
//! check the target's keywords as stored, and only when the new messages bring a keyword
//! (a write without keywords costs no read); the check comes before the write. Two sessions
//! adding keywords at once may each pass, so the bound can be passed by what one command
//! adds per concurrent session.

use std::collections::BTreeSet;

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

/// `NO [LIMIT]` when `adding` would take mailbox `folder` past [`MAX_KEYWORDS`].
pub async fn room_for(
    store: &dyn Store,
    folder: FolderId,
    adding: &BTreeSet<&str>,
) -> Result<Option<Done>> {
    if adding.is_empty() {
        return Ok(None);
    }
    let stored = store.list_flags(folder).await?;
    let mut all: BTreeSet<&str> = keywords_of(stored.lists.iter().flatten().map(String::as_str));
    all.extend(adding.iter().copied());
    Ok((all.len() > MAX_KEYWORDS).then(too_many))
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
