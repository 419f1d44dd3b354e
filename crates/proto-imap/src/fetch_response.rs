//! Encoding an untagged FETCH response (RFC 9051 §7.5.2) whose items may include one that
//! `imap-types` cannot express: the answer to a partial BINARY fetch, which names its
//! origin (`BINARY[1]<0> {10}`, RFC 9051 §7.5.2 "BINARY[<section-binary>]<<number>>",
//! RFC 3516 §4.2).
//!
//! A response of codec items only is encoded by `imap-codec` whole. A response with a
//! partial BINARY item is written here: `* n FETCH (` then the items separated by one space,
//! then `)` CRLF; each codec item is the text `imap-codec` writes for it (taken from a
//! one-item FETCH response), the partial BINARY item is written by hand.
//!
//! Invariants: the bytes are those `imap-codec` would write if it knew the origin; every
//! response ends with CRLF; the data of a partial BINARY item is always a literal (a
//! literal8 when it holds NUL, RFC 3516 §4.2), so it cannot add a line to the response.

use std::num::NonZeroU32;

use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::fetch::MessageDataItem;
use imap_codec::imap_types::response::Data;

use crate::response;

/// One item of a FETCH response.
// The large variant is the common one (every item but a partial BINARY); boxing it would
// add an allocation per item to every FETCH.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchItem {
    /// An item `imap-codec` encodes.
    Codec(MessageDataItem<'static>),
    /// `BINARY[section]<origin>` and the decoded bytes from `origin` on.
    BinaryPartial {
        /// The part numbers (empty for the whole message).
        section: Vec<NonZeroU32>,
        /// The offset in the decoded data the bytes start at.
        origin: u32,
        /// The bytes sent.
        data: Vec<u8>,
    },
}

/// `* seq FETCH (items)` CRLF; nothing when `items` is empty.
pub fn fetch(seq: NonZeroU32, items: Vec<FetchItem>) -> Vec<u8> {
    if items.iter().all(|i| matches!(i, FetchItem::Codec(_))) {
        let codec: Vec<MessageDataItem<'static>> = items
            .into_iter()
            .filter_map(|i| match i {
                FetchItem::Codec(c) => Some(c),
                FetchItem::BinaryPartial { .. } => None,
            })
            .collect();
        return match Vec1::try_from(codec) {
            Ok(items) => response::data(Data::Fetch { seq, items }),
            Err(_) => Vec::new(),
        };
    }
    let mut out = format!("* {seq} FETCH (").into_bytes();
    for (k, item) in items.into_iter().enumerate() {
        if k > 0 {
            out.push(b' ');
        }
        match item {
            FetchItem::Codec(c) => out.extend_from_slice(&codec_item(seq, c)),
            FetchItem::BinaryPartial {
                section,
                origin,
                data,
            } => binary_partial(&mut out, &section, origin, &data),
        }
    }
    out.extend_from_slice(b")\r\n");
    out
}

/// The text `imap-codec` writes for one item: its one-item FETCH response without the
/// `* seq FETCH (` before it and the `)` CRLF after it.
fn codec_item(seq: NonZeroU32, item: MessageDataItem<'static>) -> Vec<u8> {
    let whole = response::data(Data::Fetch {
        seq,
        items: Vec1::from(item),
    });
    let head = format!("* {seq} FETCH (");
    whole
        .strip_prefix(head.as_bytes())
        .and_then(|rest| rest.strip_suffix(b")\r\n"))
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

/// `BINARY[1.2]<origin> {len}` CRLF and the bytes; `~{len}` when they hold NUL.
fn binary_partial(out: &mut Vec<u8>, section: &[NonZeroU32], origin: u32, data: &[u8]) {
    let path: Vec<String> = section.iter().map(ToString::to_string).collect();
    let tilde = if data.contains(&0) { "~" } else { "" };
    out.extend_from_slice(
        format!(
            "BINARY[{}]<{origin}> {tilde}{{{}}}\r\n",
            path.join("."),
            data.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(data);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::wire::{binary_value, nz};

    fn partial(section: &[u32], origin: u32, data: &[u8]) -> FetchItem {
        FetchItem::BinaryPartial {
            section: section.iter().map(|&n| nz(n)).collect(),
            origin,
            data: data.to_vec(),
        }
    }

    #[test]
    fn codec_items_only_are_encoded_whole() {
        let got = fetch(nz(4), vec![FetchItem::Codec(MessageDataItem::Uid(nz(9)))]);
        assert_eq!(got, b"* 4 FETCH (UID 9)\r\n");
        assert_eq!(fetch(nz(4), Vec::new()), b"");
    }

    #[test]
    fn partial_binary_names_its_origin() {
        let got = fetch(nz(1), vec![partial(&[5], 0, b"abcdefg")]);
        assert_eq!(got, b"* 1 FETCH (BINARY[5]<0> {7}\r\nabcdefg)\r\n");
        let got = fetch(nz(2), vec![partial(&[1, 2], 10, b"")]);
        assert_eq!(got, b"* 2 FETCH (BINARY[1.2]<10> {0}\r\n)\r\n");
        let got = fetch(nz(3), vec![partial(&[], 3, b"a\0b")]);
        assert_eq!(got, b"* 3 FETCH (BINARY[]<3> ~{3}\r\na\0b)\r\n");
    }

    #[test]
    fn mixed_items_keep_their_order_and_codec_text() {
        let whole = MessageDataItem::Binary {
            section: vec![nz(1)],
            value: binary_value(b"x\r\ny".to_vec()),
        };
        let got = fetch(
            nz(7),
            vec![
                FetchItem::Codec(MessageDataItem::Uid(nz(42))),
                partial(&[2], 1, b"\r\n)"),
                FetchItem::Codec(whole.clone()),
                FetchItem::Codec(MessageDataItem::BinarySize {
                    section: vec![nz(2)],
                    size: 30,
                }),
            ],
        );
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "* 7 FETCH (UID 42 BINARY[2]<1> {3}\r\n\r\n) BINARY[1] {4}\r\nx\r\ny BINARY.SIZE[2] 30)\r\n"
        );
        // The codec's text of an item is what it writes in a response of its own.
        let alone = String::from_utf8(fetch(nz(7), vec![FetchItem::Codec(whole)])).unwrap();
        assert_eq!(alone, "* 7 FETCH (BINARY[1] {4}\r\nx\r\ny)\r\n");
    }
}
