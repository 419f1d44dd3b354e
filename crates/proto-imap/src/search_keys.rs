//! The bound on the keys one SEARCH may hold (the work of a search grows with keys ×
//! messages), counted through every AND, OR and NOT.
//!
//! Invariants: counting stops past [`MAX_KEYS`], so a hostile tree costs no more than the
//! bound to count; the parser of deep criteria ([`crate::deep_search`]) stops reading at
//! the same bound.

use imap_codec::imap_types::search::SearchKey;

/// Most search keys one SEARCH may hold, counted through every AND, OR and NOT: the work
/// of a search grows with keys × messages.
pub const MAX_KEYS: usize = 1000;

/// The number of keys in `key`, counting every nested one; stops counting past
/// [`MAX_KEYS`].
pub fn key_count(key: &SearchKey<'_>) -> usize {
    fn walk(key: &SearchKey<'_>, n: &mut usize) {
        *n += 1;
        if *n > MAX_KEYS {
            return;
        }
        match key {
            SearchKey::And(keys) => keys.as_ref().iter().for_each(|k| walk(k, n)),
            SearchKey::Not(k) => walk(k, n),
            SearchKey::Or(a, b) => {
                walk(a, n);
                walk(b, n);
            }
            _ => {}
        }
    }
    let mut n = 0;
    walk(key, &mut n);
    n
}
