//! TOP (RFC 1939 §7): the headers, the blank line and the first `lines` body lines.

use heron_proto_pop3::{ok, top_slice, write_multiline};

use crate::cmd::retr::load;
use crate::session::{Flow, Session, reply};

/// Run TOP.
pub async fn execute(s: &mut Session<'_>, n: u32, lines: u32) -> Flow {
    let out = match load(s, n).await {
        Ok(bytes) => {
            let mut out = ok("top of message follows");
            write_multiline(top_slice(&bytes, lines), &mut out);
            out
        }
        Err(e) => e,
    };
    reply(s, &out, Flow::Continue).await
}
