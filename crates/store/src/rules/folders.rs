//! Folder rules: a new folder's UIDVALIDITY, and which names a rename moves along.
//!
//! Invariants: UIDVALIDITY is never 0, comes from the clock and is strictly greater than
//! every UIDVALIDITY the user's folders had before (kept per user as `last_uidvalidity`,
//! written in the transaction that creates the folder), so a folder deleted and created
//! again, even within the same second, gets a new value (RFC 9051 §2.3.1.1); renaming `a`
//! to `b` with delimiter `/` renames `a/x` to `b/x` too, and nothing else (RFC 9051 §6.3.6).

/// UIDVALIDITY of a folder created at Unix time `now` for a user whose folders have had at
/// most `last`: the clock's low 32 bits, never 0, and above `last` (RFC 9051 §2.3.1.1).
/// Only at `last == u32::MAX` (not before the year 2106) does it stop growing.
pub fn uidvalidity(now: i64, last: u32) -> u32 {
    let clock = (now as u64 & 0xffff_ffff).max(1) as u32;
    clock.max(last.saturating_add(1))
}

/// The name prefix of the children of folder `name`: `name` and the delimiter.
pub fn child_prefix(name: &str, delim: char) -> String {
    format!("{name}{delim}")
}

/// The new name of folder `name` when its ancestor `from` is renamed to `to`: `None` when
/// `name` is not under `from`.
pub fn renamed_child(name: &str, from: &str, to: &str, delim: char) -> Option<String> {
    let rest = name.strip_prefix(&child_prefix(from, delim))?;
    Some(format!("{to}{delim}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uidvalidity_is_never_zero() {
        assert_eq!(uidvalidity(1_700_000_000, 0), 1_700_000_000);
        assert_eq!(uidvalidity(0, 0), 1);
        assert_eq!(uidvalidity(1 << 32, 0), 1);
        assert_eq!(uidvalidity((1 << 32) + 5, 0), 5);
    }

    #[test]
    fn uidvalidity_grows_past_the_last_one() {
        // Created again within the same second, or after the clock went back.
        assert_eq!(uidvalidity(1_700_000_000, 1_700_000_000), 1_700_000_001);
        assert_eq!(uidvalidity(1_700_000_000, 1_700_000_050), 1_700_000_051);
        assert_eq!(uidvalidity(1_700_000_100, 1_700_000_050), 1_700_000_100);
        assert_eq!(uidvalidity(5, u32::MAX), u32::MAX);
    }

    #[test]
    fn children_follow_a_rename() {
        assert_eq!(child_prefix("a", '/'), "a/");
        assert_eq!(
            renamed_child("a/x/y", "a", "b", '/').as_deref(),
            Some("b/x/y")
        );
        assert_eq!(renamed_child("ab/x", "a", "b", '/'), None);
        assert_eq!(renamed_child("a", "a", "b", '/'), None);
        assert_eq!(renamed_child("é/x", "é", "e", '/').as_deref(), Some("e/x"));
    }
}
