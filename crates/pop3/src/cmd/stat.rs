//! STAT (RFC 1939 §5): count and size of the undeleted messages.

use heron_proto_pop3::ok;

use crate::maildrop::Maildrop;

/// Run STAT.
pub fn execute(m: &Maildrop) -> Vec<u8> {
    let (n, size) = m.stat();
    ok(&format!("{n} {size}"))
}
