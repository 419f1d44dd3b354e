//! Building `imap-types` values from arbitrary bytes without failing: strings become quoted
//! strings when they can, literals otherwise (RFC 9051 §4.3); human-readable text is made
//! safe for `resp-text` (7-bit, no CR/LF, RFC 9051 §9); decoded content holding NUL becomes
//! a literal8 (RFC 3516 §4.2); a date in Unix seconds becomes an IMAP date-time.
//!
//! Invariant: every builder here accepts any input; none can make an encoder fail.

use std::borrow::Cow;
use std::num::NonZeroU32;

use chrono::{DateTime as ChronoDateTime, Offset, Utc};
use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::core::{
    AString, IString, Literal, LiteralMode, NString, NString8, Quoted, Text,
};
use imap_codec::imap_types::datetime::DateTime;
use imap_codec::imap_types::extensions::binary::Literal8;
use imap_codec::imap_types::flag::{Flag, FlagFetch, FlagPerm};

/// A string as quoted when possible, else as a literal.
pub fn istring(bytes: impl Into<Cow<'static, [u8]>>) -> IString<'static> {
    let bytes = bytes.into();
    if bytes.len() <= 1024 && Quoted::validate(&bytes).is_ok() {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        return IString::Quoted(Quoted::unvalidated(text));
    }
    literal(bytes)
}

/// A string always sent as a literal (message data). A literal cannot hold NUL (RFC 9051
/// §4.3, only literal8 can), so NUL octets are sent as 0x80, keeping every size unchanged.
pub fn literal(bytes: impl Into<Cow<'static, [u8]>>) -> IString<'static> {
    let mut bytes = bytes.into();
    if bytes.contains(&0) {
        for b in bytes.to_mut().iter_mut().filter(|b| **b == 0) {
            *b = 0x80;
        }
    }
    match Literal::try_from(bytes.into_owned()) {
        Ok(l) => IString::Literal(l),
        Err(_) => IString::Quoted(Quoted::unvalidated(String::new())),
    }
}

/// NIL for `None`, a string otherwise.
pub fn nstring(bytes: Option<impl Into<Cow<'static, [u8]>>>) -> NString<'static> {
    NString(bytes.map(istring))
}

/// An astring (mailbox names, quota roots): an atom when possible.
pub fn astring(text: &str) -> AString<'static> {
    match AString::try_from(text.to_owned()) {
        Ok(a) => a,
        Err(_) => AString::String(istring(text.as_bytes().to_vec())),
    }
}

/// Text for a status response: printable ASCII only, never empty, never starting with `[`
/// (which would read as a response code).
pub fn text(s: &str) -> Text<'static> {
    let mut clean: String = s
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect();
    if clean.trim().is_empty() {
        clean = "done".into();
    }
    if clean.starts_with('[') {
        clean.insert(0, ' ');
    }
    Text::unvalidated(clean)
}

/// A stored flag as an `imap-types` flag; `None` for names that are not valid atoms.
pub fn flag(name: &str) -> Option<Flag<'static>> {
    Flag::try_from(name).ok().map(IntoStatic::into_static)
}

/// Stored flags for a FETCH response.
pub fn fetch_flags<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Vec<FlagFetch<'static>> {
    names
        .into_iter()
        .filter_map(|n| flag(n.as_ref()))
        .map(FlagFetch::Flag)
        .collect()
}

/// The flags a client may set permanently: the system flags and any keyword (`\*`).
pub fn permanent_flags<'a>(
    read_only: bool,
    keywords: impl IntoIterator<Item = &'a String>,
) -> Vec<FlagPerm<'static>> {
    if read_only {
        return Vec::new();
    }
    let mut v: Vec<FlagPerm<'static>> = SYSTEM_FLAGS
        .iter()
        .copied()
        .chain(keywords.into_iter().map(String::as_str))
        .filter_map(flag)
        .map(FlagPerm::Flag)
        .collect();
    v.push(FlagPerm::Asterisk);
    v
}

/// The system flags stored (RFC 9051 §2.3.2; `\Recent` is not kept).
pub const SYSTEM_FLAGS: [&str; 5] = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

/// A flag name in the form it is stored: system flags in their canonical spelling,
/// keywords as given.
pub fn canonical_flag(name: &str) -> String {
    SYSTEM_FLAGS
        .iter()
        .find(|f| f.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_owned(), |f| (*f).to_owned())
}

/// Why a flag a client sends cannot be stored: a backslash name that is no system flag is
/// one this server does not know (`\Recent` is handled by the caller). Any keyword atom is
/// stored as written, `NIL` included (an atom in a flag list). `None` when it can be stored.
pub fn refused_flag(f: &Flag<'_>) -> Option<&'static str> {
    match f {
        Flag::Extension(_) if !f.to_string().eq_ignore_ascii_case("\\Recent") => {
            Some("unknown system flag")
        }
        _ => None,
    }
}

/// The wire name of a flag from `imap-types` (what is stored).
pub fn flag_name(f: &Flag<'_>) -> String {
    canonical_flag(&f.to_string())
}

/// A non-zero number (UIDs, UIDVALIDITY), with 1 for zero.
pub fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// Decoded content: a literal, or a literal8 when it holds NUL (RFC 3516 §4.2).
pub fn binary_value(data: Vec<u8>) -> NString8<'static> {
    if data.contains(&0) {
        NString8::Literal8(Literal8 {
            data: data.into(),
            mode: LiteralMode::Sync,
        })
    } else {
        NString8::NString(NString(Some(literal(data))))
    }
}

/// An internal date (Unix seconds) as an IMAP date-time in UTC.
pub fn internal_date(secs: i64) -> DateTime {
    let t = ChronoDateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .with_timezone(&Utc.fix());
    DateTime::try_from(t).unwrap_or_else(|_| {
        DateTime::unvalidated(ChronoDateTime::UNIX_EPOCH.with_timezone(&Utc.fix()))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn strings_never_fail() {
        assert!(matches!(istring(b"plain".to_vec()), IString::Quoted(_)));
        assert!(matches!(
            istring(b"two\r\nlines".to_vec()),
            IString::Literal(_)
        ));
        assert!(matches!(
            istring("Grüße".as_bytes().to_vec()),
            IString::Literal(_)
        ));
        assert!(matches!(
            istring(b"nul\0byte".to_vec()),
            IString::Literal(_)
        ));
        assert_eq!(text("[x] ok\r\n").inner(), " [x] ok??");
        assert_eq!(text("").inner(), "done");
    }

    #[test]
    fn flags() {
        assert_eq!(canonical_flag("\\SEEN"), "\\Seen");
        assert_eq!(canonical_flag("$Forwarded"), "$Forwarded");
        assert_eq!(flag_name(&flag("\\deleted").unwrap()), "\\Deleted");
        assert_eq!(fetch_flags(["\\Seen", "bad flag"]).len(), 1);
        assert_eq!(permanent_flags(false, &[]).len(), 6);
        assert_eq!(permanent_flags(false, &["$Work".to_string()]).len(), 7);
        assert!(permanent_flags(true, &["$Work".to_string()]).is_empty());
        assert!(refused_flag(&flag("NIL").unwrap()).is_none());
        assert!(refused_flag(&flag("\\Frobbed").unwrap()).is_some());
        assert!(refused_flag(&flag("\\Recent").unwrap()).is_none());
        assert!(refused_flag(&flag("$NILs").unwrap()).is_none());
        assert!(refused_flag(&flag("\\Seen").unwrap()).is_none());
    }
}
