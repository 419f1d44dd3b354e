//! CHECK (RFC 3501 §6.4.1; gone from RFC 9051, where it is NOOP): every write is already
//! durable, so there is nothing to do.

use crate::done::Done;
use crate::error::Result;

/// Run CHECK.
pub async fn execute() -> Result<Done> {
    Ok(Done::ok("CHECK completed"))
}
