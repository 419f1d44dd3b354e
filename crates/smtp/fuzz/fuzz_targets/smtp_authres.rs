//! Fuzz target: removing this server's Authentication-Results fields from a received message
//! (RFC 8601 §5). Must never panic, only remove bytes (whole lines of the header block, the
//! body kept as it was) and be idempotent: what remains holds no field it would remove.
//!
//! Input: the host name on the first line, the message after it.

#![no_main]

use heron_smtp::strip_own_auth_results;
use libfuzzer_sys::fuzz_target;

/// True if `small` can be made by deleting bytes of `big`.
fn is_subsequence(small: &[u8], big: &[u8]) -> bool {
    let mut it = big.iter();
    small.iter().all(|b| it.any(|c| c == b))
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let hostname = String::from_utf8_lossy(&data[..split]);
    let message = data.get(split + 1..).unwrap_or_default().to_vec();
    let out = strip_own_auth_results(message.clone(), &hostname);
    assert!(out.len() <= message.len());
    assert!(is_subsequence(&out, &message));
    // The body (after the first empty line) is kept as it was.
    let mut at = 0;
    let body_start = loop {
        let Some(lf) = message[at..].iter().position(|&b| b == b'\n') else {
            break message.len();
        };
        let line = &message[at..at + lf + 1];
        at += lf + 1;
        if line == b"\n" || line == b"\r\n" {
            break at;
        }
    };
    assert!(out.ends_with(&message[body_start..]));
    assert_eq!(strip_own_auth_results(out.clone(), &hostname), out);
});
