//! CLOSE (RFC 9051 §6.4.1): silently expunge the messages marked \Deleted (unless the
//! mailbox is read-only) and leave it. No untagged EXPUNGE responses are sent.

use heron_store::Store;

use crate::done::Done;
use crate::error::Result;
use crate::state::Phase;

/// Run CLOSE.
pub async fn execute(store: &dyn Store, phase: &mut Phase) -> Result<Done> {
    let Some(sel) = phase.unselect() else {
        return Ok(Done::ok("CLOSE completed"));
    };
    // RFC 4314 §4: expunging needs "e".
    if !sel.read_only && sel.rights.contains('e') {
        let current = store.list_messages(sel.folder.id).await?;
        let deleted: Vec<u32> = current
            .iter()
            .filter(|m| m.flags.iter().any(|f| f == "\\Deleted"))
            .map(|m| m.uid)
            .collect();
        if !deleted.is_empty() {
            store.expunge(sel.folder.id, &deleted).await?;
        }
    }
    Ok(Done::ok("CLOSE completed"))
}
