//! METADATA (RFC 5464) rules that need no store: entry names (§3.2), which stored entries a
//! GETMETADATA entry with a DEPTH asks for (§4.2.2), and the limits the server announces.
//!
//! Invariants: a name that passes [`entry_name`] is printable ASCII without `*` or `%`,
//! starts with `/private/` or `/shared/`, has no empty component, and is lower case (entry
//! names are case-insensitive, §3.2), so it can be stored and compared as is.

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
        .any(|&b| b < 0x20 || b >= 0x7f || b == b'*' || b == b'%')
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
    // RFC 5464 §3.2: two components at least; vendor entries four.
    let vendor = parts.get(1) == Some(&"vendor");
    let least = if vendor && usage == Use::Set { 4 } else { 2 };
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
    let Some(rest) = name
        .strip_prefix(base)
        .and_then(|r| r.strip_prefix('/'))
    else {
        return false;
    };
    match depth {
        Depth::Null => false,
        Depth::One => !rest.contains('/'),
        Depth::Infinity => true,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_follow_section_3_2() {
        assert_eq!(
            entry_name(b"/Private/Comment", Use::Set).unwrap(),
            "/private/comment"
        );
        assert!(entry_name(b"/shared/comment", Use::Set).is_ok());
        for bad in [
            &b"/shared"[..],
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
