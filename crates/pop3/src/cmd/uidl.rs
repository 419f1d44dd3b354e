//! UIDL (RFC 1939 §7): stable unique-ids, the same in every session.

use heron_proto_pop3::{err, ok, write_multiline};

use crate::session::{Flow, Session, maildrop, reply};

/// Run UIDL.
pub async fn execute(s: &mut Session<'_>, n: Option<u32>) -> Flow {
    let Some(m) = maildrop(s) else {
        return Flow::Bad;
    };
    let out = match n {
        Some(n) => match m.get(n) {
            Some(msg) => ok(&format!("{n} {}", m.uid_string(msg))),
            None => return reply(s, &err(None, "no such message"), Flow::Continue).await,
        },
        None => {
            let mut body = String::new();
            for (i, msg) in m.live() {
                body.push_str(&format!("{i} {}\r\n", m.uid_string(msg)));
            }
            let mut out = ok("unique-id listing follows");
            write_multiline(body.as_bytes(), &mut out);
            out
        }
    };
    reply(s, &out, Flow::Continue).await
}
