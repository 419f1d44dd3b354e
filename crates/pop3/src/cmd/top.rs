//! TOP (RFC 1939 §7): the headers, the blank line and the first `lines` body lines.

use heron_proto_pop3::{ok, top_slice, write_multiline};
use heron_store::Store;

use crate::cmd::retr::load;
use crate::maildrop::Maildrop;

/// Run TOP.
pub async fn execute(store: &dyn Store, m: &Maildrop, n: u32, lines: u32) -> Vec<u8> {
    match load(store, m, n).await {
        Ok(bytes) => {
            let mut out = ok("top of message follows");
            write_multiline(top_slice(&bytes, lines), &mut out);
            out
        }
        Err(e) => e,
    }
}
