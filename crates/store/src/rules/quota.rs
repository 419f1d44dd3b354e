//! Quota arithmetic: what counts against a user's `used_bytes`.
//!
//! Invariants: a user's usage is the sum of the sizes of their messages plus
//! [`folder_cost`] of each of their folders, so mailbox metadata is paid for like mail. A
//! backend keeps it in step in the same transaction as the change that moves it (a delivery,
//! an expunge, a folder created, renamed or deleted), never lets it fall below zero, and can
//! recount it from those two sums at any time with the same result.

/// Bytes a folder's record counts against its user's quota besides its name: the row, its
/// index entries and its counters, rounded up. So mailbox metadata is paid for like mail.
pub const FOLDER_OVERHEAD: u64 = 128;

/// What a folder called `name` counts against its user's quota (`used_bytes`).
pub fn folder_cost(name: &str) -> u64 {
    FOLDER_OVERHEAD + name.len() as u64
}

/// What a set of folders counts against quota: a new user's usage, made of its default
/// folders.
pub fn folders_cost<'a>(names: impl IntoIterator<Item = &'a str>) -> u64 {
    names.into_iter().map(folder_cost).sum()
}

/// How much a user's usage grows (or, negative, shrinks) when folder `from` is renamed `to`.
pub fn rename_change(from: &str, to: &str) -> i64 {
    folder_cost(to) as i64 - folder_cost(from) as i64
}

/// How much deleting folder `name` gives back: its messages' bytes and the folder's cost.
pub fn removal_credit(name: &str, message_bytes: i64) -> i64 {
    message_bytes + folder_cost(name) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_cost_their_name_and_a_fixed_overhead() {
        assert_eq!(folder_cost("INBOX"), FOLDER_OVERHEAD + 5);
        assert_eq!(
            folder_cost("é"),
            FOLDER_OVERHEAD + 2,
            "bytes, not characters"
        );
        assert_eq!(folders_cost(["INBOX", "Sent"]), 2 * FOLDER_OVERHEAD + 9);
        assert_eq!(folders_cost([]), 0);
    }

    #[test]
    fn renames_and_removals_move_usage_by_the_cost_difference() {
        assert_eq!(rename_change("a", "abc"), 2);
        assert_eq!(rename_change("abc", "a"), -2);
        assert_eq!(
            removal_credit("INBOX", 1000),
            1000 + folder_cost("INBOX") as i64
        );
    }
}
