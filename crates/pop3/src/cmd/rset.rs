//! RSET (RFC 1939 §5): unmark every message marked deleted.

use heron_proto_pop3::ok;

use crate::maildrop::Maildrop;

/// Run RSET.
pub fn execute(m: &mut Maildrop) -> Vec<u8> {
    m.deleted.iter_mut().for_each(|d| *d = false);
    let (n, size) = m.stat();
    ok(&format!("maildrop has {n} messages ({size} octets)"))
}
