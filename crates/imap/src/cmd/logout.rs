//! LOGOUT (RFC 9051 §6.1.3): `* BYE`, then the tagged OK, then the connection closes.

use heron_proto_imap::response;

use crate::done::Done;
use crate::error::Result;
use crate::session::Session;

/// Run LOGOUT.
pub async fn execute(s: &mut Session<'_>) -> Result<Done> {
    s.push(&response::bye("logging out"));
    let mut d = Done::ok("LOGOUT completed");
    d.close = true;
    Ok(d)
}
