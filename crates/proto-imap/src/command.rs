//! One complete command, from its bytes (lines and literals as [`crate::framing`] assembled
//! them) to a [`Command`]: the command as `imap-codec` types it, with what `imap-codec` does
//! not know already taken out of the bytes ([`Extras`]) and the `$` of SEARCHRES already
//! replaced by the set it stands for.
//!
//! How: the options `imap-codec` does not parse are cut out of the bytes (`preparse`), `$`
//! is replaced by the saved set (`searchres`; the saved set is asked for only when a `$`
//! may stand for it), and the result is decoded by `imap-codec`, or by the deep SEARCH parser
//! when the criteria nest deeper than `imap-codec` goes (`deep_search`). Each of the first
//! two steps reads only the command's first words unless the command is one whose syntax
//! it rewrites (SEARCH, CREATE, LIST; FETCH, STORE, COPY, MOVE, UID EXPUNGE), so the bytes
//! of any other command, an APPEND message among them, are read once, by `imap-codec`.
//!
//! Invariants: never panics, whatever the bytes; a command whose bytes were not rewritten
//! borrows from them (an APPEND message is never copied), a rewritten one owns its values;
//! an error carries the tag when one can be read, so the reply can be tagged.

use std::borrow::Cow;

use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::command::{Command as CodecCommand, CommandBody};
use imap_codec::imap_types::core::Tag;

use crate::deep_search;
use crate::error::ParseError;
use crate::framing::command_tag;
use crate::preparse::{self, Extras};
use crate::searchres::{self, SavedSet};

/// One command as the session runs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Command<'a> {
    /// The command's tag, for its tagged response.
    pub tag: Tag<'a>,
    /// The command and its arguments, as `imap-codec` types them.
    pub body: CommandBody<'a>,
    /// The options `imap-codec` does not know: SEARCH RETURN, LIST selection and return
    /// options, CREATE `USE`.
    pub extras: Extras,
    /// The set argument was `$` and the saved result is empty (RFC 5182 §2.1): the command
    /// was parsed with a placeholder set and must be answered OK without running.
    pub designates_nothing: bool,
}

impl Command<'_> {
    /// The command's name, for logs and replies (`UID FETCH`, `LOGIN`, ...).
    pub fn name(&self) -> &'static str {
        self.body.name()
    }
}

/// Parse one complete command. `saved` gives the result a `SEARCH RETURN (SAVE)` kept, as
/// the session's current view sees it; it is called only when a set argument is `$` or a
/// SEARCH holds a `$`.
pub fn parse(bytes: &[u8], saved: impl FnOnce() -> SavedSet) -> Result<Command<'_>, ParseError> {
    let (rest, extras) = preparse::split(bytes).map_err(|why| error(bytes, why))?;
    let (rest, designates_nothing) = substitute(rest, saved);
    let rest = crate::metadata::options_first(rest);
    let command = decode(rest).ok_or_else(|| error(bytes, "syntax error"))?;
    Ok(Command {
        tag: command.tag,
        body: command.body,
        extras,
        designates_nothing,
    })
}

/// The bytes with `$` replaced, borrowed from the input as long as nothing changed.
fn substitute<'a>(bytes: Cow<'a, [u8]>, saved: impl FnOnce() -> SavedSet) -> (Cow<'a, [u8]>, bool) {
    match bytes {
        Cow::Borrowed(b) => {
            let out = searchres::substitute_with(b, saved);
            (out.bytes, out.nothing)
        }
        Cow::Owned(v) => {
            let out = searchres::substitute_with(&v, saved);
            let nothing = out.nothing;
            let bytes = match out.bytes {
                Cow::Owned(changed) => changed,
                Cow::Borrowed(_) => v,
            };
            (Cow::Owned(bytes), nothing)
        }
    }
}

/// Decode the command, borrowing from the bytes when they are the client's own.
fn decode(bytes: Cow<'_, [u8]>) -> Option<CodecCommand<'_>> {
    match bytes {
        Cow::Borrowed(b) => decode_slice(b),
        Cow::Owned(v) => decode_slice(&v).map(IntoStatic::into_static),
    }
}

fn decode_slice(bytes: &[u8]) -> Option<CodecCommand<'_>> {
    match CommandCodec::default().decode(bytes) {
        Ok(([], c)) => Some(c),
        // Search keys nested deeper than the codec goes.
        _ => deep_search::parse(bytes),
    }
}

