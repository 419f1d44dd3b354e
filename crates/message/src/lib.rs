//! Internet messages (RFC 5322, RFC 2045) as every part of the server reads them, apart from
//! any protocol: where the header block ends and what its fields are ([`header`]); the MIME
//! structure ([`mime`]); the bytes a section of a message selects ([`section`]); the
//! envelope ([`envelope`]) and body structure ([`bodystructure`]) as plain data; the
//! Authentication-Results fields this server must not trust ([`authres`]) and the trace
//! fields it writes, Received and Return-Path ([`trace`]); what a search looks at in a
//! message, its decoded header fields, text and sent date ([`search`]), and the text a search
//! index keeps of it ([`searchtext`]); what sorting and
//! threading compare (RFC 5256: [`base_subject`], [`sortkey`], [`msgid`]) and the threading
//! algorithms ([`thread`]); and interned lists of flags as a mailbox view keeps them
//! ([`flagsets`]).
//!
//! Pure: no I/O, no runtime, no store, no protocol's wire format (IMAP puts the envelope and
//! body structure into its own types); no panics on any input. Every crate that looks into
//! message bytes (store, SMTP in and out, IMAP, POP3, the spool views, import) asks here, so
//! they agree on where a message's header ends and how it is structured.

pub mod authres;
pub mod base_subject;
pub mod bodystructure;
pub mod envelope;
pub mod flagsets;
pub mod header;
pub mod mbox;
pub mod mime;
pub mod msgid;
pub mod search;
pub mod searchtext;
pub mod section;
pub mod sortkey;
#[cfg(any(test, feature = "testdata"))]
#[doc(hidden)]
pub mod testdata;
pub mod thread;
pub mod trace;

pub use header::{Field, HeaderBlock, fields, header_block};
