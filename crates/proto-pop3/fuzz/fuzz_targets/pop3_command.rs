//! Fuzz target: command parsing, multi-line writing and the TOP extract must
//! never panic, and their outputs must keep their documented invariants.

#![no_main]

use heron_proto_pop3::{MAX_COMMAND_LINE, ParseError, parse_command, top_slice, write_multiline};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_command(data) {
        Ok(_) => assert!(data.len() <= MAX_COMMAND_LINE),
        Err(error) => {
            if let ParseError::UnknownCommand(echo) = &error {
                assert!(echo.len() <= 40 && echo.bytes().all(|b| b.is_ascii_graphic()));
            }
            assert!(!error.reply_text().contains(['\r', '\n', '\0']));
        }
    }

    let mut out = Vec::new();
    write_multiline(data, &mut out);
    assert!(out.ends_with(b".\r\n"));

    let lines = data.first().map_or(0, |&b| u32::from(b % 16));
    assert!(data.starts_with(top_slice(data, lines)));
    assert!(data.starts_with(top_slice(data, u32::MAX)));
});
