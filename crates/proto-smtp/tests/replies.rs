//! Reply serialising: single and multi-line format, enhanced codes, text
//! sanitising, the EHLO reply and the named constants.

use heron_proto_smtp::reply::{self, MAX_REPLY_LINE, Reply, ehlo_reply, greeting, helo_reply};
use heron_proto_smtp::{ParseError, parse_command};

fn wire(reply: &Reply) -> String {
    String::from_utf8(reply.to_bytes()).expect("replies are ASCII")
}

#[test]
fn single_line_replies() {
    let cases: &[(Reply, &str)] = &[
        (reply::OK, "250 2.0.0 OK\r\n"),
        (reply::SENDER_OK, "250 2.1.0 Sender OK\r\n"),
        (reply::RECIPIENT_OK, "250 2.1.5 Recipient OK\r\n"),
        (reply::CLOSING, "221 2.0.0 Bye\r\n"),
        (reply::START_DATA, "354 End data with <CR><LF>.<CR><LF>\r\n"),
        (reply::AUTH_CONTINUE, "334 \r\n"),
        (reply::AUTH_OK, "235 2.7.0 Authentication successful\r\n"),
        (reply::ENCRYPTION_REQUIRED.with_text(""), "538 5.7.11\r\n"),
        (reply::LINE_TOO_LONG, "500 5.5.6 Line too long\r\n"),
        (reply::RELAY_DENIED, "550 5.7.1 Relaying denied\r\n"),
        (reply::TOO_MANY_HOPS.with_text("Loop"), "554 5.4.6 Loop\r\n"),
        (
            reply::AUTH_CONTINUE.with_text("VXNlcm5hbWU6"),
            "334 VXNlcm5hbWU6\r\n",
        ),
        (
            reply::SERVICE_READY.with_text("mx ESMTP"),
            "220 mx ESMTP\r\n",
        ),
    ];
    for (reply, expected) in cases {
        assert_eq!(wire(reply), *expected);
    }
}

#[test]
fn multi_line_replies_repeat_code_and_enhanced_code() {
    let reply = reply::HELP.with_text("Commands:\nEHLO MAIL RCPT\r\nDATA QUIT");
    assert_eq!(
        wire(&reply),
        "214-2.0.0 Commands:\r\n214-2.0.0 EHLO MAIL RCPT\r\n214 2.0.0 DATA QUIT\r\n"
    );
    // Empty lines are dropped; a trailing newline adds nothing.
    let reply = reply::OK.with_text("a\n\n\nb\n");
    assert_eq!(wire(&reply), "250-2.0.0 a\r\n250 2.0.0 b\r\n");
}

#[test]
fn caller_text_cannot_inject_or_overflow() {
    let reply = reply::NO_SUCH_USER.with_text("x\r\n250 2.0.0 fake\0\x07é");
    let text = wire(&reply);
    assert_eq!(text, "550-5.1.1 x\r\n550 5.1.1 250 2.0.0 fake???\r\n");
    let long = reply::OK.with_text("y".repeat(2000));
    let bytes = long.to_bytes();
    assert_eq!(bytes.len(), MAX_REPLY_LINE);
    assert!(bytes.ends_with(b"yy\r\n"));
    for line in wire(&reply::OK.with_text("z".repeat(600) + "\n" + &"w".repeat(600)))
        .split_inclusive("\r\n")
    {
        assert!(line.len() <= MAX_REPLY_LINE);
    }
}

#[test]
fn codes_are_normalised() {
    // Enhanced class follows the basic code; 3xx gets none; bad codes fall
    // back to 451.
    let mismatched = Reply::new(250, Some((5, 1, 1)), "x");
    assert_eq!(wire(&mismatched), "250 2.1.1 x\r\n");
    let intermediate = Reply::new(354, Some((2, 0, 0)), "go");
    assert_eq!(wire(&intermediate), "354 go\r\n");
    let bogus = Reply::new(99, None, "?");
    assert_eq!(wire(&bogus), "451 ?\r\n");
    let huge = Reply::new(250, Some((2, 5000, 1)), "");
    assert_eq!(wire(&huge), "250 2.999.1\r\n");
}

#[test]
fn ehlo_helo_and_greeting() {
    let reply = ehlo_reply(
        "mx.example.org",
        "Hello client",
        &[
            "PIPELINING",
            "SIZE 31457280",
            "",
            "8BITMIME",
            "AUTH PLAIN\r\nEVIL",
        ],
    );
    assert_eq!(
        wire(&reply),
        "250-mx.example.org Hello client\r\n250-PIPELINING\r\n250-SIZE 31457280\r\n\
         250-8BITMIME\r\n250 AUTH PLAIN  EVIL\r\n"
    );
    assert_eq!(wire(&ehlo_reply("mx", "", &[])), "250 mx\r\n");
    assert_eq!(wire(&helo_reply("mx\nx")), "250 mx x\r\n");
    assert_eq!(
        wire(&greeting("mx.example.org", "ESMTP Heron")),
        "220 mx.example.org ESMTP Heron\r\n"
    );
}

