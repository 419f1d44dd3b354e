//! Fuzz target: command parsing must never panic, and its outputs must keep
//! their documented invariants (bounded lines, sanitised echoes, replies
//! that stay on their lines).

#![no_main]

use heron_proto_smtp::{Command, MAX_AUTH_LINE, ParseError, Path, parse_command};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_command(data) {
        Ok(command) => {
            assert!(data.len() + 2 <= MAX_AUTH_LINE);
            assert!(!data.contains(&0));
            match &command {
                Command::Mail { from, .. } => assert!(!matches!(from, Path::Postmaster)),
                Command::Rcpt { to, .. } => assert!(!to.is_null()),
                _ => {}
            }
        }
        Err(error) => {
            if let ParseError::UnknownCommand(echo) | ParseError::UnsupportedParameter(echo) =
                &error
            {
                assert!(echo.len() <= 40 && echo.bytes().all(|b| b.is_ascii_graphic()));
            }
            let bytes = error.reply().to_bytes();
            assert!(bytes.ends_with(b"\r\n"));
            assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1);
        }
    }
});
