//! EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): remove the messages marked
//! \Deleted (for UID EXPUNGE, only those in the UID set) and announce each removal.
//!
//! Invariant: the view is brought up to date first, so flags set by other sessions count
//! and every message expunged has been announced to this client before.

use heron_proto_imap::response::code;
use heron_proto_imap::seqset::resolve_uid;
use imap_codec::imap_types::sequence::SequenceSet;

use crate::cx::InMailbox;
use crate::done::Done;
use crate::error::Result;
use crate::updates;

/// Run EXPUNGE (`set` None) or UID EXPUNGE.
pub async fn execute(m: &mut InMailbox<'_>, set: Option<SequenceSet>) -> Result<Done> {
    if !m.view.rights.contains('e') {
        // RFC 4314 §4: EXPUNGE needs "e".
        return Ok(crate::access::noperm("expunging in this mailbox"));
    }
    if m.view.read_only {
        return Ok(Done::no("mailbox is read-only").with(code("CANNOT")));
    }
    updates::refresh(m, true).await?;
    let sel = &*m.view;
    let uids = match &set {
        Some(set) => sel.uids_having(resolve_uid(set, &sel.uids()).into_iter(), "\\Deleted"),
        None => sel.uids_having(0..sel.len(), "\\Deleted"),
    };
    if uids.is_empty() {
        return Ok(Done::ok("EXPUNGE completed"));
    }
    let folder = sel.folder.id;
    let removed = m.store().expunge(folder, &uids).await?;
    let announced = m.view.remove(&removed);
    updates::expunged(m, &announced);
    Ok(Done::ok("EXPUNGE completed"))
}
