//! The statements of statistics (OPS-3), the same on every backend (`?N` parameters are
//! written `$N` for PostgreSQL by [`super::nodes::numbered`]).
//!
//! Invariant: counts are only ever added to (`ON CONFLICT … DO UPDATE SET n = n + excluded.n`),
//! so batches written by several nodes at once all count.

/// Add the counters ?5..?15 to the row (?1 scope, ?2 key, ?3 span, ?4 start), making it.
pub const ADD: &str = "INSERT INTO stat_counts (scope, key, span, start, messages_in, \
     bytes_in, messages_out, bytes_out, spam, virus, bounces, logins_imap, logins_pop3, \
     logins_smtp, logins_web) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
     ?14, ?15) ON CONFLICT (scope, key, span, start) DO UPDATE SET \
     messages_in = stat_counts.messages_in + excluded.messages_in, \
     bytes_in = stat_counts.bytes_in + excluded.bytes_in, \
     messages_out = stat_counts.messages_out + excluded.messages_out, \
     bytes_out = stat_counts.bytes_out + excluded.bytes_out, \
     spam = stat_counts.spam + excluded.spam, \
     virus = stat_counts.virus + excluded.virus, \
     bounces = stat_counts.bounces + excluded.bounces, \
     logins_imap = stat_counts.logins_imap + excluded.logins_imap, \
     logins_pop3 = stat_counts.logins_pop3 + excluded.logins_pop3, \
     logins_smtp = stat_counts.logins_smtp + excluded.logins_smtp, \
     logins_web = stat_counts.logins_web + excluded.logins_web";

/// The rows of (?1 scope, ?2 key, ?3 span) starting from ?4 up to (not including) ?5.
pub const SERIES: &str = "SELECT start, messages_in, bytes_in, messages_out, bytes_out, spam, \
     virus, bounces, logins_imap, logins_pop3, logins_smtp, logins_web FROM stat_counts \
     WHERE scope = ?1 AND key = ?2 AND span = ?3 AND start >= ?4 AND start < ?5 ORDER BY start";

/// Per key of scope ?1, the sums of the ?2-span rows starting from ?3 up to ?4.
pub const TOTALS: &str = "SELECT key, CAST(SUM(messages_in) AS BIGINT), \
     CAST(SUM(bytes_in) AS BIGINT), CAST(SUM(messages_out) AS BIGINT), \
     CAST(SUM(bytes_out) AS BIGINT), CAST(SUM(spam) AS BIGINT), CAST(SUM(virus) AS BIGINT), \
     CAST(SUM(bounces) AS BIGINT), CAST(SUM(logins_imap) AS BIGINT), \
     CAST(SUM(logins_pop3) AS BIGINT), CAST(SUM(logins_smtp) AS BIGINT), \
     CAST(SUM(logins_web) AS BIGINT) FROM stat_counts \
     WHERE scope = ?1 AND span = ?2 AND start >= ?3 AND start < ?4 GROUP BY key ORDER BY key";

/// Delete the ?1-span rows starting before ?2.
pub const PRUNE: &str = "DELETE FROM stat_counts WHERE span = ?1 AND start < ?2";
