//! Internet messages (RFC 5322) as every part of the server reads them: where the header block
//! ends and what its fields are ([`header`]).
//!
//! Pure: no I/O, no allocation beyond what a caller asks for, no panics on any input. Every
//! crate that looks into message bytes (store, SMTP in and out, IMAP, POP3, the spool views,
//! import) asks here, so they agree on where a message's header ends.
//!
//! Planned: MIME structure, sections, ENVELOPE, BODYSTRUCTURE, SEARCH matching and flag sets
//! (today in `crates/imap`) move here too.

pub mod header;

pub use header::{Field, HeaderBlock, fields, header_block};
