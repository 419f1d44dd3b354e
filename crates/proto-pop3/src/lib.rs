//! POP3 wire format: command parsing and response serialising.
//!
//! This crate is pure: it performs no I/O, holds no state and never
//! panics on untrusted input. A session layer feeds it one command line at a
//! time (with the CRLF already removed) and writes the bytes it returns.
//!
//! Invariants upheld by every function here:
//! - parsing rejects over-long input before inspecting it;
//! - every status line produced is exactly one line ending in CRLF;
//! - every multi-line body produced is CRLF-normalised, byte-stuffed and
//!   terminated by `".\r\n"`.

#![warn(missing_docs)]

mod command;
mod error;
mod multiline;
mod response;

pub use command::{Command, parse_command};
pub use error::ParseError;
pub use multiline::{top_slice, write_multiline};
pub use response::{MAX_RESPONSE_LINE, RespCode, capa, err, ok};

/// Longest command line accepted, excluding CRLF (RFC 2449 §4 allows 255
/// octets; we accept up to this to tolerate long AUTH initial responses).
pub const MAX_COMMAND_LINE: usize = 4096;
