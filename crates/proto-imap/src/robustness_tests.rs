//! Randomised robustness checks of command assembly and parsing (a cheap stand-in for the
//! cargo-fuzz target in `fuzz/`, run on every test run): mutated commands must never make
//! them panic.

use crate::framing::{Assembler, Next};
use crate::{SavedSet, parse};

/// A saved SEARCH result, so `$` is replaced by a set as well as by nothing.
fn saved() -> SavedSet {
    SavedSet {
        uids: vec![3, 4, 5, 9],
        seqs: vec![1, 2, 3, 5],
    }
}

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
    b"b2 SETACL {4+}\r\nTeam \"bob@x.test\" +lrcd\r\n",
    b"b3 LISTRIGHTS \"Other Users/a/b\" anyone\r\n",
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
        let _ = parse(&input, SavedSet::default);
        let _ = parse(&input, saved);
        let _ = crate::acl::parse(&input);
        let mut asm = Assembler::new(1 << 16);
        for line in input.split(|&b| b == b'\n') {
            match asm.push_line(line.strip_suffix(b"\r").unwrap_or(line)) {
                Ok(Next::Complete) => {
                    let _ = parse(&asm.take(), SavedSet::default);
                }
                Ok(Next::Literal { len, .. }) => asm.push_literal(&vec![b'x'; len.min(64)]),
                Err(_) => {}
            }
        }
    }
}
