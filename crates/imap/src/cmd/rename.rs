//! RENAME (RFC 9051 §6.3.6): the mailbox and every mailbox below it get the new name;
//! missing superior names of the target are created. Renaming INBOX moves its messages to
//! a new mailbox and leaves INBOX empty (mailboxes below INBOX are unaffected).

use heron_store::StoreError;
use imap_codec::imap_types::mailbox::Mailbox;

use crate::cmd::create::create;
use crate::error::Result;
use crate::mailbox::{find, name_of, nonexistent};
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
    let Some(source) = find(s, &from).await? else {
        return Ok(nonexistent());
    };
    if to == "INBOX" || find(s, &to).await?.is_some() {
        return Ok(Done::no("target mailbox already exists").with(code("ALREADYEXISTS")));
    }
    if to.starts_with(&format!("{from}{DELIMITER}")) {
        return Ok(Done::no("cannot rename a mailbox into itself").with(code("CANNOT")));
    }
    for parent in ancestors(&to) {
        if find(s, parent).await?.is_none() {
            create(s, user, parent).await?;
        }
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
