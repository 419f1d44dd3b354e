//! The client side of the wire format: a remote server's replies as the outbound client reads
//! them ([`reply`]) and the extensions its EHLO reply lists ([`Extensions`]). Pure, like the
//! rest of the crate; the connection, TLS and timing are the spool's.

mod extensions;
pub mod reply;

pub use extensions::Extensions;
pub use reply::{MAX_LINE, MAX_LINES, Parsed, Reply, ReplyParser};

/// What the outbound client makes of a server's lines: every complete reply, and for each the
/// EHLO extensions its lines would announce. A malformed line ends the list with its error,
/// as it ends the connection. Used by the fuzz target.
#[doc(hidden)]
pub fn parse_replies_for_fuzzing<'a>(
    lines: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<Result<(Reply, Extensions), String>> {
    let mut parser = ReplyParser::default();
    let mut out = Vec::new();
    for line in lines {
        match parser.push(line) {
            Ok(Some(parsed)) => {
                let ext = Extensions::parse(parsed.lines.get(1..).unwrap_or_default());
                out.push(Ok((parsed.reply, ext)));
            }
            Ok(None) => {}
            Err(e) => {
                out.push(Err(e));
                break;
            }
        }
    }
    out
}
