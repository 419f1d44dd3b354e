//! Table tests for `parse_command`: every command, case, argument errors,
//! line limits and hostile octets.

use heron_proto_smtp::{
    Command, MAX_ACCEPTED_LINE, MAX_AUTH_LINE, MailParams, Mailbox, ParseError, Path, RcptParams,
    parse_command,
};

fn check(cases: &[(&[u8], Result<Command, ParseError>)]) {
    for (line, expected) in cases {
        assert_eq!(
            &parse_command(line),
            expected,
            "input {:?}",
            String::from_utf8_lossy(line)
        );
    }
}

fn mailbox(local: &str, domain: &str) -> Path {
    Path::Mailbox(Mailbox {
        local: local.into(),
        domain: domain.into(),
        quoted: false,
        source_route: false,
    })
}

#[test]
fn every_command_parses() {
    use Command::*;
    check(&[
        (
            b"EHLO client.example.org",
            Ok(Ehlo("client.example.org".into())),
        ),
        (b"HELO client", Ok(Helo("client".into()))),
        (b"EHLO [192.0.2.1]", Ok(Ehlo("[192.0.2.1]".into()))),
        (
            b"MAIL FROM:<alice@example.org>",
            Ok(Mail {
                from: mailbox("alice", "example.org"),
                params: MailParams::default(),
            }),
        ),
        (
            b"MAIL FROM:<>",
            Ok(Mail {
                from: Path::Null,
                params: MailParams::default(),
            }),
        ),
        (
            b"RCPT TO:<Bob@Example.ORG>",
            Ok(Rcpt {
                to: mailbox("Bob", "example.org"),
                params: RcptParams::default(),
            }),
        ),
        (
            b"RCPT TO:<postmaster>",
            Ok(Rcpt {
                to: Path::Postmaster,
                params: RcptParams::default(),
            }),
        ),
        (
            b"RCPT TO:<PostMaster>",
            Ok(Rcpt {
                to: Path::Postmaster,
                params: RcptParams::default(),
            }),
        ),
        (b"DATA", Ok(Data)),
        (
            b"BDAT 100",
            Ok(Bdat {
                size: 100,
                last: false,
            }),
        ),
        (
            b"BDAT 0 LAST",
            Ok(Bdat {
                size: 0,
                last: true,
            }),
        ),
        (
            b"bdat 42 last",
            Ok(Bdat {
                size: 42,
                last: true,
            }),
        ),
        (
            b"BDAT 18446744073709551615 LAST",
            Ok(Bdat {
                size: u64::MAX,
                last: true,
            }),
        ),
        (b"RSET", Ok(Rset)),
        (b"NOOP", Ok(Noop)),
        (b"NOOP anything at all", Ok(Noop)),
        (b"QUIT", Ok(Quit)),
        (b"HELP", Ok(Help(None))),
        (b"HELP MAIL", Ok(Help(Some("MAIL".into())))),
        (b"VRFY alice", Ok(Vrfy("alice".into()))),
        (b"VRFY Alice Smith", Ok(Vrfy("Alice Smith".into()))),
        (b"EXPN staff", Ok(Expn("staff".into()))),
        (b"STARTTLS", Ok(StartTls)),
        (
            b"AUTH PLAIN",
            Ok(Auth {
                mechanism: "PLAIN".into(),
                initial: None,
            }),
        ),
        (
            b"AUTH plain AGFsaWNlAHNlY3JldA==",
            Ok(Auth {
                mechanism: "PLAIN".into(),
                initial: Some("AGFsaWNlAHNlY3JldA==".into()),
            }),
        ),
        (
            b"AUTH PLAIN =",
            Ok(Auth {
                mechanism: "PLAIN".into(),
                initial: Some("=".into()),
            }),
        ),
        (
            b"AUTH SCRAM-SHA-256",
            Ok(Auth {
                mechanism: "SCRAM-SHA-256".into(),
                initial: None,
            }),
        ),
    ]);
}

