//! UNSELECT (RFC 3691, RFC 9051 §6.4.2): leave the mailbox without expunging.

use crate::done::Done;
use crate::error::Result;
use crate::state::Phase;

/// Run UNSELECT.
pub async fn execute(phase: &mut Phase) -> Result<Done> {
    phase.unselect();
    Ok(Done::ok("UNSELECT completed"))
}
