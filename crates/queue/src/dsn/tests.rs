//! Reports are parsed back with mail-parser; the delivery-status fields with a small RFC 3464
//! reader below (unfold, split into groups, `Name: value`).

use mail_parser::{Message, MessageParser, MimeHeaders};

use super::*;

const ORIGINAL: &[u8] = b"From: Alice <alice@example.org>\r\n\
To: bob@remote.example\r\n\
Subject: Quarterly figures\r\n\
Message-ID: <q1@example.org>\r\n\
\r\n\
Hello Bob,\r\n\
the figures are attached in spirit.\r\n";

fn failed() -> DsnRecipient {
    DsnRecipient {
        address: "bob@remote.example".into(),
        orcpt: Some("rfc822;Bob@Remote.Example".into()),
        action: Action::Failed,
        status: status_of(550, Some("5.1.1")),
        remote_mta: Some("mx.remote.example".into()),
        diagnostic: Some("550 5.1.1 no such user".into()),
        last_attempt: 1_700_000_100,
        will_retry_until: None,
    }
}

fn delayed() -> DsnRecipient {
    DsnRecipient {
        address: "carol@slow.example".into(),
        orcpt: None,
        action: Action::Delayed,
        status: status_of(451, None),
        remote_mta: Some("mx.slow.example".into()),
        diagnostic: Some("451 try again later".into()),
        last_attempt: 1_700_000_200,
        will_retry_until: Some(1_700_432_000),
    }
}

fn delivered() -> DsnRecipient {
    DsnRecipient {
        address: "dave@ok.example".into(),
        orcpt: None,
        action: Action::Delivered,
        status: "2.0.0".into(),
        remote_mta: Some("mx.ok.example".into()),
        diagnostic: Some("250 2.0.0 queued as 1234".into()),
        last_attempt: 1_700_000_300,
        will_retry_until: None,
    }
}

fn request(recipients: &[DsnRecipient]) -> DsnRequest<'_> {
    DsnRequest {
        reporting_mta: "mail.example.org",
        postmaster: "MAILER-DAEMON@mail.example.org",
        to: "alice@example.org",
        envid: Some("QQ314159"),
        ret_full: true,
        max_full: 1 << 20,
        arrival: 1_700_000_000,
        recipients,
        original: ORIGINAL,
    }
}

/// The three parts of a report, after checking the top-level structure.
fn parts<'a>(msg: &'a Message<'a>) -> [&'a mail_parser::MessagePart<'a>; 3] {
    let ct = msg.content_type().expect("content type");
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("report")));
    assert_eq!(ct.attribute("report-type"), Some("delivery-status"));
    let ids = msg.parts[0].sub_parts().expect("multipart");
    assert_eq!(ids.len(), 3, "a report has exactly three parts");
    [0, 1, 2].map(|i| &msg.parts[ids[i] as usize])
}

fn ctype(part: &mail_parser::MessagePart) -> String {
    let ct = part.content_type().expect("part content type");
    format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""))
}

/// RFC 3464 §2.1: groups separated by blank lines; each a list of unfolded `Name: value`.
fn groups(body: &str) -> Vec<Vec<(String, String)>> {
    let unfolded = body.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded
        .split("\r\n\r\n")
        .filter(|g| !g.trim().is_empty())
        .map(|g| {
            g.split("\r\n")
                .filter(|l| !l.is_empty())
                .map(|l| {
                    let (n, v) = l.split_once(':').expect("a field");
                    (n.to_string(), v.trim().to_string())
                })
                .collect()
        })
        .collect()
}