#[test]
fn keywords_are_case_insensitive_and_spaces_tolerated() {
    use Command::*;
    check(&[
        (b"ehlo x", Ok(Ehlo("x".into()))),
        (b"QuIt", Ok(Quit)),
        (b"data ", Ok(Data)),
        (b"  RSET  ", Ok(Rset)),
        (b"starttls", Ok(StartTls)),
        (
            b"mail from:<a@b.c>",
            Ok(Mail {
                from: mailbox("a", "b.c"),
                params: MailParams::default(),
            }),
        ),
        (
            b"MAIL FROM: <a@b.c>",
            Ok(Mail {
                from: mailbox("a", "b.c"),
                params: MailParams::default(),
            }),
        ),
        (
            b"RCPT  TO:<a@b.c>  ",
            Ok(Rcpt {
                to: mailbox("a", "b.c"),
                params: RcptParams::default(),
            }),
        ),
    ]);
}

#[test]
fn argument_errors() {
    use ParseError::*;
    check(&[
        (b"", Err(Empty)),
        (b"   ", Err(Empty)),
        (b"EHLO", Err(Syntax("EHLO domain"))),
        (b"EHLO a b", Err(Syntax("EHLO domain"))),
        (b"HELO", Err(Syntax("HELO domain"))),
        (b"DATA now", Err(Syntax("DATA"))),
        (b"RSET x", Err(Syntax("RSET"))),
        (b"QUIT please", Err(Syntax("QUIT"))),
        (b"STARTTLS x", Err(Syntax("STARTTLS"))),
        (b"VRFY", Err(Syntax("VRFY string"))),
        (b"EXPN", Err(Syntax("EXPN string"))),
        (b"BDAT", Err(Syntax("BDAT chunk-size [LAST]"))),
        (b"BDAT x", Err(Syntax("BDAT chunk-size [LAST]"))),
        (b"BDAT -1", Err(Syntax("BDAT chunk-size [LAST]"))),
        (b"BDAT 10 FIRST", Err(Syntax("BDAT chunk-size [LAST]"))),
        (b"BDAT 10 LAST x", Err(Syntax("BDAT chunk-size [LAST]"))),
        (
            b"BDAT 18446744073709551616",
            Err(Syntax("BDAT chunk-size [LAST]")),
        ),
        (
            b"BDAT 99999999999999999999",
            Err(Syntax("BDAT chunk-size [LAST]")),
        ),
        (b"AUTH", Err(Syntax("AUTH mechanism [initial-response]"))),
        (
            b"AUTH PLAIN abc def",
            Err(Syntax("AUTH mechanism [initial-response]")),
        ),
        (
            b"AUTH PLAIN a*b",
            Err(Syntax("AUTH mechanism [initial-response]")),
        ),
        (
            b"AUTH ABCDEFGHIJKLMNOPQRSTU",
            Err(Syntax("AUTH mechanism [initial-response]")),
        ),
        (
            b"AUTH PL@IN",
            Err(Syntax("AUTH mechanism [initial-response]")),
        ),
        (b"MAIL", Err(Syntax("MAIL FROM:<address> [parameters]"))),
        (
            b"MAIL TO:<a@b.c>",
            Err(Syntax("MAIL FROM:<address> [parameters]")),
        ),
        (
            b"MAIL FROM:a@b.c",
            Err(Syntax("MAIL FROM:<address> [parameters]")),
        ),
        (
            b"MAIL FROM:<a@b.c",
            Err(Syntax("MAIL FROM:<address> [parameters]")),
        ),
        (
            b"MAIL FROM:<a@b.c>SIZE=1",
            Err(Syntax("MAIL FROM:<address> [parameters]")),
        ),
        (b"RCPT", Err(Syntax("RCPT TO:<address> [parameters]"))),
        (
            b"RCPT FROM:<a@b.c>",
            Err(Syntax("RCPT TO:<address> [parameters]")),
        ),
        (
            b"RCPT TO <a@b.c>",
            Err(Syntax("RCPT TO:<address> [parameters]")),
        ),
    ]);
}

#[test]
fn unknown_commands_are_echoed_safely() {
    use ParseError::*;
    check(&[
        (b"LHLO x", Err(UnknownCommand("LHLO".into()))),
        (b"ETRN example.org", Err(UnknownCommand("ETRN".into()))),
        (b"TURN", Err(UnknownCommand("TURN".into()))),
        (
            b"MAILFROM:<a@b>",
            Err(UnknownCommand("MAILFROM:<a@b>".into())),
        ),
        (b"GET / HTTP/1.1", Err(UnknownCommand("GET".into()))),
    ]);
    let long = vec![b'X'; 100];
    let Err(UnknownCommand(echo)) = parse_command(&long) else {
        panic!("expected an unknown command");
    };
    assert_eq!(echo.len(), 40);
}

