//! Folder rules: a new folder's UIDVALIDITY, and which names a rename moves along.
//!
//! Invariants: UIDVALIDITY is never 0 and comes from the clock, so a folder deleted and
//! re-created later gets a new value (RFC 9051 §2.3.1.1); renaming `a` to `b` with delimiter
//! `/` renames `a/x` to `b/x` too, and nothing else (RFC 9051 §6.3.6).

/// UIDVALIDITY of a folder created at Unix time `now`: its low 32 bits, never 0.
pub fn uidvalidity(now: i64) -> u32 {
    (now as u64 & 0xffff_ffff).max(1) as u32
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
        assert_eq!(uidvalidity(1_700_000_000), 1_700_000_000);
        assert_eq!(uidvalidity(0), 1);
        assert_eq!(uidvalidity(1 << 32), 1);
        assert_eq!(uidvalidity((1 << 32) + 5), 5);
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
