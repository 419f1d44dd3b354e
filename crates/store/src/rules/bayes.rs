//! Rules the backends share for the Bayesian classifier's tables.

/// Most token hashes looked up in one statement.
pub const CHUNK: usize = 500;

/// `tokens` sorted without duplicates: each is counted once per message, and the backends
/// touch rows in one order (two transactions locking the same tokens cannot deadlock).
pub fn unique(tokens: &[i64]) -> Vec<i64> {
    let mut v = tokens.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}
