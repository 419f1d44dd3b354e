//! The statements of TLS reporting (RFC 8460), the same on every backend (`?N` parameters are
//! written `$N` for PostgreSQL by [`super::nodes::numbered`]).
//!
//! Invariant: a result is counted by adding to its row's count (one row per day and key); a
//! new row is made only while its day has fewer rows than the caller's cap.

/// The columns of a row, in [`crate::tlsrpt::TlsRptResult`]'s order.
pub const COLS: &str =
    "day, domain, policy_type, policy, mx_host, result, receiving_ip, detail, count";

/// Add ?3 to the count of row (?1 day, ?2 key).
pub const ADD: &str = "UPDATE tlsrpt_results SET count = count + ?3 WHERE day = ?1 AND key = ?2";

/// The rows of day ?1.
pub const ROWS_OF_DAY: &str = "SELECT count(*) FROM tlsrpt_results WHERE day = ?1";

/// Make row (?1 day, ?2 key) with the fields ?3..?10, or add to it when it was made meanwhile.
pub const NEW: &str = "INSERT INTO tlsrpt_results (day, key, domain, policy_type, policy, \
     mx_host, result, receiving_ip, detail, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
     ?10) ON CONFLICT (day, key) DO UPDATE SET count = tlsrpt_results.count + excluded.count";

/// The rows of the days up to ?1.
pub const LIST: &str = "SELECT day, domain, policy_type, policy, mx_host, result, receiving_ip, \
     detail, count FROM tlsrpt_results WHERE day <= ?1 ORDER BY day, domain, key";

/// Delete the rows of the days up to ?1.
pub const TAKE: &str = "DELETE FROM tlsrpt_results WHERE day <= ?1";

/// Delete the rows of the days before ?1.
pub const FORGET: &str = "DELETE FROM tlsrpt_results WHERE day < ?1";
