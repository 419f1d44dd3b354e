//! NOOP (RFC 1939 §5).

use heron_proto_pop3::ok;

/// Run NOOP.
pub fn execute() -> Vec<u8> {
    ok("")
}