fn get<'a>(group: &'a [(String, String)], name: &str) -> Option<&'a str> {
    group
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn failure_report_has_three_parts_and_all_fields() {
    let rcpts = [failed(), delayed()];
    let raw = build(&request(&rcpts));
    assert!(
        !raw.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'),
        "CRLF only"
    );
    let msg = MessageParser::default().parse(&raw).expect("parses");
    assert_eq!(msg.subject(), Some(SUBJECT_FAILED));
    let from = msg.from().and_then(|a| a.first()).expect("from");
    assert_eq!(from.name(), Some(FROM_NAME));
    assert_eq!(from.address(), Some("MAILER-DAEMON@mail.example.org"));
    let to = msg.to().and_then(|a| a.first()).expect("to");
    assert_eq!(to.address(), Some("alice@example.org"));
    assert_eq!(
        msg.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-replied")
    );
    assert_eq!(msg.header_raw("MIME-Version").map(str::trim), Some("1.0"));
    assert!(msg.date().is_some());
    assert!(msg.message_id().expect("id").ends_with("@mail.example.org"));

    let [human, status, original] = parts(&msg);
    assert_eq!(ctype(human), "text/plain");
    let text = human.text_contents().expect("text");
    assert!(text.contains("bob@remote.example"), "{text}");
    assert!(
        text.contains("mx.remote.example said: 550 5.1.1 no such user"),
        "{text}"
    );
    assert!(text.contains("carol@slow.example"), "{text}");

    assert_eq!(ctype(status), "message/delivery-status");
    let body = std::str::from_utf8(status.contents()).expect("ascii");
    let g = groups(body);
    assert_eq!(g.len(), 3, "per-message group and two recipients: {body}");
    assert_eq!(get(&g[0], "Original-Envelope-Id"), Some("QQ314159"));
    assert_eq!(get(&g[0], "Reporting-MTA"), Some("dns; mail.example.org"));
    assert_eq!(
        get(&g[0], "Arrival-Date"),
        Some("Tue, 14 Nov 2023 22:13:20 +0000")
    );
    let bob = &g[1];
    assert_eq!(
        get(bob, "Original-Recipient"),
        Some("rfc822; Bob@Remote.Example")
    );
    assert_eq!(
        get(bob, "Final-Recipient"),
        Some("rfc822; bob@remote.example")
    );
    assert_eq!(get(bob, "Action"), Some("failed"));
    assert_eq!(get(bob, "Status"), Some("5.1.1"));
    assert_eq!(get(bob, "Remote-MTA"), Some("dns; mx.remote.example"));
    assert_eq!(
        get(bob, "Diagnostic-Code"),
        Some("smtp; 550 5.1.1 no such user")
    );
    assert!(get(bob, "Last-Attempt-Date").is_some());
    assert_eq!(get(bob, "Will-Retry-Until"), None);
    let carol = &g[2];
    assert_eq!(get(carol, "Original-Recipient"), None);
    assert_eq!(get(carol, "Action"), Some("delayed"));
    assert_eq!(get(carol, "Status"), Some("4.0.0"));
    assert!(get(carol, "Will-Retry-Until").is_some());

    assert_eq!(ctype(original), "message/rfc822");
    let inner = original.message().expect("nested message");
    assert_eq!(inner.subject(), Some("Quarterly figures"));
    assert!(
        original.contents().ends_with(b"in spirit.\r\n"),
        "whole message returned"
    );
}

#[test]
fn headers_only_without_ret_full_or_when_too_large() {
    let rcpts = [failed()];
    let mut req = request(&rcpts);
    req.ret_full = false;
    let too_large = DsnRequest {
        ret_full: true,
        max_full: ORIGINAL.len() - 1,
        ..req
    };
    for req in [req, too_large] {
        let raw = build(&req);
        let msg = MessageParser::default().parse(&raw).expect("parses");
        let [human, _, original] = parts(&msg);
        assert_eq!(ctype(original), "text/rfc822-headers");
        let headers = original.text_contents().expect("text");
        assert!(headers.contains("Subject: Quarterly figures"), "{headers}");
        assert!(!headers.contains("Hello Bob"), "no body: {headers}");
        let text = human.text_contents().expect("text");
        assert!(text.contains("headers"), "{text}");
    }
}

#[test]
fn subject_follows_the_worst_action() {
    let cases = [
        (vec![delivered(), delayed()], SUBJECT_DELAYED),
        (vec![delivered()], SUBJECT_SUCCESS),
        (vec![delivered(), failed(), delayed()], SUBJECT_FAILED),
    ];
    for (rcpts, want) in cases {
        let raw = build(&request(&rcpts));
        let msg = MessageParser::default().parse(&raw).expect("parses");
        assert_eq!(msg.subject(), Some(want));
        let [_, status, _] = parts(&msg);
        let g = groups(std::str::from_utf8(status.contents()).expect("ascii"));
        assert_eq!(g.len(), rcpts.len() + 1);
    }
}

#[test]
fn crlf_in_values_cannot_inject_fields() {
    let mut rcpt = failed();
    rcpt.address = "bob@remote.example\r\nAction: delivered".into();
    rcpt.diagnostic = Some("550-first line\r\n550 second line\r\n\r\nStatus: 2.0.0".into());
    rcpt.remote_mta = Some("mx.remote.example\r\nX-Evil: 1".into());
    let rcpts = [rcpt];
    let mut req = request(&rcpts);
    req.to = "alice@example.org\r\nBcc: victim@example.net";
    req.envid = Some("id\r\n\r\nReporting-MTA: dns; evil");
    let raw = build(&req);
    let msg = MessageParser::default().parse(&raw).expect("parses");
    assert!(msg.header_raw("Bcc").is_none(), "no injected header");
    assert_eq!(msg.to().map(|a| a.iter().count()), Some(1));
    let head = &raw[..raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end")];
    let starts: Vec<&[u8]> = head
        .split(|&b| b == b'\n')
        .map(|l| &l[..l.len().min(4)])
        .collect();
    assert!(!starts.contains(&&b"Bcc:"[..]), "no Bcc line");
    let [_, status, _] = parts(&msg);
    let body = std::str::from_utf8(status.contents()).expect("ascii");
    let g = groups(body);
    assert_eq!(g.len(), 2, "{body}");
    for group in &g {
        let names: Vec<&str> = group.iter().map(|(n, _)| n.as_str()).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "no field twice: {names:?}");
        assert!(!names.contains(&"X-Evil"), "{names:?}");
    }
    assert_eq!(get(&g[1], "Action"), Some("failed"));
    assert_eq!(get(&g[1], "Status"), Some("5.1.1"));
    assert_eq!(
        get(&g[1], "Diagnostic-Code"),
        Some("smtp; 550-first line 550 second line Status: 2.0.0")
    );
}

