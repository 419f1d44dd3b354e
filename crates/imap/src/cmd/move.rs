//! MOVE and UID MOVE (RFC 6851): COPY and EXPUNGE in one store transaction.

use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::sequence::SequenceSet;

use crate::cx::InMailbox;
use crate::done::Done;
use crate::error::Result;

/// Run MOVE or UID MOVE.
pub async fn execute(
    m: &mut InMailbox<'_>,
    set: SequenceSet,
    mailbox: Mailbox<'_>,
    uid: bool,
) -> Result<Done> {
    super::copy::transfer(m, set, mailbox, uid, true).await
}
