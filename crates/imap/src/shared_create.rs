//! CREATE inside another user's namespace (`Other Users/<owner>/<parent>/<name>`, RFC 4314
//! §4) or the public folders' (`Public Folders/<parent>/<name>`): allowed with the "k"
//! right on the parent, which must exist. The folder belongs to the parent's owner (a user,
//! or the domain's public folders' owner): the owner's mailbox limits and quota apply, and
//! it starts with its parent's access-control entries, so whoever could use the parent can
//! use it.
//!
//! Invariants: the limits are checked against the owner's folders before anything is
//! written; the parent is resolved like any shared name, so a parent the user may not see
//! answers `NO [NONEXISTENT]`.

use heron_proto_imap::names::DELIMITER;
use heron_proto_imap::response::code;
use heron_store::{FolderId, MAX_ACL_ENTRIES, StoreError, UserId, folder_cost};
use imap_codec::imap_types::response::Code;

use crate::access::{noperm, public_name, resolve, shared_name};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::limits::MailboxLimits;
use crate::mailbox::nonexistent;

/// Create `folder` (the owner's name for it) in `owner_local`'s folders for the user.
pub async fn create(cx: &mut AsUser<'_>, owner_local: &str, folder: &str) -> Result<Done> {
    let Some((parent, _)) = folder.rsplit_once(DELIMITER) else {
        // RFC 4314 §4: a top-level folder of another user is that user's to create.
        return Ok(noperm(
            "top-level mailboxes of other users are created by them",
        ));
    };
    below(cx, &shared_name(owner_local, parent), folder).await
}

/// Create the public folder `folder` (its stored name) for the user.
pub async fn create_public(cx: &mut AsUser<'_>, folder: &str) -> Result<Done> {
    let Some((parent, _)) = folder.rsplit_once(DELIMITER) else {
        return crate::public::create_top(cx, folder).await;
    };
    below(cx, &public_name(parent), folder).await
}

/// Create `folder` (the owner's name for it) below the parent the user knows as `parent`.
async fn below(cx: &mut AsUser<'_>, parent: &str, folder: &str) -> Result<Done> {
    let store = cx.store();
    let Some(access) = resolve(&**store, cx.user, parent).await? else {
        return Ok(nonexistent());
    };
    if !access.has('k') {
        return Ok(noperm("creating mailboxes below this one"));
    }
    make(cx, access.folder.user_id, folder, Some(access.folder.id)).await
}

/// Create `folder` in `owner`'s folders within the owner's limits and quota, with the
/// entries of folder `entries_of` when given.
pub async fn make(
    cx: &mut AsUser<'_>,
    owner: UserId,
    folder: &str,
    entries_of: Option<FolderId>,
) -> Result<Done> {
    let store = cx.store();
    let limits = MailboxLimits::from_settings(&cx.svc.settings);
    if let Err(d) = limits.check_name(folder) {
        return Ok(d);
    }
    let existing = store.list_folders(owner).await?;
    if let Err(d) = limits.check_count(existing.len(), 1) {
        return Ok(d);
    }
    if crate::quota::would_exceed(&cx.svc.dir, owner, folder_cost(folder)).await? {
        return Ok(Done::no("no room for the mailbox within the quota").with(Code::OverQuota));
    }
    let created = match store.create_folder(owner, folder, None).await {
        Ok(f) => f,
        Err(StoreError::Conflict(_)) => {
            return Ok(Done::no("mailbox already exists").with(code("ALREADYEXISTS")));
        }
        Err(e) => return Err(e.into()),
    };
    let Some(from) = entries_of else {
        return Ok(Done::ok("CREATE completed"));
    };
    for e in store.list_rights(from).await? {
        store
            .set_rights(created.id, e.grantee, &e.rights, MAX_ACL_ENTRIES)
            .await?;
    }
    Ok(Done::ok("CREATE completed"))
}