#[test]
fn long_replies_are_folded_at_spaces_and_unfold_intact() {
    let mut rcpt = failed();
    let reply = format!(
        "550 5.7.1 {}",
        "policy rejection reason ".repeat(12).trim_end()
    );
    rcpt.diagnostic = Some(reply.clone());
    let rcpts = [rcpt];
    let raw = build(&request(&rcpts));
    let msg = MessageParser::default().parse(&raw).expect("parses");
    let [_, status, _] = parts(&msg);
    let body = std::str::from_utf8(status.contents()).expect("ascii");
    assert!(body.split("\r\n").all(|l| l.len() <= 78), "{body}");
    let g = groups(body);
    assert_eq!(
        get(&g[1], "Diagnostic-Code"),
        Some(format!("smtp; {reply}").as_str())
    );

    let [human, _, _] = parts(&msg);
    assert_eq!(human.content_transfer_encoding(), Some("7bit"));
    let text = human.text_contents().expect("text");
    for line in text.lines() {
        assert!(line.len() <= 72, "wrapped: {line:?}");
    }
    let text = text.replace("\r\n", "\n");
    let said = text.split("said: ").nth(1).expect("quoted reply");
    let said = said.split("\n\n").next().expect("its paragraph");
    assert_eq!(said.split_whitespace().collect::<Vec<_>>().join(" "), reply);
}

#[test]
fn utf8_addresses_use_the_global_types() {
    let mut rcpt = failed();
    rcpt.address = "jöran@bücher.example".into();
    rcpt.orcpt = None;
    let rcpts = [rcpt];
    let original = "From: jörg@example.org\r\nSubject: Grüße\r\n\r\nHallo\r\n";
    let mut req = request(&rcpts);
    req.original = original.as_bytes();
    let raw = build(&req);
    let msg = MessageParser::default().parse(&raw).expect("parses");
    let [_, status, returned] = parts(&msg);
    assert_eq!(ctype(status), "message/global-delivery-status");
    let g = groups(std::str::from_utf8(status.contents()).expect("utf-8"));
    assert_eq!(
        get(&g[1], "Final-Recipient"),
        Some("utf-8; jöran@bücher.example")
    );
    assert_eq!(ctype(returned), "message/global");
    assert_eq!(returned.message().and_then(|m| m.subject()), Some("Grüße"));
}

#[test]
fn binary_originals_are_returned_as_headers() {
    let rcpts = [failed()];
    let mut original = ORIGINAL.to_vec();
    original.extend_from_slice(&[0, 1, 2, b'\r', b'\n']);
    let mut req = request(&rcpts);
    req.original = &original;
    let raw = build(&req);
    let msg = MessageParser::default().parse(&raw).expect("parses");
    let [_, _, returned] = parts(&msg);
    assert_eq!(ctype(returned), "text/rfc822-headers");
}

#[test]
fn status_of_keeps_valid_codes_and_derives_the_rest() {
    let cases = [
        (550, Some("5.1.1"), "5.1.1"),
        (550, Some(" 5.7.26 "), "5.7.26"),
        (452, Some("4.2.2"), "4.2.2"),
        (250, Some("2.1.5"), "2.1.5"),
        (550, None, "5.0.0"),
        (421, None, "4.0.0"),
        (250, None, "2.0.0"),
        (550, Some("4.1.1"), "5.0.0"),
        (550, Some("5.1"), "5.0.0"),
        (550, Some("5.1.1.1"), "5.0.0"),
        (550, Some("5.1000.1"), "5.0.0"),
        (550, Some("5.a.1"), "5.0.0"),
        (451, Some("3.1.1"), "4.0.0"),
        (354, None, "5.0.0"),
        (0, None, "5.0.0"),
    ];
    for (code, esc, want) in cases {
        assert_eq!(status_of(code, esc), want, "{code} {esc:?}");
    }
}

#[test]
fn clean_strips_controls_and_limits_length() {
    use super::report::clean;
    assert_eq!(clean("a\r\nb\t c\0d", 100), "a b c d");
    assert_eq!(clean("  \r\n x  ", 100), "x");
    assert_eq!(clean("abcdef", 3), "abc");
    assert_eq!(clean("ab cd", 3), "ab");
    assert_eq!(clean("ééé", 2), "éé");
}

#[test]
fn header_block_ends_after_the_last_field() {
    assert_eq!(
        header_block(b"A: 1\r\nB: 2\r\n\r\nbody"),
        b"A: 1\r\nB: 2\r\n"
    );
    assert_eq!(header_block(b"A: 1\r\n"), b"A: 1\r\n");
    assert_eq!(header_block(b"\r\nbody"), b"");
    assert_eq!(header_block(b"A: 1\n\nbody"), b"A: 1\n");
}
