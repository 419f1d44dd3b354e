//! Kept header blocks of messages, by blob id, so a SEARCH over a folder's headers does not
//! read every header from the database each time.
//!
//! Invariants: a blob's header block never changes (a blob is written once and its id, 128
//! random bits, is never reused), so an entry is never stale and needs no invalidation; the
//! kept bytes stay under [`BUDGET`]: when an insert would pass it, everything kept is dropped
//! first (it refills in one query per folder).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::model::BlobId;

/// Bytes of header blocks kept, at most.
const BUDGET: usize = 32 << 20;

#[derive(Default)]
pub(crate) struct HeadCache {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    heads: HashMap<BlobId, Vec<u8>>,
    bytes: usize,
}

impl HeadCache {
    /// The kept head of each blob in `ids` (`None` where it is not kept).
    pub(crate) fn get_all(&self, ids: &[&str]) -> Vec<Option<Vec<u8>>> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        ids.iter().map(|id| kept.heads.get(*id).cloned()).collect()
    }

    /// Keep `head` for blob `id`.
    pub(crate) fn keep(&self, id: BlobId, head: Vec<u8>) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let cost = id.len() + head.len();
        if cost > BUDGET {
            return;
        }
        if kept.bytes + cost > BUDGET {
            kept.heads.clear();
            kept.bytes = 0;
        }
        if kept.heads.insert(id, head).is_none() {
            kept.bytes += cost;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_heads_within_the_budget() {
        let c = HeadCache::default();
        c.keep("a".into(), b"Subject: a\r\n\r\n".to_vec());
        assert_eq!(
            c.get_all(&["a", "b"]),
            [Some(b"Subject: a\r\n\r\n".to_vec()), None]
        );
        let big = vec![b'x'; BUDGET / 2];
        c.keep("b".into(), big.clone());
        c.keep("c".into(), big);
        let got = c.get_all(&["a", "b", "c"]);
        assert!(
            got[0].is_none() && got[1].is_none() && got[2].is_some(),
            "dropped when full"
        );
        c.keep("d".into(), vec![0; BUDGET + 1]);
        assert_eq!(
            c.get_all(&["d"]),
            [None],
            "never one larger than the budget"
        );
    }
}
