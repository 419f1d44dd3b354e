//! STAT (RFC 1939 §5): count and size of the undeleted messages.

use heron_proto_pop3::ok;

use crate::session::{Flow, Session, maildrop, reply};

/// Run STAT.
pub async fn execute(s: &mut Session<'_>) -> Flow {
    let Some(m) = maildrop(s) else {
        return Flow::Bad;
    };
    let (n, size) = m.stat();
    reply(s, &ok(&format!("{n} {size}")), Flow::Continue).await
}
