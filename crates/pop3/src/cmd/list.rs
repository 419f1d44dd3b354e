//! LIST (RFC 1939 §5): the size of one message, or of all undeleted messages.

use heron_proto_pop3::{err, ok, write_multiline};

use crate::maildrop::Maildrop;

/// Run LIST.
pub fn execute(m: &Maildrop, n: Option<u32>) -> Vec<u8> {
    match n {
        Some(n) => match m.get(n) {
            Some(msg) => ok(&format!("{n} {}", msg.size)),
            None => err(None, "no such message"),
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
    }
}
