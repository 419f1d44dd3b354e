//! Mailbox names: the wire form (modified UTF-7, RFC 3501 §5.1.3, unless UTF8=ACCEPT is
//! enabled, RFC 6855) to the stored UTF-8 form and back, INBOX's case-insensitivity
//! (RFC 9051 §5.1), and LIST wildcards `*` and `%` (RFC 9051 §6.3.9).
//!
//! Invariants: stored names are UTF-8 with `/` as the only hierarchy delimiter, no empty
//! levels, and `INBOX` spelt in capitals; decoding rejects malformed modified UTF-7 rather
//! than guessing, so a name always round-trips.

use base64::Engine;
use base64::alphabet::IMAP_MUTF7;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// The hierarchy delimiter.
pub const DELIMITER: char = '/';

const MUTF7: GeneralPurpose = GeneralPurpose::new(
    &IMAP_MUTF7,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Why a client's mailbox name is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum BadName {
    /// Not valid modified UTF-7 (or not UTF-8 under UTF8=ACCEPT).
    Encoding,
    /// Empty, an empty level (`a//b`), or a control character.
    Form,
}

/// The stored name for a name sent by the client.
pub fn from_wire(raw: &[u8], utf8: bool) -> Result<String, BadName> {
    let text = std::str::from_utf8(raw).map_err(|_| BadName::Encoding)?;
    let name = if utf8 && !text.is_ascii() {
        text.to_owned()
    } else {
        decode_mutf7(text)?
    };
    normalize(&name)
}

/// The wire form of a stored name.
pub fn to_wire(name: &str, utf8: bool) -> String {
    if utf8 {
        name.to_owned()
    } else {
        encode_mutf7(name)
    }
}

/// Check a UTF-8 name and spell INBOX (and INBOX as the first level) in capitals.
pub fn normalize(name: &str) -> Result<String, BadName> {
    let name = name.strip_suffix(DELIMITER).unwrap_or(name);
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(BadName::Form);
    }
    if name.split(DELIMITER).any(str::is_empty) {
        return Err(BadName::Form);
    }
    let (first, rest) = match name.split_once(DELIMITER) {
        Some((f, r)) => (f, Some(r)),
        None => (name, None),
    };
    if first.eq_ignore_ascii_case("INBOX") {
        return Ok(match rest {
            Some(r) => format!("INBOX{DELIMITER}{r}"),
            None => "INBOX".into(),
        });
    }
    Ok(name.to_owned())
}

/// Decode modified UTF-7.
pub fn decode_mutf7(s: &str) -> Result<String, BadName> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find('-').ok_or(BadName::Encoding)?;
        let chunk = &after[..end];
        if chunk.is_empty() {
            out.push('&');
        } else {
            let bytes = MUTF7.decode(chunk).map_err(|_| BadName::Encoding)?;
            if bytes.len() % 2 != 0 {
                return Err(BadName::Encoding);
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            let text = String::from_utf16(&units).map_err(|_| BadName::Encoding)?;
            // RFC 3501 §5.1.3: printable ASCII must not be encoded.
            if text.chars().any(|c| (' '..='~').contains(&c)) {
                return Err(BadName::Encoding);
            }
            out.push_str(&text);
        }
        rest = &after[end + 1..];
    }
    if !rest.is_ascii() {
        return Err(BadName::Encoding);
    }
    out.push_str(rest);
    Ok(out)
}

/// Encode modified UTF-7.
pub fn encode_mutf7(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |out: &mut String, pending: &mut Vec<u16>| {
        if !pending.is_empty() {
            let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&MUTF7.encode(bytes));
            out.push('-');
            pending.clear();
        }
    };
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

/// The name a LIST pattern designates: reference and pattern joined (RFC 9051 §6.3.9).
pub fn join_reference(reference: &str, pattern: &str) -> String {
    if reference.is_empty() || pattern.starts_with(DELIMITER) {
        return pattern.to_owned();
    }
    if reference.ends_with(DELIMITER) {
        format!("{reference}{pattern}")
    } else {
        format!("{reference}{DELIMITER}{pattern}")
    }
}

/// Whether `name` matches a LIST pattern: `*` matches anything, `%` anything but the
/// delimiter. INBOX matches case-insensitively as the first level.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = normalize_inbox_prefix(pattern).chars().collect();
    let n: Vec<char> = name.chars().collect();
    wildcard(&p, &n)
}

