//! Property-style tests: deterministic pseudo-random inputs must never make
//! the parser, the body readers, the header helpers or the reply writer
//! panic, and their outputs must keep the documented invariants.

use heron_proto_smtp::reply::{MAX_REPLY_LINE, Reply};
use heron_proto_smtp::{
    BareNewline, ChunkReader, Command, DataReader, Feed, MAX_ACCEPTED_LINE, MAX_AUTH_LINE,
    ParseError, Path, count_received, has_header, parse_command,
};

/// xorshift64*: small, deterministic, good enough to spread inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[0]
    }
}

const TOKENS: &[&[u8]] = &[
    b"EHLO",
    b"HELO",
    b"MAIL",
    b"RCPT",
    b"DATA",
    b"BDAT",
    b"RSET",
    b"NOOP",
    b"QUIT",
    b"HELP",
    b"VRFY",
    b"EXPN",
    b"STARTTLS",
    b"AUTH",
    b"LAST",
    b"PLAIN",
    b"FROM:",
    b"TO:",
    b" ",
    b"  ",
    b"<",
    b">",
    b"<>",
    b"@",
    b"\"",
    b"\\",
    b",",
    b":",
    b";",
    b"%",
    b"!",
    b".",
    b"[",
    b"]",
    b"IPv6:",
    b"::1",
    b"192.0.2.1",
    b"user",
    b"example.org",
    b"postmaster",
    b"SIZE=",
    b"BODY=",
    b"8BITMIME",
    b"BINARYMIME",
    b"SMTPUTF8",
    b"RET=",
    b"FULL",
    b"ENVID=",
    b"AUTH=",
    b"NOTIFY=",
    b"NEVER",
    b"SUCCESS,",
    b"ORCPT=",
    b"rfc822;",
    b"+2B",
    b"+0A",
    b"+",
    b"=",
    b"0",
    b"42",
    b"18446744073709551616",
    b"\r",
    b"\n",
    b"\r\n",
    b"\0",
    b"\t",
    b"\xff",
    b"\xc3\xa9",
    b"\xe2\x82",
    b"\xf0\x9f\x93\xa7",
];

fn token_soup(rng: &mut Rng, count: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..count {
        let token = TOKENS[rng.below(TOKENS.len())];
        for &b in token {
            let flip = rng.below(4) == 0 && b.is_ascii_alphabetic();
            out.push(if flip { b ^ 0x20 } else { b });
        }
    }
    out
}

fn generate(rng: &mut Rng) -> Vec<u8> {
    match rng.below(20) {
        // Lines around the length limits.
        0 => {
            let limit = if rng.below(2) == 0 {
                MAX_ACCEPTED_LINE
            } else {
                MAX_AUTH_LINE
            };
            let mut out = if rng.below(2) == 0 {
                b"AUTH X ".to_vec()
            } else {
                b"NOOP ".to_vec()
            };
            out.resize(limit - 4 + rng.below(5), b'A');
            out
        }
        1..=5 => (0..rng.below(64)).map(|_| rng.byte()).collect(),
        _ => {
            let count = rng.below(14);
            token_soup(rng, count)
        }
    }
}

fn check_path(path: &Path) {
    if let Some(mailbox) = path.mailbox() {
        assert!(!mailbox.local.is_empty() && !mailbox.domain.is_empty());
        if !mailbox.is_domain_literal() {
            assert_eq!(mailbox.domain, mailbox.domain.to_lowercase());
        }
        assert!(!mailbox.domain.contains('@'));
        let _ = (path.suspicious(), path.to_string());
    }
}

fn check_parse(input: &[u8]) {
    match parse_command(input) {
        Ok(command) => {
            assert!(input.len() + 2 <= MAX_AUTH_LINE);
            assert!(!input.contains(&0));
            match &command {
                Command::Mail { from, .. } => {
                    assert!(!matches!(from, Path::Postmaster));
                    check_path(from);
                }
                Command::Rcpt { to, .. } => {
                    assert!(!to.is_null());
                    check_path(to);
                }
                Command::Auth { .. } => {}
                _ => assert!(input.is_ascii() && input.len() + 2 <= MAX_ACCEPTED_LINE),
            }
        }
        Err(error) => {
            if input.len() + 2 > MAX_AUTH_LINE {
                assert_eq!(error, ParseError::TooLong);
            }
            if let ParseError::UnknownCommand(echo) | ParseError::UnsupportedParameter(echo) =
                &error
            {
                assert!(echo.len() <= 40 && echo.bytes().all(|b| b.is_ascii_graphic()));
            }
            check_reply(&error.reply());
        }
    }
}

fn check_reply(reply: &Reply) {
    let bytes = reply.to_bytes();
    assert!(bytes.ends_with(b"\r\n"));
    let body = &bytes[..bytes.len() - 2];
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(line.len() + 2 <= MAX_REPLY_LINE);
        assert!(!line.contains(&b'\r'));
        assert!(line[..3].iter().all(u8::is_ascii_digit));
        let separator = if i + 1 == lines.len() { b' ' } else { b'-' };
        assert_eq!(line[3], separator);
        assert!(
            line.iter()
                .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
        );
    }
}

/// Feeds `input` in random pieces; checks the reader's bounds throughout.
fn check_data(rng: &mut Rng, input: &[u8]) {
    let max = rng.below(64);
    let policy = if rng.below(2) == 0 {
        BareNewline::Reject
    } else {
        BareNewline::Normalise
    };
    let mut reader = DataReader::with_policy(max, policy);
    let mut offset = 0;
    while offset < input.len() {
        let take = 1 + rng.below(input.len() - offset);
        let piece = &input[offset..offset + take];
        match reader.feed(piece) {
            Feed::NeedMore => offset += take,
            Feed::Done { consumed } => {
                assert!(consumed <= piece.len());
                break;
            }
        }
        assert!(reader.capacity() <= max && reader.buffered() <= max);
    }
    if let Ok(body) = reader.finish() {
        assert!(body.len() <= max);
        assert!(body.is_empty() || body.ends_with(b"\r\n"));
    }
}

fn check_chunks(rng: &mut Rng, input: &[u8]) {
    let max = rng.below(64);
    let mut reader = ChunkReader::new(max);
    let mut rest = input;
    while !rest.is_empty() {
        let size = rng.below(rest.len() + 8) as u64;
        if !reader.begin_chunk(size, rng.below(4) == 0) {
            break;
        }
        let consumed = reader.feed(rest);
        assert!(consumed as u64 <= size && reader.capacity() <= max);
        rest = &rest[consumed..];
    }
    let _ = reader.finish();
}

#[test]
fn arbitrary_input_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let input = generate(&mut rng);
        check_parse(&input);
        check_data(&mut rng, &input);
        check_chunks(&mut rng, &input);
        let block = heron_message::header_block(&input);
        if block.has_separator() {
            let end = block.body_start;
            assert!(end <= input.len() && input[..end].ends_with(b"\n"));
        }
        assert!(count_received(&input) <= input.len() / 9 + 1);
        let _ = has_header(&input, "Received");
        let text = String::from_utf8_lossy(&input).into_owned();
        let code = 100 + (rng.next() % 600) as u16;
        check_reply(&Reply::new(code, Some((rng.byte(), 7, 9999)), "").with_text(text));
    }
}

#[test]
fn every_short_byte_pair_after_a_keyword() {
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            check_parse(&[
                b'R', b'C', b'P', b'T', b' ', b'T', b'O', b':', b'<', a, b, b'>',
            ]);
            check_parse(&[b'M', b'A', b'I', b'L', b' ', a, b]);
            check_parse(&[a, b]);
        }
    }
}
