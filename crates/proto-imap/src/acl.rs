//! The ACL commands of RFC 4314 §3 (SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS), which
//! `imap-codec` does not parse, the rights letters of §2.1 and the encoding of the ACL,
//! LISTRIGHTS and MYRIGHTS responses (§3.6–§3.8).
//!
//! Invariants: [`parse`] answers `None` for any command that is not one of these (the
//! caller goes on to `imap-codec`), and otherwise a whole command or a [`ParseError`]
//! carrying the tag; rights strings are checked letter by letter, and the obsolete `c` and
//! `d` stand for the rights §2.1.1 gives them (`c` = `k`, `d` = `xte`: this server announces
//! `RIGHTS=texk`, so they are not tied); encoded responses hold no client text that could
//! add a line.

use imap_codec::imap_types::core::Tag;

use crate::error::ParseError;
use crate::framing::command_tag;
use crate::preparse::string_value;
use crate::tokens::{Kind, Token, Tokens};

/// Every right this server knows, in the canonical order of RFC 4314 §2.1.
pub const ALL_RIGHTS: &str = "lrswipkxtea";

/// One ACL command (RFC 4314 §3). Mailbox names are as sent (modified UTF-7 or UTF-8),
/// for the session to decode; identifiers and rights are text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AclCommand {
    /// §3.1: change an identifier's rights.
    SetAcl {
        /// The mailbox, as sent.
        mailbox: Vec<u8>,
        /// Who is granted.
        identifier: String,
        /// The rights argument, with its `+` or `-` if any.
        rights: String,
    },
    /// §3.2: remove an identifier's entry.
    DeleteAcl {
        /// The mailbox, as sent.
        mailbox: Vec<u8>,
        /// Whose entry.
        identifier: String,
    },
    /// §3.3: the whole list.
    GetAcl {
        /// The mailbox, as sent.
        mailbox: Vec<u8>,
    },
    /// §3.4: what may be granted to an identifier.
    ListRights {
        /// The mailbox, as sent.
        mailbox: Vec<u8>,
        /// Whom it is about.
        identifier: String,
    },
    /// §3.5: the rights of the logged-in user.
    MyRights {
        /// The mailbox, as sent.
        mailbox: Vec<u8>,
    },
}

impl AclCommand {
    /// The command's name, for logs and replies.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SetAcl { .. } => "SETACL",
            Self::DeleteAcl { .. } => "DELETEACL",
            Self::GetAcl { .. } => "GETACL",
            Self::ListRights { .. } => "LISTRIGHTS",
            Self::MyRights { .. } => "MYRIGHTS",
        }
    }

    /// The mailbox the command is about, as sent.
    pub fn mailbox(&self) -> &[u8] {
        match self {
            Self::SetAcl { mailbox, .. }
            | Self::DeleteAcl { mailbox, .. }
            | Self::GetAcl { mailbox }
            | Self::ListRights { mailbox, .. }
            | Self::MyRights { mailbox } => mailbox,
        }
    }
}

/// An ACL command with its tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclRequest {
    /// The command's tag.
    pub tag: Tag<'static>,
    /// The command.
    pub command: AclCommand,
}

/// Parse a complete command if it is one of RFC 4314's; `None` for any other command.
pub fn parse(bytes: &[u8]) -> Option<Result<AclRequest, ParseError>> {
    let mut tokens = Tokens::new(bytes, 0);
    let _tag = tokens.next()?;
    let name = tokens.next()?;
    if name.kind != Kind::Atom {
        return None;
    }
    let upper = name.text(bytes).to_ascii_uppercase();
    let argc = match upper.as_slice() {
        b"SETACL" => 3,
        b"DELETEACL" | b"LISTRIGHTS" => 2,
        b"GETACL" | b"MYRIGHTS" => 1,
        _ => return None,
    };
    let fail = |reason| ParseError {
        tag: command_tag(bytes).and_then(|t| Tag::try_from(t).ok()),
        reason,
        forgets_saved: false,
    };
    let Some(tag) = command_tag(bytes).and_then(|t| Tag::try_from(t).ok()) else {
        return Some(Err(fail("bad tag")));
    };
    let mut args = Vec::with_capacity(argc);
    for t in tokens.by_ref() {
        match astring(bytes, t) {
            Some(v) => args.push(v),
            None => return Some(Err(fail("expected a string argument"))),
        }
    }
    if args.len() != argc {
        return Some(Err(fail("wrong number of arguments")));
    }
    let text = |v: &Vec<u8>| String::from_utf8(v.clone()).map_err(|_| fail("not UTF-8"));
    let mut args = args.into_iter();
    let mailbox = args.next().unwrap_or_default();
    let command = match upper.as_slice() {
        b"SETACL" => {
            let (Some(id), Some(r)) = (args.next(), args.next()) else {
                return Some(Err(fail("wrong number of arguments")));
            };
            match (text(&id), text(&r)) {
                (Ok(identifier), Ok(rights)) => AclCommand::SetAcl {
                    mailbox,
                    identifier,
                    rights,
                },
                (Err(e), _) | (_, Err(e)) => return Some(Err(e)),
            }
        }
        b"DELETEACL" | b"LISTRIGHTS" => {
            let identifier = match text(&args.next().unwrap_or_default()) {
                Ok(i) => i,
                Err(e) => return Some(Err(e)),
            };
            if upper.as_slice() == b"DELETEACL" {
                AclCommand::DeleteAcl {
                    mailbox,
                    identifier,
                }
            } else {
                AclCommand::ListRights {
                    mailbox,
                    identifier,
                }
            }
        }
        b"GETACL" => AclCommand::GetAcl { mailbox },
        _ => AclCommand::MyRights { mailbox },
    };
    Some(Ok(AclRequest { tag, command }))
}

