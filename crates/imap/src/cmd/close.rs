//! CLOSE (RFC 9051 §6.4.1): silently expunge the messages marked \Deleted (unless the
//! mailbox is read-only) and leave it. No untagged EXPUNGE responses are sent.

use crate::done::Done;
use crate::error::Result;
use crate::session::Session;

/// Run CLOSE.
pub async fn execute(s: &mut Session<'_>) -> Result<Done> {
    let Some(sel) = s.phase.unselect() else {
        return Ok(Done::ok("CLOSE completed"));
    };
    if !sel.read_only {
        let current = s.store().list_messages(sel.folder.id).await?;
        let deleted: Vec<u32> = current
            .iter()
            .filter(|m| m.flags.iter().any(|f| f == "\\Deleted"))
            .map(|m| m.uid)
            .collect();
        if !deleted.is_empty() {
            s.store().expunge(sel.folder.id, &deleted).await?;
        }
    }
    Ok(Done::ok("CLOSE completed"))
}
