//! UNSUBSCRIBE (RFC 9051 §6.3.8).

use imap_codec::imap_types::mailbox::Mailbox;

use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;

/// Run UNSUBSCRIBE.
pub async fn execute(cx: &mut AsUser<'_>, mailbox: Mailbox<'_>) -> Result<Done> {
    super::subscribe::execute(cx, mailbox, false).await
}
