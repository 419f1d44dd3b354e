//! CAPABILITY (RFC 9051 §6.1.1).

use imap_codec::imap_types::response::Data;

use crate::caps;
use crate::error::Result;
use crate::response::{self, Done};
use crate::session::Session;

/// Run CAPABILITY.
pub async fn execute(s: &mut Session<'_>) -> Result<Done> {
    let caps = caps::capabilities(s);
    s.push(&response::data(Data::Capability(caps)));
    Ok(Done::ok("CAPABILITY completed"))
}
