//! Header-block helpers: end of headers, Received counting, field lookup,
//! and the Received `with` protocol names.

use heron_proto_smtp::{count_received, has_header, received_protocol};

/// Offset of the first body octet, if the message has an empty line.
fn header_end(msg: &[u8]) -> Option<usize> {
    let hb = heron_message::header_block(msg);
    hb.has_separator().then_some(hb.body_start)
}

const MESSAGE: &[u8] = b"Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n\
received : from c\r\n  by d; folded\r\n\
X-Note: Received: not a field\r\n\
RECEIVED:from e\r\n\
Message-ID: <1@example.org>\r\n\
\tReceived: continuation, not a field\r\n\
\r\n\
Received: in the body, ignored\r\n\
Date: also body\r\n";

#[test]
fn header_end_table() {
    let cases: &[(&[u8], Option<usize>)] = &[
        (b"A: b\r\n\r\nbody", Some(8)),
        (b"A: b\n\nbody", Some(6)),
        (b"\r\nbody", Some(2)),
        (b"\n", Some(1)),
        (b"A: b\r\nC: d\r\n\r\n", Some(14)),
        (b"A: b\r\n", None),
        (b"A: b", None),
        (b"", None),
        (b"A: b\r\n \r\nC: d\r\n\r\n", Some(17)),
    ];
    for (msg, expected) in cases {
        assert_eq!(
            header_end(msg),
            *expected,
            "{:?}",
            String::from_utf8_lossy(msg)
        );
    }
    let end = header_end(MESSAGE).expect("has a header block");
    assert!(MESSAGE[end..].starts_with(b"Received: in the body"));
}

#[test]
fn received_counting() {
    assert_eq!(count_received(MESSAGE), 3);
    let end = header_end(MESSAGE).unwrap_or(MESSAGE.len());
    assert_eq!(count_received(&MESSAGE[..end]), 3);
    assert_eq!(count_received(b""), 0);
    assert_eq!(count_received(b"\r\nReceived: x\r\n"), 0);
    assert_eq!(count_received(b"Received-SPF: pass\r\n"), 0);
    assert_eq!(count_received(b"Received: x\nReceived: y\n"), 2);
    let many: Vec<u8> = b"Received: x\r\n".repeat(150);
    assert_eq!(count_received(&many), 150);
}

#[test]
fn header_lookup() {
    assert!(has_header(MESSAGE, "Message-ID"));
    assert!(has_header(MESSAGE, "message-id"));
    assert!(has_header(MESSAGE, "X-Note"));
    assert!(!has_header(MESSAGE, "Date"), "Date is only in the body");
    assert!(!has_header(MESSAGE, "Message"));
    assert!(!has_header(b"", "Date"));
    assert!(has_header(b"Date : Mon\r\n", "Date"));
}

#[test]
fn received_protocol_names() {
    // (ehlo, tls, authenticated, smtputf8)
    let cases = [
        ((false, true, true, true), "SMTP"),
        ((true, false, false, false), "ESMTP"),
        ((true, false, true, false), "ESMTPA"),
        ((true, true, false, false), "ESMTPS"),
        ((true, true, true, false), "ESMTPSA"),
        ((true, false, false, true), "UTF8SMTP"),
        ((true, false, true, true), "UTF8SMTPA"),
        ((true, true, false, true), "UTF8SMTPS"),
        ((true, true, true, true), "UTF8SMTPSA"),
    ];
    for ((ehlo, tls, auth, utf8), expected) in cases {
        assert_eq!(received_protocol(ehlo, tls, auth, utf8), expected);
    }
}
