//! Fuzz target: assembling a command from lines and literals, then parsing it, must never
//! panic, and the assembler must never accept a literal over its limit.

#![no_main]

use heron_imap::framing::{Assembler, MAX_COMMAND, MAX_LITERAL, Next};
use libfuzzer_sys::fuzz_target;

/// The APPEND limit used here (small, so the limit path is exercised).
const APPEND_LIMIT: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    // The whole input as one command, as a client could send it.
    let _ = heron_imap::parse_command(data);

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
                let _ = heron_imap::parse_command(&cmd);
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
