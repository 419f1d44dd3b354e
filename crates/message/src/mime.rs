//! The MIME structure of a stored message (RFC 2045, RFC 2046) as byte ranges: where each
//! entity's header and body lie, which entities a multipart holds, and which message a
//! message/rfc822 part encapsulates. Sections ([`crate::section`]), the body structure
//! ([`crate::bodystructure`]) and the envelope ([`crate::envelope`]) all read it.
//!
//! Header fields are parsed by `mail-parser`; the header block ends where
//! [`crate::header_block`] says; the boundaries are found here so that every range is exact:
//! a part's body ends before the line break that precedes the next delimiter line (RFC 2046
//! §5.1.1), so a section's bytes and the size in the body structure agree.
//!
//! [`header_fields`] reads a header block field by field keeping each field's exact bytes
//! (what a header field subset returns); unlike [`crate::fields`] it keeps a field with an
//! empty name and trims white space on both sides of a name.
//!
//! Invariants: every range lies within the message; nesting deeper than [`MAX_DEPTH`] and
//! parts beyond [`MAX_PARTS`] are treated as opaque bodies, so hostile messages cost
//! bounded work; a multipart without any delimiter line is treated as a single part.

use std::ops::Range;

use mail_parser::{Header, HeaderName, HeaderValue, MessageParser};

/// Deepest nesting of multiparts and encapsulated messages examined.
pub const MAX_DEPTH: usize = 16;
/// Most entities examined in one message.
pub const MAX_PARTS: usize = 5000;

/// One MIME entity: a message, a body part or an encapsulated message.
#[derive(Debug)]
pub struct Entity<'m> {
    /// Header fields, including the blank line that ends them (if present).
    pub header: Range<usize>,
    /// The body: from just past the blank line to the end of the entity.
    pub body: Range<usize>,
    /// Parsed header fields (their offsets are relative to `header.start`).
    pub fields: Vec<Header<'m>>,
    /// Lower-case media type and subtype, defaults applied (RFC 2045 §5.2).
    pub media_type: String,
    /// Lower-case subtype, defaults applied.
    pub subtype: String,
    /// Content-Type parameters in order, names lower-cased.
    pub params: Vec<(String, String)>,
    /// What the entity contains.
    pub kind: Kind<'m>,
}

/// What an entity contains.
#[derive(Debug)]
pub enum Kind<'m> {
    /// A leaf body.
    Single,
    /// multipart/*: its body parts in order (never empty).
    Multipart(Vec<Entity<'m>>),
    /// message/rfc822 or message/global: the encapsulated message.
    Message(Box<Entity<'m>>),
}

impl<'m> Entity<'m> {
    /// The first header field of that name.
    pub fn field(&self, name: HeaderName<'_>) -> Option<&HeaderValue<'m>> {
        self.fields
            .iter()
            .find(|h| h.name == name)
            .map(|h| &h.value)
    }

    /// A field's raw value (unfolded, trimmed) as it is in the message.
    pub fn raw_field<'a>(&self, raw: &'a [u8], name: &str) -> Option<&'a [u8]> {
        crate::header::fields(&raw[self.header.clone()])
            .find(|f| f.is(name))
            .map(|f| trim(f.value))
    }

    /// The Content-Transfer-Encoding, lower-cased, if given.
    pub fn transfer_encoding(&self) -> Option<String> {
        match self.field(HeaderName::ContentTransferEncoding) {
            Some(HeaderValue::Text(t)) => Some(t.trim().to_ascii_lowercase()),
            _ => None,
        }
    }

    /// The same structure holding its own copy of every parsed header value, so it can be
    /// kept apart from the message bytes (the ranges still index those bytes).
    pub fn into_owned(self) -> Entity<'static> {
        Entity {
            header: self.header,
            body: self.body,
            fields: self.fields.into_iter().map(Header::into_owned).collect(),
            media_type: self.media_type,
            subtype: self.subtype,
            params: self.params,
            kind: match self.kind {
                Kind::Single => Kind::Single,
                Kind::Multipart(parts) => {
                    Kind::Multipart(parts.into_iter().map(Entity::into_owned).collect())
                }
                Kind::Message(inner) => Kind::Message(Box::new(inner.into_owned())),
            },
        }
    }

    /// How many bytes this structure holds, roughly: its header bytes (parsed values are
    /// about as long) and a fixed cost per entity, with every entity inside it.
    pub fn weight(&self) -> usize {
        let own = 2 * self.header.len() + 256;
        own + match &self.kind {
            Kind::Single => 0,
            Kind::Multipart(parts) => parts.iter().map(Entity::weight).sum(),
            Kind::Message(inner) => inner.weight(),
        }
    }

    /// A Content-Type parameter, by lower-case name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse the structure of a whole message.
pub fn parse(raw: &[u8]) -> Entity<'_> {
    let mut budget = MAX_PARTS;
    entity(raw, 0..raw.len(), Default::Text, 0, &mut budget)
}

/// The type an entity has when it declares none (RFC 2046 §5.1.5: message/rfc822 in a digest).
#[derive(Clone, Copy)]
enum Default {
    Text,
    Message,
}

