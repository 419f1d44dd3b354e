//! EXAMINE (RFC 9051 §6.3.3): SELECT, read-only.

use imap_codec::imap_types::command::SelectParameter;
use imap_codec::imap_types::mailbox::Mailbox;

use crate::ImapService;
use crate::cx::Wire;
use crate::done::Done;
use crate::error::Result;
use crate::session::Enabled;
use crate::state::Phase;

/// Run EXAMINE.
pub async fn execute(
    svc: &ImapService,
    phase: &mut Phase,
    enabled: &mut Enabled,
    wire: &mut Wire,
    mailbox: Mailbox<'_>,
    params: Vec<SelectParameter>,
) -> Result<Done> {
    super::select::execute(svc, phase, enabled, wire, mailbox, params, true).await
}
