//! The header block of a message and its fields (RFC 5322 §2.2, §3.5).
//!
//! One rule, used everywhere: the header block ends at the first empty line, a line holding
//! nothing but its line ending, CRLF or a bare LF (mail from files and some clients uses bare
//! LF; a message may mix both). A message without an empty line is all header. A field starts
//! at a line that does not begin with white space and runs through its continuation lines
//! (those beginning with SP or HT); its name is what stands before the first colon, with white
//! space before the colon allowed (RFC 5322 §4.5.3 obs-optional), so such a field cannot hide.
//!
//! Invariants: only line ends are inspected to find the empty line (`memchr`), so a large body
//! costs nothing beyond the header; every range returned lies within the input; a line without
//! a colon is not a field.

use std::ops::Range;

/// Where a message's header block ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderBlock {
    /// End of the last field, line ending included: where the empty line starts.
    pub fields_end: usize,
    /// Start of the body: just past the empty line. Equal to `fields_end` when the message
    /// has no empty line (then both are its length).
    pub body_start: usize,
}

impl HeaderBlock {
    /// Whether the message has the empty line that separates header and body.
    pub fn has_separator(&self) -> bool {
        self.body_start > self.fields_end
    }

    /// The header block with its empty line (what IMAP calls `BODY[HEADER]`).
    pub fn head<'a>(&self, raw: &'a [u8]) -> &'a [u8] {
        raw.get(..self.body_start).unwrap_or(raw)
    }

    /// The fields only, without the empty line.
    pub fn fields<'a>(&self, raw: &'a [u8]) -> &'a [u8] {
        raw.get(..self.fields_end).unwrap_or(raw)
    }

    /// The body, after the empty line (empty when there is none).
    pub fn body<'a>(&self, raw: &'a [u8]) -> &'a [u8] {
        raw.get(self.body_start..).unwrap_or_default()
    }
}

/// Where the header block of `raw` (a whole message, or any prefix of one) ends.
pub fn header_block(raw: &[u8]) -> HeaderBlock {
    let blank_at = |start: usize| match raw.get(start..) {
        Some([b'\n', ..]) => Some(start + 1),
        Some([b'\r', b'\n', ..]) => Some(start + 2),
        _ => None,
    };
    let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', raw).map(|lf| lf + 1));
    for start in starts {
        if let Some(body_start) = blank_at(start) {
            return HeaderBlock {
                fields_end: start,
                body_start,
            };
        }
    }
    HeaderBlock {
        fields_end: raw.len(),
        body_start: raw.len(),
    }
}

/// One header field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    /// The name, without white space before the colon.
    pub name: &'a [u8],
    /// Everything after the colon through the end of the last continuation line, without
    /// that line's ending; folding line breaks stay in.
    pub value: &'a [u8],
    /// Where the whole field lies in the input, continuation lines and final line ending
    /// included (what to cut to remove it).
    pub range: Range<usize>,
}

impl Field<'_> {
    /// Whether the field is called `name` (ASCII case ignored).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The value unfolded (line breaks removed, RFC 5322 §2.2.3) and trimmed, as text
    /// (invalid UTF-8 replaced).
    pub fn unfolded(&self) -> String {
        let mut out = String::new();
        for line in self.value.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let text = String::from_utf8_lossy(line);
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(text);
        }
        out
    }
}

/// The fields of the header block of `raw` (a whole message may be passed), in order.
pub fn fields(raw: &[u8]) -> Fields<'_> {
    let end = header_block(raw).fields_end;
    Fields {
        raw: raw.get(..end).unwrap_or(raw),
        pos: 0,
    }
}

/// Iterator over the fields of a header block; see [`fields`].
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    /// The fields only (the empty line and the body cut off).
    raw: &'a [u8],
    /// Start of the next line to read.
    pos: usize,
}

