//! STARTTLS (RFC 3207): upgrade the connection; the client must say EHLO again.

use heron_proto_smtp::reply;

use crate::session::{Flow, Session};

/// Run STARTTLS.
pub async fn execute(s: &mut Session<'_>) -> Flow {
    let Some(acceptor) = s.starttls.clone().filter(|_| !s.is_tls()) else {
        return s
            .reply(
                reply::NOT_IMPLEMENTED.with_text("STARTTLS not available"),
                Flow::Bad,
            )
            .await;
    };
    if s.send(&reply::READY_TLS).await.is_err() {
        return Flow::Close;
    }
    match s.start_tls(&acceptor).await {
        Ok(()) => Flow::Continue,
        Err(e) => {
            tracing::warn!(target: "smtp", "TLS handshake failed: {e}");
            Flow::Close
        }
    }
}
