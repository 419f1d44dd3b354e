//! MAIL/RCPT paths (RFC 5321 §4.1.2, RFC 6531 §3.3).
//!
//! Invariants of a parsed [`Path`]:
//! - the bracketed text was at most [`MAX_PATH`] octets of valid UTF-8;
//! - a source route (`<@a,@b:user@c>`) is validated, then dropped: only
//!   the final mailbox is kept and [`Mailbox::source_route`] records that
//!   there was one (RFC 5321 §4.1.1.3 and appendix C: servers ignore the
//!   route). Relay decisions therefore apply to the final domain;
//! - the local part is kept exactly as meant (quotes and escapes removed,
//!   case untouched); [`Mailbox::quoted`] records that it was quoted;
//! - the domain is lower-cased and syntactically valid: LDH labels of at
//!   most 63 octets (UTF-8 U-labels allowed), at most 255 octets, or an
//!   IPv4 / `IPv6:` address literal rewritten in canonical form;
//! - a second unquoted `@` (`user@remote@local`) is not a valid mailbox and
//!   is rejected outright; the other relay-abuse forms are grammatical and
//!   are reported by [`Mailbox::suspicious`] instead.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::{MAX_PATH, ParseError};

/// RFC 5321 §4.5.3.1.2: at most 255 octets in a domain.
const MAX_DOMAIN: usize = 255;
/// RFC 1035 §2.3.4: at most 63 octets in a label.
const MAX_LABEL: usize = 63;

/// A reverse-path (MAIL) or forward-path (RCPT).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Path {
    /// `<>`: the null reverse-path of bounces (RFC 5321 §4.5.5). Only in
    /// MAIL.
    Null,
    /// `<postmaster>` without a domain (RFC 5321 §4.1.1.3), matched
    /// case-insensitively. Only in RCPT; it means the local postmaster.
    Postmaster,
    /// An ordinary mailbox.
    Mailbox(Mailbox),
}

/// `local-part@domain`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    /// The local part, unquoted and unescaped, case preserved.
    pub local: String,
    /// The domain, lower-cased; an address literal is kept in brackets,
    /// e.g. `"[192.0.2.1]"` or `"[IPv6:2001:db8::1]"`.
    pub domain: String,
    /// The local part was sent as a quoted string.
    pub quoted: bool,
    /// The path carried a source route, which was dropped.
    pub source_route: bool,
}

impl Path {
    /// The mailbox, if this is neither `<>` nor `<postmaster>`.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            Path::Mailbox(mailbox) => Some(mailbox),
            Path::Null | Path::Postmaster => None,
        }
    }

    /// True for `<>`.
    pub fn is_null(&self) -> bool {
        matches!(self, Path::Null)
    }

    /// True unless the mailbox holds UTF-8 that needs SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        self.mailbox().is_none_or(Mailbox::is_ascii)
    }

    /// Which relay-abuse form the path uses, if any: see
    /// [`Mailbox::suspicious`].
    pub fn suspicious(&self) -> Option<&'static str> {
        self.mailbox().and_then(Mailbox::suspicious)
    }
}

impl Mailbox {
    /// Names the relay-abuse form this mailbox uses, if any, so that the
    /// session can refuse it from unauthenticated clients:
    /// `"source route"` (`<@a,@b:user@c>`), `"quoted at-sign"`
    /// (`"user@remote"@local`), `"percent hack"` (`user%remote@local`) or
    /// `"bang path"` (`remote!user@local`).
    pub fn suspicious(&self) -> Option<&'static str> {
        if self.source_route {
            Some("source route")
        } else if self.local.contains('@') {
            Some("quoted at-sign")
        } else if self.local.contains('%') {
            Some("percent hack")
        } else if self.local.contains('!') {
            Some("bang path")
        } else {
            None
        }
    }

    /// True if both parts are ASCII.
    pub fn is_ascii(&self) -> bool {
        self.local.is_ascii() && self.domain.is_ascii()
    }

    /// True if the domain is an address literal such as `[192.0.2.1]`.
    pub fn is_domain_literal(&self) -> bool {
        self.domain.starts_with('[')
    }
}

