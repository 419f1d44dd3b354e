//! NOOP (RFC 9051 §6.1.2): does nothing but lets the pending mailbox updates out.

use crate::done::Done;
use crate::error::Result;
use crate::session::Session;

/// Run NOOP.
pub async fn execute(_s: &mut Session<'_>) -> Result<Done> {
    Ok(Done::ok("NOOP completed"))
}
