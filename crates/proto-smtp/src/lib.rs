//! SMTP wire format: command parsing, reply serialising, the DATA and BDAT
//! body readers and the few header checks an SMTP server makes.
//!
//! This crate is pure: it performs no I/O and never panics on untrusted
//! input. A session layer reads command lines (removing the CRLF), hands them
//! to [`parse_command`], writes the bytes of a [`Reply`], and pushes message
//! bytes through a [`DataReader`] or [`ChunkReader`].
//!
//! Invariants upheld by every function here:
//! - over-long command lines are rejected before any other inspection;
//! - NUL and other control octets never reach a parsed [`Command`];
//! - 8-bit octets are accepted only as valid UTF-8 inside a MAIL or RCPT
//!   path (RFC 6531), never elsewhere in a command;
//! - every reply produced is CRLF-terminated and no caller text can add a
//!   line to it;
//! - the body readers never buffer more than their `max_size`, whatever
//!   the input, and end a message only on `CRLF.CRLF` (never on a bare LF
//!   or bare CR, so a message cannot be smuggled inside another).

#![warn(missing_docs)]

mod bdat;
mod buffer;
pub mod client;
mod command;
mod data;
mod error;
mod headers;
mod params;
mod path;
pub mod reply;

pub use bdat::ChunkReader;
pub use command::{Command, parse_command};
pub use data::{BareNewline, DataError, DataReader, Feed};
pub use error::ParseError;
pub use headers::{count_received, has_header, received_protocol};
pub use params::{Body, MailParams, Notify, RcptParams, Ret};
pub use path::{Mailbox, Path};
pub use reply::{Reply, ehlo_reply};

/// The RFC 5321 §4.5.3.1.4 limit on a command line: 512 octets including
/// the CRLF. Lines up to [`MAX_ACCEPTED_LINE`] are nevertheless accepted,
/// because ESMTP parameters and SMTPUTF8 addresses legitimately exceed it.
pub const MAX_COMMAND_LINE: usize = 512;

/// Longest command line [`parse_command`] accepts, in octets including the
/// CRLF the session removed (so `line.len() + 2 <= MAX_ACCEPTED_LINE`).
/// RFC 5321 §4.5.3.1.4 lets extensions raise the 512-octet limit; SMTPUTF8
/// paths (up to 256 octets of UTF-8 each) and several parameters do.
pub const MAX_ACCEPTED_LINE: usize = 2048;

/// Longest AUTH command line and SASL response line, in octets including
/// the CRLF (RFC 4954 §4 raises the limit to 12288 for these). A session's
/// line reader must buffer at most this much before answering
/// [`reply::LINE_TOO_LONG`].
pub const MAX_AUTH_LINE: usize = 12288;

/// Longest path accepted between the angle brackets, in octets
/// (RFC 5321 §4.5.3.1.3).
pub const MAX_PATH: usize = 256;