impl fmt::Display for Mailbox {
    /// `local@domain`, quoting the local part when it is not a dot-atom.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_dot_atom(&self.local) {
            f.write_str(&self.local)?;
        } else {
            f.write_str("\"")?;
            for c in self.local.chars() {
                if matches!(c, '"' | '\\') {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\"")?;
        }
        write!(f, "@{}", self.domain)
    }
}

impl fmt::Display for Path {
    /// The address without brackets: empty for `<>`, `postmaster` for
    /// `<postmaster>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Null => Ok(()),
            Path::Postmaster => f.write_str("postmaster"),
            Path::Mailbox(mailbox) => mailbox.fmt(f),
        }
    }
}

/// Splits `<path>rest` into the bytes between the brackets and the rest.
/// A `>` inside a quoted local part does not close the path.
pub(crate) fn split_path(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let inner = text.strip_prefix(b"<")?;
    let mut in_quote = false;
    let mut escaped = false;
    for (i, &b) in inner.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_quote => escaped = true,
            b'"' => in_quote = !in_quote,
            b'>' if !in_quote => return Some((inner.get(..i)?, inner.get(i + 1..)?)),
            _ => {}
        }
    }
    None
}

/// Parses the text between the brackets of a MAIL (`forward == false`) or
/// RCPT (`forward == true`) path.
pub(crate) fn parse_path(inner: &[u8], forward: bool) -> Result<Path, ParseError> {
    // RFC 5321 §4.5.3.1.3: a path is at most 256 octets.
    if inner.len() > MAX_PATH {
        return Err(ParseError::BadAddress("address too long"));
    }
    // RFC 6531 §3.3: non-ASCII addresses are UTF-8.
    let text = std::str::from_utf8(inner).map_err(|_| ParseError::EightBit)?;
    if text.is_empty() {
        // RFC 5321 §4.1.1.2: "<>" is a reverse-path only.
        return match forward {
            false => Ok(Path::Null),
            true => Err(ParseError::BadAddress("empty recipient")),
        };
    }
    // RFC 5321 §4.1.1.3: RCPT accepts the bare "Postmaster".
    if text.eq_ignore_ascii_case("postmaster") {
        return match forward {
            true => Ok(Path::Postmaster),
            false => Err(ParseError::BadAddress("missing domain")),
        };
    }
    let (mailbox, source_route) = strip_source_route(text)?;
    let mut mailbox = parse_mailbox(mailbox)?;
    mailbox.source_route = source_route;
    Ok(Path::Mailbox(mailbox))
}

/// RFC 5321 §4.1.2: `A-d-l ":"` before the mailbox, `A-d-l` being
/// `"@" Domain *("," "@" Domain)`. Returns the mailbox text and whether a
/// route was present.
fn strip_source_route(text: &str) -> Result<(&str, bool), ParseError> {
    if !text.starts_with('@') {
        return Ok((text, false));
    }
    const BAD_ROUTE: ParseError = ParseError::BadAddress("bad source route");
    let (route, mailbox) = text.split_once(':').ok_or(BAD_ROUTE)?;
    for hop in route.split(',') {
        let domain = hop.strip_prefix('@').ok_or(BAD_ROUTE)?;
        parse_domain_name(domain).map_err(|_| BAD_ROUTE)?;
    }
    Ok((mailbox, true))
}

