//! STARTTLS (RFC 3207): ask, run the handshake, and report whether the channel is now
//! encrypted.
//!
//! Invariant: after a successful handshake the caller must forget the extensions learned
//! in the clear and send EHLO again (RFC 3207 §4.2); an opportunistic upgrade the server
//! refuses leaves the connection usable in the clear.

use std::net::SocketAddr;

use tracing::{info, warn};

use super::stream::Stream;
use super::{ClientError, tls};
use heron_proto_smtp::client::reply::SERVICE_READY;

/// Sends STARTTLS and upgrades. `Ok(false)`: the server refused and `required` is off.
pub(crate) async fn upgrade(
    stream: &mut Stream,
    host: &str,
    addr: SocketAddr,
    required: bool,
    verify: Option<&super::Verify>,
) -> Result<bool, ClientError> {
    let answer = stream.command("STARTTLS\r\n", "STARTTLS").await?;
    if answer.reply.code != SERVICE_READY {
        if required {
            return Err(ClientError::Rejected {
                stage: "STARTTLS",
                reply: answer.reply,
            });
        }
        warn!(target: "delivery", %addr, reply = %answer.reply, "STARTTLS refused, going on without TLS");
        return Ok(false);
    }
    let info = stream
        .start_tls(
            match verify {
                Some(v) => v.config.clone(),
                None => tls::client_config()?,
            },
            tls::server_name(host, addr),
        )
        .await?;
    info!(target: "delivery", %addr, version = %info.version, cipher = %info.cipher, "TLS established");
    Ok(true)
}
