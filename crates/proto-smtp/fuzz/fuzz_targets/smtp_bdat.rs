//! Fuzz target: the BDAT chunk reader, driven by a script read from the input (chunk sizes,
//! LAST flags and the octets that arrive, in pieces), must never panic, never store or
//! allocate past its limit, never take more than a chunk's announced size, and count every
//! octet it was given.

#![no_main]

use heron_proto_smtp::{ChunkReader, DataError};
use libfuzzer_sys::fuzz_target;

const MAX: usize = 300;

fuzz_target!(|data: &[u8]| {
    let mut reader = ChunkReader::new(MAX);
    let mut taken: u64 = 0;
    let mut rest = data;
    // Each step: two octets of chunk size (the high bit of the first is LAST), one octet
    // saying how many octets arrive with it, then those octets.
    while let [hi, lo, piece, tail @ ..] = rest {
        let size = u64::from(u16::from_be_bytes([hi & 0x7f, *lo]));
        let last = hi & 0x80 != 0;
        let was_complete = reader.is_complete();
        let began = reader.begin_chunk(size, last);
        assert!(!began || !was_complete);
        let n = usize::from(*piece).min(tail.len());
        let before = reader.remaining();
        let used = reader.feed(&tail[..n]);
        assert!(used as u64 <= before);
        assert_eq!(reader.remaining(), before - used as u64);
        assert!(reader.capacity() <= MAX);
        taken += used as u64;
        assert_eq!(reader.total(), taken);
        assert_eq!(reader.is_too_big(), taken > MAX as u64);
        rest = &tail[n..];
    }
    let complete = reader.is_complete();
    match reader.finish() {
        Ok(body) => {
            assert!(complete);
            assert!(body.len() <= MAX);
            assert_eq!(body.len() as u64, taken);
        }
        Err(DataError::Incomplete) => assert!(!complete),
        Err(DataError::TooBig { size }) => {
            assert!(complete);
            assert_eq!(size, taken);
        }
        Err(other) => panic!("unexpected error {other:?}"),
    }
});
