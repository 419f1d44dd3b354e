//! Property-style tests: deterministic pseudo-random inputs must never make
//! the parser or the body writers panic, and their outputs must keep the
//! documented invariants.

use heron_proto_pop3::{
    Command, MAX_COMMAND_LINE, ParseError, parse_command, top_slice, write_multiline,
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
    b"USER",
    b"PASS",
    b"APOP",
    b"STAT",
    b"LIST",
    b"RETR",
    b"DELE",
    b"NOOP",
    b"RSET",
    b"QUIT",
    b"TOP",
    b"UIDL",
    b"CAPA",
    b"STLS",
    b"AUTH",
    b"LAST",
    b" ",
    b"  ",
    b"0",
    b"1",
    b"42",
    b"4294967295",
    b"4294967296",
    b"-1",
    b"+1",
    b"=",
    b"PLAIN",
    b".",
    b"..",
    b"\r",
    b"\n",
    b"\r\n",
    b"\0",
    b"\xff",
    b"\xc3\xa9",
    b"\xe2\x82",
    b"\t",
    b"c4c9334bac560ecc979e58001b3e22fb",
];

fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    match rng.below(20) {
        // Occasionally a line near or over the length limit.
        0 => {
            let len = MAX_COMMAND_LINE - 2 + rng.below(5);
            out.extend_from_slice(b"PASS ");
            out.resize(len, b'a' + (rng.byte() % 26));
        }
        // Raw random bytes.
        1..=5 => {
            let len = rng.below(64);
            out.extend((0..len).map(|_| rng.byte()));
        }
        // Token soup, with random case flips.
        _ => {
            for _ in 0..rng.below(12) {
                let token = TOKENS[rng.below(TOKENS.len())];
                for &b in token {
                    let flip = rng.below(3) == 0 && b.is_ascii_alphabetic();
                    out.push(if flip { b ^ 0x20 } else { b });
                }
            }
        }
    }
    out
}

fn check_parse(input: &[u8]) {
    match parse_command(input) {
        Ok(Command::Retr(n) | Command::Dele(n) | Command::Top { msg: n, .. }) => assert!(n >= 1),
        Ok(Command::List(n) | Command::Uidl(n)) => assert!(n.is_none_or(|n| n >= 1)),
        Ok(_) => {}
        Err(error) => {
            if input.len() > MAX_COMMAND_LINE {
                assert_eq!(error, ParseError::TooLong);
            }
            if let ParseError::UnknownCommand(echo) = &error {
                assert!(echo.len() <= 40);
                assert!(echo.bytes().all(|b| b.is_ascii_graphic()));
            }
            let text = error.reply_text();
            assert!(!text.contains(['\r', '\n', '\0']));
        }
    }
}

/// Reference split of a body into lines: CRLF, LF and CR all end a line.
fn reference_lines(body: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut current = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\r' => {
                lines.push(std::mem::take(&mut current));
                if body.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => lines.push(std::mem::take(&mut current)),
            b => current.push(b),
        }
        i += 1;
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

fn check_multiline(body: &[u8]) {
    let mut out = Vec::new();
    write_multiline(body, &mut out);
    assert!(out.ends_with(b".\r\n"));
    let payload = &out[..out.len() - 3];
    assert!(payload.is_empty() || payload.ends_with(b"\r\n"));
    for (i, &b) in payload.iter().enumerate() {
        match b {
            b'\r' => assert_eq!(payload.get(i + 1), Some(&b'\n')),
            b'\n' => assert_eq!(payload.get(i.wrapping_sub(1)), Some(&b'\r')),
            _ => {}
        }
    }
    let mut decoded = Vec::new();
    if !payload.is_empty() {
        for line in payload[..payload.len() - 2].split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert_ne!(line, b".");
            // Un-stuff: a line sent with a leading '.' had one added.
            let line = if line.first() == Some(&b'.') {
                assert_eq!(line.get(1), Some(&b'.'));
                &line[1..]
            } else {
                line
            };
            decoded.push(line.to_vec());
        }
    }
    assert_eq!(decoded, reference_lines(body));
}

fn check_top(message: &[u8], lines: u32) {
    let top = top_slice(message, lines);
    assert!(message.starts_with(top));
}

#[test]
fn arbitrary_input_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let input = generate(&mut rng);
        check_parse(&input);
        check_multiline(&input);
        let lines = match rng.below(4) {
            0 => 0,
            1 => u32::MAX,
            _ => rng.below(8) as u32,
        };
        check_top(&input, lines);
    }
}

#[test]
fn every_short_byte_pair_after_a_keyword() {
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            check_parse(&[b'R', b'E', b'T', b'R', b' ', a, b]);
            check_parse(&[a, b]);
        }
    }
}
