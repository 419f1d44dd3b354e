//! SEARCH criteria nested deeper than `imap-codec` takes (it stops at depth 9): real
//! clients chain ORs (`OR OR OR FROM a TO a CC a SUBJECT a`) and nest parentheses past
//! that. When `imap-codec` refuses a SEARCH, this parser reads the structure itself (OR,
//! NOT, parentheses) to [`MAX_DEPTH`] and hands each leaf key (`FROM "x"`, `UID 1:5`,
//! `HEADER a b`, ...) back to `imap-codec`, so leaf syntax is checked in one place.
//!
//! Invariants: pure; depth is counted before recursing, so no input can exhaust the stack,
//! and keys as they are read, so past the SEARCH key limit no more leaf is decoded;
//! the result is the same tree `imap-codec` builds for inputs it accepts; anything it does
//! not understand is `None`, answered BAD as before.

use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::command::{Command, CommandBody};
use imap_codec::imap_types::core::{Charset, Tag, Vec1};
use imap_codec::imap_types::search::SearchKey;

use crate::search_keys::MAX_KEYS;
use crate::searchres::key_arguments;
use crate::tokens::{Kind, Token, Tokens};

/// Deepest nesting of OR, NOT and parentheses accepted.
pub const MAX_DEPTH: usize = 64;

/// Keys without arguments.
const BARE: &[&str] = &[
    "ALL",
    "ANSWERED",
    "DELETED",
    "DRAFT",
    "FLAGGED",
    "NEW",
    "OLD",
    "RECENT",
    "SEEN",
    "UNANSWERED",
    "UNDELETED",
    "UNDRAFT",
    "UNFLAGGED",
    "UNSEEN",
];
/// Parse `tag [UID] SEARCH [CHARSET c] keys` (bytes as assembled, CRLF at the end).
pub fn parse(bytes: &[u8]) -> Option<Command<'static>> {
    let mut toks = Tokens::new(bytes, 0).peekable();
    let tag = toks.next().filter(|t| t.kind == Kind::Atom)?;
    let tag = Tag::try_from(std::str::from_utf8(tag.text(bytes)).ok()?.to_owned()).ok()?;
    let mut word = toks.next()?;
    let uid = word.is(bytes, "UID");
    if uid {
        word = toks.next()?;
    }
    if !word.is(bytes, "SEARCH") {
        return None;
    }
    let list: Vec<Token> = toks.collect();
    let mut p = Parser {
        bytes,
        toks: &list,
        at: 0,
        keys: 0,
    };
    let mut charset = None;
    if p.peek().is_some_and(|t| t.is(bytes, "CHARSET")) {
        p.at += 1;
        let c = p.next()?;
        let text = std::str::from_utf8(c.text(bytes)).ok()?.trim_matches('"');
        charset = Some(Charset::try_from(text.to_owned()).ok()?);
    }
    let mut keys = Vec::new();
    while p.peek().is_some() {
        keys.push(p.key(0)?);
    }
    let criteria = Vec1::try_from(keys).ok()?;
    let body = CommandBody::Search {
        charset,
        criteria,
        uid,
    };
    Command::new(tag, body).ok().map(IntoStatic::into_static)
}

struct Parser<'b> {
    bytes: &'b [u8],
    toks: &'b [Token],
    at: usize,
    /// Keys read so far: parsing stops past [`MAX_KEYS`], before any more leaf is decoded.
    keys: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<Token> {
        self.toks.get(self.at).copied()
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.peek()?;
        self.at += 1;
        Some(t)
    }

    fn key(&mut self, depth: usize) -> Option<SearchKey<'static>> {
        self.keys += 1;
        if depth >= MAX_DEPTH || self.keys > MAX_KEYS {
            return None;
        }
        let t = self.next()?;
        match t.kind {
            Kind::Open => {
                let mut inner = Vec::new();
                while self.peek()?.kind != Kind::Close {
                    inner.push(self.key(depth + 1)?);
                }
                self.at += 1;
                Some(SearchKey::And(Vec1::try_from(inner).ok()?))
            }
            Kind::Atom if t.is(self.bytes, "OR") => {
                let a = self.key(depth + 1)?;
                let b = self.key(depth + 1)?;
                Some(SearchKey::Or(Box::new(a), Box::new(b)))
            }
            Kind::Atom if t.is(self.bytes, "NOT") => {
                Some(SearchKey::Not(Box::new(self.key(depth + 1)?)))
            }
            Kind::Atom => {
                let last = self.at + self.arguments(t)?;
                let end = self.toks.get(last.checked_sub(1)?)?.end.max(t.end);
                self.at = last;
                leaf(self.bytes.get(t.start..end)?)
            }
            _ => None,
        }
    }

    /// How many argument tokens follow the leaf key `t`.
    fn arguments(&self, t: Token) -> Option<usize> {
        let word = t.text(self.bytes);
        let bare = BARE.iter().any(|k| word.eq_ignore_ascii_case(k.as_bytes()))
            || word
                .first()
                .is_some_and(|c| c.is_ascii_digit() || b"*$".contains(c));
        let n = if bare {
            0
        } else if t.is(self.bytes, "UID") {
            1
        } else if t.is(self.bytes, "MODSEQ") {
            // RFC 7162 §3.1.5: MODSEQ [entry-name entry-type-req] mod-sequence-valzer.
            if self.peek()?.kind == Kind::Quoted {
                3
            } else {
                1
            }
        } else {
            // The arguments `$` substitution skips over, for the same keys.
            match key_arguments(self.bytes, &t) {
                0 => return None,
                n => n,
            }
        };
        (self.at + n <= self.toks.len()).then_some(n)
    }
}

