//! STLS (RFC 2595 §4): switch to TLS before login, on listeners that offer it.

use heron_proto_pop3::{err, ok};

use crate::session::{Flow, Session, reply};

/// Run STLS.
pub async fn execute(s: &mut Session<'_>) -> Flow {
    let Some(acceptor) = s.starttls.clone().filter(|_| !s.is_tls()) else {
        return reply(s, &err(None, "STLS not available here"), Flow::Bad).await;
    };
    if s.send(&ok("begin TLS negotiation")).await.is_err() {
        return Flow::Close;
    }
    match s.client.start_tls(&acceptor).await {
        Ok(()) => {
            tracing::debug!(target: "pop3", "TLS started");
            // RFC 2595 §4: forget any USER given before TLS.
            s.state = crate::session::State::Authorization { user: None };
            Flow::Continue
        }
        Err(e) => {
            tracing::warn!(target: "pop3", "STLS handshake failed: {e}");
            Flow::Close
        }
    }
}
