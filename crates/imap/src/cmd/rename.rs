//! RENAME (RFC 9051 §6.3.6): the mailbox and every mailbox below it get the new name;
//! missing superior names of the target are created. Renaming INBOX moves its messages to
//! a new mailbox and leaves INBOX empty (mailboxes below INBOX are unaffected); the new
//! mailbox gets a copy of INBOX's metadata entries (RFC 5464 §4.1). Other renames keep
//! the folders, so their entries follow them.
//!
//! Within the public folders' namespace, a domain administrator's RENAME is
//! [`crate::public::rename`]; other names there, and other users' names, are refused.
//!
//! Invariant: every name the rename would write (the target, its missing superiors, the new
//! names of the mailboxes below the source) and the number of mailboxes the user would have
//! are checked against the mailbox limits and the storage quota (`limits.rs`) before anything
//! is written.

use std::collections::HashSet;

use heron_proto_imap::names::{DELIMITER, ancestors};
use heron_proto_imap::response::code;
use heron_store::{Folder, MetadataChange, StoreError, UserId};
use imap_codec::imap_types::mailbox::Mailbox;

use crate::cmd::create::create;
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::limits::{MailboxLimits, over_quota};
use crate::mailbox::{name_of, nonexistent};
use crate::selected::Selected;

/// What a rename writes, worked out before anything is.
struct Plan {
    /// The source folder.
    source: Folder,
    /// Every name written: the target, the new names below it, the missing superiors.
    written: Vec<String>,
    /// The names those replace (none for RENAME INBOX, which keeps INBOX).
    renamed: Vec<String>,
    /// Superior names of the target to create first.
    missing: Vec<String>,
}

/// Run RENAME.
pub async fn execute(
    cx: &mut AsUser<'_>,
    selected: Option<&mut Selected>,
    from: Mailbox<'_>,
    to: Mailbox<'_>,
) -> Result<Done> {
    let (from, to) = match (
        name_of(cx.enabled.utf8, &from),
        name_of(cx.enabled.utf8, &to),
    ) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(d), _) | (_, Err(d)) => return Ok(d),
    };
    if let (Some(Some(f)), Some(Some(t))) = (
        crate::access::split_public(&from),
        crate::access::split_public(&to),
    ) {
        return crate::public::rename(cx, f, t).await;
    }
    if crate::access::split_shared(&from).is_some() || crate::access::split_shared(&to).is_some() {
        return Ok(crate::access::noperm(
            "mailboxes of other users are renamed by them",
        ));
    }
    if crate::access::is_foreign(&from) || crate::access::is_foreign(&to) {
        return Ok(crate::access::noperm(
            "public folders are renamed by the domain administrator",
        ));
    }
    let user = cx.user_id();
    let limits = MailboxLimits::from_settings(&cx.svc.settings);
    if let Err(d) = limits.check_name(&to) {
        return Ok(d);
    }
    let existing = cx.store().list_folders(user).await?;
    let plan = match plan(&limits, &existing, &from, &to) {
        Ok(p) => p,
        Err(d) => return Ok(d),
    };
    if let Some(d) = over_quota(&cx.svc.dir, cx.user, &plan.written, &plan.renamed).await? {
        return Ok(d);
    }
    for parent in &plan.missing {
        create(&**cx.store(), user, parent).await?;
    }
    if from == "INBOX" {
        return rename_inbox(cx, user, &plan.source, &to).await;
    }
    match cx.store().rename_folder(user, &from, &to, DELIMITER).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Ok(Done::no("target mailbox already exists").with(code("ALREADYEXISTS")));
        }
        Err(StoreError::NotFound(_)) => return Ok(nonexistent()),
        Err(e) => return Err(e.into()),
    }
    if let Some(sel) = selected.filter(|x| x.folder.id == plan.source.id) {
        sel.shown = to.clone();
        sel.folder.name = to;
    }
    Ok(Done::ok("RENAME completed"))
}

/// Check the rename of `from` to `to` against the user's `existing` folders and the
/// mailbox limits, and list what it would write.
fn plan(
    limits: &MailboxLimits,
    existing: &[Folder],
    from: &str,
    to: &str,
) -> std::result::Result<Plan, Done> {
    let source = existing
        .iter()
        .find(|f| f.name == from)
        .cloned()
        .ok_or_else(nonexistent)?;
    let names: HashSet<&str> = existing.iter().map(|f| f.name.as_str()).collect();
    if to == "INBOX" || names.contains(to) {
        return Err(Done::no("target mailbox already exists").with(code("ALREADYEXISTS")));
    }
    let below = format!("{from}{DELIMITER}");
    if to.starts_with(&below) {
        return Err(Done::no("cannot rename a mailbox into itself").with(code("CANNOT")));
    }
    // RENAME INBOX makes a new mailbox and leaves the mailboxes below INBOX where they are.
    let (mut written, mut renamed) = (vec![to.to_owned()], Vec::new());
    if from != "INBOX" {
        renamed.push(from.to_owned());
        for f in existing {
            if let Some(child) = f.name.strip_prefix(&below) {
                let new = format!("{to}{DELIMITER}{child}");
                limits.check_name(&new)?;
                written.push(new);
                renamed.push(f.name.clone());
            }
        }
    }
    let missing: Vec<String> = ancestors(to)
        .into_iter()
        .filter(|p| !names.contains(p))
        .map(str::to_owned)
        .collect();
    limits.check_count(existing.len(), missing.len() + usize::from(from == "INBOX"))?;
    written.extend(missing.iter().cloned());
    Ok(Plan {
        source,
        written,
        renamed,
        missing,
    })
}

/// RENAME INBOX: a new mailbox takes INBOX's messages; INBOX stays, empty.
async fn rename_inbox(cx: &mut AsUser<'_>, user: UserId, inbox: &Folder, to: &str) -> Result<Done> {
    let target = cx.store().create_folder(user, to, None).await?;
    let uids: Vec<u32> = cx
        .store()
        .list_messages(inbox.id)
        .await?
        .iter()
        .map(|m| m.uid)
        .collect();
    if !uids.is_empty() {
        cx.store().move_messages(inbox.id, &uids, target.id).await?;
    }
    // RFC 5464 §4.1: INBOX keeps its metadata and the new mailbox gets a copy.
    let entries = cx.store().get_metadata(user, Some(inbox.id)).await?;
    if !entries.is_empty() {
        let copy: Vec<MetadataChange> = entries
            .into_iter()
            .map(|(name, value)| MetadataChange {
                name,
                value: Some(value),
            })
            .collect();
        cx.store()
            .set_metadata(user, Some(target.id), &copy, usize::MAX)
            .await?;
    }
    Ok(Done::ok("RENAME completed"))
}
