//! Command bytes split into tokens (RFC 9051 §4, §9): atoms, quoted strings, literals and
//! parentheses, with their byte positions, for the rewrites made before `imap-codec` parses
//! a command ([`crate::preparse`], [`crate::searchres`]) and for the SEARCH criteria it
//! cannot take ([`crate::deep_search`]).
//!
//! Invariants: a quoted string or a literal is always one whole token, so nothing inside
//! one is ever taken for syntax; the scanner stops at the CRLF that ends the command (the
//! CRLF after a literal's size belongs to the literal); it never panics and never reads
//! past its input, whatever the bytes.

/// What kind of token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Anything up to a space, parenthesis or line end (atoms, numbers, sets, `\Flags`).
    Atom,
    /// `"..."` with its quotes (unterminated: up to the line end).
    Quoted,
    /// `{n}` / `{n+}` / `~{n}`, its CRLF and its `n` octets.
    Literal,
    Open,
    Close,
}

/// One token: its kind and where it is (`start..end`, byte offsets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// Whether the token is an atom equal to `word`, ignoring ASCII case.
    pub fn is(&self, bytes: &[u8], word: &str) -> bool {
        self.kind == Kind::Atom && self.text(bytes).eq_ignore_ascii_case(word.as_bytes())
    }

    /// The token's bytes.
    pub fn text<'b>(&self, bytes: &'b [u8]) -> &'b [u8] {
        bytes.get(self.start..self.end).unwrap_or_default()
    }
}

/// The tokens of `bytes` from an offset on.
pub struct Tokens<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl<'b> Tokens<'b> {
    /// Tokens starting at byte `from`.
    pub fn new(bytes: &'b [u8], from: usize) -> Self {
        Self { bytes, pos: from }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    /// The end of an atom starting at `start`.
    fn atom_end(&self, start: usize) -> usize {
        let rest = self.bytes.get(start..).unwrap_or_default();
        start
            + rest
                .iter()
                .take_while(|c| !matches!(c, b' ' | b'(' | b')' | b'\r' | b'\n'))
                .count()
    }

    /// The end of a quoted string starting at `start` (just past its closing quote).
    fn quoted_end(&self, start: usize) -> usize {
        let mut i = start + 1;
        while let Some(c) = self.at(i) {
            match c {
                b'\\' => i += 2,
                b'"' => return i + 1,
                b'\r' | b'\n' => return i,
                _ => i += 1,
            }
        }
        self.bytes.len()
    }

    /// The end of a literal starting at `start` (`{` or `~{`), if it is a well-formed one.
    fn literal_end(&self, start: usize) -> Option<usize> {
        let open = if self.at(start) == Some(b'~') {
            start + 1
        } else {
            start
        };
        if self.at(open) != Some(b'{') {
            return None;
        }
        let rest = self.bytes.get(open + 1..)?;
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let size: usize = std::str::from_utf8(rest.get(..digits)?)
            .ok()?
            .parse()
            .ok()?;
        let mut i = open + 1 + digits;
        if self.at(i) == Some(b'+') {
            i += 1;
        }
        if self.bytes.get(i..i + 3)? != b"}\r\n" {
            return None;
        }
        let end = (i + 3).checked_add(size)?;
        (end <= self.bytes.len()).then_some(end)
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        while self.at(self.pos) == Some(b' ') {
            self.pos += 1;
        }
        let start = self.pos;
        let (kind, end) = match self.at(start)? {
            b'\r' | b'\n' => return None,
            b'(' => (Kind::Open, start + 1),
            b')' => (Kind::Close, start + 1),
            b'"' => (Kind::Quoted, self.quoted_end(start)),
            _ => match self.literal_end(start) {
                Some(end) => (Kind::Literal, end),
                None => (Kind::Atom, self.atom_end(start)),
            },
        };
        self.pos = end;
        Some(Token { kind, start, end })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn kinds(s: &[u8]) -> Vec<(Kind, String)> {
        Tokens::new(s, 0)
            .map(|t| (t.kind, String::from_utf8_lossy(t.text(s)).into_owned()))
            .collect()
    }

    #[test]
    fn splits_tokens() {
        use Kind::*;
        let s = b"t SEARCH (OR $ \"a \\\" $\") {3}\r\n$ $ ~{1+}\r\nx $Forwarded\r\nNOT SEEN";
        assert_eq!(
            kinds(s),
            [
                (Atom, "t".into()),
                (Atom, "SEARCH".into()),
                (Open, "(".into()),
                (Atom, "OR".into()),
                (Atom, "$".into()),
                (Quoted, "\"a \\\" $\"".into()),
                (Close, ")".into()),
                (Literal, "{3}\r\n$ $".into()),
                (Literal, "~{1+}\r\nx".into()),
                (Atom, "$Forwarded".into()),
            ]
        );
    }

    #[test]
    fn malformed_input_is_harmless() {
        assert_eq!(kinds(b"\"open").len(), 1);
        assert_eq!(kinds(b"{99}\r\nab")[0], (Kind::Atom, "{99}".into()));
        assert_eq!(kinds(b"{5").len(), 1);
        assert_eq!(kinds(b"~").len(), 1);
        assert_eq!(kinds(b"\"a\\").len(), 1);
        assert!(kinds(b"").is_empty());
    }
}
