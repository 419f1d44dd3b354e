//! SETACL (RFC 4314 §3.1): replace, add to (`+`) or take from (`-`) an identifier's rights
//! on a mailbox. Needs "a". Rights that end up empty remove the entry.
//!
//! Invariants: unknown rights letters are refused (BAD) before anything is looked up; a
//! new entry beyond [`MAX_ACL_ENTRIES`] per folder is refused (`NO [LIMIT]`) in the store
//! transaction that would add it.

use heron_proto_imap::acl::{apply, parse_change};
use heron_proto_imap::response::code;
use heron_store::MAX_ACL_ENTRIES;

use crate::acl::{Who, administered, grantee};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;

/// Run SETACL.
pub async fn execute(
    cx: &mut AsUser<'_>,
    mailbox: &[u8],
    identifier: &str,
    rights: &str,
) -> Result<Done> {
    let (change, letters) = match parse_change(rights) {
        Ok(c) => c,
        Err(u) => return Ok(Done::bad(format!("unknown right \"{}\"", u.0))),
    };
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
    let store = cx.store();
    let current = store
        .list_rights(access.folder.id)
        .await?
        .into_iter()
        .find(|e| e.grantee == who)
        .map(|e| e.rights)
        .unwrap_or_default();
    let new = apply(&current, change, &letters);
    if new.is_empty() {
        store.delete_rights(access.folder.id, who).await?;
    } else if !store
        .set_rights(access.folder.id, who, &new, MAX_ACL_ENTRIES)
        .await?
    {
        return Ok(Done::no("too many entries in this mailbox's access list").with(code("LIMIT")));
    }
    Ok(Done::ok("SETACL completed"))
}
