//! FETCH data items (RFC 9051 §6.4.5, §7.5.2) for one message, built for the items a
//! [`Plan`] (parsed in [`heron_proto_imap::fetch`]) asks for.
//!
//! Invariants: the items come back in the order the plan holds them; RFC822.SIZE
//! is the stored size, the length of BODY[]; body data is always sent as a literal; UID,
//! FLAGS and MODSEQ come from the session's view, size and internal date from the store
//! (read only when the plan says [`Plan::needs_meta`]).

use std::num::NonZeroU64;

use heron_proto_imap::fetch::Plan;
use heron_proto_imap::fetch_response::FetchItem;
use heron_proto_imap::wire::{binary_value, fetch_flags, internal_date, literal, nz};
use heron_store::MessageMeta;
use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::core::NString;
use imap_codec::imap_types::fetch::{MessageDataItem, MessageDataItemName, Section};

use crate::section::UnknownCte;
use crate::updates::with_recent;
use crate::{bodystructure, envelope, section};
use heron_message::flagsets::Flags;
use heron_message::mime::Entity;

/// The message bytes and their structure, when the plan needs them.
pub struct Body<'a> {
    pub raw: &'a [u8],
    pub root: &'a Entity<'a>,
}

/// What FETCH knows of one message: UID, modseq and flags from the session's view, and the
/// stored metadata when the plan needs it.
pub struct Item<'a> {
    pub uid: u32,
    pub modseq: u64,
    pub flags: Flags<'a>,
    /// `\Recent` in this session (IMAP4rev1 only).
    pub recent: bool,
    pub stored: Option<&'a MessageMeta>,
}

