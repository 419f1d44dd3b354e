//! Table tests for `parse_command`: every command, case, argument errors,
//! message number limits and hostile input.

use heron_proto_pop3::{Command, MAX_COMMAND_LINE, ParseError, parse_command};

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

const DIGEST: &str = "c4c9334bac560ecc979e58001b3e22fb";

#[test]
fn every_command_parses() {
    use Command::*;
    let apop = format!("APOP mrose {DIGEST}");
    check(&[
        (b"USER mrose", Ok(User("mrose".into()))),
        (b"PASS secret", Ok(Pass("secret".into()))),
        (
            apop.as_bytes(),
            Ok(Apop {
                name: "mrose".into(),
                digest: DIGEST.into(),
            }),
        ),
        (b"STAT", Ok(Stat)),
        (b"LIST", Ok(List(None))),
        (b"LIST 2", Ok(List(Some(2)))),
        (b"RETR 1", Ok(Retr(1))),
        (b"DELE 3", Ok(Dele(3))),
        (b"NOOP", Ok(Noop)),
        (b"RSET", Ok(Rset)),
        (b"QUIT", Ok(Quit)),
        (b"TOP 1 10", Ok(Top { msg: 1, lines: 10 })),
        (b"TOP 1 0", Ok(Top { msg: 1, lines: 0 })),
        (b"UIDL", Ok(Uidl(None))),
        (b"UIDL 7", Ok(Uidl(Some(7)))),
        (b"CAPA", Ok(Capa)),
        (b"STLS", Ok(Stls)),
        (
            b"AUTH",
            Ok(Auth {
                mechanism: None,
                initial_response: None,
            }),
        ),
        (
            b"AUTH PLAIN",
            Ok(Auth {
                mechanism: Some("PLAIN".into()),
                initial_response: None,
            }),
        ),
        (
            b"AUTH plain AGJvYgBzZWNyZXQ=",
            Ok(Auth {
                mechanism: Some("PLAIN".into()),
                initial_response: Some("AGJvYgBzZWNyZXQ=".into()),
            }),
        ),
        (
            b"AUTH SCRAM-SHA-256 =",
            Ok(Auth {
                mechanism: Some("SCRAM-SHA-256".into()),
                initial_response: Some("=".into()),
            }),
        ),
    ]);
}

#[test]
fn names_match_keywords() {
    let lines: &[&[u8]] = &[
        b"USER a", b"PASS a", b"STAT", b"LIST", b"RETR 1", b"DELE 1", b"NOOP", b"RSET", b"QUIT",
        b"TOP 1 1", b"UIDL", b"CAPA", b"STLS", b"AUTH",
    ];
    for line in lines {
        let parsed = parse_command(line);
        let keyword = line.split(|&b| b == b' ').next().unwrap_or_default();
        assert_eq!(
            parsed.map(|c| c.name().as_bytes().to_vec()),
            Ok(keyword.to_vec())
        );
    }
    let apop = format!("APOP a {DIGEST}");
    assert_eq!(parse_command(apop.as_bytes()).map(|c| c.name()), Ok("APOP"));
}

#[test]
fn keywords_are_case_insensitive() {
    use Command::*;
    check(&[
        (b"stat", Ok(Stat)),
        (b"StAt", Ok(Stat)),
        (b"retr 4", Ok(Retr(4))),
        (b"Top 2 3", Ok(Top { msg: 2, lines: 3 })),
        (b"user Bob", Ok(User("Bob".into()))),
        (b"pass MiXeD", Ok(Pass("MiXeD".into()))),
        (b"capa", Ok(Capa)),
        (b"stls", Ok(Stls)),
        (b"uIdL", Ok(Uidl(None))),
    ]);
}

#[test]
fn spaces_are_tolerated() {
    use Command::*;
    check(&[
        (b"  STAT", Ok(Stat)),
        (b"STAT   ", Ok(Stat)),
        (b"RETR   5", Ok(Retr(5))),
        (b"TOP  1   2  ", Ok(Top { msg: 1, lines: 2 })),
        (b"USER  bob ", Ok(User("bob".into()))),
        (b"LIST ", Ok(List(None))),
    ]);
}

