//! UNSUBSCRIBE (RFC 9051 §6.3.8).

use imap_codec::imap_types::mailbox::Mailbox;

use crate::done::Done;
use crate::error::Result;
use crate::session::Session;

/// Run UNSUBSCRIBE.
pub async fn execute(s: &mut Session<'_>, mailbox: Mailbox<'_>) -> Result<Done> {
    super::subscribe::execute(s, mailbox, false).await
}
