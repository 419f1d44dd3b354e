//! USER (RFC 1939 §7): remember the name for PASS. Refused where clear-text passwords are
//! not allowed, so the client never sends its password in the clear.

use heron_proto_pop3::{RespCode, err, ok};

use crate::session::{Flow, Session, State, reply};

/// Run USER.
pub async fn execute(s: &mut Session<'_>, name: String) -> Flow {
    if !s.plaintext_allowed() {
        let e = err(
            Some(RespCode::Auth),
            "clear-text login is disabled; use STLS first",
        );
        return reply(s, &e, Flow::Bad).await;
    }
    s.state = State::Authorization { user: Some(name) };
    reply(s, &ok("send PASS"), Flow::Continue).await
}
