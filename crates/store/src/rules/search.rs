//! Text search in SQL backends: a needle as a `LIKE` pattern, and page bounds as SQL
//! integers.
//!
//! Invariants: a needle matches as plain text: `LIKE`'s wildcards (`%`, `_`) and the escape
//! character (`\`) in it are escaped, so the pattern is used with `ESCAPE '\'`. The needle is
//! lower-cased; the backend compares ignoring ASCII case only (SQLite's `LIKE` does, as
//! `lower` would; neither folds other letters), so every backend finds the same users.

/// The `LIKE` pattern (with `ESCAPE '\'`) matching values that contain `needle` as plain
/// text, ignoring ASCII case.
pub fn contains_pattern(needle: &str) -> String {
    let escaped = needle
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A page limit or offset as an SQL integer; past `i64::MAX` means "all".
pub fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_a_needle_match_themselves() {
        assert_eq!(contains_pattern("Al"), "%al%");
        assert_eq!(contains_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
    }

    #[test]
    fn huge_page_bounds_saturate() {
        assert_eq!(sql_int(10), 10);
        assert_eq!(sql_int(u64::MAX), i64::MAX);
    }
}