/// RFC 5321 §4.1.2: `Local-part "@" ( Domain / address-literal )`.
fn parse_mailbox(text: &str) -> Result<Mailbox, ParseError> {
    let (local, quoted, rest) = if text.starts_with('"') {
        let (local, rest) = parse_quoted(text)?;
        (local, true, rest)
    } else {
        let at = text
            .find('@')
            .ok_or(ParseError::BadAddress("missing domain"))?;
        let (local, rest) = text.split_at(at);
        check_dot_string(local)?;
        (local.to_owned(), false, rest)
    };
    let domain = rest
        .strip_prefix('@')
        .ok_or(ParseError::BadAddress("missing domain"))?;
    if domain.contains('@') {
        return Err(ParseError::BadAddress("more than one @"));
    }
    if local.is_empty() {
        return Err(ParseError::BadAddress("empty local part"));
    }
    let domain = if domain.starts_with('[') {
        parse_address_literal(domain)?
    } else {
        parse_domain_name(domain)?
    };
    Ok(Mailbox {
        local,
        domain,
        quoted,
        source_route: false,
    })
}

/// RFC 5321 §4.1.2 `Quoted-string` (RFC 6531 §3.3 adds UTF-8): returns
/// the unescaped content and the text after the closing quote.
fn parse_quoted(text: &str) -> Result<(String, &str), ParseError> {
    const BAD_QUOTED: ParseError = ParseError::BadAddress("bad quoted local part");
    let mut content = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            // quoted-pairSMTP = "\" %d32-126
            '\\' => match chars.next() {
                Some((_, e @ ' '..='~')) => content.push(e),
                _ => return Err(BAD_QUOTED),
            },
            '"' => return Ok((content, text.get(i + 1..).unwrap_or(""))),
            // qtextSMTP = %d32-33 / %d35-91 / %d93-126 / UTF8-non-ascii
            ' '..='~' => content.push(c),
            _ if !c.is_ascii() => content.push(c),
            _ => return Err(BAD_QUOTED),
        }
    }
    Err(BAD_QUOTED)
}

/// RFC 5322 §3.2.3 `atext`, extended with UTF-8 by RFC 6531 §3.3.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// RFC 5321 §4.1.2 `Dot-string`, leniently: dots may lead, trail or
/// repeat, because real senders use such addresses (the local part is
/// only interpreted by the receiving system, RFC 5321 §2.4).
fn check_dot_string(local: &str) -> Result<(), ParseError> {
    if local.chars().all(|c| c == '.' || is_atext(c)) {
        Ok(())
    } else {
        Err(ParseError::BadAddress("bad character in local part"))
    }
}

/// A strict `Dot-string`: non-empty atoms separated by single dots.
fn is_dot_atom(local: &str) -> bool {
    local
        .split('.')
        .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

/// RFC 5321 §4.1.2 `Domain`: LDH labels (RFC 6531 §3.3 allows U-labels),
/// lower-cased.
fn parse_domain_name(domain: &str) -> Result<String, ParseError> {
    const BAD_DOMAIN: ParseError = ParseError::BadAddress("bad domain");
    if domain.is_empty() || domain.len() > MAX_DOMAIN {
        return Err(BAD_DOMAIN);
    }
    for label in domain.split('.') {
        let valid = !label.is_empty()
            && label.len() <= MAX_LABEL
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii());
        if !valid {
            return Err(BAD_DOMAIN);
        }
    }
    Ok(domain.to_lowercase())
}

/// RFC 5321 §4.1.3: `[IPv4]` or `[IPv6:...]`, rewritten canonically.
/// General address literals (`[tag:...]`) are refused.
fn parse_address_literal(domain: &str) -> Result<String, ParseError> {
    const BAD_LITERAL: ParseError = ParseError::BadAddress("bad address literal");
    let inner = domain
        .strip_prefix('[')
        .and_then(|d| d.strip_suffix(']'))
        .ok_or(BAD_LITERAL)?;
    let tag = inner.get(..5).filter(|t| t.eq_ignore_ascii_case("IPv6:"));
    if let Some(v6) = tag.and_then(|_| inner.get(5..)) {
        let addr: Ipv6Addr = v6.parse().map_err(|_| BAD_LITERAL)?;
        return Ok(format!("[IPv6:{addr}]"));
    }
    let addr: Ipv4Addr = inner.parse().map_err(|_| BAD_LITERAL)?;
    Ok(format!("[{addr}]"))
}
