//! Fuzz target: what a remote SMTP server sends the outbound client, read line by line into
//! replies (with their enhanced status codes and EHLO extensions) and turned into the status
//! a DSN reports. Must never panic, and every reply must keep the parser's invariants: a code
//! in 200..=599, an enhanced code of the same class, text without control characters.

#![no_main]

use heron_queue::client::{MAX_LINE, parse_replies_for_fuzzing};
use heron_queue::dsn::status_of;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    for result in parse_replies_for_fuzzing(lines) {
        let Ok((reply, ext)) = result else {
            continue;
        };
        assert!((200..600).contains(&reply.code));
        assert!(!reply.text.chars().any(|c| c.is_control() && c != '\t'));
        assert!(reply.text.len() <= data.len() * 3);
        if let Some(esc) = &reply.esc {
            assert_eq!(esc.as_bytes().first(), reply.to_string().as_bytes().first());
        }
        let status = status_of(reply.code, reply.esc.as_deref());
        assert_eq!(status.split('.').count(), 3);
        assert!(
            ext.auth
                .iter()
                .all(|m| !m.is_empty() && m.len() <= MAX_LINE)
        );
    }
});
