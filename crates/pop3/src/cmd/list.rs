//! LIST (RFC 1939 §5): the size of one message, or of all undeleted messages.

use heron_proto_pop3::{err, ok, write_multiline};

use crate::session::{Flow, Session, maildrop, reply};

/// Run LIST.
pub async fn execute(s: &mut Session<'_>, n: Option<u32>) -> Flow {
    let Some(m) = maildrop(s) else {
        return Flow::Bad;
    };
    let out = match n {
        Some(n) => match m.get(n) {
            Some(msg) => ok(&format!("{n} {}", msg.size)),
            None => return reply(s, &err(None, "no such message"), Flow::Continue).await,
        },
        None => {
            let (count, size) = m.stat();
            let mut body = String::new();
            for (i, msg) in m.live() {
                body.push_str(&format!("{i} {}\r\n", msg.size));
            }
            let mut out = ok(&format!("{count} messages ({size} octets)"));
            write_multiline(body.as_bytes(), &mut out);
            out
        }
    };
    reply(s, &out, Flow::Continue).await
}
