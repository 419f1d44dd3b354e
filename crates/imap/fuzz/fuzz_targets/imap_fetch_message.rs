//! Fuzz target: a message of arbitrary bytes, as SMTP or APPEND could store it, run through
//! the message side of FETCH (MIME structure, ENVELOPE, BODYSTRUCTURE, BODY, sections and
//! BINARY): must never panic, and the FETCH response must encode as one response line
//! (literals aside) ending with CRLF.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let out = heron_imap::fuzzing::fetch_response(data);
    assert!(out.starts_with(b"* 1 FETCH ("));
    assert!(out.ends_with(b")\r\n"));
});
