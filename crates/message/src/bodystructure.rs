//! The body structure of a message (what IMAP calls BODY and BODYSTRUCTURE, RFC 9051
//! §7.5.2) as plain data, from its MIME structure ([`crate::mime`]): each entity's type,
//! parameters, identification, transfer encoding, size, line count and the extension data
//! (disposition, language, location).
//!
//! Invariants: pure; a part's size is the length of exactly the bytes its section selects
//! ([`crate::section`]); text and message/rfc822 parts count their lines; types, subtypes
//! and parameter names are lower-case (as [`crate::mime`] gives them), values as written; a
//! multipart holds at least one part; MD5 is not read (always `None`).

use mail_parser::{HeaderName, HeaderValue};

use crate::envelope::{self, Envelope};
use crate::mime::{Entity, Kind, unfold};

/// The structure of one entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyStructure {
    /// A multipart entity and its parts.
    Multipart(Multipart),
    /// Any other entity.
    Single(Single),
}

/// A multipart entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Multipart {
    /// Its parts in order; never empty.
    pub parts: Vec<BodyStructure>,
    /// Lower-case subtype (`mixed`, `alternative`, ...).
    pub subtype: String,
    /// Content-Type parameters in order, names lower-case.
    pub params: Vec<(String, String)>,
    /// Disposition, language, location.
    pub extension: Extension,
}

/// An entity that is not multipart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Single {
    /// Lower-case media type.
    pub media_type: String,
    /// Lower-case subtype.
    pub subtype: String,
    /// Content-Type parameters in order, names lower-case.
    pub params: Vec<(String, String)>,
    /// Content-ID, unfolded.
    pub id: Option<Vec<u8>>,
    /// Content-Description, unfolded.
    pub description: Option<Vec<u8>>,
    /// Content-Transfer-Encoding, lower-case; `7bit` when not given.
    pub encoding: String,
    /// Length of the body in bytes (saturating).
    pub size: u32,
    /// What the type adds.
    pub content: Content,
    /// Content-MD5: not read, always `None`.
    pub md5: Option<Vec<u8>>,
    /// Disposition, language, location.
    pub extension: Extension,
}

/// What a single entity's type adds to its structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Neither text nor an encapsulated message.
    Basic,
    /// text/*: the body's line count.
    Text {
        /// Lines in the body ([`count_lines`]).
        lines: u32,
    },
    /// message/rfc822 or message/global: the encapsulated message.
    Message {
        /// Its envelope.
        envelope: Box<Envelope>,
        /// Its structure.
        body: Box<BodyStructure>,
        /// Lines in the body ([`count_lines`]).
        lines: u32,
    },
}

/// The extension data of an entity (RFC 9051 §7.5.2 body extensions).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extension {
    /// Content-Disposition: its type as written and its parameters in order.
    pub disposition: Option<(String, Vec<(String, String)>)>,
    /// Content-Language: the comma-separated tags, trimmed, empty ones left out.
    pub language: Vec<String>,
    /// Content-Location, unfolded.
    pub location: Option<Vec<u8>>,
}

/// The structure of an entity of the message `raw`.
pub fn build(raw: &[u8], e: &Entity<'_>) -> BodyStructure {
    match &e.kind {
        Kind::Multipart(parts) if !parts.is_empty() => BodyStructure::Multipart(Multipart {
            parts: parts.iter().map(|p| build(raw, p)).collect(),
            subtype: e.subtype.clone(),
            params: e.params.clone(),
            extension: extension(raw, e),
        }),
        _ => BodyStructure::Single(single(raw, e)),
    }
}

fn single(raw: &[u8], e: &Entity<'_>) -> Single {
    let body_bytes = &raw[e.body.clone()];
    let content = match &e.kind {
        Kind::Message(inner) => Content::Message {
            envelope: Box::new(envelope::build(raw, inner)),
            body: Box::new(build(raw, inner)),
            lines: count_lines(body_bytes),
        },
        _ if e.media_type == "text" => Content::Text {
            lines: count_lines(body_bytes),
        },
        _ => Content::Basic,
    };
    Single {
        media_type: e.media_type.clone(),
        subtype: e.subtype.clone(),
        params: e.params.clone(),
        id: e.raw_field(raw, "Content-ID").map(unfold),
        description: e.raw_field(raw, "Content-Description").map(unfold),
        encoding: e
            .transfer_encoding()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "7bit".into()),
        size: u32::try_from(body_bytes.len()).unwrap_or(u32::MAX),
        content,
        md5: None,
        extension: extension(raw, e),
    }
}

/// Disposition, language and location.
fn extension(raw: &[u8], e: &Entity<'_>) -> Extension {
    let disposition = match e.field(HeaderName::ContentDisposition) {
        Some(HeaderValue::ContentType(ct)) if !ct.c_type.is_empty() => Some((
            ct.c_type.to_string(),
            ct.attributes
                .iter()
                .flatten()
                .map(|a| (a.name.to_string(), a.value.to_string()))
                .collect(),
        )),
        _ => None,
    };
    let language = e
        .raw_field(raw, "Content-Language")
        .map(|v| {
            String::from_utf8_lossy(&unfold(v))
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Extension {
        disposition,
        language,
        location: e.raw_field(raw, "Content-Location").map(unfold),
    }
}

/// Lines in a body: line breaks, plus one for a last line without a break.
pub fn count_lines(b: &[u8]) -> u32 {
    let breaks = memchr::memchr_iter(b'\n', b).count();
    let partial = usize::from(!b.is_empty() && !b.ends_with(b"\n"));
    u32::try_from(breaks + partial).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::mime;
    use crate::testdata::{MULTI, SIMPLE};

    #[test]
    fn single_text_part() {
        let BodyStructure::Single(s) = build(SIMPLE, &mime::parse(SIMPLE)) else {
            panic!("not single")
        };
        assert_eq!(
            (s.media_type.as_str(), s.subtype.as_str()),
            ("text", "plain")
        );
        assert_eq!(s.params, [("charset".into(), "us-ascii".into())]);
        assert_eq!((s.encoding.as_str(), s.size), ("7bit", 28));
        assert_eq!(s.content, Content::Text { lines: 2 });
        assert_eq!(s.extension, Extension::default());
    }

    #[test]
    fn multipart_structure() {
        let BodyStructure::Multipart(m) = build(MULTI, &mime::parse(MULTI)) else {
            panic!("not multipart")
        };
        assert_eq!(m.subtype, "mixed");
        assert_eq!(m.params, [("boundary".into(), "outer".into())]);
        assert_eq!(m.parts.len(), 3);
        let BodyStructure::Single(data) = &m.parts[1] else {
            panic!("part 2 not single")
        };
        assert_eq!(data.id.as_deref(), Some(&b"<part3@example.test>"[..]));
        assert_eq!((data.encoding.as_str(), data.size), ("base64", 12));
        assert_eq!(data.content, Content::Basic);
        assert_eq!(
            data.extension.disposition,
            Some((
                "attachment".into(),
                vec![("filename".into(), "data.bin".into())]
            ))
        );
        let BodyStructure::Single(Single {
            content: Content::Message { envelope, .. },
            ..
        }) = &m.parts[2]
        else {
            panic!("part 3 not a message")
        };
        assert_eq!(envelope.subject.as_deref(), Some(&b"Inner message"[..]));
    }

    #[test]
    fn line_counts() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a\r\nb"), 2);
        assert_eq!(count_lines(b"a\r\nb\r\n"), 2);
    }
}