#[test]
fn pass_keeps_the_rest_of_the_line() {
    use Command::Pass;
    check(&[
        (b"PASS two words", Ok(Pass("two words".into()))),
        (b"PASS  leading", Ok(Pass(" leading".into()))),
        (b"PASS trailing ", Ok(Pass("trailing ".into()))),
        ("PASS p\u{e4}ss".as_bytes(), Ok(Pass("p\u{e4}ss".into()))),
        (b"PASS", Err(ParseError::MissingArgument("password"))),
        (b"PASS ", Err(ParseError::MissingArgument("password"))),
    ]);
}

#[test]
fn missing_arguments() {
    use ParseError::MissingArgument;
    check(&[
        (b"USER", Err(MissingArgument("user name"))),
        (b"USER   ", Err(MissingArgument("user name"))),
        (b"APOP", Err(MissingArgument("mailbox name"))),
        (b"APOP mrose", Err(MissingArgument("digest"))),
        (b"RETR", Err(MissingArgument("message number"))),
        (b"DELE", Err(MissingArgument("message number"))),
        (b"TOP", Err(MissingArgument("message number"))),
        (b"TOP 1", Err(MissingArgument("line count"))),
    ]);
}

#[test]
fn too_many_arguments() {
    use ParseError::TooManyArguments;
    let apop = format!("APOP mrose {DIGEST} extra");
    check(&[
        (b"STAT 1", Err(TooManyArguments("STAT"))),
        (b"NOOP x", Err(TooManyArguments("NOOP"))),
        (b"RSET x", Err(TooManyArguments("RSET"))),
        (b"QUIT now", Err(TooManyArguments("QUIT"))),
        (b"CAPA x", Err(TooManyArguments("CAPA"))),
        (b"STLS x", Err(TooManyArguments("STLS"))),
        (b"LIST 1 2", Err(TooManyArguments("LIST"))),
        (b"UIDL 1 2", Err(TooManyArguments("UIDL"))),
        (b"RETR 1 2", Err(TooManyArguments("RETR"))),
        (b"DELE 1 2", Err(TooManyArguments("DELE"))),
        (b"TOP 1 2 3", Err(TooManyArguments("TOP"))),
        (b"USER bob smith", Err(TooManyArguments("USER"))),
        (apop.as_bytes(), Err(TooManyArguments("APOP"))),
        (b"AUTH PLAIN AAAA BBBB", Err(TooManyArguments("AUTH"))),
    ]);
}

#[test]
fn bad_arguments() {
    use ParseError::BadArgument;
    let msg = Err(BadArgument("message number"));
    let lines = Err(BadArgument("line count"));
    check(&[
        (b"RETR x", msg.clone()),
        (b"RETR +1", msg.clone()),
        (b"RETR -1", msg.clone()),
        (b"RETR 1.0", msg.clone()),
        (b"RETR 0x10", msg.clone()),
        (b"LIST abc", msg.clone()),
        (b"UIDL -2", msg.clone()),
        (b"DELE 1a", msg.clone()),
        (b"TOP x 1", msg.clone()),
        (b"TOP 1 x", lines.clone()),
        (b"TOP 1 -1", lines.clone()),
        (b"TOP 1 +1", lines.clone()),
        (b"APOP mrose short", Err(BadArgument("digest"))),
        (
            b"APOP mrose zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            Err(BadArgument("digest")),
        ),
        (b"AUTH PL@IN", Err(BadArgument("mechanism"))),
        (b"AUTH ABCDEFGHIJKLMNOPQRSTU", Err(BadArgument("mechanism"))),
        (
            b"AUTH PLAIN not*base64",
            Err(BadArgument("initial response")),
        ),
    ]);
}

#[test]
fn apop_digest_is_lower_cased() {
    let line = format!("apop mrose {}", DIGEST.to_ascii_uppercase());
    assert_eq!(
        parse_command(line.as_bytes()),
        Ok(Command::Apop {
            name: "mrose".into(),
            digest: DIGEST.into(),
        })
    );
}

