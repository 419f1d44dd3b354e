//! The bytes a section of a message designates (IMAP's BODY[section]<partial> and
//! BINARY[path], RFC 9051 §6.4.5, RFC 3516 §4.2), over the MIME structure of [`crate::mime`].
//! The protocol names a section; this module says which bytes it selects.
//!
//! Part numbers: a multipart's parts are numbered from 1; a message that is not multipart
//! has only part 1, its body; the parts of a message/rfc822 part are those of the message it
//! encapsulates. HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT and TEXT after a part number apply
//! to the message a message/rfc822 part encapsulates; MIME is the part's own MIME header.
//!
//! Invariants: a section that does not exist yields empty data (as common servers do), not an
//! error; header subsets keep each field exactly as stored, folding included, followed by
//! the blank line; a partial range beyond the data yields empty data; every slice taken lies
//! within the message.

use std::num::NonZeroU32;

use crate::header;
use crate::mime::{Entity, Kind};

/// A section of a message (RFC 9051 §6.4.5 `section-spec`). A part path is a list of part
/// numbers; `None` where a path is optional means the message itself. `N` is a field name
/// as the caller holds it.
#[derive(Clone, Copy, Debug)]
pub enum Section<'a, N> {
    /// `path`: the body of that part.
    Part(&'a [NonZeroU32]),
    /// `path.MIME`: the part's own MIME header.
    Mime(&'a [NonZeroU32]),
    /// `HEADER`: the header block of the message (or of the encapsulated message).
    Header(Option<&'a [NonZeroU32]>),
    /// `TEXT`: the body of the message (or of the encapsulated message).
    Text(Option<&'a [NonZeroU32]>),
    /// `HEADER.FIELDS (names)`: the fields so named, then a blank line.
    HeaderFields(Option<&'a [NonZeroU32]>, &'a [N]),
    /// `HEADER.FIELDS.NOT (names)`: the fields not so named, then a blank line.
    HeaderFieldsNot(Option<&'a [NonZeroU32]>, &'a [N]),
}

/// The bytes of a section of the message `raw` whose structure is `root`; the whole message
/// without a section.
pub fn extract<N: AsRef<[u8]>>(
    raw: &[u8],
    root: &Entity<'_>,
    section: Option<Section<'_, N>>,
) -> Vec<u8> {
    let Some(section) = section else {
        return raw.to_vec();
    };
    match section {
        Section::Part(path) => {
            find(root, path).map_or_else(Vec::new, |e| raw[e.body.clone()].to_vec())
        }
        Section::Mime(path) => {
            find(root, path).map_or_else(Vec::new, |e| raw[e.header.clone()].to_vec())
        }
        Section::Header(path) => {
            message(root, path).map_or_else(Vec::new, |m| raw[m.header.clone()].to_vec())
        }
        Section::Text(path) => {
            message(root, path).map_or_else(Vec::new, |m| raw[m.body.clone()].to_vec())
        }
        Section::HeaderFields(path, names) => message(root, path)
            .map_or_else(Vec::new, |m| fields(&raw[m.header.clone()], names, true)),
        Section::HeaderFieldsNot(path, names) => message(root, path)
            .map_or_else(Vec::new, |m| fields(&raw[m.header.clone()], names, false)),
    }
}

/// Content-Transfer-Encoding this server cannot undo (RFC 3516 `[UNKNOWN-CTE]`).
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownCte;

/// BINARY[path] (RFC 3516 §4.2): a part's content with its transfer encoding undone; the
/// whole message, as stored, for an empty path. A part number that does not exist yields
/// empty data, as for BODY.
pub fn binary(raw: &[u8], root: &Entity<'_>, path: &[NonZeroU32]) -> Result<Vec<u8>, UnknownCte> {
    if path.is_empty() {
        return Ok(raw.to_vec());
    }
    let Some(e) = find(root, path) else {
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

/// The entity a part path designates (none for an empty path).
pub fn find<'e, 'm>(root: &'e Entity<'m>, path: &[NonZeroU32]) -> Option<&'e Entity<'m>> {
    let mut children = subparts(root);
    let mut found = None;
    for n in path {
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

/// The message a HEADER/TEXT section applies to: the whole message without a part path,
/// else the message encapsulated by that message/rfc822 part.
fn message<'e, 'm>(root: &'e Entity<'m>, path: Option<&[NonZeroU32]>) -> Option<&'e Entity<'m>> {
    match path {
        None => Some(root),
        Some(p) => match &find(root, p)?.kind {
            Kind::Message(inner) => Some(inner),
            _ => None,
        },
    }
}

/// The header fields named (or, with `keep` false, not named) in `names`, then a blank line.
fn fields<N: AsRef<[u8]>>(header: &[u8], names: &[N], keep: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for f in header::fields(header) {
        let named = names
            .iter()
            .any(|n| n.as_ref().eq_ignore_ascii_case(f.name));
        if named == keep {
            let whole = &header[f.range];
            out.extend_from_slice(whole);
            if !whole.ends_with(b"\n") {
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
#[path = "section_tests.rs"]
mod tests;
