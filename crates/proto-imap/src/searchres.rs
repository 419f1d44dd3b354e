//! SEARCHRES (RFC 5182; RFC 9051 §6.4.4.1, §7.1): the `$` that stands for the result a
//! `SEARCH RETURN (SAVE)` kept. `imap-codec` does not know `$`, so it is replaced in the
//! command bytes by the set it stands for before the command is parsed; the session keeps
//! the result and gives it as a [`SavedSet`].
//!
//! Invariants: only a token that is exactly `$` in a sequence-set position is replaced: the
//! set argument of FETCH, STORE, COPY, MOVE, UID EXPUNGE and their UID forms, and a search
//! key of SEARCH (a bare `$`, or the argument of a `UID` key); quoted strings, literals,
//! atoms such as `$Forwarded` and the arguments of other search keys (`SUBJECT $`) are
//! never touched. The set is written as UIDs for UID commands and for `UID $`, otherwise as
//! message numbers of the current view (a bare `$` search key is a message-number set even
//! in UID SEARCH, RFC 9051 §6.4.4). An empty result makes a set argument designate nothing
//! (RFC 5182 §2.1: not an error): the command is parsed with a placeholder set and answered
//! OK without running; as a search key it matches nothing.

use std::borrow::Cow;

use crate::seqset::compact;
use crate::tokens::{Kind, Token, Tokens};

/// The saved result as the current view sees it: UIDs and message numbers, ascending, of
/// the messages still in the view (saved UIDs that left it are left out, which is how
/// expunged messages leave the saved result, RFC 5182 §2.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SavedSet {
    /// The UIDs, ascending.
    pub uids: Vec<u32>,
    /// The message numbers of the same messages, ascending.
    pub seqs: Vec<u32>,
}

impl SavedSet {
    fn numbers(&self, uid: bool) -> &[u32] {
        if uid { &self.uids } else { &self.seqs }
    }
}

/// A command with its `$` replaced.
#[derive(Debug, PartialEq, Eq)]
pub struct Substituted<'b> {
    pub bytes: Cow<'b, [u8]>,
    /// The set argument was `$` and the saved result is empty: the command is parsed (with a
    /// placeholder set) but must not run.
    pub nothing: bool,
}

/// What an empty saved result becomes as a search key: a key no message matches.
const MATCH_NOTHING: &str = "(NOT ALL)";

/// Replace `$` in a command by the saved set.
#[cfg(test)]
pub fn substitute<'b>(bytes: &'b [u8], saved: &SavedSet) -> Substituted<'b> {
    substitute_with(bytes, || saved.clone())
}

/// Replace `$` in a command by the saved set `saved` gives, called only when a set argument
/// is `$` or a SEARCH holds a `$`. Only the command's first words are read, and for SEARCH
/// its keys: the bytes of other commands (an APPEND message among them) are not scanned.
pub fn substitute_with<'b>(bytes: &'b [u8], saved: impl FnOnce() -> SavedSet) -> Substituted<'b> {
    let mut toks = Tokens::new(bytes, 0);
    let _tag = toks.next();
    let Some(mut name) = toks.next() else {
        return unchanged(bytes);
    };
    let uid = name.is(bytes, "UID");
    if uid {
        match toks.next() {
            Some(n) => name = n,
            None => return unchanged(bytes),
        }
    }
    let set_first = ["FETCH", "STORE", "COPY", "MOVE"]
        .iter()
        .any(|n| name.is(bytes, n))
        || (uid && name.is(bytes, "EXPUNGE"));
    if set_first {
        return match toks.next().filter(|t| is_dollar(bytes, t)) {
            Some(arg) => set_argument(bytes, arg, saved().numbers(uid)),
            None => unchanged(bytes),
        };
    }
    let keys = bytes.get(name.end..).unwrap_or_default();
    if name.is(bytes, "SEARCH") && keys.contains(&b'$') {
        let edits = search_keys(bytes, toks, &saved());
        return Substituted {
            bytes: apply(bytes, edits),
            nothing: false,
        };
    }
    unchanged(bytes)
}

fn unchanged(bytes: &[u8]) -> Substituted<'_> {
    Substituted {
        bytes: Cow::Borrowed(bytes),
        nothing: false,
    }
}

fn is_dollar(bytes: &[u8], t: &Token) -> bool {
    t.kind == Kind::Atom && t.text(bytes) == b"$"
}

