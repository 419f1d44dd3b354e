//! Parsed MIME structures kept by blob id, shared by every session of a process: FETCH of
//! ENVELOPE, BODYSTRUCTURE, sections or header fields over a mailbox many clients read parses
//! each message once rather than at every command.
//!
//! Invariants: a blob's bytes never change under its id and ids are never reused, so a kept
//! structure is never stale; its ranges index those same bytes. Entries stay within
//! [`BUDGET`] by their [`Entity::weight`]; a message larger than [`LARGEST`] is parsed each
//! time and never kept, as the body cache does not keep its bytes either.

use std::sync::{Arc, LazyLock};

use heron_message::mime::{self, Entity};
use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// Bytes of structures kept, at most (by their estimated weight).
pub const BUDGET: u64 = 16 << 20;

/// Largest message whose structure is kept.
pub const LARGEST: usize = heron_store::bodycache::LARGEST;

/// A structure weighs its id and its estimated size.
#[derive(Clone)]
struct ByWeight;

impl Weighter<String, Arc<Entity<'static>>> for ByWeight {
    fn weight(&self, id: &String, e: &Arc<Entity<'static>>) -> u64 {
        (id.len() + e.weight()) as u64
    }
}

fn kept() -> &'static Cache<String, Arc<Entity<'static>>, ByWeight> {
    static KEPT: LazyLock<Cache<String, Arc<Entity<'static>>, ByWeight>> =
        LazyLock::new(|| Cache::with_weighter(4096, BUDGET, ByWeight));
    &KEPT
}

/// The structure of `raw`, the bytes of blob `blob` (when known): kept or parsed now.
pub fn of(blob: Option<&str>, raw: &[u8]) -> Arc<Entity<'static>> {
    let Some(id) = blob.filter(|_| raw.len() <= LARGEST) else {
        return Arc::new(mime::parse(raw).into_owned());
    };
    if let Some(e) = kept().get(id) {
        return e;
    }
    let e = Arc::new(mime::parse(raw).into_owned());
    kept().insert(id.to_owned(), e.clone());
    e
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use heron_message::testdata::MULTI;

    #[test]
    fn kept_structure_is_the_parsed_one() {
        let id = "structure-test-0001";
        let first = of(Some(id), MULTI);
        let again = of(Some(id), MULTI);
        assert!(
            Arc::ptr_eq(&first, &again),
            "the second look is served from memory"
        );
        let fresh = mime::parse(MULTI);
        assert_eq!(first.header, fresh.header);
        assert_eq!(first.body, fresh.body);
        assert_eq!(format!("{:?}", first.kind), format!("{:?}", fresh.kind));
    }

    #[test]
    fn without_an_id_nothing_is_kept() {
        let a = of(None, MULTI);
        let b = of(None, MULTI);
        assert!(!Arc::ptr_eq(&a, &b));
    }
}