#[test]
fn helpers_and_display() {
    assert!(reply::OK.is_positive());
    assert!(reply::START_DATA.is_positive());
    assert!(reply::MAILBOX_BUSY.is_transient());
    assert!(reply::NO_SUCH_USER.is_permanent());
    assert_eq!(
        reply::CLOSING.append("mx.example.org").text,
        "Bye mx.example.org"
    );
    assert_eq!(
        reply::OK.with_text("a\nb").to_string(),
        "250-2.0.0 a / 250 2.0.0 b"
    );
}

/// An RFC 3463 enhanced status code.
type Enhanced = (u8, u16, u16);

#[test]
fn named_replies_have_documented_codes() {
    let table: &[(Reply, u16, Option<Enhanced>)] = &[
        (reply::SERVICE_READY, 220, None),
        (reply::READY_TLS, 220, Some((2, 0, 0))),
        (reply::VRFY_DISABLED, 252, Some((2, 5, 0))),
        (reply::HELP, 214, Some((2, 0, 0))),
        (reply::SERVICE_UNAVAILABLE, 421, Some((4, 3, 2))),
        (reply::TOO_MANY_CONNECTIONS, 421, Some((4, 7, 0))),
        (reply::LOCAL_ERROR, 451, Some((4, 3, 0))),
        (reply::INSUFFICIENT_STORAGE, 452, Some((4, 3, 1))),
        (reply::QUOTA_EXCEEDED, 452, Some((4, 2, 2))),
        (reply::TOO_MANY_RECIPIENTS, 452, Some((4, 5, 3))),
        (reply::SYNTAX_ERROR, 500, Some((5, 5, 2))),
        (reply::PARAM_SYNTAX, 501, Some((5, 5, 4))),
        (reply::NOT_IMPLEMENTED, 502, Some((5, 5, 1))),
        (reply::BAD_SEQUENCE, 503, Some((5, 5, 1))),
        (reply::PARAM_NOT_IMPLEMENTED, 504, Some((5, 5, 4))),
        (reply::AUTH_REQUIRED, 530, Some((5, 7, 0))),
        (reply::AUTH_FAILED, 535, Some((5, 7, 8))),
        (reply::SENDER_BLOCKED, 550, Some((5, 7, 1))),
        (reply::MAILBOX_DISABLED, 550, Some((5, 2, 1))),
        (reply::MESSAGE_TOO_BIG, 552, Some((5, 3, 4))),
        (reply::BAD_ADDRESS_SYNTAX, 553, Some((5, 1, 3))),
        (reply::NON_ASCII_ADDRESS, 553, Some((5, 6, 7))),
        (reply::TRANSACTION_FAILED, 554, Some((5, 0, 0))),
        (reply::PARAMS_NOT_RECOGNIZED, 555, Some((5, 5, 4))),
    ];
    for (reply, code, enhanced) in table {
        assert_eq!((reply.code, reply.enhanced), (*code, *enhanced), "{reply}");
    }
}

#[test]
fn parse_errors_map_to_replies() {
    let cases: &[(&[u8], u16, Enhanced)] = &[
        (b"FOO", 500, (5, 5, 2)),
        (b"", 500, (5, 5, 2)),
        (b"NOOP\0", 500, (5, 5, 2)),
        (b"EHLO \xc3\xa9", 500, (5, 5, 2)),
        (b"EHLO", 501, (5, 5, 4)),
        (b"MAIL FROM:<a@b> SIZE=x", 501, (5, 5, 4)),
        (b"MAIL FROM:<a@b> FOO=1", 555, (5, 5, 4)),
        (b"RCPT TO:<a@b@c>", 553, (5, 1, 3)),
        ("MAIL FROM:<é@b>".as_bytes(), 553, (5, 6, 7)),
    ];
    for (line, code, enhanced) in cases {
        let error = parse_command(line).expect_err("must fail");
        let reply = error.reply();
        assert_eq!(
            (reply.code, reply.enhanced),
            (*code, Some(*enhanced)),
            "{error}"
        );
        assert_eq!(reply.text, error.to_string());
    }
    let too_long = vec![b'a'; 3000];
    assert_eq!(parse_command(&too_long), Err(ParseError::TooLong));
    assert_eq!(ParseError::TooLong.reply().enhanced, Some((5, 5, 6)));
}
