//! METADATA (RFC 5464) rules that need no store: entry names (§3.2), which stored entries a
//! GETMETADATA entry with a DEPTH asks for (§4.2.2), and the limits the server announces.
//!
//! Invariants: a name that passes [`entry_name`] is printable ASCII without `*` or `%`,
//! starts with `/private/` or `/shared/`, has no empty component, and is lower case (entry
//! names are case-insensitive, §3.2), so it can be stored and compared as is.

use std::borrow::Cow;

use imap_codec::imap_types::extensions::metadata::Depth;

/// Longest entry name accepted, in octets.
pub const MAX_NAME: usize = 1024;
/// Largest value accepted, in octets (announced by `[METADATA MAXSIZE n]`, §4.3).
pub const MAX_VALUE: usize = 32 * 1024;
/// Most entries a mailbox, or the server for one user, may hold (`[METADATA TOOMANY]`).
pub const MAX_ENTRIES: usize = 100;

/// What an entry name is used for: setting needs a full name, reading may name a subtree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// GETMETADATA: a vendor subtree may be named.
    Get,
    /// SETMETADATA: a whole entry name.
    Set,
}

/// The entry name in its stored form (lower case), or why it is invalid (a BAD, §3.2).
pub fn entry_name(raw: &[u8], usage: Use) -> Result<String, &'static str> {
    if raw.is_empty() || raw.len() > MAX_NAME {
        return Err("entry name empty or too long");
    }
    // RFC 5464 §3.2: no "*" or "%", no non-ASCII, no control characters.
    if raw
        .iter()
        .any(|&b| !(0x20..0x7f).contains(&b) || b == b'*' || b == b'%')
    {
        return Err("invalid character in entry name");
    }
    let name = String::from_utf8_lossy(raw).to_ascii_lowercase();
    // RFC 5464 §3.2: no "//", no trailing "/".
    if !name.starts_with('/') || name.contains("//") || name.ends_with('/') {
        return Err("invalid entry name");
    }
    let parts: Vec<&str> = name[1..].split('/').collect();
    if !matches!(parts[0], "private" | "shared") {
        return Err("entry name must begin with /private or /shared");
    }
    // RFC 5464 §3.2: two components at least, vendor entries four; a GETMETADATA may
    // name a scope's whole tree ("/private" with a DEPTH).
    let vendor = parts.get(1) == Some(&"vendor");
    let least = match usage {
        Use::Get => 1,
        Use::Set if vendor => 4,
        Use::Set => 2,
    };
    if parts.len() < least {
        return Err("entry name has too few components");
    }
    Ok(name)
}

/// Whether the stored entry `name` answers a request for `base` with `depth` (RFC 5464
/// §4.2.2): the entry itself, and with DEPTH 1 its children, with infinity all below it.
pub fn answers(base: &str, name: &str, depth: &Depth) -> bool {
    if name == base {
        return true;
    }
    let Some(rest) = name.strip_prefix(base).and_then(|r| r.strip_prefix('/')) else {
        return false;
    };
    match depth {
        Depth::Null => false,
        Depth::One => !rest.contains('/'),
        Depth::Infinity => true,
    }
}

/// A GETMETADATA with its options after the mailbox, as RFC 5464's examples write it
/// (`GETMETADATA "INBOX" (MAXSIZE 1024) (...)`), rewritten to the order of its grammar
/// (options first, §5), which the parser follows. Anything else is returned unchanged.
pub fn options_first(bytes: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    match reordered(&bytes) {
        Some(v) => Cow::Owned(v),
        None => bytes,
    }
}

fn reordered(b: &[u8]) -> Option<Vec<u8>> {
    const NAME: &[u8] = b"GETMETADATA ";
    let start = b.iter().position(|&c| c == b' ')? + 1;
    let after_name = start + NAME.len();
    if !b.get(start..after_name)?.eq_ignore_ascii_case(NAME) {
        return None;
    }
    // The mailbox: a quoted string or an atom (a literal is left alone).
    let end = match *b.get(after_name)? {
        b'"' => {
            let mut i = after_name + 1;
            loop {
                match *b.get(i)? {
                    b'\\' => i += 2,
                    b'"' => break i + 1,
                    _ => i += 1,
                }
            }
        }
        b'(' | b'{' | b'~' => return None,
        _ => after_name + b[after_name..].iter().position(|&c| c == b' ')?,
    };
    let opts = end + 1;
    let head = b.get(opts..opts + 9)?.to_ascii_uppercase();
    if !(head.starts_with(b"(MAXSIZE ") || head.starts_with(b"(DEPTH ")) {
        return None;
    }
    let close = opts + b[opts..].iter().position(|&c| c == b')')?;
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..after_name]);
    out.extend_from_slice(&b[opts..=close]);
    out.push(b' ');
    out.extend_from_slice(&b[after_name..end]);
    out.extend_from_slice(&b[close + 1..]);
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn options_after_the_mailbox_are_moved_before_it() {
        let moved = |s: &[u8]| options_first(Cow::Borrowed(s)).into_owned();
        assert_eq!(
            moved(b"a GETMETADATA \"INBOX\" (MAXSIZE 1024) (/shared/comment)\r\n"),
            b"a GETMETADATA (MAXSIZE 1024) \"INBOX\" (/shared/comment)\r\n"
        );
        assert_eq!(
            moved(b"a getmetadata Work (depth infinity) /private\r\n"),
            b"a getmetadata (depth infinity) Work /private\r\n"
        );
        for same in [
            &b"a GETMETADATA (DEPTH 1) INBOX /private\r\n"[..],
            b"a GETMETADATA INBOX (/shared/comment /private/comment)\r\n",
            b"a GETMETADATA {5}\r\nINBOX (DEPTH 1) /private\r\n",
            b"a NOOP\r\n",
        ] {
            assert_eq!(moved(same), same);
        }
    }

    #[test]
    fn entry_names_follow_section_3_2() {
        assert_eq!(
            entry_name(b"/Private/Comment", Use::Set).unwrap(),
            "/private/comment"
        );
        assert!(entry_name(b"/shared/comment", Use::Set).is_ok());
        assert!(entry_name(b"/shared", Use::Set).is_err());
        assert!(entry_name(b"/shared", Use::Get).is_ok());
        for bad in [
            &b"/"[..],
            b"shared/comment",
            b"/shared//comment",
            b"/shared/comment/",
            b"/shared/c*",
            b"/shared/c%",
            b"/shared/caf\xc3\xa9",
            b"/shared/a\tb",
            b"/other/comment",
            b"",
        ] {
            assert!(entry_name(bad, Use::Get).is_err(), "{bad:?}");
        }
        assert!(entry_name(b"/shared/vendor/acme", Use::Set).is_err());
        assert!(entry_name(b"/shared/vendor/acme", Use::Get).is_ok());
        assert!(entry_name(b"/shared/vendor/acme/x", Use::Set).is_ok());
        assert!(entry_name(&[b'a'; MAX_NAME + 1], Use::Get).is_err());
    }

    #[test]
    fn depth_selects_the_entry_and_what_is_below() {
        let base = "/private/filters/values";
        for (name, zero, one, inf) in [
            ("/private/filters/values", true, true, true),
            ("/private/filters/values/small", false, true, true),
            ("/private/filters/values/a/b", false, false, true),
            ("/private/filters/valuesx", false, false, false),
            ("/private/filters", false, false, false),
        ] {
            assert_eq!(answers(base, name, &Depth::Null), zero, "{name}");
            assert_eq!(answers(base, name, &Depth::One), one, "{name}");
            assert_eq!(answers(base, name, &Depth::Infinity), inf, "{name}");
        }
    }
}
