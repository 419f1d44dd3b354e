//! Fuzz target: the DATA reader, fed the input in two pieces at a split
//! chosen by the first byte, must never panic, never buffer past its limit
//! and never consume past the terminator.

#![no_main]

use heron_proto_smtp::{BareNewline, DataReader, Feed};
use libfuzzer_sys::fuzz_target;

const MAX: usize = 256;

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let policy = if first & 1 == 0 {
        BareNewline::Reject
    } else {
        BareNewline::Normalise
    };
    let split = usize::from(first).min(input.len());
    let (a, b) = input.split_at(split);
    let mut reader = DataReader::with_policy(MAX, policy);
    let consumed = match reader.feed(a) {
        Feed::Done { consumed } => Some(consumed),
        Feed::NeedMore => match reader.feed(b) {
            Feed::Done { consumed } => Some(a.len() + consumed),
            Feed::NeedMore => None,
        },
    };
    assert!(reader.capacity() <= MAX);
    if let Some(consumed) = consumed {
        assert!(consumed <= input.len());
        assert!(input[..consumed].ends_with(b".\r\n"));
    }
    if let Ok(body) = reader.finish() {
        assert!(body.len() <= MAX);
        assert!(body.is_empty() || body.ends_with(b"\r\n"));
    }
});
