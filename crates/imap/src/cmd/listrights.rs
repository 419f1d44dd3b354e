//! LISTRIGHTS (RFC 4314 §3.4): which rights an identifier may be granted on a mailbox.
//! Needs "a". The owner always holds every right; anyone else may be given each right on
//! its own (none is tied to another: `RIGHTS=texk`).

use heron_proto_imap::acl::{ALL_RIGHTS, listrights_response};

use crate::acl::{Who, administered, grantee};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;

/// Run LISTRIGHTS.
pub async fn execute(cx: &mut AsUser<'_>, mailbox: &[u8], identifier: &str) -> Result<Done> {
    let (access, wire) = match administered(cx, mailbox).await? {
        Ok(t) => t,
        Err(d) => return Ok(d),
    };
    let owner = match grantee(cx, &access.folder, identifier).await? {
        Ok(who) => who == Who::Owner,
        Err(d) => return Ok(d),
    };
    let line = if owner {
        listrights_response(&wire, identifier, ALL_RIGHTS, &[])
    } else {
        let each: Vec<String> = ALL_RIGHTS.chars().map(String::from).collect();
        let each: Vec<&str> = each.iter().map(String::as_str).collect();
        listrights_response(&wire, identifier, "", &each)
    };
    cx.push(&line);
    Ok(Done::ok("LISTRIGHTS completed"))
}
