//! UNSELECT (RFC 3691, RFC 9051 §6.4.2): leave the mailbox without expunging.

use crate::done::Done;
use crate::error::Result;
use crate::session::Session;

/// Run UNSELECT.
pub async fn execute(s: &mut Session<'_>) -> Result<Done> {
    s.phase.unselect();
    Ok(Done::ok("UNSELECT completed"))
}
