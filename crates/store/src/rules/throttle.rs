//! Statements of the sending-throttle counters (DOM-7), shared by both backends (`?N`
//! placeholders; PostgreSQL numbers them with [`crate::rules::nodes::numbered`]).

/// The count of a scope, key and window.
pub const COUNT: &str =
    "SELECT count FROM throttle_counts WHERE scope = ?1 AND key = ?2 AND window_start = ?3";

/// Add to a count (creating it) and return the new count.
pub const ADD: &str = "INSERT INTO throttle_counts (scope, key, window_start, count) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (scope, key, window_start) \
     DO UPDATE SET count = throttle_counts.count + excluded.count RETURNING count";

/// Remove the counts of windows that started before `?1`.
pub const PRUNE: &str = "DELETE FROM throttle_counts WHERE window_start < ?1";

/// A user's own throttle values (JSON).
pub const USER_GET: &str = "SELECT limits FROM user_throttles WHERE user_id = ?1";

/// Set a user's own throttle values.
pub const USER_SET: &str = "INSERT INTO user_throttles (user_id, limits) VALUES (?1, ?2) \
     ON CONFLICT (user_id) DO UPDATE SET limits = excluded.limits";

/// Remove a user's own throttle values.
pub const USER_CLEAR: &str = "DELETE FROM user_throttles WHERE user_id = ?1";

/// Scope of the marks of senders over a sending limit in a window: while a sender (key
/// [`held_user`] or [`held_domain`]) is marked, the queue holds its mail until the window ends.
pub const HELD: &str = "sending-held";

/// The [`HELD`] key of a user.
pub fn held_user(id: i64) -> String {
    format!("user:{id}")
}

/// The [`HELD`] key of a domain.
pub fn held_domain(name: &str) -> String {
    format!("domain:{}", name.to_ascii_lowercase())
}

/// A stored count as a count (never negative).
pub fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The start of the window of `seconds` (at least 1) holding `now`.
pub fn window_start(now: i64, seconds: i64) -> i64 {
    let s = seconds.max(1);
    now - now.rem_euclid(s)
}
