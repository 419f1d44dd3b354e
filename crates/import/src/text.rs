//! Byte-level helpers shared by the readers: CRLF normalisation, a minimal
//! header scanner, flag-list building and file times.
//!
//! Invariants: normalisation only ever inserts a CR before a bare LF; no other
//! byte is changed, added or removed. Header scanning never allocates more
//! than the header block it is given.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Appends `input` to `out`, turning every LF not preceded by CR into CRLF.
pub(crate) fn push_crlf(out: &mut Vec<u8>, input: &[u8]) {
    out.reserve(input.len() + input.len() / 32);
    let mut prev = out.last().copied();
    let mut start = 0;
    for (i, &b) in input.iter().enumerate() {
        if b == b'\n' && prev != Some(b'\r') {
            out.extend_from_slice(&input[start..i]);
            out.extend_from_slice(b"\r\n");
            start = i + 1;
        }
        prev = Some(b);
    }
    out.extend_from_slice(&input[start..]);
}

/// Returns `input` with every bare LF turned into CRLF.
pub(crate) fn to_crlf(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    push_crlf(&mut out, input);
    out
}

/// True for a line that is only a line ending ("\n" or "\r\n").
pub(crate) fn is_empty_line(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// True for a line made only of ASCII whitespace (or nothing at all).
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The header fields of a message: everything before its first empty line
/// (`heron_message::header_block`), or the whole message when it has no body.
pub(crate) fn header_block(message: &[u8]) -> &[u8] {
    heron_message::header_block(message).fields(message)
}

/// The unfolded values of every header called `name` (case-insensitive).
pub(crate) fn header_values(block: &[u8], name: &str) -> Vec<String> {
    heron_message::fields(block)
        .filter(|f| f.is(name))
        .map(|f| f.unfolded())
        .collect()
}

/// True when `word` may be used as an IMAP keyword (an RFC 3501 atom that is
/// not a system flag).
pub(crate) fn is_keyword(word: &str) -> bool {
    !word.is_empty()
        && !word.starts_with('\\')
        && word
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b))
}

/// Adds `flag` to `flags` unless an equal flag (ignoring ASCII case) is there.
pub(crate) fn push_flag(flags: &mut Vec<String>, flag: &str) {
    if !flags.iter().any(|f| f.eq_ignore_ascii_case(flag)) {
        flags.push(flag.to_owned());
    }
}

/// The modification time of `path` as Unix seconds, if the system has one.
pub(crate) fn mtime(path: &Path) -> Option<i64> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    unix_seconds(modified)
}

/// Converts a system time to Unix seconds, negative before 1970.
fn unix_seconds(time: SystemTime) -> Option<i64> {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).ok(),
        Err(before) => i64::try_from(before.duration().as_secs()).ok().map(|s| -s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_normalisation_keeps_existing_crlf() {
        assert_eq!(to_crlf(b"a\nb\r\nc"), b"a\r\nb\r\nc");
        assert_eq!(to_crlf(b"\n\n"), b"\r\n\r\n");
        assert_eq!(to_crlf(b"a\rb"), b"a\rb");
        let mut out = b"x\r".to_vec();
        push_crlf(&mut out, b"\ny\n");
        assert_eq!(out, b"x\r\ny\r\n");
    }

    #[test]
    fn header_scanning_unfolds_and_stops_at_body() {
        let msg = b"Subject: hi\r\nX-Keywords: a,\r\n b\r\n\r\nX-Keywords: no\r\n";
        let block = header_block(msg);
        assert_eq!(header_values(block, "x-keywords"), vec!["a, b"]);
        assert_eq!(header_values(block, "subject"), vec!["hi"]);
        assert!(header_block(b"\r\nbody").is_empty());
    }

    #[test]
    fn keywords_must_be_atoms() {
        assert!(is_keyword("$Label1"));
        assert!(is_keyword("Junk"));
        assert!(!is_keyword("\\Seen"));
        assert!(!is_keyword("a b"));
        assert!(!is_keyword("x(y"));
        assert!(!is_keyword(""));
    }
}
