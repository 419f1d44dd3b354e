//! EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): remove the messages marked
//! \Deleted (for UID EXPUNGE, only those in the UID set) and announce each removal.
//!
//! Invariant: the view is brought up to date first, so flags set by other sessions count
//! and every message expunged has been announced to this client before.

use heron_proto_imap::response::code;
use heron_proto_imap::seqset::resolve_uid;
use imap_codec::imap_types::sequence::SequenceSet;

use crate::done::Done;
use crate::error::Result;
use crate::session::Session;
use crate::updates;

/// Run EXPUNGE (`set` None) or UID EXPUNGE.
pub async fn execute(s: &mut Session<'_>, set: Option<SequenceSet>) -> Result<Done> {
    if s.phase.selected().is_some_and(|x| x.read_only) {
        return Ok(Done::no("mailbox is read-only").with(code("CANNOT")));
    }
    updates::refresh(s, true).await?;
    let Some(sel) = s.phase.selected() else {
        return Ok(Done::bad("no mailbox selected"));
    };
    let chosen: Vec<usize> = match &set {
        Some(set) => resolve_uid(set, &sel.uids()),
        None => (0..sel.len()).collect(),
    };
    let uids: Vec<u32> = chosen
        .into_iter()
        .filter_map(|i| sel.get(i))
        .filter(|m| m.has("\\Deleted"))
        .map(|m| m.uid)
        .collect();
    if uids.is_empty() {
        return Ok(Done::ok("EXPUNGE completed"));
    }
    let folder = sel.folder.id;
    let removed = s.store().expunge(folder, &uids).await?;
    let announced = match s.phase.selected_mut() {
        Some(sel) => sel.remove(&removed),
        None => Vec::new(),
    };
    updates::expunged(s, &announced);
    Ok(Done::ok("EXPUNGE completed"))
}