/// The set argument `arg` (a `$`) of FETCH, STORE, COPY, MOVE and UID EXPUNGE.
fn set_argument<'b>(bytes: &'b [u8], arg: Token, numbers: &[u32]) -> Substituted<'b> {
    let nothing = numbers.is_empty();
    let text = if nothing {
        "1".to_owned()
    } else {
        compact(numbers)
    };
    Substituted {
        bytes: apply(bytes, vec![(arg.start, arg.end, text)]),
        nothing,
    }
}

/// Search keys followed by this many arguments (RFC 9051 §6.4.4, RFC 5032); `UID` and
/// `MODSEQ` are handled apart. CHARSET is not a key but takes one argument the same way.
pub(crate) fn key_arguments(bytes: &[u8], t: &Token) -> usize {
    const ONE: &[&str] = &[
        "CHARSET",
        "BCC",
        "BEFORE",
        "BODY",
        "CC",
        "FROM",
        "KEYWORD",
        "ON",
        "SINCE",
        "SUBJECT",
        "TEXT",
        "TO",
        "UNKEYWORD",
        "SENTBEFORE",
        "SENTON",
        "SENTSINCE",
        "LARGER",
        "SMALLER",
        "OLDER",
        "YOUNGER",
    ];
    if t.is(bytes, "HEADER") {
        2
    } else if ONE.iter().any(|k| t.is(bytes, k)) {
        1
    } else {
        0
    }
}

/// What the walk over search keys expects next.
enum Expect {
    Key,
    /// Arguments of the previous key, to skip.
    Args(usize),
    /// The set of a `UID` key (the key's own token).
    UidSet(Token),
    /// After MODSEQ: an entry name (then two more arguments) or the value.
    ModSeq,
}

/// The edits (start, end, text) that replace `$` in the search keys.
fn search_keys(bytes: &[u8], toks: Tokens<'_>, saved: &SavedSet) -> Vec<(usize, usize, String)> {
    let mut edits = Vec::new();
    let mut expect = Expect::Key;
    for t in toks {
        expect = match expect {
            Expect::Args(n) if t.kind != Kind::Open && t.kind != Kind::Close => {
                if n > 1 {
                    Expect::Args(n - 1)
                } else {
                    Expect::Key
                }
            }
            Expect::ModSeq if t.kind == Kind::Quoted => Expect::Args(2),
            Expect::ModSeq => Expect::Key,
            Expect::UidSet(key) => {
                if is_dollar(bytes, &t) {
                    edits.push(if saved.uids.is_empty() {
                        (key.start, t.end, MATCH_NOTHING.to_owned())
                    } else {
                        (t.start, t.end, compact(&saved.uids))
                    });
                }
                Expect::Key
            }
            _ if is_dollar(bytes, &t) => {
                edits.push((t.start, t.end, render(&saved.seqs)));
                Expect::Key
            }
            _ if t.is(bytes, "UID") => Expect::UidSet(t),
            _ if t.is(bytes, "MODSEQ") => Expect::ModSeq,
            _ => match key_arguments(bytes, &t) {
                0 => Expect::Key,
                n => Expect::Args(n),
            },
        };
    }
    edits
}

fn render(numbers: &[u32]) -> String {
    if numbers.is_empty() {
        MATCH_NOTHING.to_owned()
    } else {
        compact(numbers)
    }
}

/// The bytes with the edits made (edits in ascending, non-overlapping order).
fn apply(bytes: &[u8], edits: Vec<(usize, usize, String)>) -> Cow<'_, [u8]> {
    if edits.is_empty() {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let mut at = 0;
    for (start, end, text) in edits {
        out.extend_from_slice(bytes.get(at..start).unwrap_or_default());
        out.extend_from_slice(text.as_bytes());
        at = end;
    }
    out.extend_from_slice(bytes.get(at..).unwrap_or_default());
    Cow::Owned(out)
}

