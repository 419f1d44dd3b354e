//! CAPABILITY (RFC 9051 §6.1.1).

use heron_proto_imap::response;
use imap_codec::imap_types::response::Data;

use crate::caps;
use crate::done::Done;
use crate::error::Result;
use crate::session::Session;

/// Run CAPABILITY.
pub async fn execute(s: &mut Session<'_>) -> Result<Done> {
    let caps = caps::capabilities(s);
    s.push(&response::data(Data::Capability(caps)));
    Ok(Done::ok("CAPABILITY completed"))
}
