//! Whether bytes look like a mail message, so that a file that is not mail (`/etc/passwd`, a
//! program, an empty file) is refused with the reason instead of being stored as a message.
//!
//! The header is read with `heron_message` (the one header reader); this module only judges
//! what it finds. Two rules, one per kind of input:
//!
//! - [`Rule::File`], for a file that is one message (an `.eml` file, a file in a Maildir): not
//!   empty or blank; no NUL byte anywhere (binary data); a header block (everything before the
//!   first empty line, or the whole file when there is none) made of header fields only, each
//!   a name of printable ASCII characters other than `:` (RFC 5322 §2.2, §3.6.8) followed by a
//!   colon, continuation lines allowed (§2.2.3); and at least one field that a message carries
//!   (see [`is_message_field`]), which is what tells a message from a file of `name: value`
//!   lines such as `/etc/passwd`.
//! - [`Rule::MboxEntry`], for one message cut out of an mbox file, whose separator lines
//!   already say "mail": not empty or blank, no NUL byte, and a first line that is a header
//!   field. Old mbox files hold real mail with an odd header line now and then; that mail is
//!   kept.
//!
//! Invariants: the checks only read; the first failing check, in the order listed, is the one
//! reported; line numbers count from 1 at the start of the input.

use heron_message::{fields, header_block};

/// Which checks apply; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    /// A file holding one message.
    File,
    /// One message of an mbox file.
    MboxEntry,
}

/// Why some bytes are not a mail message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotMail {
    /// Nothing, or only white space and line breaks.
    #[error("empty")]
    Empty,
    /// A NUL byte, which no mail message holds.
    #[error("binary data (a NUL byte at offset {offset})")]
    Binary {
        /// Where the first NUL byte is.
        offset: usize,
    },
    /// The first line is not a header field, so there is no header.
    #[error("no header fields")]
    NoHeader,
    /// A line of the header block is neither a field nor a continuation of one.
    #[error("line {line} of the header is not a header field")]
    NotAField {
        /// The line's number, from 1.
        line: usize,
    },
    /// A field name holds a character RFC 5322 forbids in one (a space, a control byte,
    /// non-ASCII).
    #[error("line {line} of the header has a field name with characters a field name cannot have")]
    BadFieldName {
        /// The line's number, from 1.
        line: usize,
    },
    /// Only fields no message carries (`root: x:0:0:...` is a well-formed field).
    #[error("no From, To, Subject, Date, Message-ID or other message header field")]
    NoMessageField,
}

/// Checks `raw` against `rule`.
pub(crate) fn check(raw: &[u8], rule: Rule) -> Result<(), NotMail> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(NotMail::Empty);
    }
    if let Some(offset) = memchr::memchr(0, raw) {
        return Err(NotMail::Binary { offset });
    }
    let mut found = fields(raw).peekable();
    match found.peek() {
        Some(first) if first.range.start == 0 => {}
        _ => return Err(NotMail::NoHeader),
    }
    if rule == Rule::MboxEntry {
        return Ok(());
    }
    let fields_end = header_block(raw).fields_end;
    let mut covered = 0;
    let mut message_field = false;
    for field in found {
        if field.range.start != covered {
            return Err(NotMail::NotAField {
                line: line_number(raw, covered),
            });
        }
        if !field.name.iter().all(|&b| is_ftext(b)) {
            return Err(NotMail::BadFieldName {
                line: line_number(raw, field.range.start),
            });
        }
        message_field |= is_message_field(field.name);
        covered = field.range.end;
    }
    if covered != fields_end {
        return Err(NotMail::NotAField {
            line: line_number(raw, covered),
        });
    }
    if !message_field {
        return Err(NotMail::NoMessageField);
    }
    Ok(())
}

/// RFC 5322 §3.6.8: `ftext = %d33-57 / %d59-126`, printable ASCII without the colon.
fn is_ftext(b: u8) -> bool {
    matches!(b, 33..=57 | 59..=126)
}

