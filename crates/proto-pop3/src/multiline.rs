//! Multi-line response bodies (RFC 1939 §3) and the TOP extract (§7).
//!
//! A line ends at CRLF, at a bare LF, or at a bare CR; the same rule is used
//! for writing and for TOP's body lines so both agree on where lines are. The
//! header block ends at the first empty line as `heron_message` finds it.
//!
//! Invariants of [`write_multiline`] output: every line ends in CRLF, no
//! bare CR or LF remains, no line other than the final one consists of a
//! single `"."`, and the output always ends with `".\r\n"`.
//! [`top_slice`] always returns a prefix of its input.

/// Finds the end of the line starting at `start`.
///
/// Returns `(content_end, next_start)`: the index of the terminator and the
/// index just after it. `None` when the line has no terminator.
fn line_end(buf: &[u8], start: usize) -> Option<(usize, usize)> {
    let offset = buf
        .get(start..)?
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')?;
    let end = start + offset;
    let crlf = buf.get(end) == Some(&b'\r') && buf.get(end + 1) == Some(&b'\n');
    Some((end, if crlf { end + 2 } else { end + 1 }))
}

/// Multi-line response body (RFC 1939 §3): append `body` to `out` with every
/// line ending normalised to CRLF, lines starting with `'.'` byte-stuffed, a
/// final CRLF added if the body does not end with a line ending, then
/// `".\r\n"`. An empty body yields only `".\r\n"`.
pub fn write_multiline(body: &[u8], out: &mut Vec<u8>) {
    // Room for the body, some stuffing and normalisation, and the terminator.
    out.reserve(body.len() + body.len() / 16 + 5);
    let mut start = 0;
    while let Some(rest) = body.get(start..).filter(|r| !r.is_empty()) {
        // RFC 1939 §3: a line beginning with the termination octet is
        // byte-stuffed with one more '.'.
        if rest.first() == Some(&b'.') {
            out.push(b'.');
        }
        match line_end(body, start) {
            Some((end, next)) => {
                out.extend_from_slice(body.get(start..end).unwrap_or_default());
                start = next;
            }
            None => {
                out.extend_from_slice(rest);
                start = body.len();
            }
        }
        // RFC 1939 §3: each line of a multi-line response ends with CRLF.
        out.extend_from_slice(b"\r\n");
    }
    // RFC 1939 §3: the response ends with a line holding only ".".
    out.extend_from_slice(b".\r\n");
}

/// Index just after the blank line that separates header and body, or
/// `None` when the message has no such line (`heron_message::header_block`,
/// the rule every part of the server uses).
fn body_start(message: &[u8]) -> Option<usize> {
    let block = heron_message::header_block(message);
    block.has_separator().then_some(block.body_start)
}

/// For TOP (RFC 1939 §7): the header block, the blank line, and at most
/// `lines` lines of the body, as a prefix of `message`.
///
/// Works with CRLF or bare-LF messages. A message with no blank line is all
/// header, so it is returned whole.
pub fn top_slice(message: &[u8], lines: u32) -> &[u8] {
    let Some(mut pos) = body_start(message) else {
        return message;
    };
    for _ in 0..lines {
        if pos >= message.len() {
            break;
        }
        // A final line without terminator still counts as a line.
        pos = line_end(message, pos).map_or(message.len(), |(_, next)| next);
    }
    message.get(..pos).unwrap_or(message)
}