impl<'a> Fields<'a> {
    /// End (past its LF) of the line starting at `start`.
    fn line_end(&self, start: usize) -> usize {
        memchr::memchr(b'\n', self.raw.get(start..).unwrap_or_default())
            .map_or(self.raw.len(), |i| start + i + 1)
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let raw = self.raw;
        while self.pos < raw.len() {
            let start = self.pos;
            let mut end = self.line_end(start);
            let first = &raw[start..end];
            // A continuation line with no field before it belongs to nothing.
            if matches!(first.first(), Some(b' ' | b'\t')) {
                self.pos = end;
                continue;
            }
            while matches!(raw.get(end), Some(b' ' | b'\t')) {
                end = self.line_end(end);
            }
            self.pos = end;
            let Some(colon) = memchr::memchr(b':', first) else {
                continue;
            };
            let name = first[..colon].trim_ascii_end();
            if name.is_empty() {
                continue;
            }
            let mut value = &raw[start + colon + 1..end];
            value = value.strip_suffix(b"\n").unwrap_or(value);
            value = value.strip_suffix(b"\r").unwrap_or(value);
            return Some(Field {
                name,
                value,
                range: start..end,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (message, fields_end, body_start)
    const BLOCKS: &[(&[u8], usize, usize)] = &[
        // CRLF
        (b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore", 12, 14),
        // bare LF
        (b"A: 1\nB: 2\n\nbody", 10, 11),
        // mixed: a CRLF field, then an LF empty line; an LF field, then a CRLF empty line
        (b"A: 1\r\n\nbody", 6, 7),
        (b"A: 1\n\r\nbody", 5, 7),
        // header only, with or without a final line ending
        (b"A: 1\r\nB: 2\r\n", 12, 12),
        (b"A: 1\r\nB: 2", 10, 10),
        // no header at all
        (b"\r\nbody", 0, 2),
        (b"\nbody", 0, 1),
        (b"", 0, 0),
        // a line of white space is not empty; a lone CR is not a line ending
        (b"A: 1\r\n \r\nB: 2\r\n\r\n", 15, 17),
        (b"A: 1\r\r\nB\r\n\r\n", 10, 12),
    ];

    #[test]
    fn the_empty_line_ends_the_header_block() {
        for &(raw, fields_end, body_start) in BLOCKS {
            let hb = header_block(raw);
            assert_eq!(
                (hb.fields_end, hb.body_start),
                (fields_end, body_start),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
            assert_eq!(hb.has_separator(), body_start > fields_end);
            assert_eq!(hb.head(raw).len() + hb.body(raw).len(), raw.len());
        }
    }

    #[test]
    fn a_prefix_never_ends_later_than_the_whole() {
        let raw = b"A: 1\r\nB: 2\r\n\r\nbody\n\nmore";
        let whole = header_block(raw);
        for n in 0..=raw.len() {
            let part = header_block(&raw[..n]);
            assert!(part.body_start <= n);
            if n >= whole.body_start {
                assert_eq!(part, whole);
            }
        }
    }

    #[test]
    fn fields_with_folding_and_odd_lines() {
        let raw = b" orphan continuation\r\n\
                    Subject: one\r\n two\r\n\
                    no colon here\r\n\
                    X-Spaced : v\r\n\
                    : nameless\r\n\
                    Received: a\n\tb\n\
                    \r\n\
                    Body: not a field\r\n";
        let got: Vec<(String, String)> = fields(raw)
            .map(|f| {
                (
                    String::from_utf8_lossy(f.name).into_owned(),
                    String::from_utf8_lossy(f.value).into_owned(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Subject".into(), " one\r\n two".into()),
                ("X-Spaced".into(), " v".into()),
                ("Received".into(), " a\n\tb".into()),
            ]
        );
        let subject = fields(raw).next().expect("a field");
        assert!(subject.is("SUBJECT"));
        assert_eq!(subject.unfolded(), "one two");
        assert_eq!(&raw[subject.range.clone()], b"Subject: one\r\n two\r\n");
    }

    #[test]
    fn ranges_cover_whole_fields() {
        let raw = b"A: 1\r\nB: 2\r\n  more\r\nC: 3";
        let ranges: Vec<_> = fields(raw).map(|f| f.range).collect();
        assert_eq!(ranges, [0..6, 6..20, 20..24]);
        assert_eq!(fields(b"C: 3").next().map(|f| f.value), Some(&b" 3"[..]));
    }
}