/// One leaf key, parsed by `imap-codec` as the only key of a SEARCH.
fn leaf(key: &[u8]) -> Option<SearchKey<'static>> {
    let mut cmd = b"x SEARCH ".to_vec();
    cmd.extend_from_slice(key);
    cmd.extend_from_slice(b"\r\n");
    let Ok(([], c)) = CommandCodec::default().decode(&cmd) else {
        return None;
    };
    match c.body {
        CommandBody::Search { criteria, .. } => {
            let mut keys = criteria.into_inner();
            (keys.len() == 1).then(|| keys.remove(0).into_static())
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn codec(bytes: &[u8]) -> Option<Command<'static>> {
        match CommandCodec::default().decode(bytes) {
            Ok(([], c)) => Some(c.into_static()),
            _ => None,
        }
    }

    #[test]
    fn same_tree_as_imap_codec_where_it_parses() {
        for cmd in [
            &b"a SEARCH ALL\r\n"[..],
            b"a UID SEARCH CHARSET UTF-8 OR FROM \"x y\" TO {3}\r\nabc NOT SEEN 1:5,7\r\n",
            b"a SEARCH (OR SEEN (FLAGGED DRAFT)) HEADER X-A b LARGER 10 UID 2:*\r\n",
            b"a SEARCH SINCE 1-Feb-2024 KEYWORD $Junk MODSEQ 5\r\n",
            b"a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n",
        ] {
            let ours = parse(cmd).unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(cmd)));
            assert_eq!(Some(ours), codec(cmd), "{}", String::from_utf8_lossy(cmd));
        }
    }

    fn chain(depth: usize) -> Vec<u8> {
        let mut cmd = b"a SEARCH ".to_vec();
        for _ in 0..depth {
            cmd.extend_from_slice(b"OR ");
        }
        cmd.extend_from_slice(b"SEEN");
        for i in 0..depth {
            cmd.extend_from_slice(format!(" FROM u{i}").as_bytes());
        }
        cmd.extend_from_slice(b"\r\n");
        cmd
    }

    #[test]
    fn deep_or_chains_and_parentheses_parse_to_the_limit() {
        assert!(codec(&chain(20)).is_none(), "imap-codec stops early");
        let Some(c) = parse(&chain(MAX_DEPTH - 1)) else {
            panic!("depth {} refused", MAX_DEPTH - 1)
        };
        let CommandBody::Search { criteria, .. } = c.body else {
            panic!()
        };
        let mut depth = 0;
        let mut k = &criteria.as_ref()[0];
        while let SearchKey::Or(a, _) = k {
            depth += 1;
            k = a;
        }
        assert_eq!(depth, MAX_DEPTH - 1);
        assert!(parse(&chain(MAX_DEPTH)).is_none());
        let parens = format!("a SEARCH {}SEEN{}\r\n", "(".repeat(40), ")".repeat(40));
        assert!(parse(parens.as_bytes()).is_some());
        let deep = format!("a SEARCH {}SEEN{}\r\n", "(".repeat(5000), ")".repeat(5000));
        assert!(parse(deep.as_bytes()).is_none());
        let keys = |n: usize| format!("a SEARCH {}\r\n", vec!["SEEN"; n].join(" "));
        assert!(parse(keys(MAX_KEYS).as_bytes()).is_some());
        assert!(
            parse(keys(MAX_KEYS + 1).as_bytes()).is_none(),
            "past the key limit"
        );
    }

    #[test]
    fn malformed_criteria_are_refused() {
        for cmd in [
            &b"a SEARCH\r\n"[..],
            b"a SEARCH OR SEEN\r\n",
            b"a SEARCH (SEEN\r\n",
            b"a SEARCH FROM\r\n",
            b"a SEARCH BOGUS\r\n",
            b"a SEARCH BEFORE notadate\r\n",
            b"a FETCH 1 FLAGS\r\n",
        ] {
            assert!(parse(cmd).is_none(), "{}", String::from_utf8_lossy(cmd));
        }
    }
}