fn error(bytes: &[u8], reason: &'static str) -> ParseError {
    ParseError {
        tag: command_tag(bytes).and_then(|t| Tag::try_from(t).ok()),
        reason,
        forgets_saved: preparse::asks_save(bytes),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::searchres::tests_support::saved;
    use imap_codec::imap_types::sequence::SequenceSet;

    fn fetch_set(c: &Command<'_>) -> SequenceSet {
        match &c.body {
            CommandBody::Fetch { sequence_set, .. } => sequence_set.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_commands_borrow_their_bytes() {
        let bytes = b"a1 APPEND INBOX {5}\r\nhello\r\n";
        let c = parse(bytes, || panic!("no `$`, no saved set")).unwrap();
        assert_eq!((c.tag.as_ref(), c.name()), ("a1", "APPEND"));
        let CommandBody::Append { message, .. } = &c.body else {
            panic!("{c:?}")
        };
        let data: &[u8] = match message {
            imap_codec::imap_types::extensions::binary::LiteralOrLiteral8::Literal(l) => l.as_ref(),
            other => panic!("{other:?}"),
        };
        assert_eq!(data, b"hello");
        assert!(
            std::ptr::eq(data.as_ptr(), bytes[21..].as_ptr()),
            "not copied"
        );
        assert_eq!(c.extras, Extras::default());
        assert!(!c.designates_nothing);
        let c = parse(b"a2 APPEND INBOX {3}\r\n$ $\r\n", || panic!("not a set")).unwrap();
        assert_eq!(c.name(), "APPEND");
    }

    #[test]
    fn extras_and_dollar_in_one_parse() {
        let c = parse(b"t UID SEARCH RETURN (SAVE MIN) UID $\r\n", saved).unwrap();
        let r = c.extras.search.unwrap();
        assert!(r.save && r.min);
        let CommandBody::Search { criteria, uid, .. } = &c.body else {
            panic!("{c:?}")
        };
        assert!(uid);
        let want = parse(b"t UID SEARCH UID 10:12,20\r\n", SavedSet::default).unwrap();
        let CommandBody::Search { criteria: w, .. } = &want.body else {
            panic!()
        };
        assert_eq!(criteria, w);
        let c = parse(b"t CREATE Sent2 (USE (\\Sent))\r\n", SavedSet::default).unwrap();
        assert_eq!(c.extras.create_use, Some(vec!["\\Sent".to_string()]));
        assert_eq!(c.name(), "CREATE");
    }

    #[test]
    fn dollar_sets() {
        let c = parse(b"t FETCH $ FLAGS\r\n", saved).unwrap();
        assert_eq!(fetch_set(&c), "2:4,7".parse().unwrap());
        assert!(!c.designates_nothing);
        let c = parse(b"t FETCH $ FLAGS\r\n", SavedSet::default).unwrap();
        assert!(c.designates_nothing);
        let c = parse(b"t FETCH 1 FLAGS\r\n", || panic!("not asked")).unwrap();
        assert!(!c.designates_nothing);
    }

    #[test]
    fn errors_carry_tag_and_save() {
        let e = parse(b"t1 SEARCH RETURN (SAVE BOGUS) ALL\r\n", saved).unwrap_err();
        assert_eq!(e.tag.as_ref().map(|t| t.as_ref()), Some("t1"));
        assert_eq!(e.reason, "unsupported RETURN option");
        assert!(e.forgets_saved);
        let e = parse(b"t2 UID SEARCH RETURN (SAVE) BOGUS\r\n", saved).unwrap_err();
        assert_eq!((e.reason, e.forgets_saved), ("syntax error", true));
        let e = parse(b"* NOOP\r\n", saved).unwrap_err();
        assert_eq!((e.tag, e.forgets_saved), (None, false));
        let e = parse(b"t3 FROB\r\n", saved).unwrap_err();
        assert_eq!(e.to_string(), "syntax error");
    }

    #[test]
    fn deep_criteria() {
        let mut cmd = b"a SEARCH ".to_vec();
        cmd.extend_from_slice("OR ".repeat(20).as_bytes());
        cmd.extend_from_slice(b"SEEN");
        for i in 0..20 {
            cmd.extend_from_slice(format!(" FROM u{i}").as_bytes());
        }
        cmd.extend_from_slice(b"\r\n");
        assert!(parse(&cmd, SavedSet::default).is_ok());
    }
}
