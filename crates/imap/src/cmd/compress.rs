//! COMPRESS (RFC 4978): from the tagged OK on, both directions are raw DEFLATE for the
//! rest of the session, over plain TCP or TLS.
//!
//! Invariants: the tagged OK is the last thing sent uncompressed, and everything queued
//! before it goes out with it (RFC 4978 §3); the command runs only after login (the state
//! table, RFC 4978 §5: `command-auth`); a second COMPRESS is refused with
//! `NO [COMPRESSIONACTIVE]` and changes nothing. An algorithm other than DEFLATE does not
//! parse and is answered BAD by the dispatcher (RFC 4978 §3).

use heron_proto_imap::response;
use imap_codec::imap_types::core::Tag;
use imap_codec::imap_types::extensions::compress::CompressionAlgorithm;
use imap_codec::imap_types::response::{Code, StatusKind};

use crate::done::Done;
use crate::error::{ImapError, Result};
use crate::session::Session;

/// Run COMPRESS. The tagged OK must go out before compression starts, so it is sent here.
pub async fn execute(
    s: &mut Session<'_>,
    tag: &Tag<'static>,
    algorithm: CompressionAlgorithm,
) -> Result<Done> {
    if !matches!(algorithm, CompressionAlgorithm::Deflate) {
        // RFC 4978 §3: an unknown argument is answered BAD.
        return Ok(Done::bad("unknown compression algorithm"));
    }
    if s.wire.client.is_compressed() {
        // RFC 4978 §3, RFC 5530 §3: the layer that already compresses is named.
        return Ok(Done::no("DEFLATE active via COMPRESS").with(Code::CompressionActive));
    }
    s.send(&response::tagged(
        tag,
        StatusKind::Ok,
        None,
        "DEFLATE active",
    ))
    .await?;
    // RFC 4978 §3: compression starts right after the CRLF of the tagged OK.
    if let Err(e) = s.wire.client.start_deflate() {
        tracing::warn!(target: "imap", "COMPRESS could not start: {e}");
        return Err(ImapError::Closed);
    }
    tracing::debug!(target: "imap", "DEFLATE compression started");
    Ok(Done::already_sent())
}
