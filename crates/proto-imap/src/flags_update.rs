//! The untagged FETCH that tells a client a message's flags changed (RFC 9051 §7.5.2):
//! `* seq FETCH (FLAGS (...) UID n [MODSEQ (m)])`, written straight into bytes. Every session
//! on a busy mailbox sends one for each message another session flagged, so this line is
//! built without going through the general response encoder.
//!
//! Invariants: the bytes are exactly what the general encoder writes for the same
//! `Data::Fetch` (tested against it); a name that is not a valid flag (an atom, or `\` and an
//! atom) is left out, as [`crate::wire::fetch_flags`] leaves it out.

use std::io::Write;

/// A byte an atom may hold (RFC 9051 §9 ATOM-CHAR: any 7-bit character but controls, space
/// and the specials `(){%*"\]`).
fn atom_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// Whether `name` may be sent as a flag.
fn is_flag(name: &str) -> bool {
    let atom = name.strip_prefix('\\').unwrap_or(name);
    !atom.is_empty() && atom.bytes().all(atom_char)
}

/// The line for message `seq` (its UID `uid`) with `flags`, `\Recent` after them when
/// `recent`, and its MODSEQ when given.
pub fn flags_update<'a>(
    seq: u32,
    flags: impl Iterator<Item = &'a str>,
    recent: bool,
    uid: u32,
    modseq: Option<u64>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    let _ = write!(out, "* {seq} FETCH (FLAGS (");
    let mut first = true;
    for f in flags
        .filter(|f| is_flag(f))
        .chain(recent.then_some("\\Recent"))
    {
        if !first {
            out.push(b' ');
        }
        first = false;
        out.extend_from_slice(f.as_bytes());
    }
    let _ = write!(out, ") UID {uid}");
    if let Some(m) = modseq {
        let _ = write!(out, " MODSEQ ({m})");
    }
    out.extend_from_slice(b")\r\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::response;
    use crate::wire::{fetch_flags, nz};
    use imap_codec::imap_types::core::Vec1;
    use imap_codec::imap_types::fetch::MessageDataItem;
    use imap_codec::imap_types::flag::FlagFetch;
    use imap_codec::imap_types::response::Data;
    use std::num::NonZeroU64;

    fn general(seq: u32, flags: &[&str], recent: bool, uid: u32, modseq: Option<u64>) -> Vec<u8> {
        let mut f = fetch_flags(flags.iter());
        if recent {
            f.push(FlagFetch::Recent);
        }
        let mut items = vec![MessageDataItem::Flags(f), MessageDataItem::Uid(nz(uid))];
        if let Some(m) = modseq {
            items.push(MessageDataItem::ModSeq(NonZeroU64::new(m).unwrap()));
        }
        response::data(Data::Fetch {
            seq: nz(seq),
            items: Vec1::try_from(items).unwrap(),
        })
    }

    #[test]
    fn same_bytes_as_the_general_encoder() {
        let cases: &[(&[&str], bool, Option<u64>)] = &[
            (&[], false, None),
            (&["\\Seen"], false, Some(7)),
            (
                &["\\Seen", "\\Deleted", "$Junk", "work"],
                true,
                Some(123_456_789_012),
            ),
            (&[], true, None),
            (
                &["\\Flagged", "bad(name", "", "a]b", "\\", "\\Custom"],
                false,
                Some(1),
            ),
        ];
        for (flags, recent, modseq) in cases {
            assert_eq!(
                String::from_utf8(flags_update(3, flags.iter().copied(), *recent, 42, *modseq))
                    .unwrap(),
                String::from_utf8(general(3, flags, *recent, 42, *modseq)).unwrap(),
                "{flags:?}"
            );
        }
    }
}
