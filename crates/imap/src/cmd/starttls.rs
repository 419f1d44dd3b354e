//! STARTTLS (RFC 9051 §6.2.1): the tagged OK goes out in plain text, then the handshake;
//! anything the client pipelined after the command is discarded.

use heron_proto_imap::response;
use imap_codec::imap_types::core::Tag;
use imap_codec::imap_types::response::StatusKind;

use crate::done::Done;
use crate::error::{ImapError, Result};
use crate::session::Session;

/// Run STARTTLS. The tagged OK must precede the handshake, so it is sent here.
pub async fn execute(s: &mut Session<'_>, tag: &Tag<'static>) -> Result<Done> {
    let Some(acceptor) = s.starttls.clone().filter(|_| !s.is_tls()) else {
        return Ok(Done::bad("STARTTLS not available here"));
    };
    s.send(&response::tagged(
        tag,
        StatusKind::Ok,
        None,
        "begin TLS negotiation now",
    ))
    .await?;
    match s.start_tls(&acceptor).await {
        Ok(()) => {
            tracing::debug!(target: "imap", "TLS started");
            Ok(Done::already_sent())
        }
        Err(e) => {
            tracing::warn!(target: "imap", "STARTTLS handshake failed: {e}");
            Err(ImapError::Closed)
        }
    }
}
