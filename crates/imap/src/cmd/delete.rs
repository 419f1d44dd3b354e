//! DELETE (RFC 9051 §6.3.5): the mailbox and its messages go; mailboxes below it stay, and
//! LIST then shows the name as `\Noselect` while it has children. INBOX cannot be deleted.

use heron_proto_imap::response::{self, code};
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::{Code, StatusKind};

use crate::done::Done;
use crate::error::Result;
use crate::mailbox::{find, name_of, nonexistent};
use crate::session::Session;

/// Run DELETE.
pub async fn execute(s: &mut Session<'_>, mailbox: Mailbox<'_>) -> Result<Done> {
    let name = match name_of(s, &mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    if name == "INBOX" {
        return Ok(Done::no("INBOX cannot be deleted").with(code("CANNOT")));
    }
    let Some(folder) = find(s, &name).await? else {
        return Ok(nonexistent());
    };
    if s.phase.selected().is_some_and(|x| x.folder.id == folder.id) {
        s.phase.unselect();
        s.push(&response::untagged(
            StatusKind::Ok,
            Some(Code::Closed),
            "mailbox deleted",
        ));
    }
    s.store().delete_folder(folder.id).await?;
    Ok(Done::ok("DELETE completed"))
}
