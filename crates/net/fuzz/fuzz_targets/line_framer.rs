//! Fuzz target: the line framer every line-based session (SMTP, POP3, IMAP) reads client
//! bytes through, fed the input in pieces. Must never panic, never yield a line over its
//! limit or holding a line feed, never buffer much more than its limit without a line
//! ending, and must frame exactly as the whole input split at its line feeds would be.
//!
//! Input: one octet for the limit, one for the piece size, then the stream.

#![no_main]

use heron_net::line::{Framed, LineFramer};
use libfuzzer_sys::fuzz_target;

/// What framing the complete lines of `stream` must give, then whether the unfinished
/// last line is already known to be too long.
fn expected(stream: &[u8], max: usize) -> Vec<Framed> {
    let mut out = Vec::new();
    let mut lines = stream.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if lines.peek().is_none() {
            if line.len() > max + 1 {
                out.push(Framed::TooLong);
            }
            break;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.push(if line.len() > max {
            Framed::TooLong
        } else {
            Framed::Line(line.to_vec())
        });
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [max, piece, stream @ ..] = data else {
        return;
    };
    let max = usize::from(*max);
    let piece = usize::from(*piece).max(1);
    let mut framer = LineFramer::new(max);
    let mut got = Vec::new();
    for chunk in stream.chunks(piece) {
        framer.push(chunk);
        while let Some(framed) = framer.next_line() {
            if let Framed::Line(line) = &framed {
                assert!(line.len() <= max);
                assert!(!line.contains(&b'\n'));
            }
            got.push(framed);
        }
    }
    assert_eq!(got, expected(stream, max));
});
