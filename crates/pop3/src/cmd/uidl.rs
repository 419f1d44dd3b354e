//! UIDL (RFC 1939 §7): stable unique-ids, the same in every session.

use heron_proto_pop3::{err, ok, write_multiline};

use crate::maildrop::Maildrop;

/// Run UIDL.
pub fn execute(m: &Maildrop, n: Option<u32>) -> Vec<u8> {
    match n {
        Some(n) => match m.get(n) {
            Some(msg) => ok(&format!("{n} {}", m.uid_string(msg))),
            None => err(None, "no such message"),
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
    }
}
