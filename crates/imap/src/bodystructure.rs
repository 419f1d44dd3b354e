//! BODY and BODYSTRUCTURE (RFC 9051 §7.5.2): the body structure `heron_message` reads from
//! a message, in `imap-codec`'s types.
//!
//! Invariants: types, subtypes, encodings and parameter names (of Content-Type and
//! Content-Disposition) and the disposition type are upper-cased as is customary; values are
//! sent as written; BODY is BODYSTRUCTURE without extension data, also inside an
//! encapsulated message.

use heron_message::bodystructure::{self as plain, Content, Extension};
use heron_message::mime::Entity;
use heron_proto_imap::wire::{istring, nstring};
use imap_codec::imap_types::body::{
    BasicFields, Body, BodyStructure, Disposition, Language, Location, MultiPartExtensionData,
    SinglePartExtensionData, SpecificFields,
};
use imap_codec::imap_types::core::{IString, Vec1};

use crate::envelope;

/// The structure of an entity; `extended` adds the extension data of BODYSTRUCTURE.
pub fn build(raw: &[u8], e: &Entity<'_>, extended: bool) -> BodyStructure<'static> {
    encode(plain::build(raw, e), extended)
}

/// A body structure in the codec's types.
fn encode(b: plain::BodyStructure, extended: bool) -> BodyStructure<'static> {
    match b {
        plain::BodyStructure::Multipart(m) => {
            let bodies: Vec<BodyStructure<'static>> =
                m.parts.into_iter().map(|p| encode(p, extended)).collect();
            let subtype = upper(&m.subtype);
            let extension_data = extended.then(|| MultiPartExtensionData {
                parameter_list: params(&m.params),
                tail: Some(disposition(m.extension)),
            });
            match Vec1::try_from(bodies) {
                Ok(bodies) => BodyStructure::Multi {
                    bodies,
                    subtype,
                    extension_data,
                },
                // heron_message never gives a multipart without parts; never fail on one.
                Err(_) => BodyStructure::Single {
                    body: Body {
                        basic: BasicFields {
                            parameter_list: Vec::new(),
                            id: nstring(None::<Vec<u8>>),
                            description: nstring(None::<Vec<u8>>),
                            content_transfer_encoding: upper("7bit"),
                            size: 0,
                        },
                        specific: SpecificFields::Basic {
                            r#type: upper("multipart"),
                            subtype,
                        },
                    },
                    extension_data: None,
                },
            }
        }
        plain::BodyStructure::Single(s) => single(s, extended),
    }
}

fn single(s: plain::Single, extended: bool) -> BodyStructure<'static> {
    let basic = BasicFields {
        parameter_list: params(&s.params),
        id: nstring(s.id),
        description: nstring(s.description),
        content_transfer_encoding: upper(&s.encoding),
        size: s.size,
    };
    let specific = match s.content {
        Content::Message {
            envelope: env,
            body,
            lines,
        } => SpecificFields::Message {
            envelope: Box::new(envelope::encode(*env)),
            body_structure: Box::new(encode(*body, extended)),
            number_of_lines: lines,
        },
        Content::Text { lines } => SpecificFields::Text {
            subtype: upper(&s.subtype),
            number_of_lines: lines,
        },
        Content::Basic => SpecificFields::Basic {
            r#type: upper(&s.media_type),
            subtype: upper(&s.subtype),
        },
    };
    BodyStructure::Single {
        body: Body { basic, specific },
        extension_data: extended.then(|| SinglePartExtensionData {
            md5: nstring(s.md5),
            tail: Some(disposition(s.extension)),
        }),
    }
}

fn params(list: &[(String, String)]) -> Vec<(IString<'static>, IString<'static>)> {
    list.iter()
        .map(|(n, v)| (upper(n), istring(v.as_bytes().to_vec())))
        .collect()
}

/// Disposition, language and location.
fn disposition(x: Extension) -> Disposition<'static> {
    Disposition {
        disposition: x.disposition.map(|(kind, list)| {
            (
                upper(&kind),
                list.iter()
                    .map(|(n, v)| (upper(n), istring(v.as_bytes().to_vec())))
                    .collect(),
            )
        }),
        tail: Some(Language {
            language: x
                .language
                .into_iter()
                .map(|l| istring(l.into_bytes()))
                .collect(),
            tail: Some(Location {
                location: nstring(x.location),
                extensions: Vec::new(),
            }),
        }),
    }
}

fn upper(s: &str) -> IString<'static> {
    istring(s.to_ascii_uppercase().into_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use heron_message::mime;
    use heron_message::testdata::{MULTI, SIMPLE};
    use imap_codec::ResponseCodec;
    use imap_codec::encode::Encoder;
    use imap_codec::imap_types::fetch::MessageDataItem;
    use imap_codec::imap_types::response::{Data, Response};

    fn encode(b: BodyStructure<'static>) -> String {
        let r = Response::Data(Data::Fetch {
            seq: std::num::NonZeroU32::MIN,
            items: Vec1::from(MessageDataItem::BodyStructure(b)),
        });
        String::from_utf8(ResponseCodec::default().encode(&r).dump()).unwrap()
    }

    #[test]
    fn single_text_part() {
        let e = mime::parse(SIMPLE);
        let got = encode(build(SIMPLE, &e, false));
        assert_eq!(
            got,
            "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 28 2))\r\n"
        );
    }

    #[test]
    fn multipart_structure() {
        let e = mime::parse(MULTI);
        let got = encode(build(MULTI, &e, true));
        assert!(
            got.starts_with("* 1 FETCH (BODYSTRUCTURE (((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 40 2 NIL NIL NIL NIL)"),
            "{got}"
        );
        assert!(
            got.contains("\"ALTERNATIVE\" (\"BOUNDARY\" \"inner\")"),
            "{got}"
        );
        assert!(
            got.contains("(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"data.bin\") \"<part3@example.test>\" NIL \"BASE64\" 12 NIL (\"ATTACHMENT\" (\"FILENAME\" \"data.bin\")) NIL NIL)"),
            "{got}"
        );
        assert!(
            got.contains("(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" "),
            "{got}"
        );
        assert!(got.contains("\"Inner message\""), "{got}");
        assert!(
            got.ends_with(" \"MIXED\" (\"BOUNDARY\" \"outer\") NIL NIL NIL))\r\n"),
            "{got}"
        );
        let basic = encode(build(MULTI, &e, false));
        assert!(!basic.contains("BOUNDARY"), "{basic}");
    }
}