#[test]
fn hostile_octets_are_refused() {
    use ParseError::*;
    check(&[
        (b"NOOP\0", Err(NulByte)),
        (b"MAIL FROM:<a\0@b.c>", Err(NulByte)),
        (b"\0", Err(NulByte)),
        (b"NOOP\tx", Err(ControlCharacter)),
        (b"RSET\r", Err(ControlCharacter)),
        (b"DATA\nQUIT", Err(ControlCharacter)),
        (b"NOOP \x7f", Err(ControlCharacter)),
        (b"EHLO h\xc3\xa9te", Err(EightBit)),
        (b"VRFY \xc3\xa9", Err(EightBit)),
        (b"HELP \xff", Err(EightBit)),
        (b"AUTH PLAIN \xc3\xa9", Err(EightBit)),
        (b"MAIL FROM:<a@b.c> ENVID=\xc3\xa9", Err(EightBit)),
        (b"MAIL FROM:<\xff@b.c> SMTPUTF8", Err(EightBit)),
        (b"RCPT TO:<\xc3@b.c>", Err(EightBit)),
        (b"\xc3\xa9HLO x", Err(UnknownCommand("??HLO".into()))),
    ]);
}

#[test]
fn utf8_paths_need_smtputf8_in_mail_only() {
    let Ok(Command::Mail { from, params }) =
        parse_command("MAIL FROM:<josé@exämple.org> SMTPUTF8".as_bytes())
    else {
        panic!("UTF-8 sender with SMTPUTF8 must parse");
    };
    assert!(params.smtputf8);
    assert_eq!(from, mailbox("josé", "exämple.org"));
    assert!(!from.is_ascii());
    assert_eq!(
        parse_command("MAIL FROM:<josé@example.org>".as_bytes()),
        Err(ParseError::NonAsciiAddress)
    );
    // RCPT cannot know the transaction's SMTPUTF8 flag: the session checks.
    let Ok(Command::Rcpt { to, .. }) = parse_command("RCPT TO:<用户@例子.广告>".as_bytes())
    else {
        panic!("UTF-8 recipient must parse");
    };
    assert!(!to.is_ascii());
}

#[test]
fn line_limits() {
    let limit = MAX_ACCEPTED_LINE - 2;
    let mut line = b"NOOP ".to_vec();
    line.resize(limit, b'a');
    assert_eq!(parse_command(&line), Ok(Command::Noop));
    line.push(b'a');
    assert_eq!(parse_command(&line), Err(ParseError::TooLong));

    // AUTH lines may reach 12288 octets (RFC 4954 §4).
    let mut auth = b"AUTH GSSAPI ".to_vec();
    auth.resize(MAX_AUTH_LINE - 2, b'A');
    assert!(matches!(parse_command(&auth), Ok(Command::Auth { .. })));
    auth.push(b'A');
    assert_eq!(parse_command(&auth), Err(ParseError::TooLong));

    // Length is checked before anything else.
    let junk = vec![0u8; MAX_AUTH_LINE];
    assert_eq!(parse_command(&junk), Err(ParseError::TooLong));
}

#[test]
fn command_names() {
    for (line, name) in [
        (&b"EHLO x"[..], "EHLO"),
        (b"HELO x", "HELO"),
        (b"MAIL FROM:<>", "MAIL"),
        (b"RCPT TO:<a@b>", "RCPT"),
        (b"DATA", "DATA"),
        (b"BDAT 1", "BDAT"),
        (b"RSET", "RSET"),
        (b"NOOP", "NOOP"),
        (b"QUIT", "QUIT"),
        (b"HELP", "HELP"),
        (b"VRFY x", "VRFY"),
        (b"EXPN x", "EXPN"),
        (b"STARTTLS", "STARTTLS"),
        (b"AUTH LOGIN", "AUTH"),
    ] {
        assert_eq!(parse_command(line).map(|c| c.name()), Ok(name));
    }
}