/// A saved result the tests of `$` substitution share.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::SavedSet;

    /// UIDs 10, 11, 12, 20 at sequence numbers 2, 3, 4, 7.
    pub(crate) fn saved() -> SavedSet {
        SavedSet {
            uids: vec![10, 11, 12, 20],
            seqs: vec![2, 3, 4, 7],
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tests_support::saved;

    fn run(s: &str, saved: &SavedSet) -> (String, bool) {
        let out = substitute(s.as_bytes(), saved);
        (
            String::from_utf8(out.bytes.into_owned()).unwrap(),
            out.nothing,
        )
    }

    fn text(s: &str) -> String {
        run(s, &saved()).0
    }

    #[test]
    fn set_arguments() {
        assert_eq!(text("t FETCH $ FLAGS\r\n"), "t FETCH 2:4,7 FLAGS\r\n");
        assert_eq!(
            text("t UID FETCH $ FLAGS\r\n"),
            "t UID FETCH 10:12,20 FLAGS\r\n"
        );
        assert_eq!(
            text("t store $ +FLAGS ($Forwarded)\r\n"),
            "t store 2:4,7 +FLAGS ($Forwarded)\r\n"
        );
        assert_eq!(text("t COPY $ $\r\n"), "t COPY 2:4,7 $\r\n");
        assert_eq!(
            text("t UID MOVE $ \"$\"\r\n"),
            "t UID MOVE 10:12,20 \"$\"\r\n"
        );
        assert_eq!(text("t UID EXPUNGE $\r\n"), "t UID EXPUNGE 10:12,20\r\n");
        // Not a standalone `$`, or not in a set position: untouched.
        for s in [
            "t FETCH $1 FLAGS\r\n",
            "t FETCH 1 (FLAGS) $\r\n",
            "t COPY 1 $\r\n",
            "t EXPUNGE $\r\n",
            "t APPEND $ {1}\r\n$\r\n",
            "t STORE 1 +FLAGS ($ $Junk)\r\n",
        ] {
            assert_eq!(text(s), s);
        }
    }

    #[test]
    fn empty_result_designates_nothing() {
        let empty = SavedSet::default();
        assert_eq!(
            run("t FETCH $ FLAGS\r\n", &empty),
            ("t FETCH 1 FLAGS\r\n".into(), true)
        );
        assert_eq!(
            run("t UID COPY $ x\r\n", &empty),
            ("t UID COPY 1 x\r\n".into(), true)
        );
        assert_eq!(
            run("t SEARCH $ UID $ NOT $\r\n", &empty),
            (
                "t SEARCH (NOT ALL) (NOT ALL) NOT (NOT ALL)\r\n".into(),
                false
            )
        );
        assert_eq!(
            run("t FETCH 1 FLAGS\r\n", &empty),
            ("t FETCH 1 FLAGS\r\n".into(), false)
        );
    }

    #[test]
    fn search_keys() {
        assert_eq!(text("t SEARCH $\r\n"), "t SEARCH 2:4,7\r\n");
        assert_eq!(
            text("t UID SEARCH $ SEEN\r\n"),
            "t UID SEARCH 2:4,7 SEEN\r\n"
        );
        assert_eq!(
            text("t UID SEARCH UID $\r\n"),
            "t UID SEARCH UID 10:12,20\r\n"
        );
        assert_eq!(
            text("t SEARCH CHARSET UTF-8 OR ($ FLAGGED) NOT uid $\r\n"),
            "t SEARCH CHARSET UTF-8 OR (2:4,7 FLAGGED) NOT uid 10:12,20\r\n"
        );
        // Arguments of other keys, strings, literals and keywords stay as they are.
        for s in [
            "t SEARCH SUBJECT $ KEYWORD $Forwarded\r\n",
            "t SEARCH HEADER $ $ TEXT \"$\"\r\n",
            "t SEARCH BODY {1}\r\n$ UNKEYWORD $\r\n",
            "t SEARCH MODSEQ \"/flags/$\" all 5 KEYWORD $\r\n",
            "t SEARCH SMALLER 5 FROM $\r\n",
        ] {
            assert_eq!(text(s), s);
        }
        assert_eq!(
            text("t SEARCH HEADER X-A $ $\r\n"),
            "t SEARCH HEADER X-A $ 2:4,7\r\n"
        );
        assert_eq!(
            text("t SEARCH MODSEQ 5 $ BODY {1}\r\n$ $\r\n"),
            "t SEARCH MODSEQ 5 2:4,7 BODY {1}\r\n$ 2:4,7\r\n"
        );
    }

    #[test]
    fn substituted_commands_parse() {
        use imap_codec::CommandCodec;
        use imap_codec::decode::Decoder;
        for set in [saved(), SavedSet::default()] {
            for s in [
                "t FETCH $ (FLAGS)\r\n",
                "t UID STORE $ +FLAGS ($Forwarded)\r\n",
                "t UID EXPUNGE $\r\n",
                "t SEARCH OR $ UID $ NOT ($ SEEN)\r\n",
                "t UID SEARCH CHARSET UTF-8 UID $\r\n",
            ] {
                let out = substitute(s.as_bytes(), &set);
                let parsed = CommandCodec::default().decode(&out.bytes);
                assert!(matches!(parsed, Ok(([], _))), "{s} with {set:?}");
            }
        }
    }
}
