//! Mailbox names between `imap-types` and the store, and folder look-ups by name.

use heron_proto_imap::names::{self, BadName};
use heron_proto_imap::response::code;
use heron_proto_imap::wire;
use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::mailbox::Mailbox;

use crate::done::Done;

/// The stored name a client's mailbox argument designates. A name that is not valid modified
/// UTF-7 is a well-formed argument naming no mailbox that can exist: `NO [CANNOT]`, not BAD
/// (the command's syntax is right; RFC 3501 §5.1.3 only rules such names out as mailboxes).
pub fn name_of(utf8: bool, m: &Mailbox<'_>) -> std::result::Result<String, Done> {
    let raw: &[u8] = match m {
        Mailbox::Inbox => b"INBOX",
        Mailbox::Other(o) => o.inner().as_ref(),
    };
    names::from_wire(raw, utf8).map_err(|e| match e {
        BadName::Encoding => {
            Done::no("mailbox name is not valid modified UTF-7").with(code("CANNOT"))
        }
        BadName::Form => Done::no("invalid mailbox name").with(code("CANNOT")),
    })
}

/// A stored name as a mailbox for responses.
pub fn to_mailbox(utf8: bool, name: &str) -> Mailbox<'static> {
    if name == "INBOX" {
        return Mailbox::Inbox;
    }
    let wire_name = names::to_wire(name, utf8);
    let a: AString<'static> = wire::astring(&wire_name);
    Mailbox::from(a)
}

/// `NO [NONEXISTENT]` (RFC 5530).
pub fn nonexistent() -> Done {
    Done::no("no such mailbox").with(code("NONEXISTENT"))
}
