//! DELE (RFC 1939 §5): mark a message deleted; it is removed only at QUIT.

use heron_proto_pop3::{err, ok};

use crate::maildrop::Maildrop;

/// Run DELE.
pub fn execute(m: &mut Maildrop, n: u32) -> Vec<u8> {
    if m.get(n).is_some() {
        m.deleted[n as usize - 1] = true;
        ok(&format!("message {n} deleted"))
    } else {
        err(None, "no such message")
    }
}
