//! IMAP wire format (RFC 9051, RFC 3501 and the extensions Heron serves): assembling a
//! command from its lines and literals, parsing it to one [`Command`], and encoding
//! responses. `imap-codec` does the grammar; this crate adds what it does not know.
//!
//! This crate is pure: it performs no I/O, holds no state and never panics on untrusted
//! input. A session feeds command lines (without their CRLF) and literal octets to a
//! [`framing::Assembler`], which checks every size before anything is buffered; hands the
//! complete command to [`parse`], with the SEARCHRES result it keeps; runs the
//! [`Command`]; and writes what [`response`] encodes.
//!
//! Layout: [`framing`] (lines, literals and their limits); [`parse`] (`command.rs`) over
//! `preparse` (the options `imap-codec` does not parse: SEARCH RETURN, LIST-EXTENDED, CREATE
//! `USE`), `searchres` (`$`), `deep_search` (SEARCH criteria nested deeper than
//! `imap-codec` goes) and `tokens` (the scanner those three share); [`fetch`] (what a FETCH
//! asks for), [`seqset`] (sequence sets against a view), [`names`] (mailbox names, modified
//! UTF-7, LIST wildcards); [`response`] and [`wire`] (encoding, and `imap-types` values
//! built from any bytes); [`fetch_response`] (FETCH responses with items `imap-types`
//! cannot write, such as a partial BINARY answer's origin).
//!
//! Invariants upheld by every function here:
//! - literal and command sizes are checked before anything is buffered;
//! - a command reaches the session only as a [`Command`]: a command never sees bytes;
//! - every response produced ends with CRLF, and no client-supplied or stored text can add
//!   a line to it.

#![warn(missing_docs)]

pub mod acl;
mod command;
mod deep_search;
mod error;
pub mod fetch;
pub mod fetch_response;
mod flags_update;
pub mod framing;
pub mod metadata;
pub mod names;
mod preparse;
pub mod response;
mod search_keys;
mod searchres;
pub mod seqset;
mod tokens;
pub mod wire;

pub use flags_update::flags_update;

pub use command::{Command, parse};
pub use error::ParseError;
pub use preparse::{Extras, ListOptions, SearchReturn};
pub use search_keys::{MAX_KEYS, key_count};
pub use searchres::SavedSet;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod robustness_tests;
