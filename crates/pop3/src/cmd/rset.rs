//! RSET (RFC 1939 §5): unmark every message marked deleted.

use heron_proto_pop3::ok;

use crate::session::{Flow, Session, maildrop, reply};

/// Run RSET.
pub async fn execute(s: &mut Session<'_>) -> Flow {
    let Some(m) = maildrop(s) else {
        return Flow::Bad;
    };
    m.deleted.iter_mut().for_each(|d| *d = false);
    let (n, size) = m.stat();
    reply(
        s,
        &ok(&format!("maildrop has {n} messages ({size} octets)")),
        Flow::Continue,
    )
    .await
}
