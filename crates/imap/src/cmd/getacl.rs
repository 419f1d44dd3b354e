//! GETACL (RFC 4314 §3.3): a mailbox's list as one `* ACL` response. Needs "a". The owner
//! comes first with every right (owners hold them all, with no entry; a public folder has
//! none to show), then `anyone`, then each user by local part; users are named by address.

use heron_proto_imap::acl::{ALL_RIGHTS, acl_response};

use crate::acl::{ANYONE, address, administered, domain_name};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;

/// Run GETACL.
pub async fn execute(cx: &mut AsUser<'_>, mailbox: &[u8]) -> Result<Done> {
    let (access, wire) = match administered(cx, mailbox).await? {
        Ok(t) => t,
        Err(d) => return Ok(d),
    };
    let domain = domain_name(cx).await?;
    let store = cx.store();
    let mut entries = Vec::new();
    // A public folder's owner is the domain's hidden row, which is nobody to name.
    if let Some(owner) = store.get_user_by_id(access.folder.user_id).await?
        && !owner.is_public_owner()
    {
        entries.push((address(&owner.local, &domain), ALL_RIGHTS.to_owned()));
    }
    for e in store.list_rights(access.folder.id).await? {
        let id = match e.grantee {
            None => ANYONE.to_owned(),
            Some(_) => address(&e.name, &domain),
        };
        entries.push((id, e.rights));
    }
    cx.push(&acl_response(&wire, &entries));
    Ok(Done::ok("GETACL completed"))
}
