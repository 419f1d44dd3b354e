//! Pure parsing of what a POP3 server answers a client (RFC 1939), apart from any I/O:
//! status lines, UIDL and LIST listings, and the dot-unstuffing of multi-line bodies.
//!
//! Invariants: nothing here allocates more than the line it is given; a status line is
//! `+OK` or `-ERR` followed by nothing or a space (anything else is a protocol error); a
//! UIDL is 1 to 70 printable ASCII characters (RFC 1939 §7).

/// A status line's verdict.
#[derive(Debug, PartialEq, Eq)]
pub enum Status<'a> {
    /// `+OK` and the rest of the line.
    Ok(&'a str),
    /// `-ERR` and the rest of the line.
    Err(&'a str),
}

/// Parse a status line (without its CRLF); `None` when it is neither `+OK` nor `-ERR`.
pub fn status(line: &str) -> Option<Status<'_>> {
    let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
    // RFC 1939 §3: status indicators are upper case, but be lenient on case.
    if head.eq_ignore_ascii_case("+OK") {
        Some(Status::Ok(rest))
    } else if head.eq_ignore_ascii_case("-ERR") {
        Some(Status::Err(rest))
    } else {
        None
    }
}

/// Whether a `+OK` greeting or CAPA listing line advertises STLS (RFC 2595 §4).
pub fn is_stls(capa_line: &str) -> bool {
    capa_line
        .split_ascii_whitespace()
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("STLS"))
}

/// One line of a multi-line reply, dot-unstuffed (RFC 1939 §3): `None` for the
/// terminating `.`, else the line without its leading stuffing dot.
pub fn unstuff(line: &[u8]) -> Option<&[u8]> {
    match line {
        b"." => None,
        [b'.', rest @ ..] => Some(rest),
        _ => Some(line),
    }
}

/// A UIDL listing line `N UIDL` (RFC 1939 §7), as message number and UIDL.
pub fn uidl_line(line: &str) -> Option<(u32, &str)> {
    let mut words = line.split_ascii_whitespace();
    let n = words.next()?.parse().ok()?;
    let uidl = words.next()?;
    let valid = (1..=70).contains(&uidl.len()) && uidl.bytes().all(|b| (0x21..=0x7e).contains(&b));
    (valid && words.next().is_none()).then_some((n, uidl))
}

/// A LIST listing line `N SIZE` (RFC 1939 §5), as message number and size in octets.
pub fn list_line(line: &str) -> Option<(u32, u64)> {
    let mut words = line.split_ascii_whitespace();
    let n = words.next()?.parse().ok()?;
    let size = words.next()?.parse().ok()?;
    Some((n, size))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(status("+OK ready"), Some(Status::Ok("ready")));
        assert_eq!(status("+OK"), Some(Status::Ok("")));
        assert_eq!(status("-ERR [AUTH] no"), Some(Status::Err("[AUTH] no")));
        assert_eq!(status("+OKAY"), None);
        assert_eq!(status("* OK"), None);
        assert_eq!(status(""), None);
    }

    #[test]
    fn listings() {
        assert_eq!(uidl_line("3 abc-123"), Some((3, "abc-123")));
        assert_eq!(uidl_line("3"), None);
        assert_eq!(uidl_line("x abc"), None);
        assert_eq!(uidl_line("1 a b"), None);
        assert_eq!(uidl_line(&format!("1 {}", "a".repeat(71))), None);
        assert_eq!(list_line("2 4096"), Some((2, 4096)));
        assert_eq!(list_line("2 -1"), None);
        assert!(is_stls("STLS"));
        assert!(!is_stls("STLSX"));
    }

    #[test]
    fn dot_stuffing() {
        assert_eq!(unstuff(b"."), None);
        assert_eq!(unstuff(b"..hidden"), Some(&b".hidden"[..]));
        assert_eq!(unstuff(b"text"), Some(&b"text"[..]));
        assert_eq!(unstuff(b""), Some(&b""[..]));
    }
}