fn normalize_inbox_prefix(pattern: &str) -> String {
    match pattern.get(..5) {
        Some(head)
            if head.eq_ignore_ascii_case("INBOX")
                && pattern[5..].chars().next().is_none_or(|c| c == DELIMITER) =>
        {
            format!("INBOX{}", &pattern[5..])
        }
        _ => pattern.to_owned(),
    }
}

/// Wildcard matching by dynamic programming over (pattern, name) suffixes: O(p·n) time,
/// O(n) memory and no recursion, so hostile patterns cannot blow up.
fn wildcard(p: &[char], n: &[char]) -> bool {
    // next[j]: pattern[i+1..] matches name[j..]; cur[j]: pattern[i..] matches name[j..].
    let mut next = vec![false; n.len() + 1];
    next[n.len()] = true;
    for &c in p.iter().rev() {
        let mut cur = vec![false; n.len() + 1];
        for j in (0..=n.len()).rev() {
            cur[j] = match c {
                '*' => next[j] || (j < n.len() && cur[j + 1]),
                '%' => next[j] || (j < n.len() && n[j] != DELIMITER && cur[j + 1]),
                c => j < n.len() && n[j] == c && next[j + 1],
            };
        }
        next = cur;
    }
    next[0]
}

/// Every ancestor of a name, nearest last (`a/b/c` → `a`, `a/b`).
pub fn ancestors(name: &str) -> Vec<&str> {
    name.match_indices(DELIMITER)
        .map(|(i, _)| &name[..i])
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn modified_utf7_round_trips() {
        for (utf8, wire) in [
            ("Entwürfe", "Entw&APw-rfe"),
            ("R&D", "R&-D"),
            ("日本語", "&ZeVnLIqe-"),
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("😀", "&2D3eAA-"),
            ("Sent Items", "Sent Items"),
        ] {
            assert_eq!(encode_mutf7(utf8), wire);
            assert_eq!(decode_mutf7(wire).unwrap(), utf8);
        }
        assert_eq!(decode_mutf7("&ZeVnLIqe"), Err(BadName::Encoding));
        assert_eq!(decode_mutf7("&AGE-"), Err(BadName::Encoding), "encoded 'a'");
        assert_eq!(decode_mutf7("Entwürfe"), Err(BadName::Encoding));
    }

    #[test]
    fn wire_names() {
        assert_eq!(from_wire(b"inbox", false).unwrap(), "INBOX");
        assert_eq!(from_wire(b"Inbox/Sub", false).unwrap(), "INBOX/Sub");
        assert_eq!(from_wire(b"Inboxes", false).unwrap(), "Inboxes");
        assert_eq!(from_wire(b"a/b/", false).unwrap(), "a/b");
        assert_eq!(from_wire(b"a//b", false), Err(BadName::Form));
        assert_eq!(from_wire("Grüße".as_bytes(), true).unwrap(), "Grüße");
        assert_eq!(from_wire("Grüße".as_bytes(), false), Err(BadName::Encoding));
        assert_eq!(to_wire("Grüße", false), "Gr&APwA3w-e");
    }

    #[test]
    fn wildcards() {
        assert!(matches("*", "a/b/c"));
        assert!(matches("%", "a"));
        assert!(!matches("%", "a/b"));
        assert!(matches("a/%", "a/b"));
        assert!(!matches("a/%", "a/b/c"));
        assert!(matches("a/*", "a/b/c"));
        assert!(matches("inbox", "INBOX"));
        assert!(matches("Inbox/%", "INBOX/x"));
        assert!(!matches("sent*", "Sent Items"));
        assert!(matches("Sent*", "Sent Items"));
        assert!(matches("*Items", "Sent Items"));
        assert!(matches("%/%/c", "a/b/c"));
        assert!(!matches("%c", "a/bc"));
        assert!(matches("*%*%*x", &"a".repeat(50).replace('a', "ax")));
        assert!(!matches("*x*x*x*x*x*y", &"x".repeat(200)));
        assert!(matches("*/%", "a/b/c"));
        assert!(!matches("%/%", "a/b/c"));
    }

    #[test]
    fn references_and_hierarchy() {
        assert_eq!(join_reference("", "*"), "*");
        assert_eq!(join_reference("a", "b"), "a/b");
        assert_eq!(join_reference("a/", "%"), "a/%");
        assert_eq!(ancestors("a/b/c"), vec!["a", "a/b"]);
        assert!(ancestors("a").is_empty());
    }
}
