//! EHLO (RFC 5321 §4.1.1.1) with the HELO fallback; the extensions its reply lists are read
//! by `heron_proto_smtp::client::Extensions`.
//!
//! Invariant: an extension counts as offered only if the EHLO reply received on the current
//! channel lists it; after STARTTLS the caller replaces the whole set (RFC 3207 §4.2).

use tracing::info;

use heron_proto_smtp::client::Extensions;
use heron_proto_smtp::client::reply::OK;

use super::ClientError;
use super::stream::Stream;

/// Sends EHLO, or HELO if the server does not know EHLO (RFC 5321 §3.2: a 5xx to EHLO).
pub(crate) async fn hello(stream: &mut Stream, helo: &str) -> Result<Extensions, ClientError> {
    let ehlo = stream.command(&format!("EHLO {helo}\r\n"), "EHLO").await?;
    if ehlo.reply.code == OK {
        return Ok(Extensions::parse(ehlo.lines.get(1..).unwrap_or_default()));
    }
    if !ehlo.reply.is_permanent() {
        return Err(ClientError::Rejected {
            stage: "EHLO",
            reply: ehlo.reply,
        });
    }
    info!(target: "delivery", reply = %ehlo.reply, "EHLO refused, trying HELO");
    match stream.command(&format!("HELO {helo}\r\n"), "HELO").await {
        Ok(helo) if helo.reply.code == OK => Ok(Extensions::default()),
        Ok(helo) => Err(ClientError::Rejected {
            stage: "HELO",
            reply: helo.reply,
        }),
        // The server hung up after refusing EHLO: report that refusal.
        Err(ClientError::Io(_)) => Err(ClientError::Rejected {
            stage: "EHLO",
            reply: ehlo.reply,
        }),
        Err(e) => Err(e),
    }
}
