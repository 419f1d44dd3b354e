//! SUBSCRIBE (RFC 9051 §6.3.7) and UNSUBSCRIBE (§6.3.8). Subscriptions are names kept
//! apart from mailboxes: any valid name may be subscribed, whether a mailbox has it or not
//! (RFC 9051 lets a server check; like Dovecot, Heron does not, so a client may subscribe
//! before it creates), and unsubscribing a name that is not subscribed is not an error.

use imap_codec::imap_types::mailbox::Mailbox;

use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::name_of;

/// Run SUBSCRIBE (`on`) or UNSUBSCRIBE.
pub async fn execute(cx: &mut AsUser<'_>, mailbox: Mailbox<'_>, on: bool) -> Result<Done> {
    let name = match name_of(cx.enabled.utf8, &mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    cx.store().set_subscription(cx.user_id(), &name, on).await?;
    Ok(Done::ok(if on {
        "SUBSCRIBE completed"
    } else {
        "UNSUBSCRIBE completed"
    }))
}
