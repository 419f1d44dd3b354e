//! SUBSCRIBE (RFC 9051 §6.3.7). Subscriptions are kept on existing folders only, so a
//! name without a mailbox is refused with `[NONEXISTENT]`.

use imap_codec::imap_types::mailbox::Mailbox;

use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::{find, name_of, nonexistent};

/// Run SUBSCRIBE (`on`) or UNSUBSCRIBE.
pub async fn execute(cx: &mut AsUser<'_>, mailbox: Mailbox<'_>, on: bool) -> Result<Done> {
    let name = match name_of(cx.enabled.utf8, &mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    let Some(folder) = find(&**cx.store(), cx.user_id(), &name).await? else {
        return Ok(nonexistent());
    };
    cx.store().set_subscribed(folder.id, on).await?;
    Ok(Done::ok(if on {
        "SUBSCRIBE completed"
    } else {
        "UNSUBSCRIBE completed"
    }))
}
