//! Tests for multi-line bodies (dot-stuffing, CRLF normalisation) and TOP.

use heron_proto_pop3::{top_slice, write_multiline};

fn multiline(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_multiline(body, &mut out);
    out
}

#[test]
fn dot_stuffing_and_line_endings() {
    let cases: &[(&[u8], &[u8])] = &[
        (b"", b".\r\n"),
        (b".", b"..\r\n.\r\n"),
        (b".\r\n", b"..\r\n.\r\n"),
        (b"..x\r\n", b"...x\r\n.\r\n"),
        (b"a\r\n.\r\nb\r\n", b"a\r\n..\r\nb\r\n.\r\n"),
        (b"no final newline", b"no final newline\r\n.\r\n"),
        (b"a\r\nlast", b"a\r\nlast\r\n.\r\n"),
        (b"bare\nlf\n", b"bare\r\nlf\r\n.\r\n"),
        (b"bare\n.\nlf", b"bare\r\n..\r\nlf\r\n.\r\n"),
        (b"mixed\r\nends\nhere", b"mixed\r\nends\r\nhere\r\n.\r\n"),
        (b"old\rmac\r", b"old\r\nmac\r\n.\r\n"),
        (b"a\r.\r\n", b"a\r\n..\r\n.\r\n"),
        (b"\r\n", b"\r\n.\r\n"),
        (b"\n\n", b"\r\n\r\n.\r\n"),
        (b"x.y\r\n .z\r\n", b"x.y\r\n .z\r\n.\r\n"),
    ];
    for (body, expected) in cases {
        assert_eq!(
            multiline(body),
            *expected,
            "body {:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn write_multiline_appends() {
    let mut out = b"+OK\r\n".to_vec();
    write_multiline(b"x", &mut out);
    assert_eq!(out, b"+OK\r\nx\r\n.\r\n");
}

const CRLF_MSG: &[u8] = b"From: a\r\nSubject: b\r\n\r\nline1\r\nline2\r\nline3\r\n";
const LF_MSG: &[u8] = b"From: a\nSubject: b\n\nline1\nline2\nline3\n";

#[test]
fn top_with_crlf() {
    assert_eq!(top_slice(CRLF_MSG, 0), b"From: a\r\nSubject: b\r\n\r\n");
    assert_eq!(
        top_slice(CRLF_MSG, 2),
        b"From: a\r\nSubject: b\r\n\r\nline1\r\nline2\r\n"
    );
    assert_eq!(top_slice(CRLF_MSG, 3), CRLF_MSG);
    assert_eq!(top_slice(CRLF_MSG, 100), CRLF_MSG);
    assert_eq!(top_slice(CRLF_MSG, u32::MAX), CRLF_MSG);
}

#[test]
fn top_with_bare_lf() {
    assert_eq!(top_slice(LF_MSG, 0), b"From: a\nSubject: b\n\n");
    assert_eq!(top_slice(LF_MSG, 1), b"From: a\nSubject: b\n\nline1\n");
    assert_eq!(top_slice(LF_MSG, 50), LF_MSG);
}

#[test]
fn top_edge_cases() {
    let cases: &[(&[u8], u32, &[u8])] = &[
        // No blank line: the whole message is header.
        (
            b"From: a\r\nSubject: b\r\n",
            0,
            b"From: a\r\nSubject: b\r\n",
        ),
        (b"From: a\r\nSubject: b", 5, b"From: a\r\nSubject: b"),
        (b"", 0, b""),
        (b"", 3, b""),
        // Empty header block.
        (b"\r\nbody\r\nmore\r\n", 0, b"\r\n"),
        (b"\r\nbody\r\nmore\r\n", 1, b"\r\nbody\r\n"),
        // Last body line without terminator still counts.
        (b"H: v\n\nonly", 1, b"H: v\n\nonly"),
        (b"H: v\n\nfirst\nsecond", 1, b"H: v\n\nfirst\n"),
        // Blank body lines count as lines.
        (b"H: v\r\n\r\n\r\n\r\nx\r\n", 2, b"H: v\r\n\r\n\r\n\r\n"),
        // Mixed endings around the separator.
        (b"H: v\r\n\nbody\n", 0, b"H: v\r\n\n"),
        (b"H: v\n\r\nbody\n", 0, b"H: v\n\r\n"),
        // Header and blank line, nothing after.
        (b"H: v\r\n\r\n", 4, b"H: v\r\n\r\n"),
    ];
    for (message, lines, expected) in cases {
        assert_eq!(
            top_slice(message, *lines),
            *expected,
            "message {:?} lines {lines}",
            String::from_utf8_lossy(message)
        );
    }
}
