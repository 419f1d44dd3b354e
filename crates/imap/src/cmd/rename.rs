//! RENAME (RFC 9051 §6.3.6): the mailbox and every mailbox below it get the new name;
//! missing superior names of the target are created. Renaming INBOX moves its messages to
//! a new mailbox and leaves INBOX empty (mailboxes below INBOX are unaffected).
//!
//! Invariant: every name the rename would write (the target, its missing superiors, the new
//! names of the mailboxes below the source) and the number of mailboxes the user would have
//! are checked against the mailbox limits and the storage quota (`limits.rs`) before anything
//! is written.

use std::collections::HashSet;

use heron_store::StoreError;
use imap_codec::imap_types::mailbox::Mailbox;

use crate::cmd::create::create;
use crate::error::Result;
use crate::limits::{MailboxLimits, over_quota};
use crate::mailbox::{name_of, nonexistent};
use crate::names::{DELIMITER, ancestors};
use crate::response::{Done, code};
use crate::session::Session;

/// Run RENAME.
pub async fn execute(s: &mut Session<'_>, from: Mailbox<'_>, to: Mailbox<'_>) -> Result<Done> {
    let (from, to) = match (name_of(s, &from), name_of(s, &to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(d), _) | (_, Err(d)) => return Ok(d),
    };
    let Some(user) = s.user.as_ref().map(|u| u.user.id) else {
        return Ok(Done::no("not logged in"));
    };
    let limits = MailboxLimits::from_settings(&s.svc.settings);
    if let Err(d) = limits.check_name(&to) {
        return Ok(d);
    }
    let existing = s.store().list_folders(user).await?;
    let Some(source) = existing.iter().find(|f| f.name == from).cloned() else {
        return Ok(nonexistent());
    };
    let names: HashSet<&str> = existing.iter().map(|f| f.name.as_str()).collect();
    if to == "INBOX" || names.contains(to.as_str()) {
        return Ok(Done::no("target mailbox already exists").with(code("ALREADYEXISTS")));
    }
    let below = format!("{from}{DELIMITER}");
    if to.starts_with(&below) {
        return Ok(Done::no("cannot rename a mailbox into itself").with(code("CANNOT")));
    }
    // What the rename writes: new names in place of old ones (RENAME INBOX makes a new
    // mailbox and leaves the mailboxes below INBOX where they are).
    let (mut written, mut renamed) = (vec![to.clone()], Vec::new());
    if from != "INBOX" {
        renamed.push(from.clone());
        for f in &existing {
            if let Some(child) = f.name.strip_prefix(&below) {
                let new = format!("{to}{DELIMITER}{child}");
                if let Err(d) = limits.check_name(&new) {
                    return Ok(d);
                }
                written.push(new);
                renamed.push(f.name.clone());
            }
        }
    }
    let missing: Vec<&str> = ancestors(&to)
        .into_iter()
        .filter(|p| !names.contains(p))
        .collect();
    let added = missing.len() + usize::from(from == "INBOX");
    if let Err(d) = limits.check_count(existing.len(), added) {
        return Ok(d);
    }
    written.extend(missing.iter().map(|p| p.to_string()));
    if let Some(d) = over_quota(s, &written, &renamed).await? {
        return Ok(d);
    }
    for parent in missing {
        create(s, user, parent).await?;
    }
    if from == "INBOX" {
        let target = s.store().create_folder(user, &to, None).await?;
        let uids: Vec<u32> = s
            .store()
            .list_messages(source.id)
            .await?
            .iter()
            .map(|m| m.uid)
            .collect();
        if !uids.is_empty() {
            s.store().move_messages(source.id, &uids, target.id).await?;
        }
        return Ok(Done::ok("RENAME completed"));
    }
    match s.store().rename_folder(user, &from, &to, DELIMITER).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Ok(Done::no("target mailbox already exists").with(code("ALREADYEXISTS")));
        }
        Err(StoreError::NotFound(_)) => return Ok(nonexistent()),
        Err(e) => return Err(e.into()),
    }
    if let Some(sel) = s.selected.as_mut().filter(|x| x.folder.id == source.id) {
        sel.folder.name = to;
    }
    Ok(Done::ok("RENAME completed"))
}
