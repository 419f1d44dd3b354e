//! BODY[section]<partial> (RFC 9051 §6.4.5): the bytes a section designates.
//!
//! Part numbers: a multipart's parts are numbered from 1; a message that is not multipart
//! has only part 1, its body; the parts of a message/rfc822 part are those of the message it
//! encapsulates. HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT and TEXT after a part number apply
//! to the message a message/rfc822 part encapsulates; MIME is the part's own MIME header.
//!
//! Invariants: a section that does not exist yields empty data (as common servers do), not an
//! error; header subsets keep each field exactly as stored, folding included, followed by
//! the blank line; a partial range beyond the data yields empty data.

use std::num::NonZeroU32;

use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::fetch::{Part, Section};

use crate::mime::{Entity, Kind, header_fields};

/// The bytes of a section of the message `raw` whose structure is `root`.
pub fn extract(raw: &[u8], root: &Entity<'_>, section: Option<&Section<'_>>) -> Vec<u8> {
    let Some(section) = section else {
        return raw.to_vec();
    };
    match section {
        Section::Part(part) => {
            find(root, part).map_or_else(Vec::new, |e| raw[e.body.clone()].to_vec())
        }
        Section::Mime(part) => {
            find(root, part).map_or_else(Vec::new, |e| raw[e.header.clone()].to_vec())
        }
        Section::Header(part) => {
            message(root, part.as_ref()).map_or_else(Vec::new, |m| raw[m.header.clone()].to_vec())
        }
        Section::Text(part) => {
            message(root, part.as_ref()).map_or_else(Vec::new, |m| raw[m.body.clone()].to_vec())
        }
        Section::HeaderFields(part, names) => message(root, part.as_ref())
            .map_or_else(Vec::new, |m| {
                fields(&raw[m.header.clone()], names.as_ref(), true)
            }),
        Section::HeaderFieldsNot(part, names) => message(root, part.as_ref())
            .map_or_else(Vec::new, |m| {
                fields(&raw[m.header.clone()], names.as_ref(), false)
            }),
    }
}

/// Content-Transfer-Encoding this server cannot undo (RFC 3516 `[UNKNOWN-CTE]`).
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownCte;

/// BINARY[path] (RFC 3516 §4.2): a part's content with its transfer encoding undone; the
/// whole message, as stored, for an empty path. A part number that does not exist yields
/// empty data, as for BODY.
pub fn binary(raw: &[u8], root: &Entity<'_>, path: &[NonZeroU32]) -> Result<Vec<u8>, UnknownCte> {
    let Ok(p) = imap_codec::imap_types::core::Vec1::try_from(path.to_vec()) else {
        return Ok(raw.to_vec());
    };
    let Some(e) = find(root, &Part(p)) else {
        return Ok(Vec::new());
    };
    let body = &raw[e.body.clone()];
    match e.transfer_encoding().as_deref() {
        None | Some("7bit" | "8bit" | "binary" | "") => Ok(body.to_vec()),
        Some("base64") => mail_parser::decoders::base64::base64_decode(body).ok_or(UnknownCte),
        Some("quoted-printable") => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(body).ok_or(UnknownCte)
        }
        Some(_) => Err(UnknownCte),
    }
}

/// The entity a part number designates.
fn find<'e, 'm>(root: &'e Entity<'m>, part: &Part) -> Option<&'e Entity<'m>> {
    let mut children = subparts(root);
    let mut found = None;
    for n in part.0.as_ref() {
        let e = *children.get(n.get() as usize - 1)?;
        children = match &e.kind {
            Kind::Message(inner) => subparts(inner),
            _ => subparts(e),
        };
        found = Some(e);
    }
    found
}

/// The numbered parts directly below an entity viewed as a message body.
fn subparts<'e, 'm>(e: &'e Entity<'m>) -> Vec<&'e Entity<'m>> {
    match &e.kind {
        Kind::Multipart(parts) => parts.iter().collect(),
        _ => vec![e],
    }
}

/// The message a HEADER/TEXT section applies to: the whole message without a part number,
/// else the message encapsulated by that message/rfc822 part.
fn message<'e, 'm>(root: &'e Entity<'m>, part: Option<&Part>) -> Option<&'e Entity<'m>> {
    match part {
        None => Some(root),
        Some(p) => match &find(root, p)?.kind {
            Kind::Message(inner) => Some(inner),
            _ => None,
        },
    }
}

