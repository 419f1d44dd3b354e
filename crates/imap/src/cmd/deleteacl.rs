//! DELETEACL (RFC 4314 §3.2): remove an identifier's entry from a mailbox's list. Needs
//! "a"; removing an entry that is not there is not an error.

use crate::acl::{Who, administered, grantee};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;

/// Run DELETEACL.
pub async fn execute(cx: &mut AsUser<'_>, mailbox: &[u8], identifier: &str) -> Result<Done> {
    let access = match administered(cx, mailbox).await? {
        Ok((a, _)) => a,
        Err(d) => return Ok(d),
    };
    let who = match grantee(cx, &access.folder, identifier)
        .await?
        .map(Who::entry)
    {
        Ok(Ok(w)) => w,
        Ok(Err(d)) | Err(d) => return Ok(d),
    };
    cx.store().delete_rights(access.folder.id, who).await?;
    Ok(Done::ok("DELETEACL completed"))
}
