//! BODY and BODYSTRUCTURE (RFC 9051 §7.5.2) from a message's MIME structure.
//!
//! Invariants: a part's size is the length of exactly the bytes BODY[part] returns; text
//! and message/rfc822 parts count their lines; types, subtypes, encodings and parameter
//! names are upper-cased as is customary; BODY is BODYSTRUCTURE without extension data.

use heron_proto_imap::wire::{istring, nstring};
use imap_codec::imap_types::body::{
    BasicFields, Body, BodyStructure, Disposition, Language, Location, MultiPartExtensionData,
    SinglePartExtensionData, SpecificFields,
};
use imap_codec::imap_types::core::{IString, NString, Vec1};
use mail_parser::{HeaderName, HeaderValue};

use crate::envelope;
use crate::mime::{Entity, Kind, unfold};

/// The structure of an entity; `extended` adds the extension data of BODYSTRUCTURE.
pub fn build(raw: &[u8], e: &Entity<'_>, extended: bool) -> BodyStructure<'static> {
    match &e.kind {
        Kind::Multipart(parts) => {
            let bodies: Vec<BodyStructure<'static>> =
                parts.iter().map(|p| build(raw, p, extended)).collect();
            match Vec1::try_from(bodies) {
                Ok(bodies) => BodyStructure::Multi {
                    bodies,
                    subtype: upper(&e.subtype),
                    extension_data: extended.then(|| MultiPartExtensionData {
                        parameter_list: params(e),
                        tail: Some(disposition(raw, e)),
                    }),
                },
                // A multipart always has parts (mime.rs), but never fail on it.
                Err(_) => single(raw, e, extended),
            }
        }
        _ => single(raw, e, extended),
    }
}

fn single(raw: &[u8], e: &Entity<'_>, extended: bool) -> BodyStructure<'static> {
    let body_bytes = &raw[e.body.clone()];
    let basic = BasicFields {
        parameter_list: params(e),
        id: nstring(e.raw_field(raw, "Content-ID").map(unfold)),
        description: nstring(e.raw_field(raw, "Content-Description").map(unfold)),
        content_transfer_encoding: upper(
            e.transfer_encoding()
                .as_deref()
                .filter(|t| !t.is_empty())
                .unwrap_or("7bit"),
        ),
        size: u32::try_from(body_bytes.len()).unwrap_or(u32::MAX),
    };
    let lines = count_lines(body_bytes);
    let specific = match &e.kind {
        Kind::Message(inner) => SpecificFields::Message {
            envelope: Box::new(envelope::build(raw, inner)),
            body_structure: Box::new(build(raw, inner, extended)),
            number_of_lines: lines,
        },
        _ if e.media_type == "text" => SpecificFields::Text {
            subtype: upper(&e.subtype),
            number_of_lines: lines,
        },
        _ => SpecificFields::Basic {
            r#type: upper(&e.media_type),
            subtype: upper(&e.subtype),
        },
    };
    BodyStructure::Single {
        body: Body { basic, specific },
        extension_data: extended.then(|| SinglePartExtensionData {
            md5: NString::NIL,
            tail: Some(disposition(raw, e)),
        }),
    }
}

fn params(e: &Entity<'_>) -> Vec<(IString<'static>, IString<'static>)> {
    e.params
        .iter()
        .map(|(n, v)| (upper(n), istring(v.as_bytes().to_vec())))
        .collect()
}

/// Disposition, language and location (RFC 9051 §7.5.2 body extensions).
fn disposition(raw: &[u8], e: &Entity<'_>) -> Disposition<'static> {
    let disposition = match e.field(HeaderName::ContentDisposition) {
        Some(HeaderValue::ContentType(ct)) if !ct.c_type.is_empty() => Some((
            upper(&ct.c_type),
            ct.attributes
                .iter()
                .flatten()
                .map(|a| (upper(&a.name), istring(a.value.as_bytes().to_vec())))
                .collect(),
        )),
        _ => None,
    };
    let language: Vec<IString<'static>> = e
        .raw_field(raw, "Content-Language")
        .map(|v| {
            String::from_utf8_lossy(&unfold(v))
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| istring(l.as_bytes().to_vec()))
                .collect()
        })
        .unwrap_or_default();
    Disposition {
        disposition,
        tail: Some(Language {
            language,
            tail: Some(Location {
                location: nstring(e.raw_field(raw, "Content-Location").map(unfold)),
                extensions: Vec::new(),
            }),
        }),
    }
}

fn upper(s: &str) -> IString<'static> {
    istring(s.to_ascii_uppercase().into_bytes())
}

/// Lines in a body: line breaks, plus one for a last line without a break.
pub fn count_lines(b: &[u8]) -> u32 {
    let breaks = b.iter().filter(|&&c| c == b'\n').count();
    let partial = usize::from(!b.is_empty() && !b.ends_with(b"\n"));
    u32::try_from(breaks + partial).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::mime;
    use crate::testdata::{MULTI, SIMPLE};
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

    #[test]
    fn line_counts() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a\r\nb"), 2);
        assert_eq!(count_lines(b"a\r\nb\r\n"), 2);
    }
}
