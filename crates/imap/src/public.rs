//! What a domain administrator does with its domain's public folders over IMAP, besides
//! what its rights on them allow (it holds all of them, [`crate::access::public_admin`]):
//! CREATE at the top of `Public Folders/` and RENAME within it. Anybody else is answered
//! `NO [NOPERM]`; below an existing public folder, CREATE with "k" is for anyone
//! (`shared_create.rs`).
//!
//! Invariants: the folders are the domain's (its hidden owner row, made by the first
//! CREATE); names are checked against the mailbox limits before anything is written; a
//! RENAME stays inside the public namespace.

use heron_proto_imap::names::{DELIMITER, ancestors};
use heron_proto_imap::response::code;
use heron_store::StoreError;

use crate::access::{noperm, public_admin};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::limits::MailboxLimits;
use crate::mailbox::nonexistent;

/// CREATE `Public Folders/<folder>` with no superior: the domain administrator's.
pub async fn create_top(cx: &mut AsUser<'_>, folder: &str) -> Result<Done> {
    if !public_admin(cx.user) {
        return Ok(noperm(
            "top-level public folders are created by the domain administrator",
        ));
    }
    let store = cx.store();
    let Some(owner) = store.public_owner(cx.user.user.domain_id, true).await? else {
        return Ok(nonexistent());
    };
    crate::shared_create::make(cx, owner, folder, None).await
}

/// RENAME `Public Folders/<from>` to `Public Folders/<to>` (stored names), with the
/// folders below it; missing superiors of the new name are made.
pub async fn rename(cx: &mut AsUser<'_>, from: &str, to: &str) -> Result<Done> {
    if !public_admin(cx.user) {
        return Ok(noperm(
            "public folders are renamed by the domain administrator",
        ));
    }
    let store = cx.store();
    let Some(owner) = store.public_owner(cx.user.user.domain_id, false).await? else {
        return Ok(nonexistent());
    };
    if store.get_folder(owner, from).await?.is_none() {
        return Ok(nonexistent());
    }
    let limits = MailboxLimits::from_settings(&cx.svc.settings);
    if let Err(d) = limits.check_name(to) {
        return Ok(d);
    }
    let existing = store.list_folders(owner).await?;
    if existing.iter().any(|f| f.name == to) {
        return Ok(Done::no("mailbox already exists").with(code("ALREADYEXISTS")));
    }
    let below = format!("{from}{DELIMITER}");
    if to.starts_with(&below) {
        return Ok(Done::no("a mailbox cannot be moved below itself").with(code("CANNOT")));
    }
    for parent in ancestors(to) {
        if !existing.iter().any(|f| f.name == parent) {
            match store.create_folder(owner, parent, None).await {
                Ok(_) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    store.rename_folder(owner, from, to, DELIMITER).await?;
    Ok(Done::ok("RENAME completed"))
}