fn entity<'m>(
    raw: &'m [u8],
    range: Range<usize>,
    default: Default,
    depth: usize,
    budget: &mut usize,
) -> Entity<'m> {
    *budget = budget.saturating_sub(1);
    let body_start = crate::header_block(&raw[range.clone()]).body_start + range.start;
    let header = range.start..body_start;
    let body = body_start..range.end;
    let fields = MessageParser::new()
        .parse_headers(&raw[header.clone()])
        .and_then(|mut m| (!m.parts.is_empty()).then(|| m.parts.swap_remove(0).headers))
        .unwrap_or_default();
    let mut e = Entity {
        header,
        body,
        fields,
        media_type: String::new(),
        subtype: String::new(),
        params: Vec::new(),
        kind: Kind::Single,
    };
    content_type(&mut e, default);
    if depth >= MAX_DEPTH || *budget == 0 {
        return e;
    }
    if e.media_type == "multipart" {
        if let Some(boundary) = e.param("boundary").map(str::to_owned) {
            let child_default = if e.subtype == "digest" {
                Default::Message
            } else {
                Default::Text
            };
            let parts: Vec<Entity<'m>> = split_multipart(raw, e.body.clone(), boundary.as_bytes())
                .into_iter()
                .map(|r| entity(raw, r, child_default, depth + 1, budget))
                .collect();
            if !parts.is_empty() {
                e.kind = Kind::Multipart(parts);
                return e;
            }
        }
        // RFC 2046 §5.1.7 spirit: an unparsable multipart is shown as plain data.
        e.media_type = "text".into();
        e.subtype = "plain".into();
        e.params.clear();
    } else if e.media_type == "message"
        && (e.subtype == "rfc822" || e.subtype == "global")
        && e.transfer_encoding()
            .is_none_or(|t| matches!(t.as_str(), "7bit" | "8bit" | "binary"))
    {
        let inner = entity(raw, e.body.clone(), Default::Text, depth + 1, budget);
        e.kind = Kind::Message(Box::new(inner));
    }
    e
}

fn content_type(e: &mut Entity<'_>, default: Default) {
    let declared = match e.field(HeaderName::ContentType) {
        Some(HeaderValue::ContentType(ct)) if !ct.c_type.trim().is_empty() => Some((
            ct.c_type.trim().to_ascii_lowercase(),
            ct.c_subtype
                .as_deref()
                .map(|s| s.trim().to_ascii_lowercase())
                .unwrap_or_default(),
            ct.attributes
                .iter()
                .flatten()
                .map(|a| (a.name.to_ascii_lowercase(), a.value.to_string()))
                .collect::<Vec<_>>(),
        )),
        _ => None,
    };
    let (t, sub, params) = match (declared, default) {
        (Some((t, sub, params)), _) => {
            let sub = match (sub.is_empty(), t.as_str()) {
                (false, _) => sub,
                (true, "text") => "plain".into(),
                (true, _) => "octet-stream".into(),
            };
            (t, sub, params)
        }
        (None, Default::Text) => (
            "text".into(),
            "plain".into(),
            vec![("charset".into(), "us-ascii".into())],
        ),
        (None, Default::Message) => ("message".into(), "rfc822".into(), Vec::new()),
    };
    e.media_type = t;
    e.subtype = sub;
    e.params = params;
}

/// The body parts of a multipart body, as ranges (RFC 2046 §5.1.1). A delimiter line is
/// `--boundary` at the start of a line, optionally followed by `--` (the close delimiter)
/// and white space. The line break before a delimiter belongs to the delimiter.
pub fn split_multipart(raw: &[u8], body: Range<usize>, boundary: &[u8]) -> Vec<Range<usize>> {
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut needle = Vec::with_capacity(boundary.len() + 2);
    needle.extend_from_slice(b"--");
    needle.extend_from_slice(boundary);
    let finder = memchr::memmem::Finder::new(&needle);
    let mut pos = body.start;
    // Only lines that start with "--boundary" can be delimiters: jump from one to the next.
    while let Some(i) = finder.find(&raw[pos..body.end]) {
        let at = pos + i;
        let line_end = memchr::memchr(b'\n', &raw[at..body.end]).map_or(body.end, |j| at + j + 1);
        let line_start = at == body.start || raw[at - 1] == b'\n';
        if line_start && let Some(close) = delimiter(&raw[at..line_end], boundary) {
            if let Some(s) = start {
                parts.push(s..before_break(raw, s, at));
            }
            if close || parts.len() >= MAX_PARTS {
                return parts;
            }
            start = Some(line_end);
        }
        pos = if line_start { line_end } else { at + 1 };
        if pos >= body.end {
            break;
        }
    }
    if let Some(s) = start {
        parts.push(s..body.end.max(s));
    }
    parts
}

/// `Some(is_close)` when a line is a delimiter line for `boundary`.
fn delimiter(line: &[u8], boundary: &[u8]) -> Option<bool> {
    let rest = line.strip_prefix(b"--")?.strip_prefix(boundary)?;
    let (close, rest) = match rest.strip_prefix(b"--") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    rest.iter()
        .all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        .then_some(close)
}

/// The end of a part whose next delimiter line starts at `delim`: before its CRLF (or LF).
fn before_break(raw: &[u8], start: usize, delim: usize) -> usize {
    let end = if delim >= 2 && &raw[delim - 2..delim] == b"\r\n" {
        delim - 2
    } else if delim >= 1 && raw[delim - 1] == b'\n' {
        delim - 1
    } else {
        delim
    };
    end.max(start)
}

/// Trim ASCII white space, including line breaks, at both ends.
pub fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end]
}

/// Unfold a raw field value: line breaks removed, each fold keeping its white space.
pub fn unfold(b: &[u8]) -> Vec<u8> {
    b.iter()
        .copied()
        .filter(|&c| c != b'\r' && c != b'\n')
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "mime_tests.rs"]
mod tests;
