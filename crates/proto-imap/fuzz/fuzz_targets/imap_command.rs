//! Fuzz target: assembling a command from lines and literals, then parsing it as an ACL
//! command and to a `Command` (with no saved SEARCH result, and with one, so `$` is
//! replaced both ways), must never panic, and the assembler must never accept a literal
//! over its limit.

#![no_main]

use heron_proto_imap::framing::{Assembler, MAX_COMMAND, MAX_LITERAL, Next};
use heron_proto_imap::{SavedSet, parse};
use libfuzzer_sys::fuzz_target;

/// The APPEND limit used here (small, so the limit path is exercised).
const APPEND_LIMIT: u64 = 1 << 20;

/// A saved SEARCH result for `$` to stand for.
fn saved() -> SavedSet {
    SavedSet {
        uids: vec![3, 4, 5, 9],
        seqs: vec![1, 2, 3, 5],
    }
}

/// Parse as the session does (the ACL commands first), with and without a saved result.
fn parse_both(bytes: &[u8]) {
    let _ = heron_proto_imap::acl::parse(bytes);
    let _ = parse(bytes, SavedSet::default);
    if bytes.contains(&b'$') {
        let _ = parse(bytes, saved);
    }
}

fuzz_target!(|data: &[u8]| {
    // The whole input as one command, as a client could send it.
    parse_both(data);

    // The same input framed as the session frames it: lines, then literal octets.
    let mut asm = Assembler::new(APPEND_LIMIT);
    let mut rest = data;
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = rest[..end].strip_suffix(b"\r").unwrap_or(&rest[..end]);
        rest = rest.get(end + 1..).unwrap_or_default();
        match asm.push_line(line) {
            Ok(Next::Complete) => {
                let cmd = asm.take();
                assert!(cmd.len() <= MAX_COMMAND + APPEND_LIMIT as usize);
                parse_both(&cmd);
            }
            Ok(Next::Literal { len, .. }) => {
                assert!(len as u64 <= MAX_LITERAL.max(APPEND_LIMIT));
                let n = len.min(rest.len());
                asm.push_literal(&rest[..n]);
                rest = &rest[n..];
            }
            Err(_) => assert!(!asm.in_progress()),
        }
    }
});
