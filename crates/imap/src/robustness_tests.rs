//! Randomised robustness checks of the message side (a cheap stand-in for the cargo-fuzz
//! target in `fuzz/`, run on every test run): MIME structure, sections, ENVELOPE and
//! BODYSTRUCTURE on mutated messages must never panic. (Command parsing has its own in
//! `heron-proto-imap`.)

use heron_message::mime;
use heron_message::testdata::{MULTI, SIMPLE};

use crate::{bodystructure, envelope, section};

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