#[test]
fn message_number_limits() {
    use Command::*;
    let msg = Err(ParseError::BadArgument("message number"));
    check(&[
        (b"RETR 0", msg.clone()),
        (b"LIST 0", msg.clone()),
        (b"UIDL 00", msg.clone()),
        (b"TOP 0 1", msg.clone()),
        (b"RETR 007", Ok(Retr(7))),
        (b"RETR 4294967295", Ok(Retr(u32::MAX))),
        (b"RETR 4294967296", msg.clone()),
        (b"DELE 99999999999999999999999", msg.clone()),
        (
            b"TOP 1 4294967295",
            Ok(Top {
                msg: 1,
                lines: u32::MAX,
            }),
        ),
        (
            b"TOP 1 4294967296",
            Err(ParseError::BadArgument("line count")),
        ),
    ]);
}

#[test]
fn unknown_commands() {
    use ParseError::UnknownCommand;
    check(&[
        (b"LAST", Err(UnknownCommand("LAST".into()))),
        (b"last", Err(UnknownCommand("last".into()))),
        (b"XTND XMIT", Err(UnknownCommand("XTND".into()))),
        (b"HELO there", Err(UnknownCommand("HELO".into()))),
        (b"STATS", Err(UnknownCommand("STATS".into()))),
        (b"USER\tbob", Err(UnknownCommand("USER?bob".into()))),
        ("R\u{e9}TR 1".as_bytes(), Err(UnknownCommand("R?TR".into()))),
        (b"\x1b[31m", Err(UnknownCommand("?[31m".into()))),
    ]);
}

#[test]
fn unknown_command_echo_is_bounded() {
    let line = "X".repeat(MAX_COMMAND_LINE);
    match parse_command(line.as_bytes()) {
        Err(ParseError::UnknownCommand(echo)) => {
            assert_eq!(echo.len(), 40);
            assert!(echo.bytes().all(|b| b.is_ascii_graphic()));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn hostile_input() {
    use ParseError::*;
    check(&[
        (b"", Err(Empty)),
        (b"   ", Err(Empty)),
        (b"USER a\0b", Err(NulByte)),
        (b"\0", Err(NulByte)),
        (b"PASS \xff\xfe", Err(InvalidUtf8)),
        (b"\xc3\x28", Err(InvalidUtf8)),
        // NUL is reported before invalid UTF-8.
        (b"\xff\0", Err(NulByte)),
    ]);
}

#[test]
fn overlong_lines_are_rejected_first() {
    let at_limit = format!("PASS {}", "a".repeat(MAX_COMMAND_LINE - 5));
    assert_eq!(at_limit.len(), MAX_COMMAND_LINE);
    assert!(parse_command(at_limit.as_bytes()).is_ok());

    let over = format!("PASS {}", "a".repeat(MAX_COMMAND_LINE - 4));
    assert_eq!(parse_command(over.as_bytes()), Err(ParseError::TooLong));

    // A 1 MB line full of NULs and invalid UTF-8 still reports TooLong.
    let huge = vec![0xffu8; 1 << 20];
    assert_eq!(parse_command(&huge), Err(ParseError::TooLong));
    let nul = vec![0u8; MAX_COMMAND_LINE + 1];
    assert_eq!(parse_command(&nul), Err(ParseError::TooLong));
}

#[test]
fn reply_texts_are_single_short_lines() {
    use ParseError::*;
    let errors = [
        Empty,
        UnknownCommand("LAST".into()),
        MissingArgument("message number"),
        BadArgument("message number"),
        TooManyArguments("STAT"),
        InvalidUtf8,
        NulByte,
        TooLong,
    ];
    for error in errors {
        let text = error.reply_text();
        assert!(!text.is_empty());
        assert!(text.len() < 80, "{text}");
        assert!(text.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
    }
    assert_eq!(
        UnknownCommand("LAST".into()).reply_text(),
        "unknown command LAST"
    );
    assert_eq!(
        BadArgument("message number").reply_text(),
        "invalid message number"
    );
}
