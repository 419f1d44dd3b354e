//! LOGOUT (RFC 9051 §6.1.3): `* BYE`, then the tagged OK, then the connection closes.

use heron_proto_imap::response;

use crate::cx::Wire;
use crate::done::Done;
use crate::error::Result;

/// Run LOGOUT.
pub async fn execute(wire: &mut Wire) -> Result<Done> {
    wire.push(&response::bye("logging out"));
    let mut d = Done::ok("LOGOUT completed");
    d.close = true;
    Ok(d)
}
