//! MYRIGHTS (RFC 4314 §3.5): the rights the logged-in user holds on a mailbox. Any mailbox
//! the user may know of answers (the owner holds every right).

use heron_proto_imap::acl::myrights_response;

use crate::acl::target;
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;

/// Run MYRIGHTS.
pub async fn execute(cx: &mut AsUser<'_>, mailbox: &[u8]) -> Result<Done> {
    let (access, wire) = match target(cx, mailbox).await? {
        Ok(t) => t,
        Err(d) => return Ok(d),
    };
    cx.push(&myrights_response(&wire, &access.rights));
    Ok(Done::ok("MYRIGHTS completed"))
}
