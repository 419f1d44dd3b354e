//! Entry points for the fuzz targets (`crates/imap/fuzz`): the message side of FETCH run on
//! arbitrary bytes, as a stored message could hold them. Not part of the crate's API.
//!
//! Invariant checked by the targets: whatever the bytes, building the MIME structure,
//! BODYSTRUCTURE, BODY, ENVELOPE and the sections never panics, and the FETCH response that
//! carries them encodes to one response ending with CRLF.

use std::num::NonZeroU32;

use heron_proto_imap::wire::binary_value;
use heron_proto_imap::{response, wire};
use imap_codec::imap_types::core::{NString, Vec1};
use imap_codec::imap_types::fetch::{MessageDataItem, Part, Section};
use imap_codec::imap_types::response::Data;

use heron_message::mime;

use crate::{bodystructure, envelope, section};

/// The part paths tried on every message: the first parts, and into their first parts.
const PATHS: &[&[u32]] = &[&[1], &[2], &[1, 1], &[1, 2], &[2, 1], &[1, 1, 1]];

/// The encoded `* 1 FETCH (...)` response a client asking for ENVELOPE, BODYSTRUCTURE,
/// BODY, BODY[HEADER], BODY[TEXT], header field subsets and each part of [`PATHS`]
/// (BODY[path], BODY[path.MIME], BINARY[path]) would get for the message `raw`.
pub fn fetch_response(raw: &[u8]) -> Vec<u8> {
    let root = mime::parse(raw);
    let mut items = vec![
        MessageDataItem::Envelope(envelope::build(raw, &root)),
        MessageDataItem::BodyStructure(bodystructure::build(raw, &root, true)),
        MessageDataItem::Body(bodystructure::build(raw, &root, false)),
    ];
    let names = Vec1::from(wire::astring("Subject"));
    let mut sections = vec![
        Section::Header(None),
        Section::Text(None),
        Section::HeaderFields(None, names.clone()),
        Section::HeaderFieldsNot(None, names),
    ];
    for path in PATHS {
        let numbers: Vec<NonZeroU32> = path.iter().map(|&n| wire::nz(n)).collect();
        if let Ok(p) = Vec1::try_from(numbers.clone()) {
            sections.push(Section::Part(Part(p.clone())));
            sections.push(Section::Mime(Part(p.clone())));
            sections.push(Section::Header(Some(Part(p))));
        }
        if let Ok(data) = section::binary(raw, &root, &numbers) {
            items.push(MessageDataItem::Binary {
                section: numbers,
                value: binary_value(data),
            });
        }
    }
    for s in sections {
        let data = section::extract(raw, &root, Some(&s));
        items.push(MessageDataItem::BodyExt {
            section: Some(s),
            origin: None,
            data: NString(Some(wire::literal(data))),
        });
    }
    match Vec1::try_from(items) {
        Ok(items) => response::data(Data::Fetch {
            seq: wire::nz(1),
            items,
        }),
        Err(_) => Vec::new(),
    }
}
