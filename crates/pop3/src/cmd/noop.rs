//! NOOP (RFC 1939 §5).

use heron_proto_pop3::ok;

use crate::session::{Flow, Session, reply};

/// Run NOOP.
pub async fn execute(s: &mut Session<'_>) -> Flow {
    reply(s, &ok(""), Flow::Continue).await
}