/// The header fields named (or, with `keep` false, not named) in `names`, then a blank line.
fn fields(header: &[u8], names: &[AString<'_>], keep: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for f in header_fields(header) {
        let named = names
            .iter()
            .any(|n| n.as_ref().eq_ignore_ascii_case(f.name));
        if named == keep {
            out.extend_from_slice(f.whole);
            if !f.whole.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Apply `<origin.count>`: the bytes from `origin`, at most `count` of them.
pub fn partial(data: Vec<u8>, range: Option<(u32, NonZeroU32)>) -> Vec<u8> {
    let Some((origin, count)) = range else {
        return data;
    };
    let start = (origin as usize).min(data.len());
    let end = start.saturating_add(count.get() as usize).min(data.len());
    data[start..end].to_vec()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::mime;
    use crate::testdata::{MULTI, SIMPLE};
    use imap_codec::imap_types::core::Vec1;

    fn part(nums: &[u32]) -> Part {
        Part(
            Vec1::try_from(
                nums.iter()
                    .map(|&n| NonZeroU32::new(n).unwrap())
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
        )
    }

    fn get(raw: &[u8], s: Option<Section<'_>>) -> String {
        let root = mime::parse(raw);
        String::from_utf8_lossy(&extract(raw, &root, s.as_ref())).into_owned()
    }

    fn names(n: &[&'static str]) -> Vec1<AString<'static>> {
        Vec1::try_from(
            n.iter()
                .map(|s| AString::try_from(*s).unwrap())
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn whole_header_and_text() {
        assert_eq!(get(SIMPLE, None).as_bytes(), SIMPLE);
        assert!(get(SIMPLE, Some(Section::Header(None))).ends_with(">\r\n\r\n"));
        assert_eq!(
            get(SIMPLE, Some(Section::Text(None))),
            "Hi Bob,\r\nthis is the body.\r\n"
        );
        assert_eq!(
            get(SIMPLE, Some(Section::Part(part(&[1])))),
            "Hi Bob,\r\nthis is the body.\r\n"
        );
        assert_eq!(get(SIMPLE, Some(Section::Part(part(&[2])))), "");
    }

    #[test]
    fn header_fields() {
        assert_eq!(
            get(
                SIMPLE,
                Some(Section::HeaderFields(None, names(&["subject", "FROM"])))
            ),
            "From: Alice Example <alice@example.test>\r\nSubject: Hello there\r\n\r\n"
        );
        let not = get(
            SIMPLE,
            Some(Section::HeaderFieldsNot(
                None,
                names(&["To", "Date", "Message-ID"]),
            )),
        );
        assert_eq!(
            not,
            "From: Alice Example <alice@example.test>\r\nSubject: Hello there\r\n\r\n"
        );
        assert_eq!(
            get(
                SIMPLE,
                Some(Section::HeaderFields(None, names(&["X-None"])))
            ),
            "\r\n"
        );
    }

    #[test]
    fn numbered_parts() {
        assert_eq!(
            get(MULTI, Some(Section::Part(part(&[1, 1])))),
            "Sch=C3=B6ne Gr=C3=BC=C3=9Fe\r\nsecond line"
        );
        assert_eq!(get(MULTI, Some(Section::Part(part(&[2])))), "AAECAwQFBgc=");
        assert!(
            get(MULTI, Some(Section::Mime(part(&[2]))))
                .starts_with("Content-Type: application/octet-stream")
        );
        assert_eq!(get(MULTI, Some(Section::Part(part(&[3, 1])))), "deep text");
        assert_eq!(get(MULTI, Some(Section::Part(part(&[3, 2])))), "PNGDATA");
        assert!(
            get(MULTI, Some(Section::Header(Some(part(&[3])))))
                .starts_with("From: inner@example.test\r\nSubject: Inner")
        );
        assert!(get(MULTI, Some(Section::Text(Some(part(&[3]))))).starts_with("--deep\r\n"));
        assert_eq!(
            get(
                MULTI,
                Some(Section::HeaderFields(Some(part(&[3])), names(&["Subject"])))
            ),
            "Subject: Inner message\r\n\r\n"
        );
        assert_eq!(
            get(MULTI, Some(Section::Header(Some(part(&[2]))))),
            "",
            "not a message"
        );
        assert_eq!(get(MULTI, Some(Section::Part(part(&[9])))), "");
        assert_eq!(get(MULTI, Some(Section::Part(part(&[1, 2, 7])))), "");
    }

    #[test]
    fn binary_sections() {
        let root = mime::parse(MULTI);
        let n = |v: &[u32]| {
            v.iter()
                .map(|&x| NonZeroU32::new(x).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            binary(MULTI, &root, &n(&[2])).unwrap(),
            [0, 1, 2, 3, 4, 5, 6, 7]
        );
        assert_eq!(
            String::from_utf8(binary(MULTI, &root, &n(&[1, 1])).unwrap()).unwrap(),
            "Schöne Grüße\r\nsecond line"
        );
        assert_eq!(binary(MULTI, &root, &n(&[3, 2])).unwrap(), b"PNGDATA");
        assert_eq!(binary(MULTI, &root, &[]).unwrap(), MULTI);
        let odd = b"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 f\r\n";
        let root = mime::parse(odd);
        assert_eq!(binary(odd, &root, &n(&[1])), Err(UnknownCte));
    }

    #[test]
    fn partial_ranges() {
        let d = b"0123456789".to_vec();
        assert_eq!(
            partial(d.clone(), Some((2, NonZeroU32::new(3).unwrap()))),
            b"234"
        );
        assert_eq!(
            partial(d.clone(), Some((8, NonZeroU32::new(30).unwrap()))),
            b"89"
        );
        assert_eq!(
            partial(d.clone(), Some((20, NonZeroU32::new(3).unwrap()))),
            b""
        );
        assert_eq!(partial(d.clone(), None), d);
    }
}