/// The value of an astring argument (RFC 9051 §9): an atom of astring characters, a whole
/// quoted string or a literal.
fn astring(bytes: &[u8], t: Token) -> Option<Vec<u8>> {
    let text = t.text(bytes);
    match t.kind {
        Kind::Atom => {
            let ok = !text.is_empty()
                && text.iter().all(|&c| {
                    c.is_ascii_graphic()
                        && !matches!(c, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\')
                });
            ok.then(|| text.to_vec())
        }
        Kind::Quoted => {
            let closed = text.len() >= 2 && text.ends_with(b"\"");
            closed.then(|| string_value(bytes, t))
        }
        Kind::Literal => Some(string_value(bytes, t)),
        Kind::Open | Kind::Close => None,
    }
}

/// How SETACL changes rights (RFC 4314 §3.1): a leading `+` adds, `-` removes, else the
/// rights replace the old ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The letters replace the rights.
    Replace,
    /// `+`: the letters are added.
    Add,
    /// `-`: the letters are taken away.
    Remove,
}

/// A rights string with a letter this server does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownRight(pub char);

/// A SETACL rights argument: how it changes the rights and the letters it names, in
/// canonical order, `c` and `d` replaced by what they stand for (§2.1.1).
pub fn parse_change(arg: &str) -> Result<(Change, String), UnknownRight> {
    let (change, letters) = match arg.as_bytes().first() {
        Some(b'+') => (Change::Add, &arg[1..]),
        Some(b'-') => (Change::Remove, &arg[1..]),
        _ => (Change::Replace, arg),
    };
    let mut named = String::new();
    for c in letters.chars() {
        match c {
            // RFC 4314 §2.1.1: "c" is the create right (k here), "d" the delete rights.
            'c' => named.push('k'),
            'd' => named.push_str("xte"),
            c if ALL_RIGHTS.contains(c) => named.push(c),
            c => return Err(UnknownRight(c)),
        }
    }
    Ok((change, canonical(&named)))
}

/// The rights after a change.
pub fn apply(current: &str, change: Change, named: &str) -> String {
    match change {
        Change::Replace => canonical(named),
        Change::Add => canonical(&format!("{current}{named}")),
        Change::Remove => canonical(&current.replace(|c| named.contains(c), "")),
    }
}

/// Known letters of `rights`, each once, in the order of [`ALL_RIGHTS`].
pub fn canonical(rights: &str) -> String {
    ALL_RIGHTS.chars().filter(|&c| rights.contains(c)).collect()
}

/// Rights as responses show them: with `c` when `k` is held and `d` when any of `x`, `t`,
/// `e` is (RFC 4314 §2.1.1, for RFC 2086 clients).
pub fn shown(rights: &str) -> String {
    let mut out = canonical(rights);
    if out.contains('k') {
        out.push('c');
    }
    if out.contains(['x', 't', 'e']) {
        out.push('d');
    }
    out
}

/// An astring for a response: an atom when it can be one, a quoted string when it has no
/// line breaks or NULs, a literal otherwise.
pub fn astring_wire(s: &str) -> String {
    let atom = !s.is_empty()
        && s.bytes().all(|c| {
            c.is_ascii_graphic()
                && !matches!(c, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
        });
    if atom {
        return s.to_owned();
    }
    if !s.contains(['\r', '\n', '\0']) {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        return out;
    }
    format!("{{{}}}\r\n{s}", s.len())
}

/// `* ACL mailbox (identifier rights)*` (RFC 4314 §3.6); `mailbox` in its wire form.
pub fn acl_response(mailbox: &str, entries: &[(String, String)]) -> Vec<u8> {
    let mut line = format!("* ACL {}", astring_wire(mailbox));
    for (id, rights) in entries {
        line.push(' ');
        line.push_str(&astring_wire(id));
        line.push(' ');
        line.push_str(&astring_wire(&shown(rights)));
    }
    line.push_str("\r\n");
    line.into_bytes()
}

/// `* LISTRIGHTS mailbox identifier required optional...` (RFC 4314 §3.7).
pub fn listrights_response(
    mailbox: &str,
    identifier: &str,
    required: &str,
    optional: &[&str],
) -> Vec<u8> {
    let mut line = format!(
        "* LISTRIGHTS {} {} {}",
        astring_wire(mailbox),
        astring_wire(identifier),
        astring_wire(required)
    );
    for o in optional {
        line.push(' ');
        line.push_str(&astring_wire(o));
    }
    line.push_str("\r\n");
    line.into_bytes()
}

/// `* MYRIGHTS mailbox rights` (RFC 4314 §3.8).
pub fn myrights_response(mailbox: &str, rights: &str) -> Vec<u8> {
    format!(
        "* MYRIGHTS {} {}\r\n",
        astring_wire(mailbox),
        astring_wire(&shown(rights))
    )
    .into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "acl_tests.rs"]
mod tests;
