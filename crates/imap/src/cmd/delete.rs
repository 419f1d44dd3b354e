//! DELETE (RFC 9051 §6.3.5): the mailbox and its messages go; mailboxes below it stay, and
//! LIST then shows the name as `\Noselect` while it has children. INBOX cannot be deleted.

use heron_proto_imap::response::{self, code};
use heron_store::Store;
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::{Code, StatusKind};

use crate::access::{noperm, resolve};
use crate::cx::Wire;
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::{name_of, nonexistent};
use crate::state::Phase;

/// Run DELETE.
pub async fn execute(
    store: &dyn Store,
    phase: &mut Phase,
    utf8: bool,
    wire: &mut Wire,
    mailbox: Mailbox<'_>,
) -> Result<Done> {
    let Some(user) = phase.user() else {
        return Ok(nonexistent());
    };
    let name = match name_of(utf8, &mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    if name == "INBOX" {
        return Ok(Done::no("INBOX cannot be deleted").with(code("CANNOT")));
    }
    let Some(access) = resolve(store, user, &name).await? else {
        return Ok(nonexistent());
    };
    if !access.has('x') {
        // RFC 4314 §4: DELETE needs "x".
        return Ok(noperm("deleting this mailbox"));
    }
    let folder = access.folder;
    if phase.selected().is_some_and(|x| x.folder.id == folder.id) {
        phase.unselect();
        wire.push(&response::untagged(
            StatusKind::Ok,
            Some(Code::Closed),
            "mailbox deleted",
        ));
    }
    store.delete_folder(folder.id).await?;
    Ok(Done::ok("DELETE completed"))
}
