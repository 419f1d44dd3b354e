//! EXAMINE (RFC 9051 §6.3.3): SELECT, read-only.

use imap_codec::imap_types::command::SelectParameter;
use imap_codec::imap_types::mailbox::Mailbox;

use crate::done::Done;
use crate::error::Result;
use crate::session::Session;

/// Run EXAMINE.
pub async fn execute(
    s: &mut Session<'_>,
    mailbox: Mailbox<'_>,
    params: Vec<SelectParameter>,
) -> Result<Done> {
    super::select::execute(s, mailbox, params, true).await
}
