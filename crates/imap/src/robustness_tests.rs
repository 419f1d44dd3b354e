//! Randomised robustness checks of the byte-facing parts (a cheap stand-in for the cargo-fuzz
//! target in `fuzz/`, run on every test run): command assembly and parsing, MIME structure,
//! sections and BODYSTRUCTURE on mutated inputs must never panic.

use crate::framing::{Assembler, Next};
use crate::testdata::{MULTI, SIMPLE};
use crate::{bodystructure, envelope, mime, parse_command, section};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&[u8]] = &[
    b"a1 FETCH 1:* (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (SUBJECT FROM)]<0.100> UID)\r\n",
    b"a2 UID SEARCH RETURN (MIN MAX) CHARSET UTF-8 OR (FROM x TO y) NOT SEEN 1:5,7\r\n",
    b"a3 LIST (SUBSCRIBED) \"\" \"*\" RETURN (STATUS (MESSAGES UNSEEN) CHILDREN)\r\n",
    b"a4 APPEND INBOX (\\Seen) \"01-Jan-2024 10:00:00 +0000\" {5+}\r\nhello\r\n",
    b"a5 SELECT INBOX (QRESYNC (1 2 1:9 (1,3 4,6)))\r\n",
    b"a6 STORE 1:3 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Deleted $Work)\r\n",
    b"a7 AUTHENTICATE PLAIN AGFsaWNlAHB3\r\n",
    b"a8 UID SEARCH RETURN (SAVE MIN) OR $ UID $ HEADER {1}\r\n$ $ KEYWORD $Junk\r\n",
    b"a9 UID MOVE $ \"$\"\r\n",
    b"b1 CREATE {5+}\r\nSent2 (USE (\\Sent \\Trash))\r\n",
];

/// Bytes that matter to the grammar.
const SPECIALS: &[u8] = b"(){}[]<>\"\\*%+~$ \r\n0123456789";

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(6) {
        let i = rng.below(v.len() + 1);
        match rng.below(4) {
            0 if i < v.len() => v[i] = rng.next() as u8,
            1 if i < v.len() => {
                v.remove(i);
            }
            2 => v.insert(i, SPECIALS[rng.below(SPECIALS.len())]),
            _ => {
                let j = rng.below(v.len());
                let k = (j + rng.below(20)).min(v.len());
                let chunk = v[j..k].to_vec();
                v.splice(i.min(v.len())..i.min(v.len()), chunk);
            }
        }
    }
    v
}

#[test]
fn commands_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for round in 0..20_000 {
        let seed = SEEDS[round % SEEDS.len()];
        let input = mutate(&mut rng, seed);
        let _ = parse_command(&input);
        let mut asm = Assembler::new(1 << 16);
        for line in input.split(|&b| b == b'\n') {
            match asm.push_line(line.strip_suffix(b"\r").unwrap_or(line)) {
                Ok(Next::Complete) => {
                    let _ = parse_command(&asm.take());
                }
                Ok(Next::Literal { len, .. }) => asm.push_literal(&vec![b'x'; len.min(64)]),
                Err(_) => {}
            }
        }
    }
}

#[test]
fn messages_never_panic() {
    use imap_codec::imap_types::core::Vec1;
    use imap_codec::imap_types::fetch::{Part, Section};
    use std::num::NonZeroU32;
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    for round in 0..3_000 {
        let base = if round % 2 == 0 { MULTI } else { SIMPLE };
        let msg = mutate(&mut rng, base);
        let root = mime::parse(&msg);
        let _ = bodystructure::build(&msg, &root, true);
        let _ = envelope::build(&msg, &root);
        let path: Vec<NonZeroU32> = (0..=rng.below(3))
            .filter_map(|_| NonZeroU32::new(rng.below(4) as u32 + 1))
            .collect();
        if let Ok(p) = Vec1::try_from(path) {
            let part = Part(p);
            for s in [
                Section::Part(part.clone()),
                Section::Mime(part.clone()),
                Section::Text(Some(part)),
            ] {
                let _ = section::extract(&msg, &root, Some(&s));
            }
        }
    }
}
