//! DELE (RFC 1939 §5): mark a message deleted; it is removed only at QUIT.

use heron_proto_pop3::{err, ok};

use crate::session::{Flow, Session, maildrop, reply};

/// Run DELE.
pub async fn execute(s: &mut Session<'_>, n: u32) -> Flow {
    let Some(m) = maildrop(s) else {
        return Flow::Bad;
    };
    let out = if m.get(n).is_some() {
        m.deleted[n as usize - 1] = true;
        ok(&format!("message {n} deleted"))
    } else {
        err(None, "no such message")
    };
    reply(s, &out, Flow::Continue).await
}
