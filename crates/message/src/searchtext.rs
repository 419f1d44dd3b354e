//! The text a search index keeps of a message, so a store can answer "which messages may
//! contain this needle" without reading them: the header fields and the body text exactly
//! as the matcher ([`crate::search`]) looks at them, folded the same way ([`search::fold`]).
//!
//! Invariants: every piece of text the matcher compares a needle with (a field's name, each
//! of its decoded forms, its value as written; each text part, attached messages included)
//! is folded on its own and kept whole, one piece a line, so any needle the matcher finds in
//! a piece is a substring of the kept text. NUL characters become spaces (a database text
//! column cannot hold them), so a needle with a NUL must not be looked up in the index.
//! The text is cut at [`MAX_TEXT`] bytes in all; a cut text says so (`complete` is false)
//! and its message must always be treated as a candidate. A message that does not parse
//! keeps empty text (the matcher finds nothing in it either).

use mail_parser::MessageParser;

use crate::search::{self, body_texts, decoded, raw_value};

/// Most bytes of text kept per message (header and body together, 1 MiB).
pub const MAX_TEXT: usize = 1 << 20;

/// Shortest needle, in characters, the index can answer for (it is built of trigrams).
pub const MIN_NEEDLE: usize = 3;

/// What the index keeps of one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchText {
    /// The header fields: for each, its name, its decoded forms and its value as written.
    pub head: String,
    /// The text parts' decoded text.
    pub body: String,
    /// False when the text was cut at [`MAX_TEXT`].
    pub complete: bool,
}

/// The searchable text of a whole message.
pub fn of_message(raw: &[u8]) -> SearchText {
    let Some(msg) = MessageParser::new().parse(raw) else {
        return SearchText {
            complete: true,
            ..Default::default()
        };
    };
    let mut acc = Acc {
        left: MAX_TEXT,
        complete: true,
    };
    let mut head = String::new();
    for h in msg.headers() {
        acc.push(&mut head, h.name.as_str());
        for d in decoded(&h.value) {
            acc.push(&mut head, &d);
        }
        acc.push(&mut head, &raw_value(&msg, h));
    }
    let mut texts = Vec::new();
    body_texts(&msg, 0, &mut texts);
    let mut body = String::new();
    for t in texts {
        acc.push(&mut body, t);
    }
    SearchText {
        head,
        body,
        complete: acc.complete,
    }
}

/// Whether the index can answer for `needle` (as [`search::needle`] made it): long enough
/// and free of NUL.
pub fn indexable(needle: &str) -> bool {
    needle.chars().count() >= MIN_NEEDLE && !needle.contains('\0')
}

/// The room left under [`MAX_TEXT`].
struct Acc {
    left: usize,
    complete: bool,
}

impl Acc {
    /// Append one folded piece and a line break, cut to the room left.
    fn push(&mut self, out: &mut String, piece: &str) {
        if piece.is_empty() {
            return;
        }
        let mut folded = search::fold(piece).replace('\0', " ");
        folded.push('\n');
        if folded.len() > self.left {
            let mut cut = self.left;
            while !folded.is_char_boundary(cut) {
                cut -= 1;
            }
            folded.truncate(cut);
            self.complete = false;
        }
        self.left -= folded.len();
        out.push_str(&folded);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::search::{address_contains, any_field_contains, body_contains, needle};
    use mail_parser::HeaderName;

    const MSG: &[u8] = b"From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.test>\r\n\
        Subject: Quarterly figures\r\n\
        Content-Type: multipart/mixed; boundary=b\r\n\
        \r\n\
        --b\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\
        \r\n\
        Gr=C3=BC=C3=9Fe, the NUMBERS are in.\r\n\
        --b\r\n\
        Content-Type: text/html\r\n\
        \r\n\
        <p>Hello <b>there</b></p>\r\n\
        --b--\r\n";

    #[test]
    fn what_the_matcher_finds_is_in_the_text() {
        let t = of_message(MSG);
        assert!(t.complete);
        let m = MessageParser::new().parse(MSG).unwrap();
        for n in ["jürgen", "j=c3=bcrgen", "gen <jur", "quarterly fig"] {
            let n = needle(n.as_bytes());
            assert!(address_contains(&m, HeaderName::From, &n) || any_field_contains(&m, &n));
            assert!(t.head.contains(&n), "{n}");
        }
        for n in ["grüße, the numbers", "<b>there</b>"] {
            let n = needle(n.as_bytes());
            assert!(body_contains(&m, &n));
            assert!(t.body.contains(&n), "{n}");
        }
        assert!(!t.body.contains("quarterly"));
    }

    #[test]
    fn long_text_is_cut_and_says_so() {
        let mut raw = b"Subject: big\r\n\r\n".to_vec();
        raw.extend_from_slice("é".repeat(1_500_000).as_bytes());
        let t = of_message(&raw);
        assert!(!t.complete);
        assert!(t.head.len() + t.body.len() <= MAX_TEXT);
        assert!(of_message(b"").complete);
    }

    #[test]
    fn which_needles_the_index_answers() {
        assert!(indexable("abc"));
        assert!(indexable("äöü"));
        assert!(!indexable("ab"));
        assert!(!indexable("a\0bc"));
    }
}