/// The items for one message. `add_flags` adds FLAGS (when \Seen was just set).
pub fn build(
    plan: &Plan,
    m: &Item<'_>,
    body: Option<&Body<'_>>,
    add_flags: bool,
) -> Result<Vec<FetchItem>, UnknownCte> {
    use MessageDataItemName as N;
    let mut out = Vec::with_capacity(plan.items.len() + 1);
    for item in &plan.items {
        let v = match (item, body, m.stored) {
            // RFC 9051 §7.5.2: the answer names the origin, `BINARY[1]<0>`; the bytes are
            // those of the decoded section from there on.
            (
                N::Binary {
                    section: path,
                    partial: Some(range),
                    ..
                },
                Some(b),
                _,
            ) => {
                out.push(FetchItem::BinaryPartial {
                    section: path.clone(),
                    origin: range.0,
                    data: section::partial(section::binary(b.raw, b.root, path)?, Some(*range)),
                });
                continue;
            }
            (N::Flags, ..) => {
                MessageDataItem::Flags(with_recent(fetch_flags(m.flags.iter()), m.recent))
            }
            (N::Uid, ..) => MessageDataItem::Uid(nz(m.uid)),
            (N::Rfc822Size, _, Some(st)) => {
                MessageDataItem::Rfc822Size(u32::try_from(st.size).unwrap_or(u32::MAX))
            }
            (N::InternalDate, _, Some(st)) => {
                MessageDataItem::InternalDate(internal_date(st.internal_date))
            }
            (N::ModSeq, ..) => {
                MessageDataItem::ModSeq(NonZeroU64::new(m.modseq).unwrap_or(NonZeroU64::MIN))
            }
            (N::Envelope, Some(b), _) => MessageDataItem::Envelope(envelope::build(b.raw, b.root)),
            (N::BodyStructure, Some(b), _) => {
                MessageDataItem::BodyStructure(bodystructure::build(b.raw, b.root, true))
            }
            (N::Body, Some(b), _) => {
                MessageDataItem::Body(bodystructure::build(b.raw, b.root, false))
            }
            (
                N::BodyExt {
                    section: sec,
                    partial,
                    ..
                },
                Some(b),
                _,
            ) => {
                let data =
                    section::partial(section::extract(b.raw, b.root, sec.as_ref()), *partial);
                MessageDataItem::BodyExt {
                    section: sec.clone().map(|s: Section<'_>| s.into_static()),
                    origin: partial.map(|p| p.0),
                    data: NString(Some(literal(data))),
                }
            }
            (N::Rfc822, Some(b), _) => {
                MessageDataItem::Rfc822(NString(Some(literal(b.raw.to_vec()))))
            }
            (N::Rfc822Header, Some(b), _) => MessageDataItem::Rfc822Header(NString(Some(literal(
                b.raw[b.root.header.clone()].to_vec(),
            )))),
            (N::Rfc822Text, Some(b), _) => MessageDataItem::Rfc822Text(NString(Some(literal(
                b.raw[b.root.body.clone()].to_vec(),
            )))),
            (N::Binary { section: path, .. }, Some(b), _) => MessageDataItem::Binary {
                section: path.clone(),
                value: binary_value(section::binary(b.raw, b.root, path)?),
            },
            (N::BinarySize { section: path }, Some(b), _) => MessageDataItem::BinarySize {
                section: path.clone(),
                size: u32::try_from(section::binary(b.raw, b.root, path)?.len())
                    .unwrap_or(u32::MAX),
            },
            _ => continue,
        };
        out.push(FetchItem::Codec(v));
    }
    if add_flags && !plan.items.contains(&N::Flags) {
        out.push(FetchItem::Codec(MessageDataItem::Flags(with_recent(
            fetch_flags(m.flags.iter()),
            m.recent,
        ))));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use heron_message::mime;
    use heron_message::testdata::MULTI;
    use heron_proto_imap::fetch::plan;
    use heron_proto_imap::fetch_response;
    use imap_codec::CommandCodec;
    use imap_codec::decode::Decoder;
    use imap_codec::imap_types::command::CommandBody;

    fn plan_of(line: &str, uid: bool) -> Plan {
        let l = format!("t FETCH 1 {line}\r\n");
        let (_, c) = CommandCodec::default().decode(l.as_bytes()).unwrap();
        let CommandBody::Fetch {
            macro_or_item_names,
            ..
        } = c.body
        else {
            panic!()
        };
        plan(macro_or_item_names, uid, false)
    }

    fn meta() -> MessageMeta {
        MessageMeta {
            folder_id: 1,
            uid: 42,
            modseq: 9,
            flags: vec!["\\Seen".into(), "$Work".into()],
            internal_date: 1_704_067_200,
            size: MULTI.len() as u64,
            blob: "b".into(),
        }
    }

    fn render(p: &Plan) -> String {
        let root = mime::parse(MULTI);
        let body = Body {
            raw: MULTI,
            root: &root,
        };
        let stored = meta();
        let joined = stored.flags.join(" ");
        let item = Item {
            uid: stored.uid,
            modseq: stored.modseq,
            flags: Flags::joined(&joined),
            recent: false,
            stored: Some(&stored),
        };
        let items = build(p, &item, Some(&body), false).unwrap();
        String::from_utf8_lossy(&fetch_response::fetch(nz(3), items)).into_owned()
    }

    #[test]
    fn binary_items() {
        let got = render(&plan_of("(BINARY.PEEK[2] BINARY.SIZE[1.1])", false));
        assert_eq!(
            got,
            "* 3 FETCH (BINARY[2] ~{8}\r\n\x00\x01\x02\x03\x04\x05\x06\x07 BINARY.SIZE[1.1] 28)\r\n"
        );
        assert!(plan_of("(BINARY[1])", false).sets_seen);
    }

    #[test]
    fn partial_binary_items() {
        // Part 2 decodes to the bytes 0 to 7; part 1.1 to 28 bytes of text.
        let got = render(&plan_of(
            "(UID BINARY.PEEK[2]<3.2> BINARY.PEEK[2]<6.10> BINARY.PEEK[1.1]<30.5> BINARY.SIZE[2])",
            false,
        ));
        assert_eq!(
            got,
            "* 3 FETCH (UID 42 BINARY[2]<3> {2}\r\n\x03\x04 BINARY[2]<6> {2}\r\n\x06\x07 \
             BINARY[1.1]<30> {0}\r\n BINARY.SIZE[2] 8)\r\n"
        );
        let got = render(&plan_of("(BINARY.PEEK[2]<0.3>)", false));
        assert_eq!(got, "* 3 FETCH (BINARY[2]<0> ~{3}\r\n\x00\x01\x02)\r\n");
    }

    #[test]
    fn items() {
        let got = render(&plan_of("(FLAGS UID RFC822.SIZE INTERNALDATE)", false));
        assert_eq!(
            got,
            format!(
                "* 3 FETCH (FLAGS (\\Seen $Work) UID 42 RFC822.SIZE {} INTERNALDATE \"01-Jan-2024 00:00:00 +0000\")\r\n",
                MULTI.len()
            )
        );
        let got = render(&plan_of(
            "(BODY.PEEK[1.1]<5.6> BODY[HEADER.FIELDS (SUBJECT)])",
            false,
        ));
        assert_eq!(
            got,
            "* 3 FETCH (BODY[1.1]<5> {6}\r\n3=B6ne BODY[HEADER.FIELDS (SUBJECT)] {44}\r\nSubject: =?utf-8?b?R3LDvMOfZQ==?= report\r\n\r\n)\r\n"
        );
    }
}