/// Fields every kind of message carries one of: RFC 5322 §3.6 (origination, destination,
/// identification, informational, trace), RFC 2045 `MIME-Version`, and `Delivered-To`.
const MESSAGE_FIELDS: &[&str] = &[
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Bcc",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
    "Comments",
    "Keywords",
    "Date",
    "Received",
    "Return-Path",
    "Delivered-To",
    "MIME-Version",
];

/// Name prefixes of families of message fields: MIME (RFC 2045 §9), resent (RFC 5322
/// §3.6.6), mailing lists (RFC 2369) and extension fields.
const MESSAGE_FIELD_PREFIXES: &[&str] = &["Content-", "Resent-", "List-", "X-"];

/// Whether a field called `name` is one a mail message carries.
pub(crate) fn is_message_field(name: &[u8]) -> bool {
    MESSAGE_FIELDS
        .iter()
        .any(|known| name.eq_ignore_ascii_case(known.as_bytes()))
        || MESSAGE_FIELD_PREFIXES.iter().any(|prefix| {
            name.len() > prefix.len()
                && name[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        })
}

/// The number, from 1, of the line that starts at or contains byte `at`.
fn line_number(raw: &[u8], at: usize) -> usize {
    1 + memchr::memchr_iter(b'\n', raw.get(..at).unwrap_or(raw)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, what the file rule says)
    const FILES: &[(&[u8], Result<(), NotMail>)] = &[
        (b"Subject: hi\r\n\r\nbody\r\n", Ok(())),
        (b"From: a@example.com\n", Ok(())),
        (b"Subject: folded\r\n  more\r\nX-Any: 1\r\n\r\n", Ok(())),
        // obs-optional: white space before the colon
        (b"Subject : hi\n\nbody", Ok(())),
        (
            b"X-Mailer: x\n\n\0 binary attachment",
            Err(NotMail::Binary { offset: 13 }),
        ),
        (b"", Err(NotMail::Empty)),
        (b"\n \r\n\t\n", Err(NotMail::Empty)),
        (
            b"\x7fELF\x02\x01\x01\0\0",
            Err(NotMail::Binary { offset: 7 }),
        ),
        (b"# Title\n\nSubject: x\n", Err(NotMail::NoHeader)),
        (b"\nSubject: x\n", Err(NotMail::NoHeader)),
        (b" continued: x\nSubject: y\n", Err(NotMail::NoHeader)),
        (
            b"Subject: x\nplain text\nTo: y\n\nbody",
            Err(NotMail::NotAField { line: 2 }),
        ),
        (
            b"Subject: x\r\nplain text",
            Err(NotMail::NotAField { line: 2 }),
        ),
        (
            b"Subject: x\nHello world: hi\n",
            Err(NotMail::BadFieldName { line: 2 }),
        ),
        (
            b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n",
            Err(NotMail::NoMessageField),
        ),
        (b"X: y\n\n", Err(NotMail::NoMessageField)),
    ];

    #[test]
    fn files() {
        for (raw, want) in FILES {
            assert_eq!(
                &check(raw, Rule::File),
                want,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn mbox_entries_need_only_a_first_field() {
        assert_eq!(check(b"A: b\n\nbody", Rule::MboxEntry), Ok(()));
        assert_eq!(check(b"Subject: x\nstray\n\n", Rule::MboxEntry), Ok(()));
        assert_eq!(check(b"\r\n", Rule::MboxEntry), Err(NotMail::Empty));
        assert_eq!(check(b"text\n\n", Rule::MboxEntry), Err(NotMail::NoHeader));
        assert_eq!(
            check(b"A: b\0", Rule::MboxEntry),
            Err(NotMail::Binary { offset: 4 })
        );
    }

    #[test]
    fn message_fields() {
        for name in [
            "from",
            "MESSAGE-ID",
            "Content-Type",
            "x-spam",
            "Resent-From",
        ] {
            assert!(is_message_field(name.as_bytes()), "{name}");
        }
        for name in ["root", "X-", "Content", "daemon", "X"] {
            assert!(!is_message_field(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn line_numbers() {
        assert_eq!(line_number(b"a\nb\nc", 0), 1);
        assert_eq!(line_number(b"a\nb\nc", 2), 2);
        assert_eq!(line_number(b"a\nb\nc", 4), 3);
    }
}
