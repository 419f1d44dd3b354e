//! NOOP (RFC 9051 §6.1.2): does nothing but lets the pending mailbox updates out.

use crate::done::Done;
use crate::error::Result;

/// Run NOOP.
pub async fn execute() -> Result<Done> {
    Ok(Done::ok("NOOP completed"))
}
